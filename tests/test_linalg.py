"""Norms that must survive the range of vanishing and exploding gradients."""

import numpy as np

from rnngrad._linalg import frobenius_norms, vector_norms


def test_vector_norms_do_not_underflow_or_overflow_when_squared():
    v = np.array([[3e-200, 4e-200], [3e200, 4e200], [0.0, 0.0]])
    np.testing.assert_allclose(vector_norms(v), [5e-200, 5e200, 0.0], rtol=1e-14)
    out = vector_norms(np.array([[np.inf, 1.0], [np.nan, 1.0]]))
    assert np.isinf(out[0]) and np.isnan(out[1])


def test_frobenius_norms_of_a_stack():
    rng = np.random.default_rng(0)
    S = rng.standard_normal((4, 3, 5))
    np.testing.assert_allclose(frobenius_norms(S), [np.linalg.norm(M) for M in S], rtol=1e-14)
    np.testing.assert_allclose(frobenius_norms(S * 1e-250), frobenius_norms(S) * 1e-250, rtol=1e-14)
