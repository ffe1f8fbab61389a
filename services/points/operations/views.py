"""What the merchant reads: the activity feeds, customers and their
profiles, what an order earned, and the audit log."""

import operator
from collections.abc import Sequence

from sqlalchemy.engine import Row

from services.points import domain, repository
from services.points.schemas import (
    ACTIVITY_COLUMNS,
    ActivitiesQuery,
    Activity,
    ActivityRows,
    AuditEntry,
    AuditQuery,
    CustomerActivitiesQuery,
    CustomerDetail,
    CustomersQuery,
    ExportQuery,
    MemberProfile,
    OrderAward,
)
from shared import activity_csv
from shared.activity_csv import CsvPage
from shared.db import UnitOfWork, must_exist
from shared.errors import NotFound
from shared.pagination import Page
from shared.points_api import ActivityRow

RECENT_ACTIVITIES = 10


def activity(uow: UnitOfWork, shop_id: str, activity_id: int) -> Activity:
    """An activity this unit of work has just written."""
    row = must_exist(repository.ledger.activity(uow.session, shop_id, activity_id), f"activity {activity_id}")
    return activity_of(row)


def activity_of(row: Row) -> Activity:
    """A feed row, naming its member by email and name."""
    name = domain.display_name(row.customer_first_name, row.customer_last_name)
    return Activity.model_validate(dict(row._asdict(), customer_name=name))


def activity_rows(rows: Sequence[Row]) -> list[ActivityRow]:
    """Feed rows as compact rows (ACTIVITY_COLUMNS' order). The values are
    taken by position, found once per page: a row's attribute by name
    costs a lookup each, thirteen a row, a thousand rows a page."""
    if not rows:
        return []
    fields = rows[0]._fields
    name_at = ACTIVITY_COLUMNS.index("customer_name")

    def values(columns):
        return operator.itemgetter(*(fields.index(column) for column in columns))

    before, after = values(ACTIVITY_COLUMNS[:name_at]), values(ACTIVITY_COLUMNS[name_at + 1 :])
    names = values(("customer_first_name", "customer_last_name"))
    return [(*before(row), domain.display_name(*names(row)), *after(row)) for row in rows]


def list_activities(uow: UnitOfWork, query: ActivitiesQuery) -> ActivityRows:
    """A page of the feed (or of its export) as compact rows, validated as
    one value: pydantic's core checks a page of a thousand tuples in well
    under a millisecond, where a model per row took ~14 ms."""
    found = repository.ledger.activities_page(uow.session, query)
    return ActivityRows.model_validate(
        {
            "columns": ACTIVITY_COLUMNS,
            "rows": activity_rows(found["items"]),
            "next_cursor": found["next_cursor"],
        }
    )


def export_activities(uow: UnitOfWork, query: ExportQuery) -> CsvPage:
    """A page of the CSV export, written here (shared.activity_csv)."""
    found = repository.ledger.activities_page(uow.session, query)
    items = found["items"]
    if not items:
        return CsvPage(csv="", rows=0, next_cursor=found["next_cursor"])
    fields = items[0]._fields
    values = operator.itemgetter(*(fields.index(_EXPORT_FIELDS.get(c, c)) for c in activity_csv.COLUMNS))
    occurred_at = activity_csv.COLUMNS.index("occurred_at")

    def cells(row):
        row_values = list(values(row))
        # As pydantic writes a UTC time in JSON (the feed's own format).
        row_values[occurred_at] = row_values[occurred_at].isoformat().replace("+00:00", "Z")
        return row_values

    return CsvPage(
        csv=activity_csv.csv_text(cells(row) for row in items),
        rows=len(items),
        next_cursor=found["next_cursor"],
    )


# The export's columns that the feed's rows name otherwise.
_EXPORT_FIELDS = {"activity_id": "id"}


def profile(uow: UnitOfWork, member: Row, lots: list | None = None) -> MemberProfile:
    """The tier shown is the member's tier as last announced (operations.tiers)."""
    now = uow.clock.now()
    if lots is None:
        lots = repository.lots.lots_of(uow.session, member.shop_id, member.customer_id)
    expiry = domain.next_expiry(lots, now)
    return MemberProfile.model_validate(
        dict(
            member._asdict(),
            name=domain.display_name(member.first_name, member.last_name),
            member_since=member.created_at,
            vip_tier=member.current_tier,
            vip_tier_manual=member.vip_tier is not None,
            pending_points=domain.pending_points(lots, now),
            available_points=domain.available_points(lots, now),
            next_expiry={"points": expiry[0], "date": expiry[1]} if expiry else None,
        )
    )


def list_customers(uow: UnitOfWork, query: CustomersQuery) -> Page[MemberProfile]:
    result = repository.members.members_page(uow.session, query.shop_id, query.q, query)
    lots = repository.lots.lots_of_members(
        uow.session, query.shop_id, [row.customer_id for row in result["items"]]
    )
    return {
        "items": [profile(uow, row, lots[row.customer_id]) for row in result["items"]],
        "next_cursor": result["next_cursor"],
    }


def get_customer(uow: UnitOfWork, shop_id: str, customer_id: str) -> CustomerDetail:
    member = repository.members.member(uow.session, shop_id, customer_id)
    if member is None:
        raise NotFound(f"customer {customer_id} is not a member of this shop", {"customer_id": customer_id})
    recent = repository.ledger.customer_activities_page(
        uow.session,
        shop_id,
        customer_id,
        CustomerActivitiesQuery(shop_id=shop_id, customer_id=customer_id, limit=RECENT_ACTIVITIES),
    )
    return CustomerDetail.model_validate(
        dict(
            profile(uow, member).model_dump(), recent_activities=[activity_of(row) for row in recent["items"]]
        )
    )


def get_order(uow: UnitOfWork, shop_id: str, order_id: str) -> OrderAward:
    """What a paid (or never-earning) order earned; 404 for an order points
    has not seen paid, or not at all."""
    award = repository.orders.order_award(uow.session, shop_id, order_id)
    if award is None:
        raise NotFound(f"order {order_id} has earned nothing yet", {"order_id": order_id})
    return OrderAward.model_validate(award._asdict())


def find_member_by_email(uow: UnitOfWork, shop_id: str, email: str) -> MemberProfile | None:
    member = repository.members.member_by_email(uow.session, shop_id, email)
    return None if member is None else profile(uow, member)


def list_audit_log(uow: UnitOfWork, query: AuditQuery) -> Page[AuditEntry]:
    result = repository.audit.audit_page(uow.session, query.shop_id, query.customer_id, query)
    return {
        "items": [
            AuditEntry.model_validate(
                dict(
                    row._asdict(),
                    customer_name=domain.display_name(row.customer_first_name, row.customer_last_name),
                )
            )
            for row in result["items"]
        ],
        "next_cursor": result["next_cursor"],
    }
