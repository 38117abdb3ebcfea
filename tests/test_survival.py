"""survival.py (chapters 7 and 8): gradient survival in the LSTM, checked against finite
differences, direct matrix products and closed forms; plots and explorers over every slider corner."""

from __future__ import annotations

import dataclasses
import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from reference import (GATES, assert_close_fd, assert_every_control_changes_the_picture, fd_jacobian, lstm_weights, ref_lstm_forward,  # noqa: E402
                      ref_rnn_forward, rnn_at, spectral)
from rnngrad import gradients, lag_curves, lstm, plots, rnn, survival, widgets  # noqa: E402


def _fd_cell_jacobian(params, trace, k):
    """The total derivative ∂c_{T-1}/∂c_j, j = T-1-k, by central differences: perturb c_j,
    let it move h_j = o_j ⊙ tanh(c_j) (o_j fixed, as in eq. 6), rerun the LSTM from step j+1."""
    j = trace.T - 1 - k
    o_j, xs = trace.o[j], trace.xs[j + 1:]
    return fd_jacobian(lambda c: lstm.forward(params, xs, o_j * np.tanh(c), c).c[-1], trace.c[j])


def _no_h_feedback(params):
    """The same LSTM with every h-block U_g = 0: the gates no longer see h_{t-1}."""
    n = params.n
    kw = {}
    for g in GATES:
        W = getattr(params, f"W_{g}").copy()
        W[:, :n] = 0.0
        kw[f"W_{g}"] = W
    return dataclasses.replace(params, **kw)


# --------------------------------------------------------------------------- random_lstm_trace


def test_random_lstm_trace_is_deterministic_and_streams_are_independent():
    p1, t1 = lag_curves.random_lstm_trace(n=4, T=10, seed=3)
    p2, t2 = lag_curves.random_lstm_trace(n=4, T=10, seed=3)
    np.testing.assert_array_equal(t1.xs, t2.xs)
    np.testing.assert_array_equal(p1.W_f, p2.W_f)
    # Weights do not depend on T; inputs of a longer run extend the shorter ones.
    p3, t3 = lag_curves.random_lstm_trace(n=4, T=25, seed=3)
    np.testing.assert_array_equal(p1.W_c, p3.W_c)
    np.testing.assert_array_equal(t1.xs, t3.xs[:10])
    # Inputs do not depend on forget bias or weight scale; weights scale linearly.
    p4, t4 = lag_curves.random_lstm_trace(n=4, T=10, seed=3, forget_bias=4.0, weight_scale=2.0)
    np.testing.assert_array_equal(t1.xs, t4.xs)
    np.testing.assert_allclose(p4.W_i, 2.0 * p1.W_i)
    np.testing.assert_array_equal(p4.b_f, np.full(4, 4.0))


# --------------------------------------------------------------------------- rnn_vs_lstm


def test_rnn_vs_lstm_curves_match_independent_computations():
    n, T = 3, 8
    curves = survival.rnn_vs_lstm(n=n, T=T, forget_bias=1.0, weight_scale=1.5, seed=2)
    params, trace = lag_curves.random_lstm_trace(n=n, T=T, forget_bias=1.0, weight_scale=1.5, seed=2)
    assert [c.label for c in curves] == ["sigmoid RNN", "tanh RNN", "LSTM, forget bias 1"]
    for c, act in zip(curves[:2], ["sigmoid", "tanh"]):
        # The RNN uses the LSTM's candidate weights; its Jacobian product against FD.
        W_rec, W_in = params.W_c[:, :n], params.W_c[:, n:]
        cs = rnn.forward(rnn.RNNParams(W_rec, W_in, np.zeros(n), act), trace.xs).c
        for k in (1, 3, T - 1):
            J = fd_jacobian(lambda c0: ref_rnn_forward(lambda t: (W_rec, W_in, np.zeros(n)),
                                                       trace.xs[T - k:], c0, act)[-1],
                            cs[T - 1 - k])
            assert c.norms[k] == pytest.approx(spectral(J), rel=1e-6, abs=1e-9)
        assert np.all(c.norms <= c.bound * (1 + 1e-9))
        assert c.norms[0] == pytest.approx(1.0)
    lstm_curve = curves[2]
    assert lstm_curve.bound is None
    for k in (1, 2, 5, T - 1):
        J = _fd_cell_jacobian(params, trace, k)
        assert lstm_curve.norms[k] == pytest.approx(spectral(J), rel=1e-6, abs=1e-9)


# --------------------------------------------------------------------------- forget path


def test_forget_path_norms_equal_the_product_of_diagonals():
    params, trace = lag_curves.random_lstm_trace(n=5, T=30, forget_bias=0.5, seed=1)
    norms, bounds = survival.forget_path_norms(trace)
    assert norms.shape == bounds.shape == (30,)
    P = np.eye(5)
    for k in range(1, 30):
        P = P @ np.diag(trace.f[trace.T - k])
        assert norms[k] == pytest.approx(spectral(P), rel=1e-12)
        assert bounds[k] == pytest.approx(np.prod(trace.f[trace.T - k:].max(axis=1)), rel=1e-12)
    assert norms[0] == bounds[0] == 1.0
    assert np.all(norms <= bounds * (1 + 1e-12))


def test_forget_path_is_the_true_derivative_when_gates_ignore_h():
    """With U_g = 0 the only path from c_{t-1} to c_t is B_t = diag(f_t): the true
    ∂c_{T-1}/∂c_{T-1-k} (by finite differences) is Π diag(f_t) exactly."""
    params, trace = lag_curves.random_lstm_trace(n=4, T=12, seed=5)
    params = _no_h_feedback(params)
    trace = lstm.forward(params, trace.xs)
    norms, _ = survival.forget_path_norms(trace)
    paths = survival.forget_paths(params, trace)
    for k in (1, 4, 11):
        J = _fd_cell_jacobian(params, trace, k)
        assert_close_fd(np.diag(np.prod(trace.f[trace.T - k:], axis=0)), J, f"lag {k}")
        assert paths.full[k] == pytest.approx(norms[k], rel=1e-10)
        assert paths.cell[k] == pytest.approx(norms[k], rel=1e-10)


def test_forget_path_underflows_without_warnings():
    params, trace = lag_curves.random_lstm_trace(n=4, T=300, forget_bias=-30.0, seed=0)
    with np.errstate(all="raise"):
        norms, bounds = survival.forget_path_norms(trace)
    assert norms[-1] == 0.0 and bounds[-1] == 0.0


def test_forget_paths_fields():
    params, trace = lag_curves.random_lstm_trace(n=6, T=40, seed=0)
    p = survival.forget_paths(params, trace, lag=20)
    np.testing.assert_array_equal(p.full, gradients.gradient_norm_vs_lag(params, trace))
    np.testing.assert_array_equal(p.cell, gradients.gradient_norm_vs_lag(params, trace, path="cell"))
    assert p.f_bar == pytest.approx(np.exp(np.mean(np.log(trace.f[1:]))))
    np.testing.assert_allclose(p.f_bar_power, p.f_bar ** np.arange(40))
    assert p.lag == 20
    s = survival.forget_survival(forget_bias=1.0, lag=20, n=6, T=40, seed=0)
    np.testing.assert_array_equal(s.full, p.full)


# --------------------------------------------------------------------------- cell terms


def test_cell_term_sizes():
    params, trace = lag_curves.random_lstm_trace(n=5, T=20, weight_scale=2.0, seed=4)
    s = survival.cell_term_sizes(params, trace)
    assert s.norms.shape == (19, 4) and s.sum_norm.shape == s.f_max.shape == s.t.shape == (19,)
    np.testing.assert_allclose(s.norms[:, 1], s.f_max, rtol=1e-12)
    assert np.all(s.sum_norm <= s.norms.sum(axis=1) * (1 + 1e-12))
    A, B, C, D = lstm.cell_jacobian_terms(params, trace, 7)
    assert s.sum_norm[6] == pytest.approx(spectral(A + B + C + D))


# --------------------------------------------------------------------------- balancing


def test_balancing_examples_have_the_source_sizes():
    for kind in survival.BALANCING_KINDS:
        ex = survival.balancing_example(kind, n=8, seed=0)
        np.testing.assert_array_equal(ex.B, 0.7 * np.eye(8))
        for M in (ex.A, ex.C, ex.D):
            if kind == "small":
                assert spectral(M) == pytest.approx(0.1)
            else:
                assert np.abs(M[M != 0]) == pytest.approx(0.1)
    curve = survival.balancing_curve(survival.balancing_example("aligned"), K=40)
    np.testing.assert_allclose(curve.norms, 1.0, rtol=1e-14)
    curve = survival.balancing_curve(survival.balancing_example("signs"), K=40)
    np.testing.assert_allclose(curve.norms, 0.6 ** np.arange(41), rtol=1e-12)
    ex = survival.balancing_example("dense", n=8, seed=0)
    curve = survival.balancing_curve(ex, K=50)
    assert curve.norms[50] == pytest.approx(spectral(np.linalg.matrix_power(ex.step, 50)), rel=1e-10)
    assert curve.norms[50] > 100       # grows although every entry has the source's size
    small = survival.balancing_curve(survival.balancing_example("small", n=8, seed=0), K=50)
    assert np.all(np.diff(small.norms) <= 1e-15)   # ‖sum‖ ≤ 1: it cannot grow
    assert small.norms[50] < 1e-3


# --------------------------------------------------------------------------- rates and lags


def test_decay_rate_and_vanishing_lag_closed_forms():
    k = np.arange(60.0)
    assert survival.decay_rate(3.0 * 0.8 ** k) == pytest.approx(0.8)
    assert survival.decay_rate(1.05 ** k) == pytest.approx(1.05)
    with_zeros = 0.5 ** k
    with_zeros[30:] = 0.0
    assert survival.decay_rate(with_zeros) == pytest.approx(0.5)
    assert survival.vanishing_lag(0.5 ** k, 1e-3) == 10
    assert survival.vanishing_lag(np.ones(5)) is None
    with pytest.raises(ValueError, match="two finite"):
        survival.decay_rate(np.array([1.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="threshold"):
        survival.vanishing_lag(np.ones(3), threshold=0.0)


def test_forget_bias_sweep_is_consistent_with_single_runs():
    sw = survival.forget_bias_sweep([-1.0, 2.0], lags=(10, 30), n=6, seeds=[0, 1])
    assert sw.norms.shape == sw.b_path.shape == (2, 2, 2) and sw.T == 31
    for a, b in enumerate([-1.0, 2.0]):
        for s, seed in enumerate([0, 1]):
            p = survival.forget_survival(forget_bias=b, lag=10, n=6, T=31, seed=seed)
            np.testing.assert_array_equal(sw.norms[a, s], p.full[[10, 30]])
            np.testing.assert_array_equal(sw.b_path[a, s], p.b_path[[10, 30]])
            assert sw.f_bar[a, s] == p.f_bar
            v = survival.vanishing_lag(p.full, 1e-8)
            assert sw.vanish_lag[a, s] == (np.inf if v is None else v)
    # A larger forget bias keeps more gradient and more of the forget path.
    assert np.all(sw.b_path[1] > sw.b_path[0])
    assert np.all(sw.f_bar[1] > sw.f_bar[0])


def test_rate_vs_weight_scale_matches_decay_rate():
    rs = survival.rate_vs_weight_scale([0.5, 2.0], n=6, T=40, seeds=[0])
    assert rs.rates.shape == (2, 1, 3)
    curves = survival.rnn_vs_lstm(n=6, T=40, weight_scale=2.0, seed=0)
    for j, c in enumerate(curves):
        assert rs.rates[1, 0, j] == pytest.approx(survival.decay_rate(c.norms))


# --------------------------------------------------------------------------- gradients


def test_last_step_contributions_match_per_step_finite_differences():
    """Term j of ∂L/∂W_rec is the derivative of L with W_rec perturbed only at step j."""
    n, T = 3, 5
    curves = survival.last_step_contributions(n=n, T=T, weight_scale=1.5, seed=3)
    params, trace = lag_curves.random_lstm_trace(n=n, T=T, weight_scale=1.5, seed=3)
    u = np.random.default_rng(4).standard_normal(n)
    u /= np.linalg.norm(u)
    W_rec, W_in = params.W_c[:, :n], params.W_c[:, n:]
    base = rnn.RNNParams(W_rec, W_in, np.zeros(n), "tanh")
    for c in curves:
        assert c.norms.shape == c.lags.shape == (T - 1,)
    for j in range(1, T):
        def loss(W, j=j):
            cs = ref_rnn_forward(rnn_at(base, j, W_rec=W), trace.xs, np.zeros(n), "tanh")
            return u @ cs[-1]
        g = fd_jacobian(loss, W_rec)
        assert curves[1].norms[T - 1 - j] == pytest.approx(np.linalg.norm(g), rel=1e-6, abs=1e-12)
    W, b = lstm_weights(params)
    for j in range(1, T):
        def loss_l(Us, j=j):
            def at(t):
                if t != j:
                    return W, b
                return {g: np.concatenate([Us[a], W[g][:, n:]], axis=1)
                        for a, g in enumerate(GATES)}, b
            hs, _ = ref_lstm_forward(at, trace.xs, np.zeros(n), np.zeros(n))
            return u @ hs[-1]
        Us = np.stack([W[g][:, :n] for g in GATES])
        g = fd_jacobian(loss_l, Us)
        assert curves[2].norms[T - 1 - j] == pytest.approx(np.linalg.norm(g), rel=1e-6, abs=1e-12)


def test_lstm_last_step_gradient_against_finite_differences():
    params, trace = lag_curves.random_lstm_trace(n=3, T=6, forget_bias=2.0, weight_scale=1.5, seed=7)
    u = np.array([0.3, -1.0, 0.5])
    g = survival.lstm_last_step_gradient(params, trace.xs, u)
    assert g.shape == (4 * 3 * 4 + 4 * 3,)
    W0, b0 = lstm_weights(params)
    flat = np.concatenate([W0[k].ravel() for k in GATES] + [b0[k] for k in GATES])

    def loss(theta):
        sizes = [W0[k].size for k in GATES]
        Ws, pos = {}, 0
        for k, size in zip(GATES, sizes):
            Ws[k] = theta[pos:pos + size].reshape(W0[k].shape)
            pos += size
        bs = {k: theta[pos + 3 * a: pos + 3 * (a + 1)] for a, k in enumerate(GATES)}
        hs, _ = ref_lstm_forward(lambda t: (Ws, bs), trace.xs, np.zeros(3), np.zeros(3))
        return u @ hs[-1]

    assert_close_fd(g, fd_jacobian(loss, flat), "dL/dtheta")


def test_state_jacobian_radii():
    params, trace = lag_curves.random_lstm_trace(n=4, T=10, forget_bias=5.0, weight_scale=2.0, seed=0)
    r = survival.state_jacobian_radii(params, trace)
    assert r.shape == (9,)
    for t in (1, 5, 9):
        assert r[t - 1] == pytest.approx(np.abs(np.linalg.eigvals(lstm.state_jacobian(params, trace, t))).max())
    # Without h feedback the state Jacobian is block-triangular in c with B_t = diag(f_t) on the
    # diagonal and the h-block ∂h_t/∂h_{t-1} = 0, so the radius is max_i f_{t,i}.
    p0 = _no_h_feedback(params)
    tr0 = lstm.forward(p0, trace.xs)
    np.testing.assert_allclose(survival.state_jacobian_radii(p0, tr0), tr0.f[1:].max(axis=1), rtol=1e-10)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("call, match", [
    (lambda: lag_curves.random_lstm_trace(n=0), "n must"),
    (lambda: lag_curves.random_lstm_trace(T=1), "T must"),
    (lambda: lag_curves.random_lstm_trace(seed=-1), "seed must"),
    (lambda: lag_curves.random_lstm_trace(weight_scale=-1.0), "weight_scale"),
    (lambda: survival.rnn_vs_lstm(forget_bias=np.inf), "forget_bias"),
    (lambda: survival.forget_survival(lag=301, T=301), "lag must"),
    (lambda: survival.forget_survival(lag=-1), "lag must"),
    (lambda: survival.balancing_example("diagonal"), "kind must"),
    (lambda: survival.balancing_curve("aligned"), "example must"),
    (lambda: survival.balancing_curve(survival.balancing_example("aligned"), K=0), "K must"),
    (lambda: survival.forget_bias_sweep([]), "biases"),
    (lambda: survival.forget_bias_sweep([1.0], lags=()), "lags"),
    (lambda: survival.forget_bias_sweep([1.0], seeds=[]), "seeds"),
    (lambda: survival.forget_bias_sweep([1.0], threshold=-1.0), "threshold"),
    (lambda: survival.rate_vs_weight_scale([]), "weight_scales"),
    (lambda: survival.decay_rate(np.ones((2, 2))), "norms must"),
    (lambda: survival.forget_path_norms("trace"), "trace must"),
    (lambda: survival.cell_term_sizes(None, None), "params must"),
    (lambda: survival.lstm_last_step_gradient(lag_curves.random_lstm_trace(n=3)[0], np.zeros((4, 1)),
                                              np.zeros(2)), "u must"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_batched_traces_are_rejected():
    params, _ = lag_curves.random_lstm_trace(n=3, T=5)
    tr = lstm.forward(params, np.zeros((5, 2, 1)))
    with pytest.raises(ValueError, match="single sequence"):
        survival.forget_paths(params, tr)
    with pytest.raises(ValueError, match="single sequence"):
        survival.forget_path_norms(tr)


# --------------------------------------------------------------------------- plots and explorers


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fb, ws, T", list(itertools.product([-3.0, 1.0, 6.0], [0.1, 1.0, 4.0],
                                                             [2, 100, 300])))
def test_survival_explorer_compute_and_plot_every_corner(fb, ws, T):
    curves = survival.rnn_vs_lstm(n=16, T=T, forget_bias=fb, weight_scale=ws, seed=0)
    for c in curves:
        assert c.norms.shape == (T,) and c.norms[0] == pytest.approx(1.0)
        assert not np.any(np.isnan(c.norms))
    fig, ax = plt.subplots()
    plots.plot_lag_comparison(curves, ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    lo, hi = ax.get_ylim()
    assert hi >= max(c.norms.max() for c in curves)
    for c, label in zip(curves, labels):
        # A curve is seen at least where it starts (1 at lag 0), or its entry says where it is.
        assert lo <= c.norms[0] <= hi or "below" in label
    assert "log scale" in ax.get_ylabel()
    plt.close(fig)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fb, lag", list(itertools.product([-3.0, 1.0, 6.0], [1, 150, 300])))
def test_forget_explorer_compute_and_plot_every_corner(fb, lag):
    paths = survival.forget_survival(forget_bias=fb, lag=lag, n=16, T=301, seed=0)
    assert paths.lag == lag
    fig, ax = plt.subplots()
    plots.plot_forget_paths(paths, ax=ax)
    assert f"lag {lag}" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    if np.any(paths.full < plots.LOG_MIN):
        assert any(s.startswith("true norm") and "underflow" in s for s in labels)
    plt.close(fig)


def test_forget_explorer_moves_the_lag_without_measuring_again():
    """The forget explorer keeps one measurement per forget bias: a new lag is the same
    arrays with another highlight, equal to a fresh forget_survival at that lag."""
    spec = widgets.forget_explorer.spec()
    a, b = spec.compute(forget_bias=2.0, lag=10), spec.compute(forget_bias=2.0, lag=250)
    assert a.full is b.full and (a.lag, b.lag) == (10, 250)
    fresh = survival.forget_survival(forget_bias=2.0, lag=250, n=16, T=301, seed=0)
    for name in ("full", "cell", "b_path", "b_bound"):
        np.testing.assert_array_equal(getattr(b, name), getattr(fresh, name))
    assert spec.compute(forget_bias=3.0, lag=10).full is not a.full
    assert a.at_lag(None).lag is None
    for bad in (-1, 301, 2.5):
        with pytest.raises(ValueError, match="lag"):
            a.at_lag(bad)


@pytest.mark.filterwarnings("error")
def test_other_survival_plots():
    params, trace = lag_curves.random_lstm_trace(n=6, T=30, seed=0)
    sw = survival.forget_bias_sweep([-4.0, 1.0, 5.0], lags=(20, 40), n=6, seeds=[0, 1])
    rs = survival.rate_vs_weight_scale([0.1, 1.0, 4.0], n=6, T=60, seeds=[0, 1])
    fig, axes = plt.subplots(2, 3)
    plots.plot_cell_term_sizes(survival.cell_term_sizes(params, trace), ax=axes[0, 0])
    for ax, which in zip(axes[0, 1:].tolist() + [axes[1, 0]], ["norm", "lag", "rate"]):
        plots.plot_forget_bias_sweep(sw, ax=ax, which=which)
        assert "scale" in ax.get_ylabel()
    plots.plot_rate_vs_weight_scale(rs, ax=axes[1, 1])
    curves = [survival.balancing_curve(survival.balancing_example(k)) for k in survival.BALANCING_KINDS]
    plots.plot_lag_comparison(curves, ax=axes[1, 2], ylabel="norm (log scale)")
    fig.canvas.draw()
    plt.close(fig)
    with pytest.raises(ValueError, match="which"):
        plots.plot_forget_bias_sweep(sw, which="median")
    with pytest.raises(ValueError, match="at least one"):
        plots.plot_lag_comparison([])


@pytest.mark.filterwarnings("error")
def test_lag_comparison_labels_overflow_and_all_off_scale():
    up = lag_curves.LagCurve(np.arange(4), np.array([1.0, 1e100, np.inf, np.inf]), None, "up")
    gone = lag_curves.LagCurve(np.arange(3), np.array([0.0, 0.0, 0.0]), None, "gone")
    fig, axes = plt.subplots(1, 2)
    plots.plot_lag_comparison([up], ax=axes[0])
    assert any("overflow" in t.get_text() for t in axes[0].get_legend().get_texts())
    plots.plot_lag_comparison([gone], ax=axes[1])
    assert any("off the log scale" in t.get_text() for t in axes[1].texts)
    fig.canvas.draw()
    plt.close(fig)


@pytest.mark.parametrize("make", [widgets.survival_explorer, widgets.forget_explorer])
def test_explorers_respond_to_every_control(make):
    assert_every_control_changes_the_picture(make(), lambda c: [c.min, c.max, c.value])
    plt.close("all")
