# The two commands: `make run` (set up and start everything), `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-unit lint format install setup-broker clean dashboard dashboard-check

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/loyalty run

PYTEST := $(BIN)/python -m pytest

# Three pytest processes at once (each test mostly waits on the broker, the
# databases or other processes, so two cores serve them well): the suite;
# the tests where something goes away (broker outages, a stopped or killed service),
# which spend most of their time waiting it out; and the tests that start
# whole fleets as `make run` does (the launcher, the demo seed). -O keeps
# each one's output together. Then the browser tests, in a process of their
# own without eventlet.
OUTAGE_TESTS := tests/resilience/test_broker_outage.py tests/resilience/test_stale_requests.py \
	tests/resilience/test_webhook_sender_killed.py tests/resilience/test_import_killed.py
FLEET_TESTS := tests/resilience/test_launcher.py tests/e2e/test_demo_seed.py
test: install
	$(MAKE) --no-print-directory -j3 -O test-suite test-outages test-fleets
	LOYALTY_TEST_EVENTLET=0 $(PYTEST) -m browser tests/e2e $(PYTEST_ARGS)

.PHONY: test-suite test-outages test-fleets
test-suite:
	$(PYTEST) -m "not browser and not compose" $(addprefix --ignore=,$(OUTAGE_TESTS) $(FLEET_TESTS)) $(PYTEST_ARGS)
test-outages:
	$(PYTEST) $(OUTAGE_TESTS) $(PYTEST_ARGS)
test-fleets:
	$(PYTEST) $(FLEET_TESTS) $(PYTEST_ARGS)

# The docker-compose fleet for real: images (local stand-ins where the
# official ones cannot be pulled), up, healthy, a shop, points, a referral,
# three points replicas, one killed under load; then down (docs/deploy.md).
.PHONY: compose-smoke
compose-smoke: install
	$(PYTEST) -m compose tests/deployment -s $(PYTEST_ARGS)

# The quality gates CI runs: lint, format, types (docs/quality.md).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Apply ruff's formatting and safe fixes.
format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The pure tests alone (domain rules, contracts, code shape): ~2 s.
test-unit: install
	$(PYTEST) -m unit -q $(PYTEST_ARGS)

# One table: webhook → credited (SQLite), the points feed, customer detail,
# CSV export and idle memory (PostgreSQL, 1,000,000 activities), each next to
# a bare nameko anchor measured in the same run, and the ratio (bench/table.py).
.PHONY: bench
bench: install
	$(BIN)/python -m bench.table $(BENCH_ARGS)

# The same table, small (under two minutes).
.PHONY: bench-quick
bench-quick: install
	$(BIN)/python -m bench.table --quick $(BENCH_ARGS)

# The points feed's queries and their plans in detail (bench/__main__.py).
.PHONY: bench-feed
bench-feed: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# Webhook → points credited under load, next to a bare nameko pipeline
# measured in the same run (bench/pipeline.py).
.PHONY: bench-pipeline
bench-pipeline: install
	$(BIN)/python -m bench.pipeline $(BENCH_ARGS)

# The dashboard's bundle, rebuilt from its sources and lockfile (needs Node
# 20.19+ and npm). The build is committed: `make run` never needs Node
# (docs/dashboard.md). It also refreshes the axe-core script the browser
# tests inject (tests/e2e/assets).
DASHBOARD := services/gateway/dashboard
BUILT := $(DASHBOARD)/dist tests/e2e/assets
dashboard:
	cd $(DASHBOARD) && npm ci --no-audit --no-fund && npm run build

# CI: the committed bundle must be exactly what the sources build.
dashboard-check: dashboard
	@if [ -n "$$(git status --porcelain -- $(BUILT))" ]; then \
	    git status --short -- $(BUILT); \
	    echo "the committed dashboard bundle is not what its sources build: run 'make dashboard' and commit $(BUILT)"; \
	    exit 1; \
	fi
	@echo "the committed dashboard bundle is what its sources build"

setup-broker: install
	$(BIN)/loyalty setup-broker

clean:
	rm -rf $(VENV) var
