# The course's commands. `make book` and `make test` are the two set-up commands of the README:
# each creates .venv from requirements.txt on first use (and again when it changes).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
JB     := $(BIN)/jupyter-book
CODE   := $(wildcard code/rnngrad/*.py) code/pyproject.toml
NOTEBOOKS := $(shell find book -name '*.ipynb' -not -path '*/_build/*' -not -path '*/.ipynb_checkpoints/*' | sort)

.PHONY: help book test unit nbval serve notebooks clean

help:
	@echo "make book       build the HTML book strictly into _build/html (creates .venv)"
	@echo "make test       run every test: unit/property tests, nbval, the strict build"
	@echo "make serve      serve _build/html on http://127.0.0.1:$(PORT)"
	@echo "make notebooks  re-execute every notebook in place (regenerates the stored outputs)"

$(STAMP): requirements.txt code/pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: python3.11 (or python3) not found"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e code/
	touch $(STAMP)

# Jupyter Book's execution cache keys on the notebooks' own code, not on code/rnngrad:
# when the package changes, drop the cache and the doctrees so every page re-executes.
_build/.rnngrad-stamp: $(CODE)
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

book: $(STAMP) _build/.rnngrad-stamp
	$(JB) build . -W -n --keep-going
	@echo "The book is at file://$(CURDIR)/_build/html/index.html (or: make serve)"

unit: $(STAMP)
	$(BIN)/python -m pytest tests

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg book

test: unit nbval book

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

notebooks: $(STAMP)
	$(BIN)/jupyter execute --inplace $(NOTEBOOKS)

clean:
	rm -rf _build
