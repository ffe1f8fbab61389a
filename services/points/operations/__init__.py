"""What each event, timer and RPC command of the points service does, inside
the unit of work the service opened: the domain rules applied to the
repository, and the events that follow published in the same transaction.
The caller commits.

By concern, each module importing only those listed before it:
`tiers` (a member's tier after each change, its record and announcement),
`ledger` (credits, debits, expiry, member locks), `codes` (discount codes),
`earning` (orders, refunds, bonuses), `views` (what the merchant reads),
`overview` (the overview's totals from the daily roll-ups),
`commands` (the merchant's actions on members, idempotency, the audit trail),
`program` (rules and rewards), `timeline` (the ledger and member actions
in the merged timeline)."""
