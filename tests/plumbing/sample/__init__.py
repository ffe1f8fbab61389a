"""A two-service sample (a publisher and a consumer of `thing_happened`)
that exercises the shared plumbing exactly as the real services use it."""
