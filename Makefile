# orginsight: `make demo` runs the main job on the embedded demo organization,
# `make test` runs the checks and the test suite. Both set up what they need: the virtual environment,
# and Debian's Chromium for static chart images and the browser tests when the machine can install it
# (scripts/ensure-chromium: apt-get as root or with passwordless sudo). Without Chromium, `make demo`
# still writes every HTML page and skips the images, saying so once.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_LAKE ?= demo-lake
DEMO_OUT ?= demo-out
CHECKED := src tests benchmarks notebooks

# kaleido finds Debian's Chromium through BROWSER_PATH; set at run time, after ensure-chromium ran.
WITH_BROWSER_PATH = if [ -z "$${BROWSER_PATH:-}" ] && [ -x /usr/bin/chromium ]; then export BROWSER_PATH=/usr/bin/chromium; fi;

# JupyterLab refuses to start as root (containers, CI machines) unless allowed to.
LAB_FLAGS := --ip=127.0.0.1 --no-browser $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: demo test lint lab bench clean browser chromium-if-possible

# Debian splits venv out of python3: install python3-venv when the machine can (root or passwordless sudo).
$(BIN)/activate:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "installing Debian's python3-venv for '$(PYTHON) -m venv'"; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo "sudo -n"); \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e '.[dev,notebooks]'
	@touch $@

# Install Chromium if missing; fails when it is missing and cannot be installed.
browser:
	@scripts/ensure-chromium --required

chromium-if-possible:
	@scripts/ensure-chromium >/dev/null

demo: $(VENV)/.installed-dev chromium-if-possible
	@$(WITH_BROWSER_PATH) set -x; $(BIN)/orginsight demo --lake $(DEMO_LAKE) --out $(DEMO_OUT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)
	$(BIN)/lint-imports --no-cache

# On CI (CI=true, or ORGINSIGHT_REQUIRE_ALL=1) a test skipped for a missing browser or missing
# ../shared/data fails the run (tests/conftest.py).
test: lint chromium-if-possible
	@$(WITH_BROWSER_PATH) set -x; $(BIN)/pytest -q

# The notebooks build the demo lake themselves when it is absent.
lab: $(VENV)/.installed-lab chromium-if-possible
	@$(WITH_BROWSER_PATH) set -x; $(BIN)/jupyter lab $(LAB_FLAGS) notebooks/

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_scan.py
	$(BIN)/python benchmarks/bench_generate.py

clean:
	rm -rf $(DEMO_LAKE) $(DEMO_OUT) .bench .pytest_cache
