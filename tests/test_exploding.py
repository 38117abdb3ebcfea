"""Pascanu et al.'s one-unit example (chapter 4): gradients vs finite differences, clipping."""

import numpy as np
import pytest
from reference import fd_jacobian, rel_err

from rnngrad import exploding
from rnngrad.activations import sigmoid


def _loss(w, b, T=50):
    x = 0.5
    for _ in range(T):
        x = w * sigmoid(x) + b
    return (sigmoid(x) - 0.7) ** 2


@pytest.mark.parametrize("w, b", [(1.0, 0.0), (5.0, -2.7), (5.0, -2.4), (-1.5, 1.0), (3.0, -1.5)])
@pytest.mark.parametrize("T", [1, 5, 50])
def test_gradient_matches_finite_differences(w, b, T):
    r = exploding.one_unit(w, b, T=T)
    assert np.isclose(r.loss, _loss(w, b, T), rtol=1e-12)
    g = fd_jacobian(lambda p: np.array(_loss(p[0], p[1], T)), np.array([w, b]))
    assert rel_err(np.array([r.dw, r.db]), g) < 1e-6


def test_vectorized_equals_pointwise():
    W, B, E = exploding.loss_surface(w_range=(3, 6), b_range=(-3, -2), num=7)
    assert W.shape == B.shape == E.shape == (7, 7)
    for i in range(7):
        for j in range(7):
            assert np.isclose(E[i, j], _loss(W[i, j], B[i, j]), rtol=1e-12)


def test_wall_exists():
    """Along w = 5 the error jumps and the gradient norm spikes above 1000 in a thin band."""
    bs = np.linspace(-2.75, -2.5, 20001)
    r = exploding.one_unit(np.full(bs.size, 5.0), bs)
    assert r.loss[0] - r.loss[-1] > 0.3
    assert r.grad_norm.max() > 1e3
    assert np.median(r.grad_norm) < 1.0


def test_clip_by_norm():
    g = np.array([3.0, 4.0])
    np.testing.assert_allclose(exploding.clip_by_norm(g, 1.0), [0.6, 0.8])
    np.testing.assert_allclose(exploding.clip_by_norm(g, 10.0), g)
    with pytest.raises(ValueError, match="threshold"):
        exploding.clip_by_norm(g, 0.0)


def test_clipping_keeps_descent_on_the_surface():
    plain = exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30)
    clipped = exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30, clip=1.0)
    assert np.abs(plain.params[-1]).max() > 20          # thrown onto the plateau
    assert np.abs(clipped.params[-1] - [5.0, -2.8]).max() < 2
    assert clipped.losses[-1] < plain.losses[-1]
    steps = np.linalg.norm(np.diff(clipped.params, axis=0), axis=1)
    assert steps.max() <= 0.3 + 1e-12
    assert clipped.clipped.any()


def test_descent_losses_are_those_of_the_path_points():
    for clip in (None, 1.0):
        path = exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30, clip=clip)
        assert path.losses.shape == (31,) and path.params.shape == (31, 2)
        expected = [exploding.one_unit(w, b).loss for w, b in path.params]
        np.testing.assert_allclose(path.losses, expected, rtol=1e-14)


@pytest.mark.parametrize("call, arg", [
    (lambda: exploding.one_unit(np.ones(3), np.ones(4)), "same shape"),
    (lambda: exploding.one_unit(np.nan, 0.0), "w"),
    (lambda: exploding.one_unit(1.0, 0.0, T=0), "T"),
    (lambda: exploding.one_unit(1.0, 0.0, target=2.0), "target"),
    (lambda: exploding.loss_surface(num=1), "num"),
    (lambda: exploding.gradient_descent(1.0, 0.0, steps=0), "steps"),
    (lambda: exploding.gradient_descent(1.0, 0.0, lr=np.inf), "lr"),
])
def test_bad_input(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()
