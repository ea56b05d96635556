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

# Regression gate: validate the embedded default on the shipped goldset, then
#  1. the paired gate, which decides on regressions: the same items compared with the stored baseline run's
#     per-item results; fails unless major-group accuracy is shown non-inferior (margin 5 points) and no other
#     metric is shown worse after Holm's correction (a 5-point drop fails here, where the unpaired margins are ~10);
#  2. the unpaired gate, kept for what the items cannot show: every baseline metric present and finite, the
#     lenient and cost metrics within their sampling margins.
BASELINE := goldsets/baselines/embedding-minilm
gate: $(STAMP)
	rm -rf runs/gate
	$(BIN)/harness validate --out runs/gate --no-progress
	$(BIN)/harness compare $(BASELINE).items.parquet runs/gate --primary hierarchy.major_group.accuracy \
		--non-inferiority-margin 0.05 --fail-unless-safe
	$(BIN)/harness gate --metrics runs/gate/metrics.json --baseline $(BASELINE).json

lint: $(STAMP)
	$(BIN)/ruff check harness tests evals scripts goldsets/build

clean:
	rm -rf $(VENV) .pytest_cache
