# Two commands: `make run` serves the site on http://127.0.0.1:5000, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app movie_lottery
# `make test` spreads the suite over pytest-xdist workers, one more than the cores: with one per core the suite
# kept the CPU busy only ~57 % of its wall time (browsers, servers, ticks and spins wait), so a spare worker fills
# the waits. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST_DIST ?= worksteal

.PHONY: run dev test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	$(BIN)/python -m movie_lottery.ops.launch $(BIN)/gunicorn -c gunicorn_config.py --bind 127.0.0.1:5000 \
		"movie_lottery:create_app()"

dev: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) run --debug --host 127.0.0.1 --port 5000

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check movie_lottery tests

format: $(VENV)/.dev
	$(BIN)/ruff format movie_lottery tests
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
