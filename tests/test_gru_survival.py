"""The GRU chapter's measurements: lag curves and the update path (gru_survival), the GRU in
gradients and lag_curves, the conventions of other sources (gru_variants)."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from reference import assert_close_fd, fd_jacobian, random_gru, rel_err, spectral
from rnngrad import cell, gradients, gru, gru_survival, gru_variants, lag_curves, survival

# --------------------------------------------------------------------------- gradients, lag_curves


@pytest.mark.parametrize("n,m,T", [(1, 1, 4), (3, 2, 6)])
def test_gru_gradient_norm_vs_lag_is_the_total_derivative(rng, n, m, T):
    """‖∂h_{T-1}/∂h_{T-1-k}‖ against finite differences of the network rerun from h_{T-1-k}."""
    params, xs, h0 = random_gru(rng, n, m, T)
    tr = gru.forward(params, xs, h0)
    J = gradients.step_jacobians(params, tr)
    assert J.shape == (T - 1, n, n)
    for t in range(1, T):
        np.testing.assert_array_equal(J[t - 1], gru.step_jacobian(params, tr, t))
    for nm, order in (("spectral", 2), ("fro", "fro")):
        norms = gradients.gradient_norm_vs_lag(params, tr, norm=nm)
        for k in range(T):
            j = T - 1 - k
            fd = np.eye(n) if k == 0 else fd_jacobian(
                lambda h, k=k: gru.forward(params, xs[T - k:], h).h[-1], tr.h[j])
            assert rel_err(norms[k], np.linalg.norm(fd, order)) < 1e-6, (nm, k)


def test_gru_has_no_cell_path(rng):
    params, xs, h0 = random_gru(rng, 2, 1, 4)
    tr = gru.forward(params, xs, h0)
    with pytest.raises(ValueError, match="path must be 'full' for a GRU"):
        gradients.gradient_norm_vs_lag(params, tr, path="cell")
    with pytest.raises(ValueError, match="single sequence"):
        gradients.gradient_norm_vs_lag(params, gru.forward(params, rng.standard_normal((4, 2, 1))))


def test_random_gru_trace_reads_the_lstm_inputs_and_is_deterministic():
    p, tr = lag_curves.random_gru_trace(n=5, T=30, update_bias=2.0, weight_scale=0.7, seed=3)
    q, tr2 = lag_curves.random_gru_trace(n=5, T=30, update_bias=2.0, weight_scale=0.7, seed=3)
    np.testing.assert_array_equal(tr.h, tr2.h)
    np.testing.assert_array_equal(p.b_z, np.full(5, 2.0))
    _, ltr = lag_curves.random_lstm_trace(n=5, T=30, forget_bias=-1.0, seed=3)
    np.testing.assert_array_equal(tr.xs, ltr.xs)                  # the same inputs
    _, longer = lag_curves.random_gru_trace(n=5, T=40, update_bias=0.0, seed=3)
    np.testing.assert_array_equal(longer.xs[:30], tr.xs)          # a longer one extends it
    w0, _ = lag_curves.random_gru_trace(n=5, T=10, update_bias=0.0, seed=3)
    np.testing.assert_array_equal(w0.W_n, lag_curves.random_gru_trace(n=5, T=30, update_bias=0.0,
                                                                      seed=3)[0].W_n)


def test_parameter_count_of_a_gru():
    for n, m in ((1, 1), (16, 8), (7, 3)):
        p = gru.init(n, m, rng=np.random.default_rng(0))
        assert cell.parameter_count(p) == 3 * n * (n + m) + 4 * n


# --------------------------------------------------------------------------- update path


def test_update_path_equals_the_product_of_diagonals():
    params, trace = lag_curves.random_gru_trace(n=5, T=30, update_bias=0.5, seed=1)
    paths = gru_survival.update_paths(params, trace)
    P = np.eye(5)
    for k in range(1, 30):
        P = P @ np.diag(trace.z[trace.T - k])
        assert paths.z_path[k] == pytest.approx(spectral(P), rel=1e-12)
        assert paths.z_bound[k] == pytest.approx(np.prod(trace.z[trace.T - k:].max(axis=1)),
                                                 rel=1e-12)
    np.testing.assert_array_equal(paths.full, gradients.gradient_norm_vs_lag(params, trace))
    assert paths.z_bar == pytest.approx(np.exp(np.mean(np.log(trace.z[1:]))))
    np.testing.assert_allclose(paths.z_bar_power, paths.z_bar ** np.arange(30))
    assert [c.label for c in paths.curves()][0] == "GRU"


def test_update_path_is_the_true_derivative_when_nothing_else_reads_h(rng):
    """With U_z = U_r = U_n = 0 the only path from h_{t-1} to h_t is diag(z_t): the true
    ∂h_{T-1}/∂h_{T-1-k} is Π diag(z_t) (finite differences)."""
    params, trace = lag_curves.random_gru_trace(n=4, T=12, seed=5)
    W = {f"W_{g}": np.hstack([np.zeros((4, 4)), params.V(g)]) for g in ("z", "r", "n")}
    params = dataclasses.replace(params, **W)
    trace = gru.forward(params, trace.xs)
    paths = gru_survival.update_paths(params, trace)
    for k in (1, 4, 11):
        j = trace.T - 1 - k
        fd = fd_jacobian(lambda h: gru.forward(params, trace.xs[j + 1:], h).h[-1], trace.h[j])
        assert_close_fd(np.diag(np.prod(trace.z[j + 1:], axis=0)), fd, f"lag {k}")
        assert paths.full[k] == pytest.approx(paths.z_path[k], rel=1e-10)


def test_gate_path_norms_rejects_values_outside_the_unit_interval():
    with pytest.raises(ValueError, match="gates"):
        survival.gate_path_norms(np.full((3, 2), 1.5))
    with pytest.raises(ValueError, match="gates"):
        survival.gate_path_norms(np.ones(3))


def test_gru_vs_lstm_shares_inputs_and_matches_single_measurements():
    curves = gru_survival.gru_vs_lstm(n=6, T=40, bias=2.0, weight_scale=0.8, seed=4)
    assert [c.label for c in curves][::2] == ["GRU, update bias 2", "LSTM, forget bias 2"]
    gp, gtr = lag_curves.random_gru_trace(n=6, T=40, update_bias=2.0, weight_scale=0.8, seed=4)
    lp, ltr = lag_curves.random_lstm_trace(n=6, T=40, forget_bias=2.0, weight_scale=0.8, seed=4)
    np.testing.assert_array_equal(curves[0].norms, gradients.gradient_norm_vs_lag(gp, gtr))
    np.testing.assert_array_equal(curves[1].norms, survival.gate_path_norms(gtr.z)[0])
    np.testing.assert_array_equal(curves[2].norms, gradients.gradient_norm_vs_lag(lp, ltr))
    np.testing.assert_array_equal(curves[3].norms, survival.forget_path_norms(ltr)[0])


def test_update_bias_sweep_is_consistent_with_single_runs():
    sw = gru_survival.update_bias_sweep([0.0, 3.0], lags=(20, 60), n=6, seeds=(1, 2))
    assert sw.norms.shape == sw.z_path.shape == (2, 2, 2)
    assert sw.vanish_lag.shape == sw.z_bar.shape == sw.rate.shape == (2, 2) and sw.T == 61
    p = gru_survival.update_survival(update_bias=3.0, n=6, T=61, seed=2)
    np.testing.assert_array_equal(sw.norms[1, 1], p.full[[20, 60]])
    np.testing.assert_array_equal(sw.z_path[1, 1], p.z_path[[20, 60]])
    assert sw.z_bar[1, 1] == p.z_bar and sw.rate[1, 1] == survival.decay_rate(p.full)
    k = survival.vanishing_lag(p.full, 1e-8)
    assert sw.vanish_lag[1, 1] == (np.inf if k is None else k)
    # a larger update bias keeps the gate closer to 1 and the gradient longer
    assert np.all(sw.z_bar[1] > sw.z_bar[0]) and np.all(sw.norms[1, :, 1] > sw.norms[0, :, 1])


def test_input_gradient_norms_match_finite_differences(rng):
    params, xs, h0 = random_gru(rng, 3, 2, 6)
    tr = gru.forward(params, xs, h0)
    norms = gru_survival.input_gradient_norms(params, tr)
    assert norms.shape == (6,)
    for k in range(6):
        j = 5 - k

        def last(x, j=j):
            ys = xs.copy()
            ys[j] = x
            return gru.forward(params, ys, h0).h[-1]

        assert rel_err(norms[k], spectral(fd_jacobian(last, xs[j]))) < 1e-6, k


def test_input_gradient_of_a_constant_gate_is_write_times_keep():
    """One unit, no recurrent weights, z = σ(b) at every step, input x = 0: what step T-1-k
    writes reaches h_{T-1} scaled by (1 - z) z^k exactly."""
    b, T = 2.0, 30
    zero = np.zeros((1, 2))
    params = gru.GRUParams(W_z=zero, W_r=zero, W_n=np.array([[0.0, 1.0]]), b_z=[b], b_r=[0.0],
                           b_n=[0.0], b_hn=[0.0])
    tr = gru.forward(params, np.zeros((T, 1)))
    z = 1 / (1 + np.exp(-b))
    np.testing.assert_allclose(gru_survival.input_gradient_norms(params, tr),
                               (1 - z) * z ** np.arange(T), rtol=1e-12)


def test_vanishing_and_large_biases_run_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for bias in (-30.0, 30.0):
            p = gru_survival.update_survival(update_bias=bias, n=4, T=300, seed=0)
            assert np.all(np.isfinite(p.z_path)) and np.all(p.full >= 0)
            gru_survival.input_gradient_norms(*lag_curves.random_gru_trace(n=4, T=300,
                                                                           update_bias=bias))


@pytest.mark.parametrize("call, match", [
    (lambda: gru_survival.update_paths(lag_curves.random_lstm_trace(n=2, T=3)[0],
                                       lag_curves.random_lstm_trace(n=2, T=3)[1]), r"^params\b"),
    (lambda: gru_survival.update_paths(*lag_curves.random_gru_trace(n=2, T=2)[:1],
                                       gru.forward(lag_curves.random_gru_trace(n=2, T=2)[0],
                                                   np.zeros((1, 1)))), r"^trace\b.*T = 2"),
    (lambda: gru_survival.update_bias_sweep([]), r"^biases\b"),
    (lambda: gru_survival.update_bias_sweep([1.0], lags=()), r"^lags\b"),
    (lambda: gru_survival.update_bias_sweep([1.0], seeds=()), r"^seeds\b"),
    (lambda: gru_survival.update_bias_sweep([1.0], threshold=0.0), r"^threshold\b"),
    (lambda: gru_survival.gru_vs_lstm(bias=np.nan), r"^bias\b"),
    (lambda: gru_survival.gru_vs_lstm(T=1), r"^T\b"),
    (lambda: gru_survival.input_gradient_norms(*lag_curves.random_lstm_trace(n=2, T=3)),
     r"^params\b"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- conventions


def test_pytorch_form_is_gru_forward(rng):
    """gru_variants is written apart from gru.forward; in PyTorch's form they agree."""
    params, xs, h0 = random_gru(rng, 4, 2, 9)
    np.testing.assert_allclose(gru_variants.forward(params, xs, h0), gru.forward(params, xs, h0).h,
                               rtol=1e-12, atol=1e-14)
    for name, (keep, reset) in gru_variants.CONVENTIONS.items():
        assert keep in ("z", "1-z") and reset in ("after", "before"), name


@pytest.mark.parametrize("reset", ["after", "before"])
def test_z_and_one_minus_z_are_a_relabelling(rng, reset):
    params, xs, h0 = random_gru(rng, 4, 2, 9, 3)
    np.testing.assert_allclose(
        gru_variants.forward(gru_variants.relabelled(params), xs, h0, keep="1-z", reset=reset),
        gru_variants.forward(params, xs, h0, keep="z", reset=reset), rtol=1e-12, atol=1e-14)
    # the same parameters in the other form are another network
    other = gru_variants.forward(params, xs, h0, keep="1-z", reset=reset)
    assert np.abs(other - gru_variants.forward(params, xs, h0, reset=reset)).max() > 0.1


def test_reset_before_and_after_are_different_models(rng):
    params, xs, h0 = random_gru(rng, 4, 2, 9)
    after = gru_variants.forward(params, xs, h0, reset="after")
    before = gru_variants.forward(params, xs, h0, reset="before")
    assert np.abs(after - before).max() > 1e-2
    # one unit without b_hn: r (u h) = u (r h), the two coincide
    one, xs1, h01 = random_gru(rng, 1, 2, 9)
    one = dataclasses.replace(one, b_hn=np.zeros(1))
    np.testing.assert_allclose(gru_variants.forward(one, xs1, h01, reset="before"),
                               gru_variants.forward(one, xs1, h01, reset="after"),
                               rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("call, match", [
    (lambda p, xs: gru_variants.forward(p, xs, keep="z'"), r"^keep\b"),
    (lambda p, xs: gru_variants.forward(p, xs, reset="never"), r"^reset\b"),
    (lambda p, xs: gru_variants.forward(p, xs[:, :0]), r"^xs\b"),
    (lambda p, xs: gru_variants.forward(p, xs, np.zeros(5)), r"^h0\b"),
    (lambda p, xs: gru_variants.forward("gru", xs), r"^params\b"),
    (lambda p, xs: gru_variants.relabelled(None), r"^params\b"),
])
def test_variants_bad_input(rng, call, match):
    params, xs, _ = random_gru(rng, 3, 2, 4)
    with pytest.raises(ValueError, match=match):
        call(params, xs)
