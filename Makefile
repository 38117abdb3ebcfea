# The course's commands. `make book` and `make test` are the two set-up commands of the README:
# each creates .venv from requirements.txt on first use (and again when it changes).

.DEFAULT_GOAL := help
# The venv (.venv, with a kernel spec), `make lab` and one BLAS thread: shared with the
# student archive.
include tools/lab.mk

PORT   ?= 8000
JB     := $(BIN)/jupyter-book
CODE   := $(wildcard code/rnngrad/*.py) code/pyproject.toml
NOTEBOOKS := $(shell find book -name '*.ipynb' -not -path '*/_build/*' -not -path '*/.ipynb_checkpoints/*' | sort)

.PHONY: help book test unit slow lab-test nbval browser binder-test serve notebooks clean experiment bench student lab diagrams

help:
	@echo "make book       build the HTML book strictly into _build/html (creates .venv)"
	@echo "make lab        JupyterLab on your own copy of the notebooks (lab/; creates .venv)"
	@echo "make test       run every test: unit/property tests, nbval, the strict build, browser tests"
	@echo "make browser    build, then check every page in headless Chromium (tests/browser)"
	@echo "make lab-test   two chapters in a real JupyterLab in headless Chromium (tests/lab)"
	@echo "make binder-test  build a fresh venv the way Binder does and run every notebook in it"
	@echo "make serve      serve _build/html on http://127.0.0.1:$(PORT)"
	@echo "make notebooks  re-execute every notebook in place (regenerates the stored outputs)"
	@echo "make diagrams   redraw the diagrams of the chapters (book/figures/diagrams/*.svg)"
	@echo "make student    the student edition (no solutions) into _build/student/, with an archive to hand out"
	@echo "make experiment chapter 9's training sweep (about 18 minutes), writes book/data/"
	@echo "make bench      time the explorers, the models, the lag curves, every chapter and make book"

# Jupyter Book's execution cache keys on the notebooks' own code, not on code/rnngrad:
# when the package changes, drop the cache and the doctrees so every page re-executes.
_build/.rnngrad-stamp: $(CODE)
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

# Sphinx does not notice changes in the course's own extensions (_ext/): re-read every page.
_build/.ext-stamp: $(wildcard _ext/*.py _ext/static/*)
	rm -rf _build/.doctrees
	mkdir -p _build && touch $@

book: $(STAMP) _build/.rnngrad-stamp _build/.ext-stamp
	$(JB) build . -W -n --keep-going
	@echo "The book is at file://$(CURDIR)/_build/html/index.html (or: make serve)"

unit: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/binder --ignore=tests/lab -m "not slow"

# The slow tests: the student edition built and every student notebook run in a fresh kernel.
slow: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/binder --ignore=tests/lab -m slow

# Two chapters in a real JupyterLab (from .venv) in headless Chromium: MyST rendered, not
# modified by opening, Run All without errors, the explorer's slider changes its picture.
lab-test: $(STAMP)
	$(BIN)/python -m pytest tests/lab

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg book

# Every page of the built site in headless Chromium (Debian's /usr/bin/chromium).
browser: book
	$(BIN)/python -m pytest tests/browser

# A fresh venv from requirements.txt + postBuild, as Binder builds it; runs every notebook.
binder-test: $(STAMP)
	$(BIN)/python -m pytest tests/binder

test: unit slow nbval lab-test book browser

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --inplace --cell-timeout $(or $(CELL_TIMEOUT),180) \
	  --timeout $(or $(RUN_TIMEOUT),1800) $(NOTEBOOKS)

# The chapters' diagrams: SVG files drawn by rnngrad.diagrams, shown by MyST figures in the
# notebooks' markdown (tests/test_diagrams.py fails when a committed file is out of date).
diagrams: $(STAMP)
	$(BIN)/python tools/draw_diagrams.py

clean:
	rm -rf _build

# Chapter 9's sweep: RNNs, LSTMs and a GRU trained on long-range tasks (about 18 minutes on 2 cores).
# Writes book/data/long_range_results.csv, .npz (curves) and .md (command, date, table).
experiment: $(STAMP)
	$(BIN)/python -m rnngrad.experiment --out book/data/long_range_results.csv

# The student edition (tools/student_edition.py): the book with every solution stripped,
# built strictly from the stored outputs (no execution, a few seconds) into _build/student/:
# html/ (the site, launch buttons on the `student` branch) and notebooks/ (to hand out).
student: $(STAMP)
	$(BIN)/python tools/student_edition.py

# The benchmark suite (not part of `make test`): prints one table with targets.
bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench.py --notebooks --book
