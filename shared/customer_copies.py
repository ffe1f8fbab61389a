"""The copy of a shop's customers that referrals and reviews keep from the
gateway's events (`customer_created`, `order_placed`), so their rows name
a customer without asking points for each one (SPEC §7 "People and
products, not ids")."""

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.orm import Session

from shared.upserts import upsert_known


def customers_table(metadata: MetaData) -> Table:
    return Table(
        "customers",
        metadata,
        Column("shop_id", String(64), primary_key=True),
        Column("customer_id", String(64), primary_key=True),
        Column("email", String(320)),
        Column("first_name", String(200)),
        Column("last_name", String(200)),
    )


def remember_customer(
    session: Session,
    customers: Table,
    shop_id: str,
    customer_id: str,
    email: str | None,
    first_name: str | None,
    last_name: str | None,
) -> None:
    """What an event says of a customer; what it leaves out stays as known."""
    upsert_known(
        session,
        customers,
        {"shop_id": shop_id, "customer_id": customer_id},
        {"email": email, "first_name": first_name, "last_name": last_name},
    )


def full_name(first_name: str | None, last_name: str | None) -> str | None:
    """ "First Last" from what is known of them, None if neither is."""
    return " ".join(part for part in (first_name, last_name) if part) or None
