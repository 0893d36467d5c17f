# One command each: `make run` (API + page on the shipped corpus), `make test`, `make lint`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip -q --disable-pip-version-check

.PHONY: run test lint serve ingest browser clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	touch $@

# torch first, pinned: the CPU build; an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[st,test,milvus]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/articleqa up

serve: $(VENV)/.installed
	$(VENV)/bin/articleqa ingest && $(VENV)/bin/articleqa serve

ingest: $(VENV)/.installed
	$(VENV)/bin/articleqa ingest

# The floors (lint-imports: a cycle fails here first), the whole suite on the default backend, then the
# service suite again on Milvus (Lite, embedded), less the tests whose subprocesses pick their own backend.
# Two pytest workers each (pytest-xdist): the tests use their own folders and free ports.
test: $(VENV)/.installed-test browser
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n 2
	ARTICLEQA_BACKEND=milvus $(PY) -m pytest tests/service -m "not own_backend" -n 2

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Debian's Chromium and CJK fonts for the end-to-end page test (Playwright drives it; it downloads no browser).
browser:
	@{ command -v chromium && fc-list | grep -q "Noto Sans CJK"; } >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

clean:
	rm -rf $(VENV) data artifacts .pytest_cache .mypy_cache .ruff_cache
