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
