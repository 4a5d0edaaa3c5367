# The two commands of the README: `make run` and `make test`. Everything else is what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install browser gettext lint check-migrations pytest messages worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## Set up, migrate, load the demo company (once) and serve on http://127.0.0.1:8000
run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) runserver $(HOST):$(PORT)

## Set up and run the whole suite: lint, migrations in sync, tests
test: install browser gettext lint check-migrations pytest

# Browser tests drive the system's Chromium (never a downloaded build): install Debian's if missing.
CHROMIUM_PATH ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM_PATH) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is needed for the browser tests: apt-get install chromium (or set CHROMIUM_PATH)"; exit 1; fi; }
	@# Japanese glyphs for the screenshots the browser tests save (the checks themselves do not need them).
	@fc-list :lang=ja 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-ipafont-gothic >/dev/null 2>&1 \
	      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-ipafont-gothic >/dev/null; }; \
	  else echo "note: no Japanese font installed; screenshots will show boxes for Japanese text"; fi; }

# The translation test extracts the messages again, which needs GNU gettext's tools.
gettext:
	@command -v xgettext >/dev/null && command -v msgfmt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "GNU gettext is needed for the translation test: apt-get install gettext"; exit 1; fi; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-migrations: install
	$(MANAGE) makemigrations --check --dry-run

pytest: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Regenerate the Japanese message catalogue after changing user-facing strings
messages: install
	$(MANAGE) makemessages -l ja --ignore '.venv/*' --ignore 'staticfiles/*'
	$(MANAGE) compilemessages -l ja --ignore '.venv/*'

worker: install
	$(BIN)/celery -A config worker -l info

beat: install
	$(BIN)/celery -A config beat -l info

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# Benchmarks (bench/README.md): a generated PostgreSQL database, filled once, then timed.
BENCH_DB ?= kakehashi_bench
BENCH_PG ?= -h 127.0.0.1 -U postgres
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
BENCH_LEADS ?= 100000
BENCH_ACTIVITIES ?= 1000000

BENCH_METRICS_PREFIX ?= kakehashi_bench_metrics

BENCH_IMPORT_DB ?= kakehashi_bench_import
BENCH_IMPORT_ROWS ?= 100000

.PHONY: bench bench-is bench-metrics bench-dashboards bench-webhook bench-import bench-soak

## Time the IS workspace (queue, lead page, call logging) on $(BENCH_DB); the first run generates it
bench-is: install
	@psql $(BENCH_PG) -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DB)'" | grep -q 1 \
		|| createdb $(BENCH_PG) $(BENCH_DB)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) migrate --noinput --verbosity 0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.generate --skip-if-present \
		--leads $(BENCH_LEADS) --activities $(BENCH_ACTIVITIES)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.is_workspace

## Time the metrics engine on 1, 2 and 3 years of history; a day's first run generates the databases
bench-metrics: install
	$(BIN)/python -m bench.metrics --prefix $(BENCH_METRICS_PREFIX)

## Time the touch-point webhook: 2,000 signed events in-process, requests/s and p95 printed
BENCH_WEBHOOK_EVENTS ?= 2000
bench-webhook: install
	$(BIN)/python -m bench.webhook --events $(BENCH_WEBHOOK_EVENTS)

## Time the lead import (check every row, dedupe, import) of a generated $(BENCH_IMPORT_ROWS)-row file on $(BENCH_IMPORT_DB)
bench-import: install
	@psql $(BENCH_PG) -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_IMPORT_DB)'" | grep -q 1 \
		|| createdb $(BENCH_PG) $(BENCH_IMPORT_DB)
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_IMPORT_DB) $(MANAGE) migrate --noinput --verbosity 0
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_IMPORT_DB) $(BIN)/python -m bench.imports --rows $(BENCH_IMPORT_ROWS)

## Time every dashboard page on 3 years of history (bench-metrics' database; generated and rolled up if needed)
bench-dashboards: install
	$(BIN)/python -m bench.dashboards --prefix $(BENCH_METRICS_PREFIX)

## Soak: 50 IS reps logging calls, 10 FS tools polling the API (gunicorn, Celery); every call checked afterwards
BENCH_SOAK_SECONDS ?= 600
bench-soak: install
	$(BIN)/python -m bench.soak --duration $(BENCH_SOAK_SECONDS)

bench: bench-is bench-metrics bench-dashboards bench-webhook bench-import
