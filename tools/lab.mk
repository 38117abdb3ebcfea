# The course's Python environment and JupyterLab, shared by the course's Makefile and the
# student archive's (make student). Included from a folder holding requirements.txt, code/
# and book/ (the notebooks).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB    ?= lab
LAB_PORT ?= 8888
LAB_MK := $(lastword $(MAKEFILE_LIST))

# One BLAS thread: the course's matrices are small (n <= 128), and on a shared 2-core machine
# OpenBLAS's default threads made chapter 9's training cells several times slower (3-4x
# measured). Exported for every command make runs; the kernel spec written below sets the
# same for kernels started by a JupyterLab that was not started by make.
export OPENBLAS_NUM_THREADS = 1
export OMP_NUM_THREADS = 1
export MKL_NUM_THREADS = 1

$(STAMP): requirements.txt code/pyproject.toml $(LAB_MK) tools/jupyterlab/overrides.json
	@test -n "$(PYTHON)" || { echo "error: python3.11 (or python3) not found"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e code/
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 \
	  --display-name "Python 3 (ipykernel)" --env OPENBLAS_NUM_THREADS 1 \
	  --env OMP_NUM_THREADS 1 --env MKL_NUM_THREADS 1 >/dev/null
	$(BIN)/python tools/jupyterlab/install.py >/dev/null
	touch $(STAMP)

# JupyterLab on a working copy of the notebooks (lab/, not tracked by git): what you change
# and save there never touches book/, so `git pull` cannot conflict with your work. Files
# already in lab/ are kept; delete one to get the current version of it at the next `make lab`.
lab: $(STAMP)
	@$(BIN)/python -c "import os, shutil; shutil.copytree('book', '$(LAB)', dirs_exist_ok=True, \
	  ignore=shutil.ignore_patterns('.ipynb_checkpoints', '_build'), \
	  copy_function=lambda s, d: os.path.exists(d) or shutil.copy2(s, d))"
	@echo "JupyterLab on $(CURDIR)/$(LAB) (your copy of book/); stop it with Ctrl-C twice."
	$(BIN)/jupyter lab --ServerApp.root_dir=$(LAB) --ServerApp.port=$(LAB_PORT) \
	  $(if $(filter 0,$(shell id -u)),--allow-root)
