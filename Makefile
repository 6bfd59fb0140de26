# The first two targets are the README's first two commands; both do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv clean

demo: $(STAMP)
	$(BIN)/python -m tooncrafter_batch.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q --timeout=900

venv: $(STAMP)

# Rebuilt whenever the pins (pyproject.toml) change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) demo
