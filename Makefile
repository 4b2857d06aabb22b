# Two commands for a fresh machine: `make run` (set up, open the app on its sample data)
# and `make test` (set up, run the whole test suite). Both create .venv when needed.
# docs/testing.md describes every target; docs/install.md the ways to install.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The Qt-free job's venv: outside the checkout, so a test run leaves the working tree as it was.
NOQT_VENV ?= $(or $(TMPDIR),/tmp)/lstm-studio-noqt-venv
TORCH := torch==2.13.0

.PHONY: run test test-slow test-noqt lint package clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build first: a bare torch requirement would pull a multi-GB CUDA build.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/lstm-studio

# The default suite (everything not marked slow); pytest's options live in pyproject.toml.
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

test-slow: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m slow

# The library and command-line suites in a venv with no extras: no PySide6, no pyqtgraph.
test-noqt:
	test -x $(NOQT_VENV)/bin/python || $(PYTHON) -m venv $(NOQT_VENV)
	$(NOQT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NOQT_VENV)/bin/python -c "import torch" 2>/dev/null \
		|| $(NOQT_VENV)/bin/python -m pip install --quiet $(TORCH)
	# The project alone (what `pip install lstm-studio` resolves to), then the test tools.
	$(NOQT_VENV)/bin/python -m pip install --quiet -e .
	$(NOQT_VENV)/bin/python -m pip install --quiet -e ".[test]"
	$(NOQT_VENV)/bin/python -c "import importlib.util as u, sys; \
		found = [m for m in ('PySide6', 'shiboken6', 'pyqtgraph') if u.find_spec(m)]; \
		sys.exit(f'the no-Qt venv has {found}; remove it: rm -rf $(NOQT_VENV)' if found else 0)"
	$(NOQT_VENV)/bin/python -m pytest -q tests/core tests/cli

# ruff, pyright (basic, on core and commands; see [tool.pyright]) and the import contracts.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pyright --pythonpath $(PY)
	$(VENV)/bin/lint-imports --no-cache pyproject.toml

package: $(STAMP)
	$(PY) packaging/build.py

clean:
	rm -rf build dist .pytest_cache
