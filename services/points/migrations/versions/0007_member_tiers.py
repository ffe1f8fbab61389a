"""a member's tier as a stored fact (members.current_tier) and the history of
its changes (tier_changes, the merged timeline's tier items)

Existing members get the tier they have today, as it was computed on read
(the hand-set one, else the highest threshold their lifetime points reach),
so nobody "changes" tier at their next ledger entry for no reason. No
tier_changes rows are made up for the past.

Revision ID: 0007_member_tiers
Revises: 0006_timeline_member_actions
"""

import sqlalchemy as sa
from alembic import op

from shared.db import BigId, UTCDateTime

revision = "0007_member_tiers"
down_revision = "0006_timeline_member_actions"
branch_labels = None
depends_on = None

members = sa.table(
    "members",
    sa.column("shop_id", sa.String()),
    sa.column("vip_tier", sa.String()),
    sa.column("current_tier", sa.String()),
    sa.column("lifetime_earned", sa.BigInteger()),
)
program_settings = sa.table(
    "program_settings", sa.column("shop_id", sa.String()), sa.column("rules", sa.JSON())
)


def _backfill_current_tiers() -> None:
    bind = op.get_bind()
    bind.execute(
        members.update().where(members.c.vip_tier.isnot(None)).values(current_tier=members.c.vip_tier)
    )
    for shop_id, rules in bind.execute(sa.select(program_settings.c.shop_id, program_settings.c.rules)):
        # Lowest threshold first: the last tier a member reaches is their highest.
        for tier in sorted(rules.get("vip_tiers") or [], key=lambda tier: tier["threshold"]):
            bind.execute(
                members.update()
                .where(
                    members.c.shop_id == shop_id,
                    members.c.vip_tier.is_(None),
                    members.c.lifetime_earned >= tier["threshold"],
                )
                .values(current_tier=tier["name"])
            )


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("current_tier", sa.String(64), nullable=True))
    _backfill_current_tiers()

    op.create_table(
        "tier_changes",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("from_tier", sa.String(64), nullable=True),
        sa.Column("to_tier", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("activity_id", BigId, nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_changes")),
    )
    op.create_index(
        "ix_tier_changes_shop_id_occurred_at_id", "tier_changes", ["shop_id", "occurred_at", "id"]
    )
    op.create_index(
        "ix_tier_changes_shop_id_customer_id_occurred_at_id",
        "tier_changes",
        ["shop_id", "customer_id", "occurred_at", "id"],
    )


def downgrade() -> None:
    op.drop_table("tier_changes")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("current_tier")
