"""Queries of the points service, a module per concern: `repository.members`,
`.lots`, `.ledger`, `.orders`, `.codes`, `.program` (settings and rewards),
`.audit` (idempotency keys and the audit trail), `.tiers` (members' tier
changes), `.daily_totals` (the overview's roll-ups), `.timeline` (the
merged timeline's streams), `.imports` (balances imported from another
app). Every one filters by shop_id (an import's rows by their import, which
is found by shop first); the ones that change a member's balance or tier
run under that member's row lock (FOR UPDATE on PostgreSQL; SQLite's BEGIN
IMMEDIATE already serializes writers)."""

from services.points.repository import (
    audit,
    codes,
    daily_totals,
    imports,
    ledger,
    lots,
    members,
    orders,
    program,
    tiers,
    timeline,
)

__all__ = [
    "audit",
    "codes",
    "daily_totals",
    "imports",
    "ledger",
    "lots",
    "members",
    "orders",
    "program",
    "tiers",
    "timeline",
]
