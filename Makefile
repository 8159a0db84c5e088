# Two entry points for a fresh machine: `make demo` (run the example cases) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench mutation clean

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

# Mutation testing (mutmut; not part of `make test`): MUTATE="src/...py ..." narrows or widens the subset
# (default: [tool.mutmut] only_mutate), TIMEOUT is the wall-clock budget in seconds, JOBS the workers.
MUTATE ?=
TIMEOUT ?= 2100
JOBS ?= 2
mutation: $(BIN)/priorauth
	$(BIN)/python bench/mutation/run.py --max-children $(JOBS) --timeout $(TIMEOUT) $(MUTATE)

clean:
	rm -rf $(VENV) .pytest_cache mutants
