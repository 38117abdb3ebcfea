"""Chapter 6 (and the shared LSTM helpers of chapters 7–8): lag Jacobians, the gap between the
true cell-state derivative and the source's product, eq. (6) term norms, FD Jacobians."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from reference import (assert_every_control_changes_the_picture, fd_jacobian, lag_jacobians,  # noqa: E402
                       random_lstm, rel_err)

from rnngrad import gradients, lag_curves, lstm, numdiff, plots, rnn, widgets  # noqa: E402


@pytest.mark.parametrize("n, m, T", [(1, 1, 4), (3, 2, 6)])
def test_lag_jacobians_lstm_full_matches_finite_differences(rng, n, m, T):
    params, xs, h0, c0 = random_lstm(rng, n, m, T)
    tr = lstm.forward(params, xs, h0, c0)
    P = lag_jacobians(params, tr, "full")
    assert P.shape == (T, n, n)
    np.testing.assert_array_equal(P[0], np.eye(n))
    for k in range(1, T):
        j = T - 1 - k
        fd = fd_jacobian(lambda c, k=k, j=j: lstm.forward(params, xs[T - k:], tr.o[j] * np.tanh(c), c).c[-1],
                         tr.c[j])
        assert rel_err(P[k], fd) < 1e-6


@pytest.mark.parametrize("forget_bias, weight_scale, T", [(1.0, 1.0, 40), (1.0, 6.0, 100),
                                                         (-3.0, 1.0, 500)])
def test_lag_jacobians_lstm_full_equals_dense_state_jacobian_products(forget_bias, weight_scale, T):
    """The structured recursion (two n × n products per step) gives the same matrices as the
    running products of the full (2n × 2n) state Jacobians, also far below float64's range
    (forget bias -3 over 500 steps), where both are kept scaled."""
    params, tr = lag_curves.random_lstm_trace(n=5, T=T, forget_bias=forget_bias,
                                             weight_scale=weight_scale, seed=3)
    n = params.n
    J = gradients.step_jacobians(params, tr, "full")
    P, exps = gradients._scaled_products(J, np.hstack([np.zeros((n, n)), np.eye(n)]))
    s = (tr.o * (1.0 - tr.tanh_c ** 2))[::-1]
    dense = P[:, :, :n] * s[:, None, :] + P[:, :, n:]
    M, e = gradients._lag_jacobians_scaled(params, tr, "full")
    np.testing.assert_array_equal(e, exps)
    scale = np.abs(dense).max(axis=(1, 2), keepdims=True)
    assert np.max(np.abs(M - dense) / scale) < 1e-12
    if forget_bias < 0:
        assert exps.min() < -1100                               # below float64 without scaling


def test_lag_jacobians_cell_is_product_of_eq6_sums(rng):
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 5)
    tr = lstm.forward(params, xs, h0, c0)
    P = lag_jacobians(params, tr, "cell")
    M = np.eye(3)
    for k in range(1, 5):
        M = M @ sum(lstm.cell_jacobian_terms(params, tr, 5 - k))
        np.testing.assert_allclose(P[k], M, rtol=1e-12, atol=1e-15)


def test_lag_jacobians_rnn_is_product_of_step_jacobians(rng):
    params = rnn.init(3, 2, rng=rng, scale=2.0)
    tr = rnn.forward(params, rng.standard_normal((5, 2)))
    P = lag_jacobians(params, tr)
    M = np.eye(3)
    for k in range(1, 5):
        M = M @ rnn.step_jacobian(params, tr, 5 - k)
        np.testing.assert_allclose(P[k], M, rtol=1e-12, atol=1e-15)


def test_cell_path_gap_zero_at_one_step_and_nonzero_later():
    params, trace = lag_curves.random_lstm_trace(n=6, T=30, forget_bias=1.0, weight_scale=2.0, seed=1)
    gap = gradients.cell_path_gap(params, trace)
    assert gap.rel_diff[0] == 0 and gap.rel_diff[1] < 1e-12
    assert gap.rel_diff[10] > 0.05                       # the output-gate paths matter
    P_full = lag_jacobians(params, trace, "full")
    P_cell = lag_jacobians(params, trace, "cell")
    k = 10
    want = np.linalg.norm(P_full[k] - P_cell[k], 2) / np.linalg.norm(P_full[k], 2)
    assert gap.rel_diff[k] == pytest.approx(want, rel=1e-10)
    np.testing.assert_allclose(gap.full_norms, gradients.gradient_norm_vs_lag(params, trace), rtol=1e-12)
    np.testing.assert_allclose(gap.cell_norms, gradients.gradient_norm_vs_lag(params, trace, path="cell"),
                               rtol=1e-12)


def test_output_gate_path_vanishes_without_output_weights():
    """With U_o = 0 the output gate ignores h: the source's product is then exact."""
    params, trace = lag_curves.random_lstm_trace(n=5, T=20, seed=2, weight_scale=2.0)
    W_o = params.W_o.copy()
    W_o[:, :5] = 0.0
    p0 = lstm.LSTMParams(params.W_f, params.W_i, params.W_c, W_o,
                         params.b_f, params.b_i, params.b_c, params.b_o)
    tr0 = lstm.forward(p0, trace.xs)
    assert np.nanmax(gradients.cell_path_gap(p0, tr0).rel_diff) < 1e-10


def test_cell_term_norms(rng):
    params, xs, h0, c0 = random_lstm(rng, 4, 2, 6)
    tr = lstm.forward(params, xs, h0, c0)
    norms = gradients.cell_term_norms(params, tr)
    assert norms.shape == (5, 4)
    for t in range(1, 6):
        terms = lstm.cell_jacobian_terms(params, tr, t)
        np.testing.assert_allclose(norms[t - 1], [np.linalg.norm(M, 2) for M in terms], rtol=1e-12)
    np.testing.assert_allclose(norms[:, 1], tr.f[1:].max(axis=1), rtol=1e-12)   # ‖diag(f)‖ = max f


def test_finite_difference_jacobian():
    A = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    J = numdiff.finite_difference_jacobian(lambda x: np.tanh(A @ x), np.array([0.2, -0.1]))
    z = A @ np.array([0.2, -0.1])
    np.testing.assert_allclose(J, (1 - np.tanh(z) ** 2)[:, None] * A, rtol=1e-8)
    with pytest.raises(ValueError, match="fn"):
        numdiff.finite_difference_jacobian(3, np.zeros(2))
    with pytest.raises(ValueError, match="h"):
        numdiff.finite_difference_jacobian(np.sin, np.zeros(2), h=0.0)


@pytest.mark.parametrize("call, arg", [
    (lambda: gradients.cell_path_gap(rnn.init(2, 1, rng=np.random.default_rng(0)), None), "params"),
    (lambda: gradients.cell_term_norms(None, None), "params"),
    (lambda: lag_curves.random_lstm_trace(T=1), "T"),
    (lambda: lag_curves.random_lstm_trace(forget_bias=np.nan), "forget_bias"),
    (lambda: gradients.gradient_norm_vs_lag(*lag_curves.random_lstm_trace(T=3), path="x"), "path"),
])
def test_bad_input(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()


@pytest.mark.parametrize("ws, fb, T", [(0.1, -3.0, 2), (0.1, 6.0, 200), (4.0, -3.0, 200),
                                       (4.0, 6.0, 200), (1.0, 1.0, 40)])
def test_cell_path_plot_over_slider_range(ws, fb, T):
    params, trace = lag_curves.random_lstm_trace(n=8, T=T, forget_bias=fb, weight_scale=ws, seed=0)
    gap = gradients.cell_path_gap(params, trace)
    fig, ax = plt.subplots()
    plots.plot_full_vs_cell(gap.lags, gap.full_norms, gap.cell_norms, gap.rel_diff, ax=ax)
    plt.close(fig)


def test_cell_path_explorer_every_control_end():
    assert_every_control_changes_the_picture(widgets.cell_path_explorer())
    plt.close("all")


# --------------------------------------------------------------------------- (h, c) blocks


def test_state_block_norms_match_finite_differences_of_the_state(rng):
    n, m, T = 3, 2, 7
    params, xs, h0, c0 = random_lstm(rng, n, m, T)
    tr = lstm.forward(params, xs, h0, c0)
    b = gradients.state_block_norms(params, tr)
    assert b.lags.tolist() == list(range(T))
    for k in range(1, T):
        j = T - 1 - k

        def end_state(state, j=j):
            out = lstm.forward(params, xs[j + 1:], state[:n], state[n:])
            return np.concatenate([out.h[-1], out.c[-1]])

        P = fd_jacobian(end_state, np.concatenate([tr.h[j], tr.c[j]]))
        for name, (r, c) in {"hh": (0, 0), "hc": (0, 1), "ch": (1, 0), "cc": (1, 1)}.items():
            block = P[r * n:(r + 1) * n, c * n:(c + 1) * n]
            assert getattr(b, name)[k] == pytest.approx(np.linalg.norm(block, 2), rel=1e-6)
        assert b.forget_line[k] == pytest.approx(np.prod(tr.f[j + 1:], axis=0).max(), rel=1e-12)
        O = np.eye(n)
        for t in range(T - 1, j, -1):
            O = O @ ((tr.tanh_c[t] * tr.o[t] * (1 - tr.o[t]))[:, None] * params.U("o"))
        assert b.output_path[k] == pytest.approx(np.linalg.norm(O, 2), rel=1e-10)
    for name in ("hh", "cc", "forget_line", "output_path"):
        assert getattr(b, name)[0] == 1.0
    assert b.hc[0] == b.ch[0] == 0.0


def test_state_block_norms_long_lags_run_through_the_cell():
    """With forget bias 3, the output-gate-only path vanishes like an RNN's product while the
    blocks that cross the cell state keep the order of the forget line."""
    params, tr = lag_curves.random_lstm_trace(n=8, T=60, forget_bias=3.0, weight_scale=1.0)
    b = gradients.state_block_norms(params, tr)
    assert b.output_path[50] < 1e-30
    assert b.cc[50] > 1e-3 and b.cc[50] >= 0.5 * b.forget_line[50]


# --------------------------------------------------------------------------- eq. (4)


def test_eq4_one_step_misses_only_the_output_gate(rng):
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 1)
    tr = lstm.forward(params, xs, h0, c0)
    dE_dh = rng.standard_normal(3)
    g = lstm.backward(params, tr, dE_dh[None])
    eq4 = gradients.eq4_single_path(params, tr, dE_dh)
    assert eq4.shape == (4, 3, 5)
    for k, W in enumerate([g.W_f, g.W_i, g.W_c]):
        np.testing.assert_allclose(eq4[k], W, rtol=1e-12, atol=1e-15)
    assert np.all(eq4[3] == 0.0) and np.abs(g.W_o).max() > 1e-3


def test_eq4_is_exact_term0_without_recurrent_weights(rng):
    """With every U_g = 0 nothing travels through h: ∂c_{T-1}/∂c_0 = Π diag(f_t) is what
    eq. (4) multiplies, and eq. (4) is then exactly the true contribution of step 0."""
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 6)
    n = params.n
    flat = lstm.LSTMParams(**{f"W_{g}": np.concatenate([np.zeros((n, n)), params.V(g)], axis=1)
                              for g in "fico"},
                           **{f"b_{g}": getattr(params, f"b_{g}") for g in "fico"})
    tr = lstm.forward(flat, xs, h0, c0)
    dE_dh = rng.standard_normal(n)
    gap = gradients.eq4_gap(flat, tr, dE_dh)
    np.testing.assert_allclose(gap.eq4, gap.term0, rtol=1e-12, atol=1e-16)
    assert gap.term0_gap < 1e-12


def test_eq4_gap_against_finite_differences(rng):
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 5)
    tr = lstm.forward(params, xs, h0, c0)
    dE_dh = rng.standard_normal(3)
    gap = gradients.eq4_gap(params, tr, dE_dh)

    def E(W):
        p = lstm.LSTMParams(**{f"W_{g}": W[k] for k, g in enumerate("fico")},
                            **{f"b_{g}": getattr(params, f"b_{g}") for g in "fico"})
        return float(dE_dh @ lstm.forward(p, xs, h0, c0).h[-1])

    W = np.stack([getattr(params, f"W_{g}") for g in "fico"])
    fd = numdiff.finite_difference_gradient(E, W)
    assert rel_err(gap.full, fd) < 1e-7
    assert gap.rel_error == pytest.approx(np.linalg.norm(gap.eq4 - fd) / np.linalg.norm(fd), rel=1e-6)
    assert gap.captured == pytest.approx(np.linalg.norm(gap.eq4) / np.linalg.norm(fd), rel=1e-6)
    assert gap.rel_error > 0.3                      # a single path is far from the gradient


@pytest.mark.parametrize("call, match", [
    (lambda p, tr: gradients.eq4_single_path(p, tr, np.ones(4)), "^dE_dh"),
    (lambda p, tr: gradients.eq4_gap(p, tr, np.ones((2, 3))), "^dE_dh"),
    (lambda p, tr: gradients.eq4_gap(rnn.init(3, 2, rng=np.random.default_rng(0)), tr, np.ones(3)),
     "^params"),
    (lambda p, tr: gradients.state_block_norms(rnn.init(3, 2, rng=np.random.default_rng(0)), tr),
     "^params"),
    (lambda p, tr: gradients.eq4_single_path(p, lstm.forward(p, np.ones((4, 2, 2))), np.ones(3)),
     "^trace"),
    (lambda p, tr: gradients.state_block_norms(p, lstm.forward(p, np.ones((4, 2, 2)))), "^trace"),
])
def test_eq4_and_block_norms_reject_bad_input(rng, call, match):
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 4)
    tr = lstm.forward(params, xs, h0, c0)
    with pytest.raises(ValueError, match=match):
        call(params, tr)
