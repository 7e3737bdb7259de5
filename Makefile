# Two entry points for a newcomer: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test check setup setup-test setup-check lint typecheck

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-check: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

setup-test: setup-check
	./scripts/install-chromium
	./scripts/install-virtuoso
	./scripts/install-webservers
	./scripts/install-checkers

PORT   ?= 8000

## Build the graph (if needed) and serve it on http://127.0.0.1:$(PORT)/ (make run PORT=8001)
run: setup
	$(BIN)/kg serve --port $(PORT)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/python -m mypy

## Set up and run the whole test suite (lint included)
test: setup-test lint typecheck
	$(BIN)/pytest

## The everyday loop: lint, imports, types and the tests that start no server, browser or
## external checker (pytest -m "not slow"; tests/conftest.py marks the slow ones)
check: setup-check lint typecheck
	$(BIN)/pytest -m "not slow"
