# The two commands a newcomer types: `make demo` and `make test`.
# Both build a private virtual environment in .venv and install passgen into it
# (a real, non-editable install, so the tests exercise the same wheel a user gets).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-standin install install-test js-deps page-assets kit kit-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[test]"

demo: install
	$(BIN)/passgen demo --out out/

# The phone page's JavaScript (web/): its libraries at the versions web/package-lock.json
# pins, for the tests that run it in Node.  Without Node the tests say they were skipped.
js-deps:
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
		(cd web && npm ci --no-audit --no-fund --loglevel=error) || \
			echo "*** npm ci failed: the phone page's JavaScript tests will be skipped ***"; \
	else \
		echo "*** no Node.js here: the phone page's JavaScript tests will be skipped ***"; \
	fi

# Rebuild passgen/check/page_assets from web/ (commit the result; CI checks it is current).
page-assets:
	cd web && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

# pytest is started as a console script (not `python -m pytest`), so the source
# folder is not put on sys.path and the tests import the installed package.  The suite runs
# in PYTEST_WORKERS processes (pytest-xdist), two by default: on a 2-core machine it takes
# about three quarters of the time of one (471 s against 620-700 s, issue #38's note).
PYTEST_WORKERS ?= 2
test: install-test js-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# The whole test suite once more under the Windows stand-in, tests/standin: the test process
# itself and every passgen it starts have no fcntl, no fork, folders that cannot be opened,
# files held open by another program, output in code page 936 (docs/platforms.md).  What
# cannot run there (a pseudo-terminal, /proc) is skipped, saying why.
test-standin: install-test js-deps
	PASSGEN_STANDIN=windows PYTHONPATH=tests/standin $(BIN)/pytest -n $(PYTEST_WORKERS)

# The offline install kits (kit/build.py, issue #38): dist/passgen-kit-windows.zip (wheels
# for win_amd64, Python 3.11-3.13, 安装.cmd and passgen 办公桌.cmd) and the Linux one.
kit: $(BIN)/python
	$(BIN)/python kit/build.py windows
	$(BIN)/python kit/build.py linux

# The Linux kit installed with no index into a fresh venv, its desk started and opened.
kit-check: kit
	$(BIN)/python kit/build.py try-linux

clean:
	rm -rf $(VENV) out build dist *.egg-info web/node_modules
