# partnersim build helpers.
#
#   make demo     set up .venv, run the baseline and empowerment scenarios and a region, then reduced
#                 grant-timeline and betterment-vs-empowerment studies with their reports
#   make test     set up .venv (partnersim with every extra: '.[dev]'), lint with ruff, then run pytest
#   make lint     only the lint (ruff check)
#   make install-check
#                 build the wheel, install it with only the core's dependencies into a fresh virtual
#                 environment outside the source tree and run a scenario, a sweep and a report from another
#                 directory (scripts/install-check.sh; .ci/run runs it after the tests)
#   make bench    run benchmarks (when a benchmarks/ package exists); not part of `make test`.
#                 A full run prepends a section to benchmarks/RESULTS.md; a smoke run:
#                 `make bench BENCH_ARGS=--quick`, one benchmark: `make bench BENCH_ARGS="--only step"`
#   make venv     only create .venv (with a Python >= 3.12)
#   make clean    remove .venv, build artefacts and caches (not results/)
#
# The interpreter comes from scripts/find-python.sh, which really runs each
# candidate (pyenv shims answer on the PATH but may refuse to run). Override
# with `make PYTHON=/path/to/python3.12 ...`.

SHELL := /bin/sh

VENV        ?= .venv
VENV_PY     := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
FIND_PYTHON := scripts/find-python.sh
PY_CHECK    := import sys; assert sys.version_info >= (3, 12)
PIP_FLAGS   ?= -q
PYTEST_ARGS ?=
BENCH_ARGS  ?=

.PHONY: all setup venv demo test lint install-check bench clean

all: test

# Create .venv if it is missing, broken, or built on a Python older than 3.12.
venv:
	@if [ -x "$(VENV_PY)" ] && "$(VENV_PY)" -c '$(PY_CHECK)' >/dev/null 2>&1; then \
	    :; \
	else \
	    py=$$(PYTHON='$(PYTHON)' sh $(FIND_PYTHON)) || exit 1; \
	    if [ -e "$(VENV)" ]; then \
	        echo "Removing $(VENV): missing python or older than 3.12"; \
	        rm -rf "$(VENV)"; \
	    fi; \
	    echo "Creating $(VENV) with $$py ($$("$$py" -c 'import platform; print(platform.python_version())'))"; \
	    "$$py" -m venv "$(VENV)" || exit 1; \
	fi

# The install reruns when pyproject.toml changes (or .venv was recreated).
# A sub-make re-reads the stamp's time after `venv` may have removed it.
setup: venv
	@$(MAKE) --no-print-directory $(STAMP)

# The CFF 1.2 schema that tests/test_packaging.py checks CITATION.cff against ships inside cffconvert's wheel;
# the wheel is only downloaded (cffconvert's own dependencies conflict with the app's), and the test reads it.
CFF_WHEELS := $(VENV)/cff-schema

$(STAMP): pyproject.toml | venv
	"$(VENV_PY)" -m pip install $(PIP_FLAGS) -e '.[dev]'
	"$(VENV_PY)" -m pip download $(PIP_FLAGS) --no-deps --dest "$(CFF_WHEELS)" 'cffconvert==2.0.0'
	@touch "$@"

demo: setup
	"$(VENV)/bin/partnersim" run baseline --out results/demo
	"$(VENV)/bin/partnersim" run empowerment --out results/demo-empowerment
	"$(VENV)/bin/partnersim" run region --out results/demo-region
	rm -rf results/demo_grant_timeline results/demo_betterment_vs_empowerment
	"$(VENV)/bin/partnersim" sweep demo_grant_timeline --workers 2 --out results/demo_grant_timeline
	"$(VENV)/bin/partnersim" report results/demo_grant_timeline
	"$(VENV)/bin/partnersim" sweep demo_betterment_vs_empowerment --workers 2 --out results/demo_betterment_vs_empowerment
	"$(VENV)/bin/partnersim" report results/demo_betterment_vs_empowerment
	@echo
	@echo "Figures: results/demo/figures/, results/demo-empowerment/figures/, results/demo-region/figures/,"
	@echo "         results/demo_grant_timeline/report/ and results/demo_betterment_vs_empowerment/report/ (summary.md and PNGs)"

test: setup lint
	"$(VENV_PY)" -m pytest $(PYTEST_ARGS)

# Lint (pyproject.toml's [tool.ruff]); part of `make test`.
lint: setup
	"$(VENV)/bin/ruff" check .

install-check: setup
	PYTHON='$(PYTHON)' sh scripts/install-check.sh "$(VENV_PY)"

bench:
	@if [ -d benchmarks ]; then \
	    $(MAKE) --no-print-directory setup && "$(VENV_PY)" -m benchmarks $(BENCH_ARGS); \
	else \
	    echo "no benchmarks yet"; \
	fi

clean:
	rm -rf "$(VENV)" build dist *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +

# Serve the classroom page (sim/classroom/app.py) on http://127.0.0.1:8765/ (`make app APP_PORT=8800` to change).
APP_HOST ?= 127.0.0.1
APP_PORT ?= 8765

.PHONY: app
app: setup
	"$(VENV)/bin/partnersim" app --host "$(APP_HOST)" --port "$(APP_PORT)"
