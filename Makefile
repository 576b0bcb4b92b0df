# casus: `make test` and (later) `make serve` work on a machine with only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test test-fast validate venv clean

venv: $(STAMP)

# Reinstall whenever a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest

# Quick local loop: everything but the tests marked slow.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

validate: $(STAMP)
	$(BIN)/python -m train validate

clean:
	rm -rf $(VENV) .pytest_cache
