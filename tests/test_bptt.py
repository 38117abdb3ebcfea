"""BPTT as a sum over paths, the immediate derivative and eq. (1) of the source (bptt.py, chapter 3).

Every derivative here is checked against central finite differences (conftest.fd_jacobian)
and, where possible, against the independent reference forward pass with per-step weights
(conftest.ref_rnn_forward), not only against other functions of the package.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import (ACTIVATIONS, BATCHES, assert_close_fd, every_step_loss, fd_jacobian,
                       random_rnn, ref_rnn_forward, replace, rnn_at, xs_shape)
from rnngrad import bptt, dynamics, gradients, numdiff, rnn


def _split(params, W):
    return dict(W_rec=W[:, :params.n], W_in=W[:, params.n:])


def _with_W(params, W):
    return replace(params, **_split(params, W))


def _targets(rng, shape, activation):
    return rng.uniform(0, 1, shape) if activation == "sigmoid" else rng.uniform(-1, 1, shape)


# --------------------------------------------------------------------------- stacked gradient


@pytest.mark.parametrize("B", BATCHES)
def test_stacked_gradient_of_full_gradient_and_of_terms(rng, B):
    params, xs, c0 = random_rnn(rng, 3, 2, 4, B)
    tr = rnn.forward(params, xs, c0)
    G = rng.standard_normal(tr.c.shape)
    g = rnn.backward(params, tr, G)
    terms = rnn.bptt_terms(params, tr, G)
    S = bptt.stacked_gradient(g)
    St = bptt.stacked_gradient(terms)
    assert S.shape == (3, 5) and St.shape == (4, 3, 5)
    np.testing.assert_array_equal(S[:, :3], g.W_rec)
    np.testing.assert_array_equal(S[:, 3:], g.W_in)
    np.testing.assert_allclose(St.sum(axis=0), S, rtol=1e-10, atol=1e-13)


# --------------------------------------------------------------------------- losses


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("kind", bptt.LOSS_KINDS)
def test_loss_gradients_through_backward_match_finite_differences(rng, activation, B, kind):
    """∂E/∂W from rnn.backward with the loss's dL_dc equals FD of E(W) (W = [W_rec, W_in])."""
    n, m, T = 3, 2, 5
    params, xs, c0 = random_rnn(rng, n, m, T, B, activation)
    tr = rnn.forward(params, xs, c0)
    if kind == "last":
        y = _targets(rng, tr.c.shape[1:], activation)
        loss, grad = bptt.last_state_loss, bptt.last_state_loss_grad
    else:
        y = _targets(rng, tr.c.shape, activation)
        loss, grad = every_step_loss, bptt.every_step_loss_grad
    dL = grad(tr, y)
    assert dL.shape == tr.c.shape
    if kind == "last":
        assert not dL[:-1].any()
    analytic = bptt.stacked_gradient(rnn.backward(params, tr, dL))
    W = dynamics.stacked_weights(params)
    numeric = fd_jacobian(lambda V: loss(rnn.forward(_with_W(params, V), xs, c0), y), W)
    assert_close_fd(analytic, numeric, f"{kind} loss")


def test_loss_values(rng):
    params, xs, c0 = random_rnn(rng, 2, 1, 3)
    tr = rnn.forward(params, xs, c0)
    y = np.array([0.25, 0.5])
    assert bptt.last_state_loss(tr, y) == pytest.approx(0.5 * np.sum((tr.c[-1] - y) ** 2))
    assert bptt.last_state_loss(tr, tr.c[-1]) == 0.0


# --------------------------------------------------------------------------- immediate derivative


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n,m,T", [(1, 1, 1), (2, 1, 3), (3, 2, 4)])
def test_immediate_derivative_matches_fd_with_weights_varied_at_one_step(rng, n, m, T, activation):
    """∂⁺c_j/∂W: vary W only at step j (reference forward with per-step weights), FD of c_j."""
    params, xs, c0 = random_rnn(rng, n, m, T, activation=activation)
    tr = rnn.forward(params, xs, c0)
    W = dynamics.stacked_weights(params)
    for j in range(T):
        D = bptt.immediate_derivative(params, tr, j)
        assert D.shape == (n, n, n + m)

        def c_j(V, j=j):
            return ref_rnn_forward(rnn_at(params, j, **_split(params, V)), xs, c0, activation)[j]

        assert_close_fd(D, fd_jacobian(c_j, W), f"immediate derivative j={j}")
        # only row i of W moves unit i
        for i in range(n):
            others = np.delete(D[i], i, axis=0)
            assert not others.any()


def test_immediate_derivative_at_step_0_is_the_total_derivative(rng):
    """c_{-1} does not depend on W, so at the first step immediate = total derivative."""
    params, xs, c0 = random_rnn(rng, 3, 2, 4)
    tr = rnn.forward(params, xs, c0)
    W = dynamics.stacked_weights(params)
    total = fd_jacobian(lambda V: rnn.forward(_with_W(params, V), xs, c0).c[0], W)
    assert_close_fd(bptt.immediate_derivative(params, tr, 0), total, "j=0")
    # ...but not at a later step: there W also acts through c_{j-1}
    total2 = fd_jacobian(lambda V: rnn.forward(_with_W(params, V), xs, c0).c[2], W)
    assert numdiff.relative_error(bptt.immediate_derivative(params, tr, 2), total2) > 1e-3


# --------------------------------------------------------------------------- per-step weights


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("T", [1, 2, 5])
def test_forward_with_step_weights_matches_reference(rng, B, T):
    n, m = 3, 2
    params, xs, c0 = random_rnn(rng, n, m, T, B)
    W = dynamics.stacked_weights(params)
    for j in range(T):
        V = W + rng.standard_normal(W.shape)
        tr = bptt.forward_with_step_weights(params, xs, j, V, c0)
        ref = ref_rnn_forward(rnn_at(params, j, **_split(params, V)), xs, c0, params.activation)
        np.testing.assert_allclose(tr.c, ref, rtol=1e-12, atol=1e-14)
        a = tr.c
        np.testing.assert_allclose(tr.dact, a * (1 - a), rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(tr.c0, c0)
        # with the shared weights at step j it is the ordinary forward pass
        same = bptt.forward_with_step_weights(params, xs, j, W, c0)
        np.testing.assert_allclose(same.c, rnn.forward(params, xs, c0).c, rtol=1e-13, atol=1e-15)


def test_forward_with_step_weights_default_c0(rng):
    params, xs, _ = random_rnn(rng, 2, 1, 3)
    W = dynamics.stacked_weights(params)
    np.testing.assert_allclose(bptt.forward_with_step_weights(params, xs, 1, W).c,
                               rnn.forward(params, xs).c, rtol=1e-14)


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n,m,T", [(1, 1, 1), (1, 2, 4), (3, 2, 5)])
def test_path_terms_are_partials_wrt_per_step_copies_of_W(rng, n, m, T, activation):
    """path_term(j) = ∂E/∂W_j with W_j used at step j only (FD), = rnn.bptt_terms[j]; their sum
    over j is the total derivative ∂E/∂W (FD with the shared W)."""
    params, xs, c0 = random_rnn(rng, n, m, T, activation=activation)
    tr = rnn.forward(params, xs, c0)
    y = _targets(rng, n, activation)
    dL = bptt.last_state_loss_grad(tr, y)
    W = dynamics.stacked_weights(params)
    terms = bptt.stacked_gradient(rnn.bptt_terms(params, tr, dL))
    total = 0.0
    for j in range(T):
        P = bptt.path_term(params, tr, dL[-1], j)
        assert P.shape == (n, n + m)
        np.testing.assert_allclose(P, terms[j], rtol=1e-9, atol=1e-15)

        def E_j(V, j=j):
            return bptt.last_state_loss(bptt.forward_with_step_weights(params, xs, j, V, c0), y)

        assert_close_fd(P, fd_jacobian(E_j, W), f"path term j={j}")
        total = total + P
    E = lambda V: bptt.last_state_loss(rnn.forward(_with_W(params, V), xs, c0), y)  # noqa: E731
    assert_close_fd(total, fd_jacobian(E, W), "sum over paths")


def test_eq1_term_has_zero_W_rec_block_when_c0_is_zero(rng):
    """With c_{-1} = 0, W_rec multiplies nothing at step 0: eq. (1)'s term has W_rec-block 0."""
    params, xs, _ = random_rnn(rng, 3, 2, 6)
    tr = rnn.forward(params, xs)
    dL = bptt.last_state_loss_grad(tr, np.full(3, 0.5))
    P0 = bptt.path_term(params, tr, dL[-1], 0)
    assert not P0[:, :3].any() and P0[:, 3:].any()
    assert not rnn.bptt_terms(params, tr, dL).W_rec[0].any()


def test_eq1_is_exact_only_for_one_step(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 1)
    tr = rnn.forward(params, xs, c0)
    dL = bptt.last_state_loss_grad(tr, np.full(3, 0.5))
    assert bptt.single_path_relative_error(params, tr, dL) == 0.0
    params, xs, c0 = random_rnn(rng, 3, 2, 12, scale=1.0)
    tr = rnn.forward(params, xs, c0)
    dL = bptt.last_state_loss_grad(tr, np.full(3, 0.5))
    err = bptt.single_path_relative_error(params, tr, dL)
    G = bptt.stacked_gradient(rnn.bptt_terms(params, tr, dL))
    assert err == pytest.approx(np.linalg.norm(G.sum(0) - G[0]) / np.linalg.norm(G.sum(0)))
    assert err > 0.99


# --------------------------------------------------------------------------- norms, grid, profile


def test_step_contribution_norms_are_frobenius_norms_of_stacked_terms(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 5)
    tr = rnn.forward(params, xs, c0)
    terms = rnn.bptt_terms(params, tr, rng.standard_normal(tr.c.shape))
    G = bptt.stacked_gradient(terms)
    np.testing.assert_allclose(gradients.step_contribution_norms(terms),
                               [np.linalg.norm(G[t]) for t in range(5)], rtol=1e-13)


def test_step_contribution_norms_survive_tiny_huge_and_zero_terms():
    n, m = 2, 1
    W_rec = np.stack([np.full((n, n), 3e-200), np.full((n, n), 3e200), np.zeros((n, n))])
    W_in = np.stack([np.full((n, m), 4e-200), np.full((n, m), 4e200), np.zeros((n, m))])
    terms = rnn.RNNGrads(W_rec=W_rec, W_in=W_in, b=np.zeros((3, n)), c0=np.zeros(n))
    norms = gradients.step_contribution_norms(terms)
    expected = np.sqrt(n * n * 9 + n * m * 16)
    np.testing.assert_allclose(norms, [expected * 1e-200, expected * 1e200, 0.0], rtol=1e-14)


def test_single_path_error_grid_shape_and_first_column(rng):
    grid = bptt.single_path_error_grid([1, 3, 10], [0.5, 4.0], n=4, draws=3, seed=2)
    assert grid.shape == (2, 3)
    np.testing.assert_array_equal(grid[:, 0], 0.0)
    assert np.all(grid[:, 1:] > 0.5)
    np.testing.assert_array_equal(
        grid, bptt.single_path_error_grid([1, 3, 10], [0.5, 4.0], n=4, draws=3, seed=2))


@pytest.mark.parametrize("loss", bptt.LOSS_KINDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_step_contribution_profile(activation, loss):
    prof = bptt.step_contribution_profile(n=4, T=8, scale=0.5, activation=activation, loss=loss,
                                          seed=1)
    assert prof.steps.shape == prof.norms.shape == (8,)
    assert np.all(prof.norms > 0)
    assert 0.0 < prof.single_path_error
    assert prof.loss == loss and activation in prof.label
    if loss == "last":
        # contracting network (γ·scale < 1), loss at the end: older steps contribute less
        assert np.all(np.diff(np.log(prof.norms)) > 0)
        assert prof.single_path_error == pytest.approx(1.0, abs=1e-3)
    one = bptt.step_contribution_profile(T=1, scale=0.5, activation=activation, loss=loss)
    assert one.single_path_error == 0.0


@pytest.mark.parametrize("scale", [0.1, 2.0, 16.0])
@pytest.mark.parametrize("T", [1, 50, 100])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_profile_is_finite_over_the_slider_range(T, scale, activation):
    for loss in bptt.LOSS_KINDS:
        prof = bptt.step_contribution_profile(T=T, scale=scale, activation=activation, loss=loss)
        assert np.all(np.isfinite(prof.norms)) and np.all(prof.norms > 0)
        assert np.isfinite(prof.single_path_error)


# --------------------------------------------------------------------------- the update


def test_gradient_descent_step(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 6)
    y = np.full(3, 0.3)
    tr = rnn.forward(params, xs, c0)
    g = rnn.backward(params, tr, bptt.last_state_loss_grad(tr, y))
    same = bptt.gradient_descent_step(params, g, 0.0)
    np.testing.assert_array_equal(same.W_rec, params.W_rec)
    new = bptt.gradient_descent_step(params, g, 0.1)
    np.testing.assert_array_equal(new.W_in, params.W_in - 0.1 * g.W_in)
    np.testing.assert_array_equal(new.b, params.b - 0.1 * g.b)
    assert new.activation == params.activation and new is not params
    E0 = bptt.last_state_loss(tr, y)
    E1 = bptt.last_state_loss(rnn.forward(new, xs, c0), y)
    sq = sum(np.sum(getattr(g, k) ** 2) for k in ("W_rec", "W_in", "b"))
    assert E1 < E0
    lr = 1e-4   # first order: E(W - α g) = E - α ‖g‖² + O(α²)
    E2 = bptt.last_state_loss(rnn.forward(bptt.gradient_descent_step(params, g, lr), xs, c0), y)
    assert (E0 - E2) == pytest.approx(lr * sq, rel=1e-2)


# --------------------------------------------------------------------------- truncated BPTT


def _paths_up_to_lag(params, tr, dL_dc, K):
    """Brute force: Σ over (k, j) with 0 <= k − j <= K of ∂⁺E/∂c_k (J_k ⋯ J_{j+1}) ∂⁺c_j/∂θ,
    every product formed as matrices; ∂E/∂c_{-1} from the losses at k <= K."""
    n = params.n
    W = np.zeros((n, n + params.m))
    b = np.zeros(n)
    c0 = np.zeros(n)
    for k in range(tr.T):
        P = np.eye(n)                                      # ∂c_k/∂c_j, j = k, k−1, …
        for j in range(k, max(-1, k - K - 1), -1):
            row = dL_dc[k] @ P
            W += np.einsum("i,iab->ab", row, bptt.immediate_derivative(params, tr, j))
            b += row * tr.dact[j]
            P = P @ (rnn.step_jacobian(params, tr, j) if j > 0
                     else tr.dact[0][:, None] * params.W_rec)
        if k <= K:
            c0 += dL_dc[k] @ P                             # P = ∂c_k/∂c_{-1}
    return W, b, c0


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("K", [0, 1, 2, 4])
def test_truncated_backward_is_the_sum_of_the_paths_up_to_lag_K(rng, activation, K):
    params, xs, c0 = random_rnn(rng, 3, 2, 6, activation=activation)
    tr = rnn.forward(params, xs, c0)
    dL = rng.standard_normal(tr.c.shape)
    dL[2] = 0.0                                            # a step without a loss
    g = bptt.truncated_backward(params, tr, dL, K)
    W, b, dc0 = _paths_up_to_lag(params, tr, dL, K)
    np.testing.assert_allclose(bptt.stacked_gradient(g), W, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(g.b, b, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(g.c0, dc0, rtol=1e-10, atol=1e-14)
    full = bptt.stacked_gradient(rnn.backward(params, tr, dL))
    assert numdiff.relative_error(bptt.stacked_gradient(g), full) > 1e-6   # something dropped


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("K", [5, 6, 50])
def test_truncated_backward_with_K_at_least_T_minus_1_is_full_bptt(rng, B, K):
    params, xs, c0 = random_rnn(rng, 3, 2, 6, B)
    tr = rnn.forward(params, xs, c0)
    dL = rng.standard_normal(tr.c.shape)
    g, full = bptt.truncated_backward(params, tr, dL, K), rnn.backward(params, tr, dL)
    for name in ("W_rec", "W_in", "b", "c0"):
        np.testing.assert_allclose(getattr(g, name), getattr(full, name), rtol=1e-12, atol=1e-15)


def test_truncated_backward_of_a_batch_sums_its_sequences(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 5, 3)
    tr = rnn.forward(params, xs, c0)
    dL = rng.standard_normal(tr.c.shape)
    g = bptt.truncated_backward(params, tr, dL, 2)
    parts = [bptt.truncated_backward(params, rnn.forward(params, xs[:, i], c0[i]), dL[:, i], 2)
             for i in range(3)]
    for name in ("W_rec", "W_in", "b"):
        np.testing.assert_allclose(getattr(g, name), sum(getattr(p, name) for p in parts),
                                   rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g.c0, np.stack([p.c0 for p in parts]), rtol=1e-12, atol=1e-15)


def test_truncated_backward_of_the_last_state_loss_keeps_the_last_K_plus_1_terms(rng):
    params, xs, c0 = random_rnn(rng, 4, 2, 8)
    tr = rnn.forward(params, xs, c0)
    dL = bptt.last_state_loss_grad(tr, np.full(4, 0.4))
    terms = bptt.stacked_gradient(rnn.bptt_terms(params, tr, dL))
    for K in range(8):
        kept = terms[8 - 1 - K:].sum(axis=0)                # term j has lag T − 1 − j
        np.testing.assert_allclose(bptt.stacked_gradient(bptt.truncated_backward(params, tr, dL, K)),
                                   kept, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- validation


@pytest.fixture
def case(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 4)
    tr = rnn.forward(params, xs, c0)
    tr_b = rnn.forward(params, rng.standard_normal(xs_shape(4, 2, 2)))
    return params, xs, c0, tr, tr_b


def test_validation(case):
    params, xs, c0, tr, tr_b = case
    W = dynamics.stacked_weights(params)
    bad = [
        (lambda: bptt.stacked_gradient(np.zeros((3, 5))), "grads"),
        (lambda: bptt.last_state_loss(tr, np.zeros(4)), "y"),
        (lambda: bptt.last_state_loss(tr, [np.nan, 0, 0]), "y"),
        (lambda: bptt.last_state_loss(xs, np.zeros(3)), "trace"),
        (lambda: bptt.last_state_loss_grad(tr, np.zeros((2, 3))), "y"),
        (lambda: bptt.every_step_loss_grad(tr, np.zeros(3)), "ys"),
        (lambda: bptt.every_step_loss_grad(xs, np.zeros((4, 3))), "trace"),
        (lambda: bptt.immediate_derivative(params, tr, 4), "j"),
        (lambda: bptt.immediate_derivative(params, tr, -1), "j"),
        (lambda: bptt.immediate_derivative(params, tr, 1.0), "j"),
        (lambda: bptt.immediate_derivative(params, tr_b, 0), "trace"),
        (lambda: bptt.immediate_derivative(W, tr, 0), "params"),
        (lambda: bptt.forward_with_step_weights(params, xs, 0, W[:, :3], c0), "W_j"),
        (lambda: bptt.forward_with_step_weights(params, xs, 4, W, c0), "j"),
        (lambda: bptt.forward_with_step_weights(params, xs[:, :1], 0, W, c0), "xs"),
        (lambda: bptt.forward_with_step_weights(params, xs, 0, W, np.zeros(2)), "c0"),
        (lambda: bptt.path_term(params, tr, np.zeros(2), 0), "dE_dc_last"),
        (lambda: bptt.path_term(params, tr, np.zeros(3), 5), "j"),
        (lambda: bptt.path_term(params, tr_b, np.zeros(3), 0), "trace"),
        (lambda: bptt.single_path_error_grid([], [1.0]), "Ts"),
        (lambda: bptt.single_path_error_grid([0], [1.0]), "Ts"),
        (lambda: bptt.single_path_error_grid([2], [-1.0]), "scales"),
        (lambda: bptt.single_path_error_grid([2], [1.0], draws=0), "draws"),
        (lambda: bptt.single_path_error_grid([2], [1.0], activation="relu"), "activation"),
        (lambda: bptt.step_contribution_profile(T=0), "T"),
        (lambda: bptt.step_contribution_profile(scale=-0.1), "scale"),
        (lambda: bptt.step_contribution_profile(loss="first"), "loss"),
        (lambda: bptt.step_contribution_profile(activation="relu"), "activation"),
        (lambda: bptt.step_contribution_profile(seed=-2), "seed"),
        (lambda: bptt.truncated_backward(params, tr, np.ones((4, 2)), 1), "dL_dc"),
        (lambda: bptt.truncated_backward(params, tr, np.ones((4, 3)), -1), "K"),
        (lambda: bptt.truncated_backward(params, tr, np.ones((4, 3)), 1.5), "K"),
        (lambda: bptt.truncated_backward(W, tr, np.ones((4, 3)), 1), "params"),
        (lambda: bptt.gradient_descent_step(params, W, 0.1), "grads"),
        (lambda: bptt.gradient_descent_step(
            params, rnn.bptt_terms(params, tr, np.ones((4, 3))), 0.1), "grads.W_rec"),
        (lambda: bptt.gradient_descent_step(
            params, rnn.backward(params, tr, np.ones((4, 3))), -0.1), "lr"),
        (lambda: bptt.gradient_descent_step(W, rnn.backward(params, tr, np.ones((4, 3))), 0.1),
         "params"),
    ]
    for fn, match in bad:
        with pytest.raises(ValueError, match=match):
            fn()
