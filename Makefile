# numberdesk: `make run` serves a demo; `make test` runs every test; `make check` lints and types.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint format typecheck install clean bench

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)  ## Create .venv with the locked dependencies.

# The demo's sandbox carrier has sold out of Alaska (907) and London (20), so the warning path shows.
export NUMBERDESK_SANDBOX_EXHAUSTED ?= US:907,GB:20

run: $(STAMP)  ## Migrate the SQLite database, make the demo org, serve on 127.0.0.1:8000.
	$(BIN)/numberdesk db upgrade
	$(BIN)/numberdesk demo
	$(BIN)/numberdesk serve

test: $(STAMP)  ## Run the whole test suite (PostgreSQL too when NUMBERDESK_TEST_POSTGRES_URL is set).
	$(BIN)/pytest -q -n 2

check: $(STAMP)  ## ruff lint, ruff format --check, mypy --strict (the package, its tests, the benchmarks).
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	MYPYPATH=src $(BIN)/mypy --strict tests
	MYPYPATH=src:bench $(BIN)/mypy --strict --explicit-package-bases $(wildcard bench/*.py)

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP)  ## Outbound, then inbound, decisions at 1k-1M numbers on PostgreSQL (long; see bench/README.md).
	$(BIN)/python bench/decisions.py
	$(BIN)/python bench/inbound.py

lock:  ## Re-pin requirements.lock from pyproject.toml (needs uv in the venv).
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python $(BIN)/python

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
