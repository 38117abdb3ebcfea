"""Fixtures of the rnngrad test suite; the plain helpers live in reference.py."""

import numpy as np
import pytest

from reference import random_lstm, random_rnn


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
