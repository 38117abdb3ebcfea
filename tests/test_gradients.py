"""Products of step Jacobians, gradient norm vs lag, per-step BPTT terms (gradients.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from reference import (ACTIVATIONS, BATCHES, GATES, assert_close_fd, fd_jacobian, lstm_weights,
                      random_lstm, random_rnn, ref_lstm_step, rel_err, spectral)
from rnngrad import activations, gradients, lstm, rnn

NORMS = {"spectral": 2, "fro": "fro"}


def _norm(M, norm):
    return float(np.linalg.norm(M, NORMS[norm]))


# --------------------------------------------------------------------------- step_jacobians


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n,m,T", [(1, 1, 1), (1, 2, 3), (4, 3, 6)])
def test_rnn_step_jacobians_are_diag_dact_times_W_rec(rng, n, m, T, activation):
    params, xs, c0 = random_rnn(rng, n, m, T, activation=activation)
    tr = rnn.forward(params, xs, c0)
    J = gradients.step_jacobians(params, tr)
    assert J.shape == (T - 1, n, n)
    for t in range(1, T):
        np.testing.assert_allclose(J[t - 1], np.diag(tr.dact[t]) @ params.W_rec,
                                   rtol=1e-13, atol=1e-16)
        np.testing.assert_array_equal(J[t - 1], rnn.step_jacobian(params, tr, t))


@pytest.mark.parametrize("n,m,T", [(1, 1, 1), (2, 1, 3), (3, 2, 5)])
def test_lstm_step_jacobians_stack_the_per_step_matrices(rng, n, m, T):
    params, xs, h0, c0 = random_lstm(rng, n, m, T)
    tr = lstm.forward(params, xs, h0, c0)
    full = gradients.step_jacobians(params, tr, "full")
    cell = gradients.step_jacobians(params, tr, path="cell")
    assert full.shape == (T - 1, 2 * n, 2 * n) and cell.shape == (T - 1, n, n)
    for t in range(1, T):
        np.testing.assert_array_equal(full[t - 1], lstm.state_jacobian(params, tr, t))
        np.testing.assert_allclose(cell[t - 1], sum(lstm.cell_jacobian_terms(params, tr, t)),
                                   rtol=1e-14, atol=0)


# --------------------------------------------------------------------------- jacobian_products


@pytest.mark.parametrize("d,K", [(1, 4), (3, 6), (5, 3)])
def test_products_of_identical_matrices_are_matrix_powers(rng, d, K):
    W = rng.standard_normal((d, d))
    P = gradients.jacobian_products(np.stack([W] * K))
    assert P.shape == (K + 1, d, d)
    for k in range(K + 1):
        np.testing.assert_allclose(P[k], np.linalg.matrix_power(W, k), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d,K", [(2, 1), (3, 5)])
def test_products_multiply_latest_jacobian_on_the_left(rng, d, K):
    """P_k = J_{T-1} J_{T-2} ... J_{T-k}, with J_1 ... J_K stacked in time order."""
    Js = rng.standard_normal((K, d, d))
    P = gradients.jacobian_products(Js)
    for k in range(K + 1):
        expected = np.eye(d)
        for t in range(K, K - k, -1):          # J_K ... J_{K-k+1} (1-based times)
            expected = expected @ Js[t - 1]
        np.testing.assert_allclose(P[k], expected, rtol=1e-12, atol=1e-13)


def test_products_of_an_empty_stack_is_the_identity():
    P = gradients.jacobian_products(np.empty((0, 3, 3)))
    np.testing.assert_array_equal(P, np.eye(3)[None])


def test_exploding_products_overflow_to_inf_without_warnings():
    Js = np.stack([1e200 * np.eye(2)] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = gradients.jacobian_products(Js)
    assert np.all(np.isfinite(P[:2]))
    assert np.isinf(P[2, 0, 0]) and np.isinf(P[3, 0, 0])


# --------------------------------------------------------------------------- gradient_norm_vs_lag


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n,m,T", [(1, 1, 4), (3, 2, 6)])
def test_rnn_products_and_norms_match_finite_differences(rng, n, m, T, activation):
    params, xs, c0 = random_rnn(rng, n, m, T, activation=activation)
    tr = rnn.forward(params, xs, c0)
    P = gradients.jacobian_products(gradients.step_jacobians(params, tr))
    norms = {nm: gradients.gradient_norm_vs_lag(params, tr, norm=nm) for nm in NORMS}
    assert norms["spectral"].shape == norms["fro"].shape == (T,)
    for k in range(T):
        if k == 0:
            fd = np.eye(n)
        else:
            fd = fd_jacobian(lambda c, k=k: rnn.forward(params, xs[T - k:], c).c[-1],
                             tr.c[T - 1 - k])
        assert_close_fd(P[k], fd, f"P_{k}")
        for nm in NORMS:
            assert rel_err(norms[nm][k], _norm(fd, nm)) < 1e-6, (nm, k)


@pytest.mark.parametrize("n,m,T", [(1, 1, 4), (3, 2, 6)])
def test_lstm_full_path_is_the_total_derivative_dc_dc(rng, n, m, T):
    """path='full': perturb c_j, let h_j = o_j * tanh(c_j) follow, rerun the network."""
    params, xs, h0, c0 = random_lstm(rng, n, m, T)
    tr = lstm.forward(params, xs, h0, c0)
    norms = {nm: gradients.gradient_norm_vs_lag(params, tr, norm=nm, path="full") for nm in NORMS}
    np.testing.assert_array_equal(norms["spectral"],
                                  gradients.gradient_norm_vs_lag(params, tr))   # defaults
    for k in range(T):
        j = T - 1 - k
        if k == 0:
            fd = np.eye(n)
        else:
            fd = fd_jacobian(
                lambda c, k=k, j=j: lstm.forward(params, xs[T - k:], tr.o[j] * np.tanh(c), c).c[-1],
                tr.c[j])
        if k == 1:   # one step: the total derivative is exactly A + B + C + D
            assert_close_fd(sum(lstm.cell_jacobian_terms(params, tr, T - 1)), fd, "A+B+C+D")
        for nm in NORMS:
            assert rel_err(norms[nm][k], _norm(fd, nm)) < 1e-6, (nm, k)


@pytest.mark.parametrize("n,m,T", [(1, 1, 4), (3, 2, 6)])
def test_lstm_cell_path_is_product_of_A_plus_B_plus_C_plus_D(rng, n, m, T):
    params, xs, h0, c0 = random_lstm(rng, n, m, T)
    tr = lstm.forward(params, xs, h0, c0)
    norms = {nm: gradients.gradient_norm_vs_lag(params, tr, norm=nm, path="cell") for nm in NORMS}
    W, b = lstm_weights(params)
    P = np.eye(n)
    for k in range(T):
        if k > 0:
            P = P @ sum(lstm.cell_jacobian_terms(params, tr, T - k))

            # independent FD of the same product: run forward from c_{T-1-k} with every
            # h_{t-1} = o_{t-1} tanh(c_{t-1}) and the o's frozen at their trace values
            def frozen_o(c, k=k):
                for t in range(T - k, T):
                    h_prev = tr.o[t - 1] * np.tanh(c)
                    c = ref_lstm_step(W, b, {g: h_prev for g in GATES}, xs[t], c)[1]
                return c

            assert_close_fd(P, fd_jacobian(frozen_o, tr.c[T - 1 - k]), f"cell P_{k}")
        for nm in NORMS:
            assert rel_err(norms[nm][k], _norm(P, nm)) < 1e-12, (nm, k)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("scale", [0.3, 1.0, 2.5, 6.0])
def test_rnn_gradient_norm_obeys_the_geometric_bound(rng, activation, scale):
    """||dc_{T-1}/dc_{T-1-k}||_2 <= (gamma ||W_rec||_2)^k (chapter 4)."""
    params, xs, c0 = random_rnn(rng, 5, 3, 15, activation=activation, scale=scale)
    tr = rnn.forward(params, xs, c0)
    g = gradients.gradient_norm_vs_lag(params, tr)
    rate = activations.GAMMA[activation] * spectral(params.W_rec)
    assert np.isclose(spectral(params.W_rec), scale, rtol=1e-12)
    assert g[0] == pytest.approx(1.0, rel=1e-14)
    for k in range(15):
        assert g[k] <= rate ** k * (1 + 1e-9) + 1e-300, (k, g[k], rate ** k)
    fro = gradients.gradient_norm_vs_lag(params, tr, norm="fro")
    assert np.all(g <= fro * (1 + 1e-12))                     # ||.||_2 <= ||.||_F


@pytest.mark.parametrize("norm", NORMS)
def test_tanh_rnn_at_the_zero_fixed_point_gives_matrix_power_norms(rng, norm):
    """xs = 0, b = 0, c0 = 0: every c_t = 0, tanh' = 1, so dc_{T-1}/dc_{T-1-k} = W_rec^k."""
    n, T = 4, 6
    params, _, _ = random_rnn(rng, n, 2, T, activation="tanh", scale=1.7)
    params = rnn.RNNParams(params.W_rec, params.W_in, np.zeros(n), "tanh")
    tr = rnn.forward(params, np.zeros((T, 2)))
    assert not tr.c.any()
    g = gradients.gradient_norm_vs_lag(params, tr, norm=norm)
    expected = [_norm(np.linalg.matrix_power(params.W_rec, k), norm) for k in range(T)]
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def _zero_state_tanh_rnn(W, T):
    """tanh RNN with xs = 0, b = 0, c0 = 0: all states 0, so the products are W^k exactly."""
    params = rnn.RNNParams(W, np.ones((W.shape[0], 1)), np.zeros(W.shape[0]), "tanh")
    return params, rnn.forward(params, np.zeros((T, 1)))


def test_spectral_norms_of_a_stack_match_numpy_over_the_whole_float64_range(rng):
    """_matrix_norms computes σ_max from the Gram matrix of each matrix scaled by its largest
    entry: it agrees with numpy's SVD-based norm to a few ulps, from 1e-300 to 1e300, for
    rank-one, diagonal and zero matrices, and keeps inf and NaN."""
    mats = [rng.standard_normal((5, 5)) * 10.0 ** e for e in (-300, -150, -20, 0, 20, 150, 300)]
    u, v = rng.standard_normal(5), rng.standard_normal(5)
    mats += [np.outer(u, v), np.diag([3.0, -7.0, 1e-9, 0.0, 2.0]), np.zeros((5, 5)),
             np.eye(5) * 1e-310]                                  # subnormal entries
    M = np.stack(mats)
    got = gradients._matrix_norms(M, "spectral")
    want = np.array([np.linalg.norm(X, 2) for X in mats])
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    bad = M[:3].copy()
    bad[0, 1, 2], bad[1, 0, 0] = np.inf, np.nan
    got = gradients._matrix_norms(bad, "spectral")
    assert got[0] == np.inf and np.isnan(got[1]) and abs(got[2] / want[2] - 1) < 1e-14


def test_exploding_gradient_norm_is_inf_only_past_float64_range():
    params, tr = _zero_state_tanh_rnn(1e200 * np.diag([1.0, 0.5]), 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = gradients.gradient_norm_vs_lag(params, tr)
        f = gradients.gradient_norm_vs_lag(params, tr, norm="fro")
    np.testing.assert_allclose(g[:2], [1.0, 1e200], rtol=1e-14)
    # ||W||_F = 1e200 * sqrt(1.25) is a finite float64: it must not overflow to inf
    np.testing.assert_allclose(f[:2], [np.sqrt(2), 1e200 * np.sqrt(1.25)], rtol=1e-14)
    assert np.all(np.isposinf(g[2:])) and np.all(np.isposinf(f[2:]))


def test_vanishing_gradient_norms_do_not_underflow_early():
    """Down to ~1e-300 both norms stay accurate (a log-scale plot must not drop to 0 early)."""
    params, tr = _zero_state_tanh_rnn(1e-100 * np.diag([1.0, 0.5]), 4)
    g = gradients.gradient_norm_vs_lag(params, tr)
    f = gradients.gradient_norm_vs_lag(params, tr, norm="fro")
    np.testing.assert_allclose(g, [1.0, 1e-100, 1e-200, 1e-300], rtol=1e-12)
    np.testing.assert_allclose(
        f, [np.sqrt(2)] + [10.0 ** (-100 * k) * np.sqrt(1 + 0.25 ** k) for k in (1, 2, 3)],
        rtol=1e-12)


def test_single_step_sequence_has_only_lag_zero(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 1)
    np.testing.assert_array_equal(
        gradients.gradient_norm_vs_lag(params, rnn.forward(params, xs, c0)), [1.0])
    lp, lxs, h0, lc0 = random_lstm(rng, 3, 2, 1)
    ltr = lstm.forward(lp, lxs, h0, lc0)
    for path in ("full", "cell"):
        np.testing.assert_allclose(
            gradients.gradient_norm_vs_lag(lp, ltr, norm="fro", path=path), [np.sqrt(3)])


# --------------------------------------------------------------------------- bptt_terms, norms


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_rnn_step_contribution_norms(rng, B, activation):
    T = 5
    params, xs, c0 = random_rnn(rng, 3, 2, T, B, activation)
    tr = rnn.forward(params, xs, c0)
    G = rng.standard_normal(tr.c.shape)
    terms = rnn.bptt_terms(params, tr, G)
    grads = rnn.backward(params, tr, G)
    for name in ("W_rec", "W_in", "b"):
        np.testing.assert_allclose(getattr(terms, name).sum(axis=0), getattr(grads, name),
                                   rtol=1e-10, atol=1e-13)
    norms = gradients.step_contribution_norms(terms)
    assert norms.shape == (T,)
    np.testing.assert_allclose(
        norms, [np.hypot(np.linalg.norm(terms.W_rec[t]), np.linalg.norm(terms.W_in[t]))
                for t in range(T)], rtol=1e-13, atol=0)


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("with_dL_dc", [True, False])
def test_lstm_step_contribution_norms(rng, B, with_dL_dc):
    T = 4
    params, xs, h0, c0 = random_lstm(rng, 2, 3, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    Gh = rng.standard_normal(tr.h.shape)
    Gc = rng.standard_normal(tr.c.shape) if with_dL_dc else None
    terms = lstm.bptt_terms(params, tr, Gh, Gc)
    grads = lstm.backward(params, tr, Gh, Gc)
    for g in GATES:
        for name in (f"W_{g}", f"b_{g}"):
            np.testing.assert_allclose(getattr(terms, name).sum(axis=0), getattr(grads, name),
                                       rtol=1e-10, atol=1e-13)
    norms = gradients.step_contribution_norms(terms)
    assert norms.shape == (T,)
    expected = [np.sqrt(sum(np.linalg.norm(getattr(terms, f"W_{g}")[t]) ** 2 for g in GATES))
                for t in range(T)]
    np.testing.assert_allclose(norms, expected, rtol=1e-13, atol=0)


def test_step_contributions_vanish_for_a_contracting_rnn(rng):
    """Loss on the last state only, ||W_rec|| small: term j shrinks at least like the bound."""
    T, scale = 8, 0.8
    params, xs, c0 = random_rnn(rng, 4, 2, T, activation="tanh", scale=scale)
    tr = rnn.forward(params, xs, c0)
    G = np.zeros(tr.c.shape)
    G[-1] = rng.standard_normal(4)
    norms = gradients.step_contribution_norms(rnn.bptt_terms(params, tr, G))
    # ||term_j|| = ||delta_j|| ||[c_{j-1}, x_j]|| and ||delta_j|| <= rate^{T-1-j} ||G|| (tanh' <= 1)
    for j in range(T):
        u_j = np.concatenate([tr.c_prev[j], xs[j]])
        bound = scale ** (T - 1 - j) * np.linalg.norm(G[-1]) * np.linalg.norm(u_j)
        assert norms[j] <= bound * (1 + 1e-12)
    assert norms[0] < norms[-1]


# --------------------------------------------------------------------------- power_norms


def _jordan_norm(lam, a, k):
    """‖[[λ, a], [0, λ]]^k‖₂ in closed form: the power is [[p, q], [0, p]] with p = λ^k,
    q = a k λ^(k-1), whose singular values satisfy σ₁σ₂ = p² and σ₁ − σ₂ = |q|."""
    p, q = lam ** k, a * k * lam ** (k - 1) if k else 0.0
    return (abs(q) + np.sqrt(q * q + 4 * p * p)) / 2


def test_power_norms_of_a_jordan_block_have_their_closed_form():
    W = np.array([[0.9, 5.0], [0.0, 0.9]])
    norms = gradients.power_norms(W, 200)
    assert norms.shape == (201,) and norms[0] == 1.0
    np.testing.assert_allclose(norms, [_jordan_norm(0.9, 5.0, k) for k in range(201)],
                               rtol=1e-10)
    assert norms.max() > 19 and np.argmax(norms) == 9          # growth before decay
    assert np.all(norms <= np.linalg.norm(W, 2) ** np.arange(201) * (1 + 1e-12))


def test_power_norms_of_a_normal_matrix_are_powers_of_the_spectral_radius(rng):
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    lam = np.array([0.95, -0.9, 0.5, 0.3, -0.1])
    W = Q @ np.diag(lam) @ Q.T                                 # symmetric, so normal
    np.testing.assert_allclose(gradients.power_norms(W, 60), 0.95 ** np.arange(61), rtol=1e-9)


def test_power_norms_approach_the_spectral_radius_and_leave_the_float_range(rng):
    W = rng.standard_normal((6, 6))
    W *= 0.8 / np.abs(np.linalg.eigvals(W)).max()             # ρ = 0.8: W^2000 ~ 1e-194
    rho = 0.8
    norms = gradients.power_norms(W, 2000)
    assert norms[2000] ** (1 / 2000) == pytest.approx(rho, rel=5e-3)   # Gelfand
    big = gradients.power_norms(3.0 * np.eye(2), 1000)
    np.testing.assert_allclose(big[:600], 3.0 ** np.arange(600.0), rtol=1e-9)
    assert np.isinf(big[-1])
    tiny = gradients.power_norms(0.1 * np.eye(2), 400)
    assert tiny[300] == pytest.approx(1e-300, rel=1e-9) and tiny[-1] == 0.0
    np.testing.assert_array_equal(gradients.power_norms(np.array([[0.0, 1.0], [0.0, 0.0]]), 3),
                                  [1.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("W,k_max,match", [
    (np.ones((2, 3)), 3, "square"), (np.ones(3), 3, "W"), (np.zeros((0, 0)), 3, "square"),
    ([[np.nan, 0], [0, 1]], 3, "finite"), (np.eye(2), -1, "k_max"), (np.eye(2), 2.0, "k_max"),
    (np.eye(2), True, "k_max")])
def test_power_norms_validate(W, k_max, match):
    with pytest.raises(ValueError, match=match):
        gradients.power_norms(W, k_max)
