"""Fixtures of the rnngrad test suite; the plain helpers live in reference.py."""

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
