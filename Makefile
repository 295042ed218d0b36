# The only set-up a newcomer needs: `make run` serves the demo site, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test browser bench bench-wrk wrk bench-feeds bench-sweep bench-two lint lock install install-dev translations translations-update db-upgrade seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exact versions from the lock files (requirements/, made by `make lock`); the site
# itself on top, without resolving anything again.
$(VENV)/.installed: pyproject.toml requirements/main.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/main.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml requirements/dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e '.[dev]'
	@touch $@

## lock: pin every dependency again from pyproject.toml's ranges (README, "Updating
## dependencies"); dev first, the site's own under the same versions
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --upgrade --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements/dev.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		-c requirements/dev.txt -o requirements/main.txt pyproject.toml

## install: the virtual environment with the site's dependencies and compiled catalogs
install: $(VENV)/.installed translations

install-dev: $(VENV)/.installed-dev translations

translations: | $(BIN)/python
	@$(BIN)/pybabel compile --use-fuzzy -d app/translations >/dev/null

## translations-update: pull new interface strings into the English catalog
translations-update: install
	@mkdir -p instance
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o instance/messages.pot .
	$(BIN)/pybabel update -i instance/messages.pot -d app/translations --ignore-obsolete

## run: migrate a SQLite database under instance/, seed it once, serve the site and the scheduler
run: install
	@mkdir -p instance
	XQ_ENV=development $(BIN)/flask db upgrade
	XQ_ENV=development $(BIN)/flask demo seed
	@echo "Serving http://127.0.0.1:$(PORT)  (Ctrl-C stops the site and the scheduler)"
	@XQ_ENV=development; export XQ_ENV; \
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}; export SITE_URL; \
	$(BIN)/flask scheduler run & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## lint: ruff and the import layering contracts
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

## test: lint, the browser (installed when missing: apt-get as root), then the whole suite
## on SQLite — and, when TEST_DATABASE_URL is set, on PostgreSQL at the same time (one
## tier a core; the PostgreSQL tier's output follows, from test-artifacts/). The tiers
## reset and count rate limits: the SQLite tier takes REDIS_URL's next database number
PG_LOG = test-artifacts/postgresql-tier.log
test: lint browser
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		mkdir -p test-artifacts; \
		echo "--- PostgreSQL tier ($$TEST_DATABASE_URL) runs beside this one: $(PG_LOG)"; \
		$(BIN)/pytest > $(PG_LOG) 2>&1 & pg=$$!; \
		trap 'kill $$pg 2>/dev/null' INT TERM; \
		redis=$$REDIS_URL; db=$${REDIS_URL##*/}; \
		if [ -n "$$REDIS_URL" ]; then case "$$db" in \
			''|*[!0-9]*) redis="$${REDIS_URL%/}/1" ;; \
			*) redis="$${REDIS_URL%/*}/$$(( (db + 1) % 16 ))" ;; \
		esac; fi; \
		env -u TEST_DATABASE_URL REDIS_URL="$$redis" $(BIN)/pytest; sqlite=$$?; \
		wait $$pg; postgresql=$$?; \
		echo "--- PostgreSQL tier: $$TEST_DATABASE_URL"; cat $(PG_LOG); \
		echo "--- SQLite tier: exit $$sqlite; PostgreSQL tier: exit $$postgresql"; \
		[ $$sqlite -eq 0 ] && [ $$postgresql -eq 0 ]; \
	elif [ "$$XQ_REQUIRE_SERVICES" = 1 ]; then \
		echo "XQ_REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set: the PostgreSQL tier would be skipped" >&2; \
		exit 1; \
	else \
		env -u TEST_DATABASE_URL $(BIN)/pytest; \
	fi

## bench: issue #15's wrk bench — bookings (API and pages) and pages (/, /schedule, a
## session page; visitor and signed in; demo data at scales 1 and 10), each ÷ the same
## server's /healthz, on SQLite and on PostgreSQL when BENCH_DATABASE_URL /
## TEST_DATABASE_URL is set or one answers at 127.0.0.1:5432; then the feed and sweep
## benches (BENCH_ARGS="--rounds 5 --paths api" passes options; see bench/README.md)
bench: bench-wrk bench-feeds bench-sweep

bench-wrk: install-dev wrk
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## wrk: the load generator of `make bench` (Debian's package), installed when missing;
## `make test` never needs it
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "wrk is missing: apt-get install -y wrk"; \
			apt-get install -y wrk >/dev/null 2>&1 || \
				{ apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; \
		else \
			echo "make bench needs wrk: install it as root (apt-get install wrk)," \
				"or from your system's packages" >&2; \
			exit 1; \
		fi; }

## browser: Debian's Chromium and a Chinese font for the browser tests (tests/browser),
## installed when missing; Playwright drives /usr/bin/chromium (its own download is not used)
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi micro hei"; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium and fonts-wqy-microhei (apt-get)"; \
			apt-get install -y --no-install-recommends chromium fonts-wqy-microhei >/dev/null 2>&1 || \
				{ apt-get update >/dev/null && \
				  apt-get install -y --no-install-recommends chromium fonts-wqy-microhei >/dev/null; }; \
		else \
			echo "the browser tests need Debian's chromium and fonts-wqy-microhei:" \
				"as root, apt-get install -y chromium fonts-wqy-microhei" >&2; \
		fi; \
	fi

## bench-feeds: a 5,000-event venue feed, cold and repeated, against bare icalendar
bench-feeds: install-dev
	$(BIN)/python -m bench.feeds

## bench-sweep: one outbox sweep of 1,000 due messages among 100,000, then 1,000,000 rows
bench-sweep: install-dev
	$(BIN)/python -m bench.sweep

## bench-two: bookings/s and p99 with one and with two gunicorn masters on one
## PostgreSQL (issue #19; bench/README.md)
bench-two: install-dev wrk
	$(BIN)/python -m bench.two_masters $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
