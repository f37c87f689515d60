# make demo: crawl the bundled fixture site into archive/demo.db and summarise it.
# make test: the whole test suite.
# Both create .venv from pyproject.toml when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

demo: $(STAMP)
	$(VENV)/bin/zsnews demo --db archive/demo.db

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

# make bench: every benchmark at full size (about 15 minutes), writes bench/RESULTS.md.
bench: $(BENCH_STAMP)
	$(VENV)/bin/python bench/run.py

# make bench-quick: every benchmark at small size (under 2 minutes); asserts nothing about speed.
bench-quick: $(BENCH_STAMP)
	$(VENV)/bin/python bench/run.py --quick --out bench/out

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) archive/*.db archive/*.db-* .pytest_cache
