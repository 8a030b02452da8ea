# VibeTrading: `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast test-all lint format typecheck check bench docs clean

help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev]'
	@$(BIN)/python -m compileall -q src > /dev/null
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

run: $(STAMP) ## install if needed, then serve the API and web UI on http://$(HOST):$(PORT)
	@$(BIN)/vibetrading serve --host $(HOST) --port $(PORT)

test: $(STAMP) ## the whole test suite, the one CI runs (unit, integration, slow, browser)
	$(BIN)/pytest -m "" --cov --cov-report=term
	$(BIN)/coverage report --include='*/vibetrading/domain/*' --fail-under=96

test-fast: $(STAMP) ## unit tests only: no servers, no slow tests
	$(BIN)/pytest -m "not integration and not slow and not browser" -q

test-all: check bench ## everything: lint, types, tests and benchmarks

lint: $(STAMP) ## ruff check, ruff format --check, mypy and import-linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP) ## fix what ruff can and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy --strict on src/
	$(BIN)/mypy

check: lint test ## exactly what CI runs

bench: $(STAMP) ## speed figures, as ratios against peer libraries in the same run
	$(BIN)/python bench/run.py

docs: $(STAMP) ## print the JSON schemas and CLI help used by the docs
	$(BIN)/vibetrading --help

clean: ## remove caches and build output (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis htmlcov dist build test-output .coverage*
