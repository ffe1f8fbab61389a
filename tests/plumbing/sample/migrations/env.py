from shared.migrations import run_migrations
from tests.plumbing.sample.models import metadata

run_migrations(metadata)
