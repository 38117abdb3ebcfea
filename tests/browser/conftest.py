"""Fixtures for the browser tests: the built site served on 127.0.0.1, and Debian's Chromium.

* ``site_url``: ``python -m http.server --bind 127.0.0.1`` serving ``_build/html`` on a free
  port, for the whole session (stopped at the end).
* ``subpath_url``: the same files served one level down, at ``<prefix>`` = the path of
  ``html.baseurl`` in ``_config.yml`` (``/rnn-gradients/``), as GitHub Pages serves a project
  site; like GitHub Pages, a missing file gets ``<prefix>404.html`` with status 404.
* ``browser``: Playwright driving ``/usr/bin/chromium`` headless (Playwright cannot download
  its own browsers here). ``CHROMIUM=/path/to/chrome`` points it at another binary.
* ``page``: a fresh browser tab (1280 × 900) per test.

Plain helpers (``visit``, ``toc_files``...) are in browser_support.py. Nothing here needs the internet: a request to any other host is recorded and fails the test.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from reference import free_port

from browser_support import HTML, site_prefix


def _wait_until_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def built_site() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} is not built: run `make book` (or `make browser`) first")
    return HTML


@pytest.fixture(scope="session")
def site_url(built_site: Path):
    """Base URL (ending in /) of _build/html served by `python -m http.server`."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory",
         str(built_site), str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; a missing file gets <prefix>404.html with status 404 (as GitHub Pages)."""

    prefix = "/"

    def send_head(self):
        path = self.translate_path(self.path)
        if not os.path.exists(path) and not (os.path.isdir(path) and self.path.endswith("/")):
            page = Path(self.translate_path(self.prefix + "404.html"))
            if page.is_file():
                body = page.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return io.BytesIO(body)
        return super().send_head()

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture(scope="session")
def subpath_url(built_site: Path):
    """Base URL (ending in /) of the site served under site_prefix(), e.g. /rnn-gradients/."""
    prefix = site_prefix()
    parent = Path(tempfile.mkdtemp(prefix="site-parent-"))
    mount = parent / prefix.strip("/")
    mount.parent.mkdir(parents=True, exist_ok=True)
    mount.symlink_to(built_site, target_is_directory=True)
    handler = functools.partial(_PagesHandler, directory=str(parent))
    _PagesHandler.prefix = prefix
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}{prefix}"
        _wait_until_up(url)
        yield url
    finally:
        server.shutdown()
        server.server_close()
        mount.unlink()  # the symlink only, never the built site behind it
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
