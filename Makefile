# ServiceDesk: `make run` and `make test` are the two set-up commands (see README).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Where `make test` looks for the integration services.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/servicedesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint check-migrations integration bench venv clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_calendar
	$(PY) manage.py seed_demo
	@echo ""
	@echo "ServiceDesk is starting at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@$(PY) manage.py seed_demo --print-logins
	@echo "Press Ctrl-C to stop the web server, the Celery worker and beat."
	@$(BIN)/celery -A servicedesk worker --beat --loglevel=INFO --concurrency=2 \
	    --schedule=var/celerybeat-schedule > var/celery.log 2>&1 & celery_pid=$$!; \
	  trap 'kill $$celery_pid 2>/dev/null; wait $$celery_pid 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

check-migrations: $(STAMP)
	@mkdir -p var
	$(PY) manage.py makemigrations --check --dry-run --settings=servicedesk.settings.test

# The whole suite: unit tests on SQLite, then the integration tests on PostgreSQL + Redis with a
# real Celery worker and beat, when those answer. REQUIRE_SERVICES=1 makes their absence a failure.
test: $(STAMP) lint check-migrations
	$(BIN)/pytest -m "not integration" -p no:cacheprovider
	@$(MAKE) --no-print-directory integration

integration: $(STAMP)
	@if $(PY) -m tests.services_up "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"; then \
	  DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" \
	    $(BIN)/pytest -m integration -p no:cacheprovider; \
	elif [ "$(REQUIRE_SERVICES)" = "1" ]; then \
	  echo "FAILED: PostgreSQL or Redis is not reachable and REQUIRE_SERVICES=1"; exit 1; \
	else \
	  echo "SKIPPED: integration tests (PostgreSQL at $(TEST_DATABASE_URL) or Redis at $(TEST_REDIS_URL) not reachable)"; \
	fi

# The benchmark (README "Benchmarks"; not a set-up command): recreates the database
# BENCH_DATABASE_URL names, generates BENCH_TICKETS tickets in it, measures in process, then runs
# the load test (gunicorn + wrk), the 10,000-deadline sweep and the firing latency (Celery worker
# and beat on BENCH_REDIS_URL), and writes bench/results/<date>.md (bench.report adds the last three;
# a tool that fails is reported as not measured, the others still run).
# BENCH_TICKETS=100000 make bench runs a smaller set.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/servicedesk_bench
BENCH_TICKETS ?= 1000000
# The load, sweep and firing tools' Celery broker and cache (wrk must be installed for the load test).
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/7

bench: $(STAMP)
	$(PY) -m bench.db recreate "$(BENCH_DATABASE_URL)"
	DATABASE_URL="$(BENCH_DATABASE_URL)" DJANGO_SETTINGS_MODULE=bench.settings $(PY) manage.py migrate --no-input -v 0
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) -m bench.generate --tickets $(BENCH_TICKETS)
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) -m bench.measure
	@rm -f var/bench-load.json var/bench-sweep.json var/bench-firing.json
	-DATABASE_URL="$(BENCH_DATABASE_URL)" BENCH_REDIS_URL="$(BENCH_REDIS_URL)" $(PY) -m bench.load
	-DATABASE_URL="$(BENCH_DATABASE_URL)" BENCH_REDIS_URL="$(BENCH_REDIS_URL)" $(PY) -m bench.sweep
	-DATABASE_URL="$(BENCH_DATABASE_URL)" BENCH_REDIS_URL="$(BENCH_REDIS_URL)" $(PY) -m bench.firing
	$(PY) -m bench.report

clean:
	rm -rf $(VENV) var
