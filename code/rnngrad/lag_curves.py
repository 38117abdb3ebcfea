"""Gradient-norm-vs-lag curves of random networks, the chapters' demos (chapters 4, 6–8, GRU).

Each function draws a seeded random RNN, LSTM or GRU (``rnn.init``, ``lstm.init``, ``gru.init``)
and its inputs,
then measures ‖∂c_{T-1}/∂c_{T-1-k}‖₂ with :func:`gradients.gradient_norm_vs_lag`: the curves
the chapters plot and the explorers redraw. The Jacobian products are in ``gradients``; this
module draws the networks and labels the curves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from ._checks import as_array, as_positive_int, as_seeds
from .activations import GAMMA
from .gradients import gradient_norm_vs_lag

__all__ = ["LagCurve", "rnn_lag_curve", "median_rnn_lag_curve", "norm_at_lag_sweep", "random_lstm_trace",
           "random_gru_trace"]


@dataclass(frozen=True)
class LagCurve:
    """A gradient-norm-vs-lag curve with its theoretical bound (chapter 4 and the explorers)."""

    lags: np.ndarray
    norms: np.ndarray
    bound: np.ndarray
    label: str


def rnn_lag_curve(*, n: int = 16, T: int = 60, scale: float = 1.0, activation: str = "sigmoid",
                  seed: int = 0, input_scale: float = 1.0,
                  recurrent: str = "gaussian") -> LagCurve:
    """‖∂c_{T-1}/∂c_{T-1-k}‖₂ for a random RNN with ‖W_rec‖₂ = ``scale`` on random inputs.

    The bound is (γ · scale)^k with γ = sup act' (1/4 for the sigmoid, 1 for tanh): each step
    Jacobian diag(act'(z_t)) W_rec has norm at most γ‖W_rec‖₂. ``recurrent`` is passed to
    ``rnn.init`` (Gaussian, orthogonal or identity W_rec); for one ``seed`` the three share
    W_in and the inputs. Deterministic given ``seed``.

    Bound derived in :ref:`ch4-gamma`, used in :ref:`ch4-threshold` and :ref:`ch4-init`
    (chapter 4).
    """
    T = as_positive_int(T, "T", minimum=2)
    rng = np.random.default_rng(as_positive_int(seed, "seed", minimum=0))
    params = _rnn.init(n, 1, rng=rng, scale=scale, input_scale=input_scale, activation=activation,
                       recurrent=recurrent)
    trace = _rnn.forward(params, rng.standard_normal((T, 1)))
    lags = np.arange(T)
    with np.errstate(over="ignore"):
        bound = (GAMMA[activation] * scale) ** lags.astype(float)
    kind = "" if recurrent == "gaussian" else f"{recurrent} "
    return LagCurve(lags, gradient_norm_vs_lag(params, trace), bound,
                    f"{activation} RNN, {kind}‖W_rec‖₂ = {scale:g}")


def median_rnn_lag_curve(*, seeds=range(8), n: int = 16, T: int = 60, scale: float = 1.0,
                         activation: str = "sigmoid", input_scale: float = 1.0,
                         recurrent: str = "gaussian", label: str | None = None) -> LagCurve:
    """The median over ``seeds`` of :func:`rnn_lag_curve`, lag by lag (one random RNN per seed).

    The other arguments are those of :func:`rnn_lag_curve`; the bound does not depend on the
    seed. ``label`` replaces the default label (the kind of W_rec and the number of seeds).

    Used in :ref:`ch4-init` (chapter 4).
    """
    seeds = as_seeds(seeds)
    curves = [rnn_lag_curve(n=n, T=T, scale=scale, activation=activation, seed=seed,
                            input_scale=input_scale, recurrent=recurrent) for seed in seeds]
    norms = np.median([c.norms for c in curves], axis=0)
    if label is None:
        kind = "Gaussian" if recurrent == "gaussian" else recurrent
        label = f"{kind} $W_\\mathrm{{rec}}$, median of {len(seeds)}"
    return LagCurve(curves[0].lags, norms, curves[0].bound, label)


def norm_at_lag_sweep(scales, *, lag: int = 50, n: int = 16, activation: str = "sigmoid",
                      seeds=range(5)) -> np.ndarray:
    """‖∂c_{T-1}/∂c_{T-1-lag}‖₂ for random RNNs with ‖W_rec‖₂ = each of ``scales`` (chapter 4).

    Returns an array (len(scales), len(seeds)); entry [i, j] uses ``rnn_lag_curve`` with
    T = lag + 1, scale = scales[i], seed = seeds[j]. Used to sweep across the threshold 1/γ.

    Used in :ref:`ch4-threshold` (chapter 4).
    """
    scales = as_array(scales, "scales", (None,))
    lag = as_positive_int(lag, "lag")
    seeds = as_seeds(seeds)
    return np.array([[rnn_lag_curve(n=n, T=lag + 1, scale=float(s), activation=activation,
                                    seed=seed).norms[-1] for seed in seeds] for s in scales])


def _weights_rng_and_inputs(T, seed):
    """A generator for the weights and T standard-normal inputs (T, 1), from two independent
    streams spawned from ``seed``: the inputs do not depend on what the weights are."""
    T = as_positive_int(T, "T", minimum=2)
    w_seq, x_seq = np.random.SeedSequence(as_positive_int(seed, "seed", minimum=0)).spawn(2)
    return np.random.default_rng(w_seq), np.random.default_rng(x_seq).standard_normal((T, 1))


def random_lstm_trace(*, n: int = 16, T: int = 60, forget_bias: float = 1.0,
                      weight_scale: float = 1.0, seed: int = 0):
    """(params, trace) of a random LSTM (``lstm.init``, one input) on T standard-normal inputs.

    Weights and inputs come from two independent streams spawned from ``seed``: the weights do
    not depend on T, and the inputs do not depend on the forget bias or the weight scale (a
    longer sequence extends a shorter one), so an explorer that moves one slider changes
    only what that slider names.

    Used in :ref:`ch6-full-jacobian` (chapter 6), :ref:`ch7-forget-inside` (chapter 7) and
    :ref:`ch8-explode` (chapter 8).
    """
    n = as_positive_int(n, "n")
    weights_rng, xs = _weights_rng_and_inputs(T, seed)
    params = _lstm.init(n, 1, rng=weights_rng, forget_bias=forget_bias,
                        weight_scale=weight_scale)
    return params, _lstm.forward(params, xs)


def random_gru_trace(*, n: int = 16, T: int = 60, update_bias: float = 1.0,
                     weight_scale: float = 1.0, seed: int = 0):
    """(params, trace) of a random GRU (``gru.init``, one input) on T standard-normal inputs.

    Drawn as :func:`random_lstm_trace` draws an LSTM: weights and inputs from two independent
    streams spawned from ``seed``. The inputs are the same as that LSTM's for the same seed and
    T, so a GRU and an LSTM compared at one seed read the same sequence.

    Used in :ref:`gru-vs-lstm` (the GRU chapter).
    """
    n = as_positive_int(n, "n")
    weights_rng, xs = _weights_rng_and_inputs(T, seed)
    params = _gru.init(n, 1, rng=weights_rng, update_bias=update_bias,
                       weight_scale=weight_scale)
    return params, _gru.forward(params, xs)
