"""the program rules as one document: the JSON the contract
(shared.points_api.ProgramRules) validates and dumps, in place of a column
per rule

Revision ID: 0003
Revises: 0002
"""

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The rules as columns, as 0001 and 0002 left them: (name, type, server default).
RULE_COLUMNS = [
    ("points_per_currency_unit", sa.Numeric(12, 4), None),
    ("rounding", sa.String(8), "floor"),
    ("pending_days", sa.Integer(), "0"),
    ("expiry_days", sa.Integer(), None),
    ("signup_points", sa.Integer(), None),
    ("birthday_points", sa.Integer(), "0"),
    ("review_points", sa.Integer(), None),
    ("photo_review_bonus_points", sa.Integer(), "0"),
    ("google_review_points", sa.Integer(), None),
    ("referrer_reward_points", sa.Integer(), None),
    ("referee_coupon_type", sa.String(16), None),
    ("referee_coupon_value", sa.Numeric(12, 2), None),
    ("vip_tiers", sa.JSON(), "[]"),
]
# Copied as they are between a column and the document's key of that name.
PLAIN_RULES = (
    "rounding",
    "pending_days",
    "expiry_days",
    "signup_points",
    "birthday_points",
    "review_points",
    "photo_review_bonus_points",
    "google_review_points",
    "referrer_reward_points",
    "vip_tiers",
)

program_settings = sa.table(
    "program_settings",
    sa.column("shop_id", sa.String()),
    sa.column("rules", sa.JSON()),
    *(sa.column(name, type_) for name, type_, _ in RULE_COLUMNS),
)


def _decimal_text(value) -> str:
    """An amount as the contract writes it: plain decimal text, e.g. "1.5"."""
    return format(Decimal(value).normalize(), "f")


def _document(row) -> dict:
    return {
        "points_per_currency_unit": _decimal_text(row["points_per_currency_unit"]),
        **{name: row[name] for name in PLAIN_RULES},
        "referee_coupon": {
            "type": row["referee_coupon_type"],
            "value": _decimal_text(row["referee_coupon_value"]),
        },
    }


def _columns_of(document: dict) -> dict:
    return {
        "points_per_currency_unit": Decimal(document["points_per_currency_unit"]),
        **{name: document[name] for name in PLAIN_RULES},
        "referee_coupon_type": document["referee_coupon"]["type"],
        "referee_coupon_value": Decimal(document["referee_coupon"]["value"]),
    }


def _rewrite_rows(values_of) -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(program_settings)).mappings().all():
        connection.execute(
            program_settings.update()
            .where(program_settings.c.shop_id == row["shop_id"])
            .values(**values_of(row))
        )


def upgrade() -> None:
    with op.batch_alter_table("program_settings") as batch:
        batch.add_column(sa.Column("rules", sa.JSON(), nullable=True))
    _rewrite_rows(lambda row: {"rules": _document(row)})
    with op.batch_alter_table("program_settings") as batch:
        batch.alter_column("rules", existing_type=sa.JSON(), nullable=False)
        for name, _, _ in RULE_COLUMNS:
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("program_settings") as batch:
        for name, type_, default in RULE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True, server_default=default))
    _rewrite_rows(lambda row: _columns_of(row["rules"]))
    with op.batch_alter_table("program_settings") as batch:
        for name, type_, _ in RULE_COLUMNS:
            if name != "expiry_days":
                batch.alter_column(name, existing_type=type_, nullable=False)
        batch.drop_column("rules")
