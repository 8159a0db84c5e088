# Two entry points for a fresh machine: `make demo` (run the example cases) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/priorauth: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/priorauth
	$(BIN)/priorauth demo

lint: $(BIN)/priorauth
	$(BIN)/ruff check src tests bench
	$(BIN)/priorauth policies lint --sources ../shared/seeds

test: $(BIN)/priorauth lint
	$(BIN)/python -m pytest

bench: $(BIN)/priorauth
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) .pytest_cache
