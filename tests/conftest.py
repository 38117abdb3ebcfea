"""Fixtures of the rnngrad test suite; the plain helpers live in reference.py."""

import os

import matplotlib

matplotlib.use("Agg")   # every test draws off-screen

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from reference import random_lstm, random_rnn  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """No figure outlives its test."""
    yield
    plt.close("all")


@pytest.fixture
def rng():
    """A freshly seeded Generator per test (deterministic suite)."""
    return np.random.default_rng(20240611)


@pytest.fixture
def make_rnn(rng):
    """Factory fixture: make_rnn(n, m, T, B=None, activation='sigmoid', scale=None)."""
    return lambda *a, **k: random_rnn(rng, *a, **k)


@pytest.fixture
def make_lstm(rng):
    """Factory fixture: make_lstm(n, m, T, B=None, weight_scale=1.5)."""
    return lambda *a, **k: random_lstm(rng, *a, **k)


# ---------------------------------------------------------------------------------------------
# Notebook runs in this process (test_student_edition.py executes the student notebooks with
# nbclient): nbclient 0.11 / jupyter_client 8.10 can miss a widget cell's execute_reply and
# wait out the whole cell timeout. The workaround and its cause: _ext/nbclient_wakeup.py.
# (nbval is not affected: its blocking client polls with zmq_poll and sends nothing mid-cell.)
def _apply_nbclient_wakeup():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
    import nbclient_wakeup

    nbclient_wakeup.apply()


_apply_nbclient_wakeup()


# --------------------------------------------------------------------------- Chromium
# The browser of tests/browser (the site) and tests/lab (JupyterLab): Debian's Chromium,
# headless, driven by Playwright (which cannot download browsers of its own here).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM=...)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
