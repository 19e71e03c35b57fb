# One command to install and chat with the bot (`make console`), one to test (`make test`).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Test processes: more than the cores, since half of a test's time goes waiting on PostgreSQL, a
# subprocess or the loopback (`make test TEST_WORKERS=0` runs in one process).
TEST_WORKERS ?= 4

.PHONY: install console run test coverage lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

console: install
	$(BIN)/emwp-bot console

run: install
	$(BIN)/emwp-bot run

test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

coverage: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=term-missing:skip-covered

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench.help_throughput

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
