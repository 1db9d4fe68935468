# The two commands a newcomer needs:  `make run`  (the whole stack locally)  and  `make test`.
# Both create .venv and install requirements-dev.txt on first use (and again when it changes).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint audit test-unit test-api test-conformance test-faults test-e2e bench load clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade "pip<26.3"
	$(PY) -m pip install -qq -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m devstack $(ARGS)

# Every tier, each in its own process: the tiers point the models at different DynamoDBs.
# The checks that wait mostly on the network or on one core (lint, the audit, the unit tier with its
# packaging of both stages) run side by side; so do the conformance and faults tiers (the one waits on
# DynamoDB Local, the other on dependencies made slow); the api tier (every core) and e2e (it times
# things) run alone.
test: $(STAMP)
	$(MAKE) -j3 --output-sync=target lint audit test-unit
	$(MAKE) test-api
	$(MAKE) -j2 --output-sync=target test-conformance test-faults
	$(MAKE) test-e2e

lint: $(STAMP)
	$(VENV)/bin/ruff check app.py chalicelib devstack infra tests bench
	$(VENV)/bin/ruff format --check app.py chalicelib devstack infra tests bench
	$(VENV)/bin/mypy app.py chalicelib infra

# Known vulnerabilities in the runtime dependencies (PyPI's advisory data; needs the network).
# A known vulnerability fails the build. A version PyPI's advisory data does not know (package mirrors
# carry builds PyPI lacks) is listed as skipped in the output, not failed: --strict would fail on it.
audit: $(STAMP)
	$(VENV)/bin/pip-audit -r requirements.txt --progress-spinner off

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit tests/infra

test-api: $(STAMP)
	$(PY) -m pytest -n auto tests/api  # pytest-xdist: one process per core, each with its own moto and emulator

test-conformance: $(STAMP)
	$(PY) -m pytest tests/conformance

test-faults: $(STAMP)
	$(PY) -m pytest tests/faults

test-e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

bench: $(STAMP)
	$(PY) bench/cold_start.py

load: $(STAMP)
	$(PY) bench/load.py $(ARGS)

clean:
	rm -rf $(VENV) .tools .devstack .pytest_cache .mypy_cache .ruff_cache
