# Two entry points for a fresh machine: `make demo` (run the example cases) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench mutation clean

# A .venv left by a first attempt with an older Python (or a moved checkout) is made again, not patched over.
ifneq ($(wildcard $(VENV)),)
ifneq ($(shell $(BIN)/python -c 'import sys; print(sys.version_info >= (3, 11))' 2>/dev/null),True)
$(info $(VENV) is broken or was made with an older Python: making it again)
$(shell rm -rf $(VENV))
endif
endif

$(BIN)/priorauth: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "priorauth needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1). Run: make PYTHON=python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# An editable install compiles no bytecode (a wheel's does), and with PYTHONDONTWRITEBYTECODE set nothing
	@# writes it later: each run would compile every module again (a third of a `check`'s start-up).
	$(BIN)/python -m compileall -q src > /dev/null
	touch $@

demo: $(BIN)/priorauth
	$(BIN)/priorauth demo

lint: $(BIN)/priorauth
	$(BIN)/ruff check src tests bench
	$(BIN)/priorauth policies lint --sources ../shared/seeds

# Test files run in parallel, JOBS files at a time (pytest-xdist; a file's tests stay on one worker, so a module's
# server or database fixture starts once). JOBS=0 runs them one after another, in this process.
TEST_JOBS ?= 2
test: $(BIN)/priorauth lint
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

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
