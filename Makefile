# orginsight: `make demo` runs the main job on the embedded demo organization,
# `make test` runs the test suite. Both set up their own virtual environment.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_LAKE ?= demo-lake
DEMO_OUT ?= demo-out

.PHONY: demo test lint lab bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e '.[dev,notebooks]'
	@touch $@

demo: $(VENV)/.installed-dev
	$(BIN)/orginsight demo --lake $(DEMO_LAKE) --out $(DEMO_OUT)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks

# The notebooks build the demo lake themselves when it is absent.
lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab notebooks/

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_scan.py
	$(BIN)/python benchmarks/bench_generate.py

clean:
	rm -rf $(DEMO_LAKE) $(DEMO_OUT) .bench .pytest_cache
