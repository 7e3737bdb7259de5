# Two entry points for a newcomer: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test setup setup-test lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
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
	$(BIN)/python -m mypy

## Set up and run the whole test suite (lint included)
test: setup-test lint
	$(BIN)/pytest
