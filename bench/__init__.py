"""A benchmark of the points feed and its CSV export on PostgreSQL, at the
size the requirement names (1,000,000 activities of 100,000 members in one
shop): `python -m bench --help`, or `make bench`.

seed.py makes and fills the database, stack.py runs the services the way
`make run` does; scenarios.py says what is measured, clients.py asks for a
page (repository or HTTP), measure.py times it, report.py prints the figures,
and __main__.py reads the arguments and runs it all in order."""

import warnings

# eventlet announces its own deprecation on import (shared.migrations imports
# it); nameko 2 needs it anyway.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
