"""The stacked weights W = [W_rec, W_in] and the state trajectories of chapter 2 (dynamics.py)."""

from __future__ import annotations

import numpy as np
import pytest

from reference import ACTIVATIONS, BATCHES, random_rnn
from rnngrad import activations, dynamics, rnn


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 1), (3, 2, 4), (5, 1, 3)])
def test_stacked_product_equals_the_two_block_products(rng, n, m, T, B):
    """W u_t = W_rec c_{t-1} + W_in x_t for u_t = [c_{t-1}; x_t] (the source's W = [W_rec, W_in])."""
    params, xs, c0 = random_rnn(rng, n, m, T, B)
    tr = rnn.forward(params, xs, c0)
    W = dynamics.stacked_weights(params)
    U = dynamics.stacked_inputs(tr)
    assert W.shape == (n, n + m)
    assert U.shape == tr.c.shape[:-1] + (n + m,)
    np.testing.assert_array_equal(W[:, :n], params.W_rec)
    np.testing.assert_array_equal(W[:, n:], params.W_in)
    np.testing.assert_array_equal(U[0, ..., :n], tr.c0)
    np.testing.assert_array_equal(U[..., n:], xs)
    blocks = np.einsum("ij,t...j->t...i", params.W_rec, tr.c_prev) \
        + np.einsum("ij,t...j->t...i", params.W_in, xs)
    np.testing.assert_allclose(np.einsum("ij,t...j->t...i", W, U), blocks, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_is_act_of_stacked_product(rng, activation):
    params, xs, c0 = random_rnn(rng, 4, 3, 6, activation=activation)
    tr = rnn.forward(params, xs, c0)
    z = dynamics.stacked_inputs(tr) @ dynamics.stacked_weights(params).T + params.b
    np.testing.assert_allclose(tr.c, activations.activation(activation)(z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("inputs", dynamics.INPUT_KINDS)
def test_trajectory_summaries_match_their_definitions(activation, inputs):
    tr = dynamics.state_trajectories(n=5, T=30, scale=3.0, activation=activation, inputs=inputs,
                                     seed=4)
    assert tr.t.shape == (30,) and tr.c.shape == (30, 5)
    c = tr.c
    dact = c * (1 - c) if activation == "sigmoid" else 1 - c * c
    rel = dact / activations.GAMMA[activation]
    np.testing.assert_allclose(tr.slope, rel.mean(axis=1), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(tr.saturated, (rel < dynamics.SATURATION_LEVEL).mean(axis=1))
    prev = np.vstack([np.zeros(5), c[:-1]])
    np.testing.assert_allclose(tr.step_norms, np.linalg.norm(c - prev, axis=1), rtol=1e-13)
    assert np.all((tr.slope >= 0) & (tr.slope <= 1))
    assert np.all((tr.saturated >= 0) & (tr.saturated <= 1))
    assert activation in tr.label and inputs in tr.label


def test_trajectories_are_deterministic_and_seed_dependent():
    a = dynamics.state_trajectories(seed=3)
    b = dynamics.state_trajectories(seed=3)
    c = dynamics.state_trajectories(seed=4)
    np.testing.assert_array_equal(a.c, b.c)
    assert not np.array_equal(a.c, c.c)


def test_trajectory_uses_rnn_init_and_forward():
    """Same seed, same draws: the trajectory is rnn.forward of rnn.init's parameters."""
    tr = dynamics.state_trajectories(n=4, m=2, T=7, scale=1.5, activation="tanh", seed=9)
    rng = np.random.default_rng(9)
    params = rnn.init(4, 2, rng=rng, scale=1.5, activation="tanh")
    np.testing.assert_array_equal(tr.c, rnn.forward(params, rng.standard_normal((7, 2))).c)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_zero_recurrent_weights_with_a_pulse_stop_after_one_step(activation):
    """W_rec = 0, b = 0, x_t = 0 for t >= 1: c_t = φ(0) for t >= 1, so every later step is 0."""
    tr = dynamics.state_trajectories(n=3, T=6, scale=0.0, activation=activation, inputs="pulse")
    rest = 0.5 if activation == "sigmoid" else 0.0
    np.testing.assert_array_equal(tr.c[1:], rest)
    np.testing.assert_array_equal(tr.step_norms[2:], 0.0)
    assert tr.slope[1:] == pytest.approx(1.0)


def test_large_weights_saturate_sigmoid_units():
    """Chapter 2's claim: a larger ‖W_rec‖₂ drives more units into saturation (σ' -> 0)."""
    small = dynamics.state_trajectories(n=16, T=200, scale=0.5, seed=1)
    big = dynamics.state_trajectories(n=16, T=200, scale=16.0, seed=1)
    assert big.saturated.mean() > 0.3 > small.saturated.mean()
    assert big.slope.mean() < small.slope.mean()


@pytest.mark.parametrize("scale", [0.0, 0.1, 16.0, 1e6])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_extreme_scales_give_finite_results_without_warnings(scale, activation):
    tr = dynamics.state_trajectories(T=40, scale=scale, activation=activation)
    for arr in (tr.c, tr.slope, tr.saturated, tr.step_norms):
        assert np.all(np.isfinite(arr))


@pytest.mark.parametrize("kw, match", [
    (dict(n=0), "n"), (dict(n=2.5), "n"), (dict(m=0), "m"), (dict(T=0), "T"),
    (dict(scale=-1.0), "scale"), (dict(scale=np.nan), "scale"), (dict(scale="big"), "scale"),
    (dict(input_scale=-1.0), "input_scale"), (dict(activation="relu"), "activation"),
    (dict(inputs="step"), "inputs"), (dict(seed=-1), "seed"), (dict(seed=1.5), "seed"),
])
def test_state_trajectories_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        dynamics.state_trajectories(**kw)


def test_stacked_validation(rng):
    params, xs, _ = random_rnn(rng, 2, 1, 3)
    with pytest.raises(ValueError, match="params"):
        dynamics.stacked_weights(np.eye(2))
    with pytest.raises(ValueError, match="trace"):
        dynamics.stacked_inputs(xs)
