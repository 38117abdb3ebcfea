"""Central finite differences and the relative error (numdiff.py, chapter 3).

The package's FD helper is checked against closed-form gradients and against the suite's own,
independent central-difference routine (conftest.fd_jacobian).
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import fd_jacobian, random_rnn, replace
from rnngrad import numdiff, rnn


def test_quadratic_gradient_is_exact_up_to_rounding(rng):
    A = rng.standard_normal((4, 4))
    A = A + A.T
    v = rng.standard_normal(4)
    x = rng.standard_normal(4)
    g = numdiff.finite_difference_gradient(lambda z: 0.5 * z @ A @ z + v @ z, x)
    np.testing.assert_allclose(g, A @ x + v, rtol=1e-8, atol=1e-8)


def test_matches_analytic_gradient_of_a_smooth_function_of_a_matrix(rng):
    X = rng.standard_normal((3, 2))
    g = numdiff.finite_difference_gradient(lambda M: np.sum(np.sin(M)) + np.sum(M) ** 2, X)
    assert g.shape == X.shape
    np.testing.assert_allclose(g, np.cos(X) + 2 * np.sum(X), rtol=1e-8, atol=1e-9)


def test_agrees_with_the_suites_own_fd_routine(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 4)

    def loss(W_rec):
        return float(np.sum(rnn.forward(replace(params, W_rec=W_rec), xs, c0).c[-1] ** 2))

    np.testing.assert_allclose(numdiff.finite_difference_gradient(loss, params.W_rec),
                               fd_jacobian(loss, params.W_rec), rtol=1e-12, atol=1e-14)


def test_checks_rnn_backward(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 5)
    tr = rnn.forward(params, xs, c0)
    G = np.zeros(tr.c.shape)
    G[-1] = 1.0
    g = rnn.backward(params, tr, G).W_in

    def loss(W_in):
        return float(np.sum(rnn.forward(replace(params, W_in=W_in), xs, c0).c[-1]))

    assert numdiff.relative_error(numdiff.finite_difference_gradient(loss, params.W_in), g) < 1e-7


def test_does_not_modify_x_and_hands_out_copies(rng):
    x = rng.standard_normal((2, 3))
    keep = x.copy()

    def destructive(z):
        val = float(np.sum(z ** 2))
        z[...] = 0.0
        return val

    g = numdiff.finite_difference_gradient(destructive, x)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_allclose(g, 2 * keep, rtol=1e-8, atol=1e-9)


def test_scalar_and_empty_inputs():
    assert numdiff.finite_difference_gradient(lambda z: float(z) ** 3, 2.0).shape == ()
    assert numdiff.finite_difference_gradient(lambda z: float(z) ** 3, 2.0) == pytest.approx(12.0)
    assert numdiff.finite_difference_gradient(lambda z: 1.0, np.empty((0, 3))).shape == (0, 3)


def test_a_loss_returning_a_one_element_array_is_accepted():
    g = numdiff.finite_difference_gradient(lambda z: np.array([z.sum()]), np.ones(3))
    np.testing.assert_allclose(g, np.ones(3), rtol=1e-9)


@pytest.mark.parametrize("bad, match", [
    (dict(loss_fn=3.0), "loss_fn"),
    (dict(x=[1.0, np.nan]), "x"),
    (dict(x="abc"), "x"),
    (dict(h=0.0), "h"),
    (dict(h=-1e-6), "h"),
    (dict(h=np.inf), "h"),
    (dict(loss_fn=lambda z: z), "loss_fn"),          # vector-valued
    (dict(loss_fn=lambda z: np.inf), "loss_fn"),     # non-finite
    (dict(loss_fn=lambda z: "x"), "loss_fn"),        # not a number
])
def test_validation(bad, match):
    kw = dict(loss_fn=lambda z: float(np.sum(z ** 2)), x=np.ones(2), h=1e-6)
    kw.update(bad)
    with pytest.raises(ValueError, match=match):
        numdiff.finite_difference_gradient(kw.pop("loss_fn"), kw.pop("x"), **kw)


def test_relative_error_values():
    assert numdiff.relative_error([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert numdiff.relative_error([0.0, 0.0], [3.0, 4.0]) == pytest.approx(1.0)
    assert numdiff.relative_error([3.0, 5.0], [3.0, 4.0]) == pytest.approx(0.2)
    assert numdiff.relative_error([0.0], [0.0]) == 0.0
    assert numdiff.relative_error([1.0], [0.0]) == np.inf


def test_relative_error_does_not_underflow_or_overflow():
    assert numdiff.relative_error([2e-200, 0.0], [1e-200, 0.0]) == pytest.approx(1.0)
    assert numdiff.relative_error([2e200, 1e200], [1e200, 1e200]) == pytest.approx(1 / np.sqrt(2))


@pytest.mark.parametrize("a, b, match", [
    ([1.0, 2.0], [1.0], "approx"),
    ([1.0, np.nan], [1.0, 2.0], "approx"),
    ([1.0, 2.0], [np.inf, 2.0], "exact"),
])
def test_relative_error_validation(a, b, match):
    with pytest.raises(ValueError, match=match):
        numdiff.relative_error(a, b)
