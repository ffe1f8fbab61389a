# The two commands: `make run` (set up and start everything), `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install setup-broker clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/loyalty run

test: install
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)
	LOYALTY_TEST_EVENTLET=0 $(BIN)/python -m pytest -m browser tests/e2e $(PYTEST_ARGS)

# The points feed and CSV export at 1,000,000 activities, on PostgreSQL
# (BENCH_ARGS="--members 1000 --activities 10000" for a quick run).
.PHONY: bench
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

setup-broker: install
	$(BIN)/loyalty setup-broker

clean:
	rm -rf $(VENV) var
