"""Fixtures for the JupyterLab tests: the course's notebooks in a real JupyterLab, in Chromium.

* ``lab``: JupyterLab from the project's venv (``jupyter-lab`` beside ``sys.executable``) on a
  free port of 127.0.0.1, serving a temporary copy of ``book/`` (the notebooks, their figures
  and data), for the whole session. Kernels get one BLAS thread (``OPENBLAS_NUM_THREADS=1``, as
  ``make lab``). Everything JupyterLab writes (user settings, workspaces, runtime files,
  notebook signatures) goes to the temporary folder, and its application settings are the
  course's own ``tools/jupyterlab/overrides.json``, so neither the developer's ``~/.jupyter``
  nor ``book/`` is read or written. The server stops (and its kernels with it) when the
  session ends; ``lab.log`` holds its log for failure messages.
* ``browser``: Playwright driving ``/usr/bin/chromium`` headless (``CHROMIUM=...`` for another);
  ``page``: a fresh 1366 x 900 tab per test, in which a request to any host other than the
  JupyterLab server is refused and recorded (``page.external_requests``).
* ``lab_timings``: slider-to-picture times the tests record; written to
  ``_build/lab-timings.json`` and summed up at the end of the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from reference import free_port

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
SETTINGS = ROOT / "tools" / "jupyterlab" / "overrides.json"
TIMINGS = ROOT / "_build" / "lab-timings.json"
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Lab:
    url: str          # http://127.0.0.1:<port>/ (no token)
    root: Path        # the server's root folder; the notebooks are in root / "book"
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _lab_command() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-lab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyterlab"]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n"
                        + log.read_text(errors="replace")[-4000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"JupyterLab did not answer {url} within {timeout:.0f} s:\n"
                        + log.read_text(errors="replace")[-4000:])
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM: Jupyter Server shuts its kernels down ("Shutting down N kernels"), then exits."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def lab():
    if not SETTINGS.is_file():
        pytest.fail(f"missing {SETTINGS}")
    tmp = Path(tempfile.mkdtemp(prefix="rnn-lab-"))
    root = tmp / "root"
    shutil.copytree(BOOK, root / "book",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build", "__pycache__"))
    app_settings = tmp / "app-settings"
    (app_settings / "overrides.d").mkdir(parents=True)
    shutil.copyfile(SETTINGS, app_settings / "overrides.d" / "rnn-course.json")
    env = {**os.environ, **ONE_THREAD,
           "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_DATA_DIR": str(tmp / "data"),        # no user kernel spec shadows the venv's
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "JUPYTER_PLATFORM_DIRS": "0"}
    env.pop("JUPYTERLAB_DIR", None)
    port = free_port()
    log = tmp / "lab.log"
    cmd = _lab_command() + [
        "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={root}", f"--LabApp.app_settings_dir={app_settings}",
        # window.jupyterapp: lets the tests read the notebook's model (dirty flag, outputs)
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url + "api/status", proc, log)
        yield Lab(url=url, root=root, log=log)
    finally:
        _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.external_requests = []
    page.page_errors = []
    local = lab.url.rstrip("/")

    def route(r):
        if r.request.url.startswith(local) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            page.external_requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    yield page
    context.close()


@pytest.fixture(scope="session")
def lab_timings():
    timings: dict[str, dict] = {}
    yield timings
    if timings:
        TIMINGS.parent.mkdir(parents=True, exist_ok=True)
        TIMINGS.write_text(json.dumps(timings, indent=1) + "\n")


def pytest_terminal_summary(terminalreporter):
    if not TIMINGS.is_file():
        return
    try:
        timings = json.loads(TIMINGS.read_text())
    except ValueError:
        return
    if not timings or time.time() - TIMINGS.stat().st_mtime > 600:
        return
    terminalreporter.section("JupyterLab: explorer slider to new picture")
    for name, t in timings.items():
        terminalreporter.write_line(
            f"{name}: median {t['median_ms']:.0f} ms over {len(t['moves_ms'])} moves "
            f"(min {min(t['moves_ms']):.0f}, max {max(t['moves_ms']):.0f}) [{t['explorer']}]")
    all_moves = [m for t in timings.values() for m in t["moves_ms"]]
    terminalreporter.write_line(f"all: median {statistics.median(all_moves):.0f} ms "
                                f"-> {TIMINGS.relative_to(ROOT)}")
