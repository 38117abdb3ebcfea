"""Chapter 4's compute and plot functions behind the explorer, over the whole slider range."""

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from reference import assert_every_control_changes_the_picture  # noqa: E402

from rnngrad import activations, exploding, lag_curves, plots, widgets  # noqa: E402


@pytest.mark.parametrize("scale, act, T", list(itertools.product([0.1, 1.0, 4.0, 8.0], ["sigmoid", "tanh"],
                                                            [2, 60, 300])))
def test_lag_curve_every_slider_corner(scale, act, T):
    curve = lag_curves.rnn_lag_curve(n=16, T=T, scale=scale, activation=act, seed=0)
    assert curve.norms.shape == curve.lags.shape == curve.bound.shape == (T,)
    assert curve.norms[0] == pytest.approx(1.0)
    finite = np.isfinite(curve.norms) & np.isfinite(curve.bound)
    assert np.all(curve.norms[finite] <= curve.bound[finite] * (1 + 1e-9) + 1e-300)
    fig, ax = plt.subplots()
    plots.plot_lag_curve(curve, ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    if np.any(curve.norms < plots.LOG_MIN):
        assert any("below" in s for s in labels)
    plt.close(fig)


def test_underflow_is_labelled():
    curve = lag_curves.rnn_lag_curve(n=16, T=300, scale=0.1, activation="sigmoid", seed=0)
    assert np.any(curve.norms == 0)
    fig, ax = plt.subplots()
    plots.plot_lag_curve(curve, ax=ax)
    assert any("below" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(fig)


def test_overflow_is_labelled():
    curve = lag_curves.LagCurve(np.arange(4), np.array([1.0, 1e200, np.inf, np.inf]),
                               np.array([1.0, 1e300, np.inf, np.inf]), "x")
    fig, ax = plt.subplots()
    plots.plot_lag_curve(curve, ax=ax)
    assert any("above" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(fig)


def test_threshold_sweep_respects_bound():
    scales = np.array([0.5, 2.0, 3.9])
    norms = lag_curves.norm_at_lag_sweep(scales, lag=20, n=8, seeds=range(3))
    assert norms.shape == (3, 3)
    assert np.all(norms <= (activations.GAMMA["sigmoid"] * scales[:, None]) ** 20 * (1 + 1e-9))
    fig, ax = plt.subplots()
    plots.plot_threshold_sweep(scales, norms, gamma=0.25, lag=20, ax=ax)
    plt.close(fig)


def test_surface_and_clipping_plots():
    W, B, E = exploding.loss_surface(num=11)
    paths = [("plain", exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30)),
             ("clipped", exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30, clip=1.0))]
    fig, axes = plt.subplots(1, 2)
    plots.plot_loss_surface(W, B, E, paths=paths, ax=axes[0])
    plots.plot_clipping_steps(paths, threshold=1.0, ax=axes[1])
    assert any("thrown off" in t.get_text() for t in axes[0].texts)
    plt.close(fig)


def test_lag_explorer_responds_to_every_control():
    assert_every_control_changes_the_picture(widgets.lag_explorer())
    plt.close("all")


@pytest.mark.parametrize("kw", [dict(T=1), dict(scale=-1.0), dict(activation="relu"), dict(seed=-1)])
def test_lag_curve_bad_input(kw):
    with pytest.raises(ValueError):
        lag_curves.rnn_lag_curve(**kw)


@pytest.mark.parametrize("recurrent", ["gaussian", "orthogonal", "identity"])
def test_lag_curve_recurrent_init_keeps_inputs_and_bound(recurrent):
    base = lag_curves.rnn_lag_curve(n=8, T=30, scale=1.0, activation="tanh", seed=2)
    curve = lag_curves.rnn_lag_curve(n=8, T=30, scale=1.0, activation="tanh", seed=2,
                                     recurrent=recurrent)
    np.testing.assert_array_equal(curve.bound, base.bound)
    assert curve.norms[0] == pytest.approx(1.0)
    assert np.all(curve.norms <= curve.bound * (1 + 1e-9))
    assert (recurrent in curve.label) == (recurrent != "gaussian")


def test_identity_lag_curve_at_zero_input_keeps_the_norm():
    """With W_in ≈ 0 the states stay at 0, tanh' = 1 and the identity loses nothing."""
    curve = lag_curves.rnn_lag_curve(n=4, T=40, scale=1.0, activation="tanh", seed=0,
                                     input_scale=0.0, recurrent="identity")
    np.testing.assert_allclose(curve.norms, 1.0, rtol=1e-12)


def test_median_lag_curve_is_the_median_over_seeds():
    kw = dict(n=6, T=20, scale=1.0, activation="tanh", recurrent="orthogonal")
    med = lag_curves.median_rnn_lag_curve(seeds=(0, 1, 2), **kw)
    each = [lag_curves.rnn_lag_curve(seed=s, **kw).norms for s in (0, 1, 2)]
    np.testing.assert_array_equal(med.norms, np.median(each, axis=0))
    np.testing.assert_array_equal(med.lags, np.arange(20))
    assert "orthogonal" in med.label and "3" in med.label
    assert lag_curves.median_rnn_lag_curve(seeds=(0,), label="x", **kw).label == "x"
    with pytest.raises(ValueError, match="seeds"):
        lag_curves.median_rnn_lag_curve(seeds=(), **kw)
    with pytest.raises(ValueError, match="recurrent"):
        lag_curves.median_rnn_lag_curve(seeds=(0,), n=3, recurrent="unitary")
