"""A benchmark of the points feed and its CSV export on PostgreSQL, at the
size the requirement names (1,000,000 activities of 100,000 members in one
shop): `python -m bench --help`, or `make bench`.

seed.py makes and fills the database, stack.py runs the services the way
`make run` does, __main__.py measures and prints the figures."""

import warnings

# eventlet announces its own deprecation on import (shared.migrations imports
# it); nameko 2 needs it anyway.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
