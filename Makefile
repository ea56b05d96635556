# Two entry points (see README): `make demo` and `make test`. Both build .venv from scratch if needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Reference data: $HARNESS_DATA_DIR if set, else ../shared/data beside the checkout when it exists (these machines),
# else the harness falls back to the user data directory filled by `harness data fetch`.
HARNESS_DATA_DIR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
ifneq ($(HARNESS_DATA_DIR),)
export HARNESS_DATA_DIR
endif

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test gate lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/harness demo

test: $(STAMP)
	$(BIN)/ruff check harness tests evals scripts goldsets/build
	$(BIN)/pytest -q -n 2 --durations=15

# Regression gate: validate the embedded default on the shipped goldset and compare with its baseline.
gate: $(STAMP)
	rm -rf runs/gate
	$(BIN)/harness validate --out runs/gate --no-progress
	$(BIN)/harness gate --metrics runs/gate/metrics.json --baseline goldsets/baselines/embedding-minilm.json

lint: $(STAMP)
	$(BIN)/ruff check harness tests evals scripts goldsets/build

clean:
	rm -rf $(VENV) .pytest_cache
