"""Chapters 7–8: how far back the LSTM's gradient survives (against the RNN's), and where it fails.

The LSTM's cell-state derivative (the source's eq. 6, chapter 6) is a sum of four n × n
matrices, ∂c_t/∂c_{t-1} = A_t + B_t + C_t + D_t with B_t = diag(f_t). This module measures
what the product of such factors does over many steps:

* :func:`rnn_vs_lstm`, :func:`last_step_contributions`, :func:`rate_vs_weight_scale`:
  ‖∂c_{T-1}/∂c_{T-1-k}‖₂, each step's term of the recurrent-weight gradient and the decay
  factor per step, for a sigmoid RNN, a tanh RNN and an LSTM that share their weights and
  inputs (chapter 7);
* :func:`forget_paths`, :func:`forget_path_norms`, :func:`forget_survival`: the true product
  beside the forget-gate path alone, ‖Π_t B_t‖₂ = max_i Π_t f_{t,i}, its bound
  Π_t max_i f_{t,i}, and f̄^k (chapters 7, 8); :func:`gate_path_norms` for any gate's path;
* :func:`cell_term_sizes`: the spectral norms of A_t, B_t, C_t, D_t and of their sum;
* :func:`balancing_example`, :func:`balancing_curve`: the source's "0.1 + 0.7 + 0.1 + 0.1 = 1"
  example as matrices;
* :func:`forget_bias_sweep`, :func:`vanishing_lag`, :func:`decay_rate`: how long the
  gradient survives as a function of the forget-gate bias (chapter 8);
* :func:`lstm_last_step_gradient`, :func:`state_jacobian_radii`: exploding LSTM gradients
  and norm clipping (chapter 8).

Every random draw is seeded by a ``seed`` argument: results are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from . import gradients as _gradients
from . import lag_curves as _lag_curves
from . import lstm as _lstm
from . import rnn as _rnn
from ._checks import as_array, as_positive_int, as_real, as_seeds
from .activations import GAMMA

__all__ = ["rnn_vs_lstm", "ForgetPaths", "forget_path_norms", "gate_path_norms", "forget_paths",
           "forget_survival", "CellTermSizes", "cell_term_sizes", "BALANCING_KINDS",
           "BalancingExample", "balancing_example", "balancing_curve", "decay_rate",
           "vanishing_lag", "ForgetBiasSweep", "forget_bias_sweep", "last_step_contributions",
           "lstm_last_step_gradient", "state_jacobian_radii", "RateSweep", "rate_vs_weight_scale"]


# --------------------------------------------------------------------------- helpers


def _seed(seed) -> int:
    return as_positive_int(seed, "seed", minimum=0)


def _lstm_checked(params, trace, name: str = "trace"):
    if not isinstance(params, _lstm.LSTMParams):
        raise ValueError(f"params must be LSTMParams, got {type(params).__name__}")
    _lstm._check_trace(params, trace)
    if trace.batched:
        raise ValueError(f"{name} must come from a single sequence xs of shape (T, m), not a batch "
                         f"(got xs of shape {trace.xs.shape})")
    if trace.T < 2:
        raise ValueError(f"{name} must have at least T = 2 steps (eq. 6 starts at t = 1)")


def _rnn_from_candidate(params: _lstm.LSTMParams, activation: str) -> _rnn.RNNParams:
    """The simple RNN whose weights are the LSTM's candidate weights: W_rec = U_c, W_in = V_c."""
    n = params.n
    return _rnn.RNNParams(W_rec=params.W_c[:, :n], W_in=params.W_c[:, n:], b=params.b_c,
                          activation=activation)


# --------------------------------------------------------------------------- chapter 7


def rnn_vs_lstm(*, n: int = 16, T: int = 100, forget_bias: float = 1.0,
                weight_scale: float = 1.0, seed: int = 0) -> list:
    """Gradient norm vs lag, ‖∂c_{T-1}/∂c_{T-1-k}‖₂ for k = 0 … T-1, for three networks (chapter 7).

    One random LSTM from :func:`lag_curves.random_lstm_trace` and two simple RNNs (sigmoid and tanh) whose weights
    are that LSTM's candidate weights, W = [U_c | V_c] (n × (n+1), entries N(0, s²/(n+1)) with
    s = ``weight_scale``: the usual 1/fan-in initialization), on the same inputs xs (T, 1).
    For the RNNs c is the state and the step Jacobian is diag(φ'(z_t)) W_rec (eq. 2); for the
    LSTM c is the cell state and the norm is that of the true total derivative (every path,
    ``gradients.gradient_norm_vs_lag`` with ``path='full'``: perturbing c_j also moves h_j).
    Returns a list of three ``lag_curves.LagCurve``: sigmoid RNN, tanh RNN (each with the bound
    (γ‖W_rec‖₂)^k) and the LSTM (bound None).

    Used in :ref:`ch7-rnn-vs-lstm` (chapter 7).
    """
    params, trace = _lag_curves.random_lstm_trace(n=n, T=T, forget_bias=forget_bias, weight_scale=weight_scale,
                              seed=seed)
    curves = []
    lags = np.arange(trace.T)
    for act in ("sigmoid", "tanh"):
        p = _rnn_from_candidate(params, act)
        tr = _rnn.forward(p, trace.xs)
        with np.errstate(over="ignore", under="ignore"):
            bound = (GAMMA[act] * np.linalg.norm(p.W_rec, 2)) ** lags.astype(float)
        curves.append(_lag_curves.LagCurve(lags, _gradients.gradient_norm_vs_lag(p, tr), bound,
                                          f"{act} RNN"))
    curves.append(_lag_curves.LagCurve(lags, _gradients.gradient_norm_vs_lag(params, trace), None,
                                      f"LSTM, forget bias {forget_bias:g}"))
    return curves


def forget_path_norms(trace) -> tuple[np.ndarray, np.ndarray]:
    """The forget-gate path alone: ‖Π_{t=T-k}^{T-1} B_t‖₂ and its bound, for k = 0 … T-1.

    B_t = diag(f_t) is diagonal, so the product is diag(Π_t f_t) and its spectral norm is
    max_i Π_t f_{t,i} (the unit that forgets least). The bound Π_t max_i f_{t,i} takes the
    largest gate at every step, possibly from different units; it is ≥ the norm, with equality
    when one unit has the largest gate at every step. Computed with sums of log f, so long
    products underflow only where the true value is below ~1e-308. Returns (norms, bounds),
    each of shape (T,). Chapters 7 and 8.

    Derived in :ref:`ch7-forget-inside` (chapter 7).
    """
    if not isinstance(trace, _lstm.LSTMTrace):
        raise ValueError(f"trace must be an LSTMTrace from lstm.forward, got {type(trace).__name__}")
    if trace.batched:
        raise ValueError("trace must come from a single sequence xs of shape (T, m), not a batch")
    return gate_path_norms(trace.f)


def gate_path_norms(gates) -> tuple[np.ndarray, np.ndarray]:
    """‖Π_{t=T-k}^{T-1} diag(g_t)‖₂ = max_i Π_t g_{t,i} and its bound Π_t max_i g_{t,i}, for
    k = 0 … T-1, of a gate in (0, 1) stored as ``gates`` (T, n): the LSTM's forget gate f_t
    (:func:`forget_path_norms`) or the GRU's update gate z_t. Sums of logs, so long products
    underflow only where the true value is below ~1e-308.

    Derived in :ref:`ch7-forget-inside` (chapter 7) and :ref:`gru-update-path` (the GRU chapter).
    """
    gates = as_array(gates, "gates", (None, None))
    if gates.shape[0] < 1 or np.any((gates < 0) | (gates > 1)):
        raise ValueError(f"gates must be values in [0, 1] of shape (T, n), T >= 1, got shape "
                         f"{gates.shape}")
    g = gates[1:][::-1]                                     # g_{T-1}, g_{T-2}, …, g_1
    with np.errstate(divide="ignore"):
        logg = np.log(g)
    cum = np.concatenate([np.zeros((1, g.shape[1])), np.cumsum(logg, axis=0)])   # (T, n)
    with np.errstate(under="ignore"):
        norms = np.exp(cum.max(axis=1))
        bounds = np.exp(np.concatenate([[0.0], np.cumsum(logg.max(axis=1))]))
    return norms, bounds


@dataclass(frozen=True)
class ForgetPaths:
    """The true cell-state gradient norm beside the forget-gate path (chapters 7 and 8).

    All arrays have shape (T,), indexed by the lag k = 0 … T-1:

    * ``full``: ‖∂c_{T-1}/∂c_{T-1-k}‖₂, the true total derivative (every path, including
      through h_j = o_j ⊙ tanh(c_j) and the output gates; ``gradients.gradient_norm_vs_lag``);
    * ``cell``: ‖Π (A_t + B_t + C_t + D_t)‖₂, the source's product of eq. (6);
    * ``b_path``: ‖Π B_t‖₂ = max_i Π f_{t,i}, the forget-gate path alone;
    * ``b_bound``: Π_t max_i f_{t,i} ≥ ``b_path``.

    ``f_bar`` is the geometric mean of all f_{t,i} (t = 1 … T-1), so Π f ≈ f̄^k on average;
    ``lag`` is an optional lag to highlight.
    """

    lags: np.ndarray
    full: np.ndarray
    cell: np.ndarray
    b_path: np.ndarray
    b_bound: np.ndarray
    f_bar: float
    label: str
    lag: int | None = None

    @property
    def f_bar_power(self) -> np.ndarray:
        """f̄^k for every lag k."""
        with np.errstate(under="ignore"):
            return self.f_bar ** self.lags.astype(float)

    def at_lag(self, lag: int | None) -> "ForgetPaths":
        """The same measurements with ``lag`` (0 … T-1, or None) highlighted."""
        if lag is not None:
            lag = as_positive_int(lag, "lag", minimum=0)
            if lag > len(self.lags) - 1:
                raise ValueError(f"lag must satisfy 0 <= lag <= T-1 = {len(self.lags) - 1}, got {lag}")
        return replace(self, lag=lag)


def forget_paths(params, trace, *, lag: int | None = None, label: str = "LSTM") -> ForgetPaths:
    """Measure :class:`ForgetPaths` on one LSTM trace (T >= 2). ``lag`` (optional) must be in 0 … T-1.

    Used in :ref:`ch7-b-path` (chapter 7).
    """
    _lstm_checked(params, trace)
    if lag is not None:
        lag = as_positive_int(lag, "lag", minimum=0)          # fail before the work
    full = _gradients.gradient_norm_vs_lag(params, trace, path="full")
    cell = _gradients.gradient_norm_vs_lag(params, trace, path="cell")
    b_path, b_bound = forget_path_norms(trace)
    with np.errstate(divide="ignore"):
        f_bar = float(np.exp(np.mean(np.log(trace.f[1:]))))
    return ForgetPaths(np.arange(trace.T), full, cell, b_path, b_bound, f_bar, label).at_lag(lag)


def forget_survival(*, forget_bias: float = 1.0, lag: int = 100, n: int = 16, T: int = 301,
                    weight_scale: float = 1.0, seed: int = 0) -> ForgetPaths:
    """:func:`forget_paths` for a random LSTM from :func:`lag_curves.random_lstm_trace`, highlighting ``lag`` (chapter 8).

    Used in :ref:`ch7-b-path` (chapter 7) and :ref:`ch8-decay` (chapter 8).
    """
    params, trace = _lag_curves.random_lstm_trace(n=n, T=T, forget_bias=forget_bias, weight_scale=weight_scale,
                              seed=seed)
    return forget_paths(params, trace, lag=lag,
                        label=f"LSTM, forget bias {forget_bias:g}, weight scale {weight_scale:g}")


@dataclass(frozen=True)
class CellTermSizes:
    """Sizes of the four terms of eq. (6) along one sequence (chapter 7).

    ``t`` (T-1,) are the steps 1 … T-1; ``norms`` (T-1, 4) the spectral norms of A_t, B_t, C_t,
    D_t; ``sum_norm`` (T-1,) the spectral norm of A_t + B_t + C_t + D_t (at most the row sum of
    ``norms``, by the triangle inequality); ``f_max`` (T-1,) max_i f_{t,i} = ‖B_t‖₂.
    """

    t: np.ndarray
    norms: np.ndarray
    sum_norm: np.ndarray
    f_max: np.ndarray
    label: str


def cell_term_sizes(params, trace, *, label: str = "LSTM") -> CellTermSizes:
    """Spectral norms of A_t, B_t, C_t, D_t and of their sum, for t = 1 … T-1 (chapter 7).

    Used in :ref:`ch7-forget-inside` (chapter 7).
    """
    _lstm_checked(params, trace)
    norms = _gradients.cell_term_norms(params, trace)
    S = _gradients.step_jacobians(params, trace, path="cell")
    sum_norm = np.linalg.svd(S, compute_uv=False)[:, 0]
    return CellTermSizes(np.arange(1, trace.T), norms, sum_norm, trace.f[1:].max(axis=1), label)


#: The source's "balancing" example read four ways (chapter 7), B = 0.7 I in every case.
BALANCING_KINDS = {
    "aligned": "A = C = D = 0.1 I (the source's picture)",
    "signs": "A = 0.1 I, C = D = -0.1 I (entries of size 0.1, mixed signs)",
    "dense": "A, C, D with every entry ±0.1 (random signs)",
    "small": "A, C, D dense, random, each of spectral norm 0.1",
}


@dataclass(frozen=True)
class BalancingExample:
    """Four constant n × n terms A, B, C, D of eq. (6) and a label (chapter 7)."""

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray
    D: np.ndarray
    kind: str
    label: str

    @property
    def step(self) -> np.ndarray:
        """A + B + C + D: one factor of the source's product."""
        return self.A + self.B + self.C + self.D


def balancing_example(kind: str, *, n: int = 8, seed: int = 0) -> BalancingExample:
    """The source's sizes A ≈ 0.1, B = f ≈ 0.7, C ≈ 0.1, D ≈ 0.1, realized as n × n matrices.

    ``kind`` is one of :data:`BALANCING_KINDS`: 'aligned' (A = C = D = 0.1 I, so the sum is I),
    'signs' (diagonal, sizes 0.1 but signs +, -, -: the sum is 0.6 I), 'dense' (every entry of
    A, C, D is ±0.1 with random signs) or 'small' (A, C, D Gaussian, rescaled to spectral norm
    0.1 each). B = 0.7 I always. Deterministic given ``seed``.

    Used in :ref:`ch7-balancing` (chapter 7).
    """
    if kind not in BALANCING_KINDS:
        raise ValueError(f"kind must be one of {sorted(BALANCING_KINDS)}, got {kind!r}")
    n = as_positive_int(n, "n")
    rng = np.random.default_rng(_seed(seed))
    eye = np.eye(n)
    if kind == "aligned":
        A = C = D = 0.1 * eye
    elif kind == "signs":
        A, C, D = 0.1 * eye, -0.1 * eye, -0.1 * eye
    elif kind == "dense":
        A, C, D = (0.1 * rng.choice([-1.0, 1.0], size=(n, n)) for _ in range(3))
    else:
        G = [rng.standard_normal((n, n)) for _ in range(3)]
        A, C, D = (0.1 * g / np.linalg.norm(g, 2) for g in G)
    return BalancingExample(A, 0.7 * eye, C, D, kind, BALANCING_KINDS[kind])


def balancing_curve(example: BalancingExample, K: int = 50):
    """‖(A + B + C + D)^k‖₂ for k = 0 … K: the source's product Π_t (A_t + B_t + C_t + D_t)
    with the same four terms at every step (chapter 7). Returns a ``lag_curves.LagCurve``
    (bound None).

    Used in :ref:`ch7-balancing` (chapter 7).
    """
    if not isinstance(example, BalancingExample):
        raise ValueError(f"example must be a BalancingExample, got {type(example).__name__}")
    K = as_positive_int(K, "K")
    S = example.step
    P = _gradients.jacobian_products(np.broadcast_to(S, (K,) + S.shape))
    norms = np.full(K + 1, np.inf)
    ok = np.all(np.isfinite(P), axis=(1, 2))
    norms[ok] = np.linalg.svd(P[ok], compute_uv=False)[:, 0]
    return _lag_curves.LagCurve(np.arange(K + 1), norms, None, example.label)


@dataclass(frozen=True)
class RateSweep:
    """Per-step decay factors of :func:`rnn_vs_lstm`'s three curves against the weight scale.

    ``rates`` (n_scale, n_seed, 3): :func:`decay_rate` of the sigmoid RNN, tanh RNN and LSTM
    curves (nan when a curve underflowed to 0 before two points could be fitted). Chapter 7.
    """

    weight_scales: np.ndarray
    seeds: tuple
    labels: tuple
    rates: np.ndarray
    forget_bias: float
    T: int


def rate_vs_weight_scale(weight_scales, *, forget_bias: float = 1.0, n: int = 16, T: int = 200,
                         seeds: Iterable[int] = range(5)) -> RateSweep:
    """:func:`decay_rate` of the sigmoid-RNN, tanh-RNN and LSTM lag curves of :func:`rnn_vs_lstm`
    for each weight scale and seed (chapter 7): how the per-step factor depends on the weights.

    Used in :ref:`ch7-rnn-vs-lstm` (chapter 7).
    """
    weight_scales = as_array(weight_scales, "weight_scales", (None,))
    if weight_scales.size == 0:
        raise ValueError("weight_scales must hold at least one value")
    seeds = as_seeds(seeds)
    rates = np.full((weight_scales.size, len(seeds), 3), np.nan)
    labels = ()
    for a, ws in enumerate(weight_scales):
        for s, seed in enumerate(seeds):
            curves = rnn_vs_lstm(n=n, T=T, forget_bias=forget_bias, weight_scale=float(ws),
                                 seed=seed)
            labels = tuple(c.label for c in curves)
            for j, c in enumerate(curves):
                try:
                    rates[a, s, j] = decay_rate(c.norms)
                except ValueError:
                    pass
    return RateSweep(weight_scales, seeds, labels, rates, float(forget_bias), int(T))


def last_step_contributions(*, n: int = 16, T: int = 100, forget_bias: float = 1.0,
                            weight_scale: float = 1.0, seed: int = 0) -> list:
    """How much each time step contributes to the recurrent-weight gradient (chapter 7).

    The loss is L = u·c_{T-1} for the RNNs and u·h_{T-1} for the LSTM, u a fixed random unit
    vector, on the networks of :func:`rnn_vs_lstm`. The gradient with respect to the recurrent
    weights is one sum over the steps j where the weights enter (chapter 3); this returns, for
    each network, ‖term_j‖_F against the lag k = T-1-j (RNN: the W_rec term; LSTM: the four
    h-blocks U_f, U_i, U_c, U_o together), for k = 0 … T-2. Step j = 0 is left out: its
    recurrent-weight term is δ_0 ⊗ (initial state) = 0 exactly, since the initial state is 0.
    Returns a list of three ``lag_curves.LagCurve`` (bound None), in the order of
    :func:`rnn_vs_lstm`.

    Used in :ref:`ch7-series` (chapter 7).
    """
    params, trace = _lag_curves.random_lstm_trace(n=n, T=T, forget_bias=forget_bias, weight_scale=weight_scale,
                              seed=seed)
    u = np.random.default_rng(_seed(seed) + 1).standard_normal(params.n)
    u /= np.linalg.norm(u)
    lags = np.arange(trace.T - 1)
    curves = []
    for act in ("sigmoid", "tanh"):
        p = _rnn_from_candidate(params, act)
        tr = _rnn.forward(p, trace.xs)
        dL = np.zeros(tr.c.shape)
        dL[-1] = u
        terms = _rnn.bptt_terms(p, tr, dL)
        norms = np.sqrt(np.einsum("tij,tij->t", terms.W_rec, terms.W_rec))
        curves.append(_lag_curves.LagCurve(lags, norms[:0:-1], None, f"{act} RNN"))
    dL = np.zeros(trace.h.shape)
    dL[-1] = u
    terms = _lstm.bptt_terms(params, trace, dL)
    k = params.n
    norms = np.sqrt(sum(np.einsum("tij,tij->t", M[:, :, :k], M[:, :, :k])
                        for M in (terms.W_f, terms.W_i, terms.W_c, terms.W_o)))
    curves.append(_lag_curves.LagCurve(lags, norms[:0:-1], None,
                                      f"LSTM, forget bias {forget_bias:g}"))
    return curves


# --------------------------------------------------------------------------- chapter 8


def decay_rate(norms, *, min_lag: int = 1) -> float:
    """Average factor per step r of a lag curve: the fit log‖P_k‖ ≈ a + k log r (chapter 8).

    A least-squares line through log(norms[k]) for k >= ``min_lag``, using only finite positive
    values (at least two are needed). r < 1: the gradient decays like r^k; r > 1: it grows.

    Used in :ref:`ch7-rnn-vs-lstm` (chapter 7) and :ref:`ch8-decay` (chapter 8).
    """
    norms = np.asarray(norms, dtype=float)
    if norms.ndim != 1:
        raise ValueError(f"norms must be one curve of shape (K,), got {norms.shape}")
    min_lag = as_positive_int(min_lag, "min_lag", minimum=0)
    k = np.arange(norms.size)
    with np.errstate(invalid="ignore"):
        ok = (k >= min_lag) & np.isfinite(norms) & (norms > 0)
    if ok.sum() < 2:
        raise ValueError("norms must hold at least two finite positive values at lags >= min_lag")
    slope = np.polyfit(k[ok], np.log(norms[ok]), 1)[0]
    return float(np.exp(slope))


def vanishing_lag(norms, threshold: float = 1e-8) -> int | None:
    """The first lag k with norms[k] < ``threshold``, or None if the curve never gets there (chapter 8).

    Used in :ref:`ch8-bias` (chapter 8).
    """
    norms = np.asarray(norms, dtype=float)
    if norms.ndim != 1:
        raise ValueError(f"norms must be one curve of shape (K,), got {norms.shape}")
    threshold = as_real(threshold, "threshold")
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    below = np.flatnonzero(norms < threshold)
    return int(below[0]) if below.size else None


@dataclass(frozen=True)
class ForgetBiasSweep:
    """Gradient survival against the forget-gate bias (chapter 8); one random LSTM per (bias, seed).

    ``norms`` and ``b_path`` (n_bias, n_seed, n_lag): ‖∂c_{T-1}/∂c_{T-1-k}‖₂ and
    max_i Π f_{t,i} at each of ``lags``. ``vanish_lag`` (n_bias, n_seed): first lag with a norm
    below ``threshold``, inf when none within T-1. ``f_bar`` (n_bias, n_seed): geometric-mean
    forget gate. ``rate`` (n_bias, n_seed): the per-step factor of :func:`decay_rate` on the full
    curve (nan if it underflowed to 0 too early to fit).
    """

    biases: np.ndarray
    seeds: tuple
    lags: tuple
    T: int
    threshold: float
    norms: np.ndarray
    b_path: np.ndarray
    vanish_lag: np.ndarray
    f_bar: np.ndarray
    rate: np.ndarray
    weight_scale: float


def _bias_sweep_args(biases, lags, seeds, threshold):
    """The checked arguments of a gate-bias sweep (this module's ``forget_bias_sweep`` and
    ``gru_survival.update_bias_sweep``): biases (a non-empty 1-D array), lags (a non-empty
    tuple of positive ints), seeds and threshold (> 0)."""
    biases = as_array(biases, "biases", (None,))
    if biases.size == 0:
        raise ValueError("biases must hold at least one value")
    lags = tuple(as_positive_int(k, "lags") for k in lags)
    if not lags:
        raise ValueError("lags must hold at least one lag")
    seeds = as_seeds(seeds)
    threshold = as_real(threshold, "threshold")
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    return biases, lags, seeds, threshold


def forget_bias_sweep(biases, *, lags: Sequence[int] = (100, 200), n: int = 16,
                      weight_scale: float = 1.0, seeds: Iterable[int] = range(5),
                      threshold: float = 1e-8) -> ForgetBiasSweep:
    """For each forget bias and seed, a random LSTM (:func:`lag_curves.random_lstm_trace`) with T = max(lags) + 1:
    the surviving gradient at ``lags``, the lag where it falls below ``threshold``, f̄ and the
    measured decay rate. See :class:`ForgetBiasSweep` (chapter 8).

    Used in :ref:`ch8-bias` (chapter 8).
    """
    biases, lags, seeds, threshold = _bias_sweep_args(biases, lags, seeds, threshold)
    T = max(lags) + 1
    nb, ns, nl = biases.size, len(seeds), len(lags)
    norms, b_path = np.empty((nb, ns, nl)), np.empty((nb, ns, nl))
    vlag, f_bar, rate = np.empty((nb, ns)), np.empty((nb, ns)), np.empty((nb, ns))
    idx = list(lags)
    for a, b in enumerate(biases):
        for s, seed in enumerate(seeds):
            params, trace = _lag_curves.random_lstm_trace(n=n, T=T, forget_bias=float(b), weight_scale=weight_scale,
                                      seed=seed)
            paths = forget_paths(params, trace)
            norms[a, s] = paths.full[idx]
            b_path[a, s] = paths.b_path[idx]
            k = vanishing_lag(paths.full, threshold)
            vlag[a, s] = np.inf if k is None else k
            f_bar[a, s] = paths.f_bar
            try:
                rate[a, s] = decay_rate(paths.full)
            except ValueError:
                rate[a, s] = np.nan
    return ForgetBiasSweep(biases, seeds, lags, T, threshold, norms, b_path, vlag, f_bar, rate,
                           float(weight_scale))


def lstm_last_step_gradient(params, xs, u) -> np.ndarray:
    """∂L/∂θ for L = u·h_{T-1}, flattened: θ = (W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o) (chapter 8).

    ``xs`` is (T, m), ``u`` is (n,); h0 = c0 = 0. The result has 4n(n+m) + 4n entries, in the
    order listed, each matrix row by row. This is the vector that norm clipping rescales.

    Used in :ref:`ch8-explode` (chapter 8).
    """
    if not isinstance(params, _lstm.LSTMParams):
        raise ValueError(f"params must be LSTMParams, got {type(params).__name__}")
    u = as_array(u, "u", (params.n,))
    trace = _lstm.forward(params, xs)
    if trace.batched:
        raise ValueError(f"xs must be a single sequence of shape (T, m), got {trace.xs.shape}")
    dL = np.zeros(trace.h.shape)
    dL[-1] = u
    g = _lstm.backward(params, trace, dL)
    return np.concatenate([getattr(g, f"W_{k}").ravel() for k in _lstm.GATES]
                          + [getattr(g, f"b_{k}") for k in _lstm.GATES])


def state_jacobian_radii(params, trace) -> np.ndarray:
    """Spectral radius (largest |eigenvalue|) of each full state Jacobian ∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}),
    t = 1 … T-1 (chapter 8). Shape (T-1,). A radius above 1 means that one step, repeated, would
    grow some direction; B_t = diag(f_t) alone has radius max_i f_{t,i} < 1.

    Used in :ref:`ch8-explode` (chapter 8).
    """
    _lstm_checked(params, trace)
    J = _gradients.step_jacobians(params, trace, path="full")
    return np.abs(np.linalg.eigvals(J)).max(axis=1)
