# Two commands do all setup on a fresh machine: `make test` and `make demo`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo lint typecheck unit functional setup bench clean fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the package metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "installing labelgate and its dependencies into $(VENV) (a few minutes on a fresh machine)"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "installed: $(BIN)/labelgate"

setup: $(STAMP)

# Only folders that exist: git does not keep empty ones.
PY_DIRS := $(wildcard src tests benchmarks scripts)

lint: $(STAMP)
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The unit tests alone (< 60 s), the functional tests alone, or everything in one pytest run.
unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

functional: $(STAMP)
	$(BIN)/pytest -q tests/func

test: lint typecheck
	$(BIN)/pytest -q -n auto --dist worksteal

# The demo tunes one dataset's gate to fail on purpose: exit 1 from `labelgate run` is shown,
# not treated as a broken demo. Any other non-zero exit is.
demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/labelgate check
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/labelgate run; rc=$$?; \
	if [ $$rc -eq 1 ]; then echo "make demo: a quality gate failed, as the demo intends (see above)."; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi


# Benchmarks run in their own environment: peers (crowd-kit, and the dev extra's krippendorff,
# scikit-learn and statsmodels) are never runtime deps.
BENCH := .venv-bench/bin
$(BENCH)/python:
	$(PYTHON) -m venv .venv-bench
	$(BENCH)/python -m pip install --quiet -e '.[dev]' crowd-kit

bench: $(BENCH)/python
	$(BENCH)/python benchmarks/bench_pipeline.py
	$(BENCH)/python benchmarks/bench_agreement.py
	$(BENCH)/python benchmarks/bench_aggregation.py
	$(BENCH)/python benchmarks/bench_startup.py
	$(BENCH)/python benchmarks/bench_processes.py

clean:
	rm -rf $(VENV) .venv-bench .pytest_cache .mypy_cache .ruff_cache

# The fuzz harness (tests/fuzz): 10,000 hostile configs and 2,000 hostile data files, seeded;
# failing cases are saved to build/fuzz/failures for replay. A small slice runs in `make test`.
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --configs 10000 --data 2000 --seed 0
