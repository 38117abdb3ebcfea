"""The environment Binder builds from this repository runs every notebook of the course.

Binder (repo2docker) installs ``requirements.txt`` into a fresh environment, then runs
``postBuild`` (which installs ``code/`` as ``rnngrad``), and opens the notebooks from the
repository's root. This test does the same on a copy of the working tree: a fresh venv,
``pip install -r requirements.txt``, ``bash postBuild`` with that venv's ``pip`` and
``python`` first on PATH, then every notebook in ``book/`` executed with that venv's nbclient
and kernel (``tools/run_notebooks.py``: ``jupyter execute`` with the workaround of
``_ext/nbclient_wakeup.py`` and bounded in time). It needs no internet beyond the package
index pip is set up with.

Slow (a venv and the whole requirements.txt; then every notebook): ``make binder-test``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Not part of what Binder sees, or rebuilt there.
IGNORE = shutil.ignore_patterns(".git", ".venv", "_build", "node_modules", ".pytest_cache",
                                ".hypothesis", "__pycache__", "*.egg-info", ".ipynb_checkpoints")

pytestmark = pytest.mark.binder


def _run(cmd: list[str], *, cwd: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                                  f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """(repository copy, environment) after requirements.txt and postBuild, as on Binder."""
    base = tmp_path_factory.mktemp("binder")
    repo = base / "repo"
    shutil.copytree(ROOT, repo, ignore=IGNORE, symlinks=True)
    venv = base / "env"
    python = getattr(sys, "_base_executable", None) or sys.executable
    t0 = time.monotonic()
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH",
                        "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               JUPYTER_CONFIG_DIR=str(base / "jupyter-config"), MPLBACKEND="agg")
    _run(["pip", "install", "--quiet", "-r", "requirements.txt"], cwd=repo, env=env,
         timeout=900)
    _run(["bash", "postBuild"], cwd=repo, env=env, timeout=300)
    print(f"\nBinder environment built in {time.monotonic() - t0:.0f} s")
    return repo, env


def test_postbuild_installs_rnngrad_from_the_repository(binder_env):
    repo, env = binder_env
    out = _run(["python", "-c", "import rnngrad, sys; print(rnngrad.__file__); print(sys.prefix)"],
               cwd=repo, env=env, timeout=60).stdout.split()
    assert Path(out[0]).resolve().is_relative_to(repo.resolve() / "code"), out
    assert Path(out[1]).resolve() == Path(env["VIRTUAL_ENV"]).resolve(), out


NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "book").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_in_the_binder_environment(binder_env, notebook):
    repo, env = binder_env
    t0 = time.monotonic()
    # Runs the kernel in the notebook's folder and does not write the file (as jupyter execute),
    # but does not miss a widget cell's reply (_ext/nbclient_wakeup.py) and stops with the
    # notebook and cell named when a cell or the notebook takes too long.
    _run(["python", "tools/run_notebooks.py", "--cell-timeout=600", "--timeout=1100", notebook],
         cwd=repo, env=env, timeout=1200)
    print(f"{notebook}: {time.monotonic() - t0:.0f} s")


def test_postbuild_sets_up_the_kernel_and_jupyterlab(binder_env):
    """postBuild installs the notebooks' kernel with one BLAS thread (the variables must come
    from the kernel spec, not from the environment the server was started in) and the
    course's JupyterLab settings."""
    repo, env = binder_env
    env = {k: v for k, v in env.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    probe = (
        "import nbclient, nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(\n"
        "    'import os; print(os.environ.get(\"OPENBLAS_NUM_THREADS\"))')])\n"
        "nbclient.NotebookClient(nb, kernel_name='python3', timeout=120).execute()\n"
        "print(nb.cells[0].outputs[0].text.strip())\n")
    out = _run(["python", "-c", probe], cwd=repo, env=env, timeout=300).stdout.split()
    assert out[-1] == "1", out
    settings = _run(["python", "-c", "import sys; sys.path.insert(0, 'tools/jupyterlab'); "
                     "import install; print(install.target())"], cwd=repo, env=env,
                    timeout=60).stdout.strip()
    assert Path(settings).read_text() == (repo / "tools/jupyterlab/overrides.json").read_text()
