"""The GRU chapter: how far back the GRU's gradient survives, beside the LSTM's.

The GRU's step Jacobian (``gru.step_jacobian``) is ∂h_t/∂h_{t-1} = diag(z_t) + (three terms
through U_z, U_n and U_r): the update gate z_t plays the part of the LSTM's B_t = diag(f_t).
This module measures what that does over many steps:

* :func:`update_paths`, :func:`update_survival`: the true ‖∂h_{T-1}/∂h_{T-1-k}‖₂ beside the
  update-gate path alone, ‖Π_t diag(z_t)‖₂ = max_i Π_t z_{t,i}, and z̄^k;
* :func:`gru_vs_lstm`: a random GRU and a random LSTM on the same inputs, the update bias of
  one equal to the forget bias of the other (the chapter's explorer);
* :func:`update_bias_sweep`: the surviving gradient, the lag where it vanishes and the decay
  factor per step against the update bias (the counterpart of ``survival.forget_bias_sweep``);
* :func:`input_gradient_norms`: ‖∂h_{T-1}/∂x_{T-1-k}‖₂, what is written at step T-1-k and
  kept until T-1, the product the update gate trades off.

Every random draw is seeded by a ``seed`` argument: results are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from . import gradients as _gradients
from . import gru as _gru
from . import lag_curves as _lag_curves
from . import survival as _survival
from ._checks import as_real

__all__ = ["UpdatePaths", "update_paths", "update_survival", "gru_vs_lstm", "UpdateBiasSweep",
           "update_bias_sweep", "input_gradient_norms"]


def _gru_checked(params, trace) -> None:
    if not isinstance(params, _gru.GRUParams):
        raise ValueError(f"params must be GRUParams, got {type(params).__name__}")
    _gru._check_trace(params, trace)
    if trace.batched:
        raise ValueError(f"trace must come from a single sequence xs of shape (T, m), not a batch "
                         f"(got xs of shape {trace.xs.shape})")
    if trace.T < 2:
        raise ValueError("trace must have at least T = 2 steps")


@dataclass(frozen=True)
class UpdatePaths:
    """The GRU's true gradient norm beside its update-gate path, each of shape (T,) by lag k:

    * ``full``: ‖∂h_{T-1}/∂h_{T-1-k}‖₂ (every path: ``gradients.gradient_norm_vs_lag``);
    * ``z_path``: ‖Π diag(z_t)‖₂ = max_i Π z_{t,i}, the update gate's path alone;
    * ``z_bound``: Π_t max_i z_{t,i} ≥ ``z_path``.

    ``z_bar`` is the geometric mean of all z_{t,i} (t = 1 … T-1), so Π z ≈ z̄^k on average.
    """

    lags: np.ndarray
    full: np.ndarray
    z_path: np.ndarray
    z_bound: np.ndarray
    z_bar: float
    label: str

    @property
    def z_bar_power(self) -> np.ndarray:
        """z̄^k for every lag k."""
        with np.errstate(under="ignore"):
            return self.z_bar ** self.lags.astype(float)

    def curves(self) -> list:
        """The true norm, the update path and z̄^k as ``lag_curves.LagCurve`` (for
        ``plots.plot_lag_comparison``)."""
        return [_lag_curves.LagCurve(self.lags, self.full, None, self.label),
                _lag_curves.LagCurve(self.lags, self.z_path, None,
                                     r"update path $\max_i \Pi_t z_{t,i}$"),
                _lag_curves.LagCurve(self.lags, self.z_bar_power, None,
                                     rf"$\bar z^k$, $\bar z = {self.z_bar:.3f}$")]


def update_paths(params, trace, *, label: str = "GRU") -> UpdatePaths:
    """Measure :class:`UpdatePaths` on one GRU trace (one sequence, T >= 2).

    Derived in :ref:`gru-update-path` (the GRU chapter).
    """
    _gru_checked(params, trace)
    full = _gradients.gradient_norm_vs_lag(params, trace)
    z_path, z_bound = _survival.gate_path_norms(trace.z)
    with np.errstate(divide="ignore"):
        z_bar = float(np.exp(np.mean(np.log(trace.z[1:]))))
    return UpdatePaths(np.arange(trace.T), full, z_path, z_bound, z_bar, label)


def update_survival(*, update_bias: float = 1.0, n: int = 16, T: int = 301,
                    weight_scale: float = 1.0, seed: int = 0) -> UpdatePaths:
    """:func:`update_paths` for a random GRU from :func:`lag_curves.random_gru_trace`.

    Used in :ref:`gru-update-path` and :ref:`gru-bias` (the GRU chapter).
    """
    params, trace = _lag_curves.random_gru_trace(n=n, T=T, update_bias=update_bias,
                                                 weight_scale=weight_scale, seed=seed)
    return update_paths(params, trace,
                        label=f"GRU, update bias {update_bias:g}, weight scale {weight_scale:g}")


def gru_vs_lstm(*, n: int = 16, T: int = 100, bias: float = 1.0, weight_scale: float = 1.0,
                seed: int = 0) -> list:
    """Gradient norm vs lag of a random GRU with update bias ``bias`` and a random LSTM with
    forget bias ``bias``, on the same inputs (``lag_curves.random_gru_trace`` and
    ``random_lstm_trace`` with one seed): four ``lag_curves.LagCurve``, the GRU's
    ‖∂h_{T-1}/∂h_{T-1-k}‖₂ and its update path max_i Π z_{t,i}, the LSTM's
    ‖∂c_{T-1}/∂c_{T-1-k}‖₂ and its forget path max_i Π f_{t,i}. Each model's memory is its
    state h (GRU) or its cell state c (LSTM).

    Used in :ref:`gru-vs-lstm` and :ref:`gru-explorer` (the GRU chapter).
    """
    bias = as_real(bias, "bias")
    gp, gtr = _lag_curves.random_gru_trace(n=n, T=T, update_bias=bias, weight_scale=weight_scale,
                                           seed=seed)
    lp, ltr = _lag_curves.random_lstm_trace(n=n, T=T, forget_bias=bias,
                                            weight_scale=weight_scale, seed=seed)
    lags = np.arange(T)
    return [
        _lag_curves.LagCurve(lags, _gradients.gradient_norm_vs_lag(gp, gtr), None,
                             f"GRU, update bias {bias:g}"),
        _lag_curves.LagCurve(lags, _survival.gate_path_norms(gtr.z)[0], None,
                             r"GRU: update path $\max_i \Pi_t z_{t,i}$"),
        _lag_curves.LagCurve(lags, _gradients.gradient_norm_vs_lag(lp, ltr), None,
                             f"LSTM, forget bias {bias:g}"),
        _lag_curves.LagCurve(lags, _survival.gate_path_norms(ltr.f)[0], None,
                             r"LSTM: forget path $\max_i \Pi_t f_{t,i}$"),
    ]


@dataclass(frozen=True)
class UpdateBiasSweep:
    """Gradient survival against the update bias b_z; one random GRU per (bias, seed).

    ``norms`` and ``z_path`` (n_bias, n_seed, n_lag): ‖∂h_{T-1}/∂h_{T-1-k}‖₂ and max_i Π z_{t,i}
    at each of ``lags``. ``vanish_lag`` (n_bias, n_seed): first lag with a norm below
    ``threshold``, inf when none within T-1. ``z_bar`` (n_bias, n_seed): geometric-mean update
    gate. ``rate`` (n_bias, n_seed): the per-step factor of ``survival.decay_rate`` (nan if the
    curve underflowed to 0 too early to fit). The fields of ``survival.ForgetBiasSweep``, for z.
    """

    biases: np.ndarray
    seeds: tuple
    lags: tuple
    T: int
    threshold: float
    norms: np.ndarray
    z_path: np.ndarray
    vanish_lag: np.ndarray
    z_bar: np.ndarray
    rate: np.ndarray
    weight_scale: float


def update_bias_sweep(biases, *, lags: Sequence[int] = (100, 300), n: int = 16,
                      weight_scale: float = 1.0, seeds: Iterable[int] = range(5),
                      threshold: float = 1e-8) -> UpdateBiasSweep:
    """For each update bias and seed, a random GRU (:func:`lag_curves.random_gru_trace`) with
    T = max(lags) + 1: the surviving gradient at ``lags``, the lag where it falls below
    ``threshold``, z̄ and the measured decay factor. With the same seeds and weight scale,
    ``survival.forget_bias_sweep`` measures LSTMs on the same inputs.

    Used in :ref:`gru-bias` and :ref:`gru-vs-lstm` (the GRU chapter).
    """
    biases, lags, seeds, threshold = _survival._bias_sweep_args(biases, lags, seeds, threshold)
    T = max(lags) + 1
    shape = (biases.size, len(seeds))
    norms, z_path = np.empty(shape + (len(lags),)), np.empty(shape + (len(lags),))
    vlag, z_bar, rate = np.empty(shape), np.empty(shape), np.empty(shape)
    for a, b in enumerate(biases):
        for s, seed in enumerate(seeds):
            paths = update_survival(update_bias=float(b), n=n, T=T, weight_scale=weight_scale,
                                    seed=seed)
            norms[a, s], z_path[a, s] = paths.full[list(lags)], paths.z_path[list(lags)]
            k = _survival.vanishing_lag(paths.full, threshold)
            vlag[a, s] = np.inf if k is None else k
            z_bar[a, s] = paths.z_bar
            try:
                rate[a, s] = _survival.decay_rate(paths.full)
            except ValueError:
                rate[a, s] = np.nan
    return UpdateBiasSweep(biases, seeds, lags, T, threshold, norms, z_path, vlag, z_bar, rate,
                           float(weight_scale))


def input_gradient_norms(params, trace) -> np.ndarray:
    """‖∂h_{T-1}/∂x_{T-1-k}‖₂ for k = 0 … T-1: how much of what step T-1-k wrote is still in
    the last state. Each is the lag product ∂h_{T-1}/∂h_{T-1-k} times that step's input Jacobian
    (``gru.input_jacobian``), whose every path but the update gate's carries 1 - z_{T-1-k}:
    keeping (z near 1) and writing (1 - z near 1) pull against each other. One sequence.

    Derived in :ref:`gru-vanish` (the GRU chapter).
    """
    _gru_checked(params, trace)
    P = _gradients.jacobian_products(_gradients.step_jacobians(params, trace))   # (T, n, n)
    X = _gru._input_jacobian_at(params, trace, slice(None))[::-1]              # lag order
    with np.errstate(over="ignore", invalid="ignore"):
        return _gradients._matrix_norms(P @ X, "spectral")
