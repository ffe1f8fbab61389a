"""Plumbing shared by every loyalty service: config, database unit of work,
event envelope, transactional outbox, idempotent inbox, retries and dead
letters, and the one JSON error shape. Nothing here knows a business rule."""
