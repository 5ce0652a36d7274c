# The two commands a newcomer types: `make demo` and `make test`.
# Both build a private virtual environment in .venv and install passgen into it
# (a real, non-editable install, so the tests exercise the same wheel a user gets).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[test]"

demo: install
	$(BIN)/passgen demo --out out/

# pytest is started as a console script (not `python -m pytest`), so the source
# folder is not put on sys.path and the tests import the installed package.
test: install-test
	$(BIN)/pytest

clean:
	rm -rf $(VENV) out build *.egg-info
