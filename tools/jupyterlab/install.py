"""Install the course's JupyterLab settings into the JupyterLab of the running Python.

    .venv/bin/python tools/jupyterlab/install.py        (make's venv step; Binder: postBuild)

Copies ``overrides.json`` (beside this file) to ``<app dir>/settings/overrides.d/rnn-course.json``,
where ``<app dir>`` is JupyterLab's application directory (``<sys.prefix>/share/jupyter/lab``
unless ``JUPYTERLAB_DIR`` says otherwise). Files in ``overrides.d/`` set JupyterLab's defaults:
a user's own settings still win, and a user's ``settings/overrides.json`` is left alone.

What the settings do, and why:

* ``@jupyterlab/notebook-extension:tracker`` ``windowingMode: "none"``: every cell of a notebook
  is rendered when it opens. jupyterlab-myst resolves a ``{ref}`` (an exercise, a section, a
  figure) only among the cells already rendered; with JupyterLab's default lazy rendering
  ("contentVisibility") a reference to a cell further down shows as a warning with the bare
  label until the reader scrolls there, and rendering a chapter's markdown took about 10 s
  instead of 1 s (measured on 2 cores). The chapters have about 40 cells, so drawing them all at
  once costs nothing noticeable.
* ``@jupyterlab/apputils-extension:notification`` ``fetchNews: "false"``, ``checkForUpdates:
  false``: no "Would you like to get notified about official Jupyter news?" pop-up over the
  notebook, and no request to the internet when a class opens JupyterLab.

tests/lab starts its JupyterLab with exactly these settings (``--LabApp.app_settings_dir``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

SOURCE = Path(__file__).with_name("overrides.json")
NAME = "rnn-course.json"


def target() -> Path:
    """Where the settings go in the current environment's JupyterLab."""
    from jupyterlab.commands import get_app_dir

    return Path(get_app_dir()) / "settings" / "overrides.d" / NAME


def main() -> int:
    dest = target()
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, dest)
    print(f"JupyterLab settings of the course: {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
