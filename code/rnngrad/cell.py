"""Chapter 5's experiments on one LSTM cell: its equations, its memory and its gates.

The LSTM cell as a memory: its parameter count (:func:`parameter_count`), its equations
checked on a trace with the bound on the cell state's growth (:func:`cell_invariants`), a
memory (retention) experiment (:func:`memory_run`) and the gate trajectories behind the
chapter's explorer (:func:`gate_trajectories`). The LSTM's forward and backward passes are
in ``lstm``.

With n units, m inputs and u_t = [h_{t-1}, x_t] ∈ R^{n+m} (h first), every W_g is n × (n+m):

    f_t = σ(W_f u_t + b_f)        forget gate          (n,)
    i_t = σ(W_i u_t + b_i)        input gate           (n,)
    c̃_t = tanh(W_c u_t + b_c)     candidate (no gate)  (n,)
    o_t = σ(W_o u_t + b_o)        output gate          (n,)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t                    (the source's eq. 5)
    h_t = o_t ⊙ tanh(c_t)

Since f_t, i_t ∈ (0, 1) and |c̃_t| < 1, every unit obeys |c_t| < |c_{t-1}| + 1, hence
|c_t| < |c_{-1}| + t + 1 (0-based t), and |h_t| < 1.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from ._checks import as_positive_int, as_real
from .activations import ACTIVATIONS, derivative, sigmoid

__all__ = ["parameter_count", "CellInvariants", "cell_invariants", "MemoryRun", "memory_run",
           "GateTrajectories", "gate_trajectories", "INPUT_KINDS", "CAROUSEL_ACTIVATIONS",
           "CarouselRun", "carousel_run"]

#: Input sequences ``gate_trajectories`` can drive the cell with.
INPUT_KINDS = ("noise", "constant")


def parameter_count(params) -> int:
    """Number of trainable numbers of a model (chapter 5).

    LSTMParams: four gates, each W_g (n × (n+m)) and b_g (n,): 4n(n+m+1).
    RNNParams: W_rec (n × n), W_in (n × m) and b (n,): n(n+m+1).
    GRUParams: W_z, W_r, W_n (n × (n+m)) and b_z, b_r, b_n, b_hn (n,): 3n(n+m) + 4n (the GRU
    chapter; PyTorch stores two biases per map, 3n(n+m) + 6n, two of them redundant).

    Derived in :ref:`ch5-shapes` (chapter 5) and :ref:`gru-parameters` (the GRU chapter).
    """
    if isinstance(params, _lstm.LSTMParams):
        return int(sum(getattr(params, f"{k}_{g}").size for g in _lstm.GATES for k in ("W", "b")))
    if isinstance(params, _rnn.RNNParams):
        return int(params.W_rec.size + params.W_in.size + params.b.size)
    if isinstance(params, _gru.GRUParams):
        return int(sum(getattr(params, f.name).size for f in dataclasses.fields(params)))
    raise ValueError(f"params must be an LSTMParams, an RNNParams or a GRUParams, "
                     f"got {type(params).__name__}")


@dataclass(frozen=True)
class CellInvariants:
    """What ``cell_invariants`` measured on one LSTM trace.

    ``equation_errors``: the largest |difference| between each trace field (f, i, c_tilde, o,
    c, h) and the same quantity recomputed gate by gate from the per-gate W_g, b_g and the
    explicit concatenation [h_{t-1}, x_t]. ``growth_slack``: min over t and units of
    |c_{t-1}| + 1 − |c_t| (≥ 0). ``linear_slack``: min of |c_{-1}| + t + 1 − |c_t| (≥ 0).
    ``max_abs_c``, ``max_abs_h``: the largest |c_t| and |h_t| (|h_t| < 1 in exact arithmetic;
    float64 can round tanh and σ to exactly 1). ``holds``: every check passed within ``tol``.
    """

    equation_errors: dict
    growth_slack: float
    linear_slack: float
    max_abs_c: float
    max_abs_h: float
    holds: bool


def cell_invariants(params: _lstm.LSTMParams, trace: _lstm.LSTMTrace, *,
                    tol: float = 1e-12) -> CellInvariants:
    """Check the chapter-5 equations and bounds on a trace of ``lstm.forward``.

    Recomputes, for every step t, u_t = [h_{t-1}, x_t] (n+m), the gates
    f_t = σ(W_f u_t + b_f), i_t = σ(W_i u_t + b_i), c̃_t = tanh(W_c u_t + b_c),
    o_t = σ(W_o u_t + b_o), then c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t (eq. 5) and
    h_t = o_t ⊙ tanh(c_t), from the trace's own h_{t-1}, c_{t-1}, and compares each with the
    trace; measures |c_t| ≤ |c_{t-1}| + 1, |c_t| ≤ |c_{-1}| + t + 1 and |h_t| ≤ 1.
    Works for (T, n) and batched (T, B, n) traces. Chapter 5.

    Derived in :ref:`ch5-growth` (chapter 5).
    """
    _lstm._check_trace(params, trace)
    tol = as_real(tol, "tol", low=0.0)
    u = np.concatenate([trace.h_prev, trace.xs], axis=-1)           # (T, [B,] n+m)

    def pre(g):
        return u @ getattr(params, f"W_{g}").T + getattr(params, f"b_{g}")

    f, i, ct, o = sigmoid(pre("f")), sigmoid(pre("i")), np.tanh(pre("c")), sigmoid(pre("o"))
    c = f * trace.c_prev + i * ct
    h = o * np.tanh(trace.c)
    errors = {name: float(np.max(np.abs(mine - getattr(trace, name))))
              for name, mine in [("f", f), ("i", i), ("c_tilde", ct), ("o", o), ("c", c), ("h", h)]}
    abs_c = np.abs(trace.c)
    growth = float(np.min(np.abs(trace.c_prev) + 1.0 - abs_c))
    steps = np.arange(1, trace.T + 1, dtype=float).reshape((trace.T,) + (1,) * (abs_c.ndim - 1))
    linear = float(np.min(np.abs(trace.c0)[None] + steps - abs_c))
    max_c, max_h = float(abs_c.max()), float(np.abs(trace.h).max())
    holds = (max(errors.values()) <= tol and growth >= -tol and linear >= -tol
             and max_h <= 1.0)
    return CellInvariants(errors, growth, linear, max_c, max_h, bool(holds))


@dataclass(frozen=True)
class MemoryRun:
    """One run of the memory experiment: a value c_{-1} stored in every unit, then T steps.

    ``t`` (T,), ``c``, ``h``, ``f``, ``i`` (T, n), ``retained`` (T,) the mean over units of
    c_t / c_{-1} (1 = the stored value is kept exactly), ``reference`` (T,) the zero-weight
    prediction σ(b_f)^{t+1}, the biases and a ``label``.
    """

    t: np.ndarray
    c: np.ndarray
    h: np.ndarray
    f: np.ndarray
    i: np.ndarray
    retained: np.ndarray
    reference: np.ndarray
    forget_bias: float
    input_bias: float
    output_bias: float
    label: str


def memory_run(forget_bias: float, *, input_bias: float = -8.0, output_bias: float = 0.0,
               T: int = 100, n: int = 8, m: int = 1, weight_scale: float = 1.0,
               input_scale: float = 1.0, c0: float = 1.0, seed: int = 0) -> MemoryRun:
    """Store c_{-1} = c0 in every unit of a random LSTM and watch it fade (chapter 5).

    Parameters from ``lstm.init(n, m, weight_scale=...)`` (W_g ~ N(0, weight_scale²/(n+m)))
    with b_f = ``forget_bias``, b_i = ``input_bias`` (very negative: input gate nearly
    closed), b_o = ``output_bias``, b_c = 0; inputs x_t ~ N(0, input_scale²) (T, m); h_{-1} = 0.
    Then c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t keeps ≈ Π_{s≤t} f_s of the stored value. With
    ``weight_scale = 0`` the gates are constant, c̃_t = tanh(0) = 0, and
    c_t = σ(b_f)^{t+1} c0 exactly (``reference``). Deterministic given ``seed``.

    Used in :ref:`ch5-memory` (chapter 5).
    """
    forget_bias = as_real(forget_bias, "forget_bias")
    input_bias = as_real(input_bias, "input_bias")
    output_bias = as_real(output_bias, "output_bias")
    T = as_positive_int(T, "T")
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    weight_scale = as_real(weight_scale, "weight_scale", low=0.0)
    input_scale = as_real(input_scale, "input_scale", low=0.0)
    c0 = as_real(c0, "c0")
    if c0 == 0.0:
        raise ValueError("c0 must be a non-zero value to store (retained = c_t / c0)")
    rng = np.random.default_rng(as_positive_int(seed, "seed", minimum=0))
    base = _lstm.init(n, m, rng=rng, forget_bias=forget_bias, weight_scale=weight_scale)
    params = _lstm.LSTMParams(W_f=base.W_f, W_i=base.W_i, W_c=base.W_c, W_o=base.W_o,
                              b_f=base.b_f, b_i=np.full(n, input_bias), b_c=np.zeros(n),
                              b_o=np.full(n, output_bias))
    xs = input_scale * rng.standard_normal((T, m))
    trace = _lstm.forward(params, xs, c0=np.full(n, c0))
    t = np.arange(T)
    return MemoryRun(
        t=t, c=trace.c, h=trace.h, f=trace.f, i=trace.i,
        retained=(trace.c / c0).mean(axis=1),
        reference=float(sigmoid(forget_bias)) ** (t + 1.0),
        forget_bias=forget_bias, input_bias=input_bias, output_bias=output_bias,
        label=f"$b_f = {forget_bias:g}$ ($\\sigma(b_f) = {float(sigmoid(forget_bias)):.4f}$)",
    )


@dataclass(frozen=True)
class GateTrajectories:
    """Gates and cell state of one LSTM run, for the chapter-5 explorer.

    ``t`` (T,); ``f_mean``, ``i_mean``, ``o_mean`` (T,) the gate activations averaged over the
    n units; ``c``, ``h`` (T, n); ``bound`` (T,) = t + 1, the largest |c_t| any LSTM can reach
    from c_{-1} = 0; the settings and a ``label``.
    """

    t: np.ndarray
    f_mean: np.ndarray
    i_mean: np.ndarray
    o_mean: np.ndarray
    c: np.ndarray
    h: np.ndarray
    bound: np.ndarray
    forget_bias: float
    input_scale: float
    inputs: str
    label: str


def gate_trajectories(*, forget_bias: float = 1.0, input_scale: float = 1.0,
                      inputs: str = "noise", n: int = 8, m: int = 2, T: int = 60,
                      weight_scale: float = 1.0, seed: int = 0) -> GateTrajectories:
    """Run a random LSTM (``lstm.init``, b_f = ``forget_bias``, other biases 0) from
    h_{-1} = c_{-1} = 0 and record its mean gate activations and cell state (chapter 5).

    ``inputs='noise'``: x_t = input_scale · ε_t, ε_t ~ N(0, I_m); ``'constant'``:
    x_t = input_scale · 1 at every step (the gates settle, and with a large forget bias the
    cell state grows nearly linearly, towards the bound |c_t| < t + 1). Deterministic given
    ``seed``.

    Used in :ref:`ch5-explorer` (chapter 5).
    """
    forget_bias = as_real(forget_bias, "forget_bias")
    input_scale = as_real(input_scale, "input_scale", low=0.0)
    if inputs not in INPUT_KINDS:
        raise ValueError(f"inputs must be one of {INPUT_KINDS}, got {inputs!r}")
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    T = as_positive_int(T, "T")
    weight_scale = as_real(weight_scale, "weight_scale", low=0.0)
    rng = np.random.default_rng(as_positive_int(seed, "seed", minimum=0))
    params = _lstm.init(n, m, rng=rng, forget_bias=forget_bias, weight_scale=weight_scale)
    if inputs == "noise":
        xs = input_scale * rng.standard_normal((T, m))
    else:
        xs = np.full((T, m), input_scale)
    trace = _lstm.forward(params, xs)
    return GateTrajectories(
        t=np.arange(T), f_mean=trace.f.mean(axis=1), i_mean=trace.i.mean(axis=1),
        o_mean=trace.o.mean(axis=1), c=trace.c, h=trace.h, bound=np.arange(1.0, T + 1.0),
        forget_bias=forget_bias, input_scale=input_scale, inputs=inputs,
        label=f"$b_f = {forget_bias:g}$, {inputs} input × {input_scale:g}",
    )


#: Activations of the one-unit loop of :func:`carousel_run`: the RNN's two and the identity.
CAROUSEL_ACTIVATIONS = ("tanh", "sigmoid", "linear")


@dataclass(frozen=True)
class CarouselRun:
    """One unit with a self-connection, c_t = φ(z_t), z_t = w c_{t-1} + x_t, and the error
    flowing back along its loop (chapter 5).

    ``t`` (T,); ``c`` and ``z`` (T,) the unit's state and pre-activation; ``factors`` (T,) the
    factor φ'(z_t)·w by which one step back scales the error; ``error`` (T+1,) with
    ``error[k]`` = ∂c_{T-1}/∂c_{T-1-k}, the product of the last k factors (``error[0]`` = 1,
    ``error[T]`` = ∂c_{T-1}/∂c_{-1}); the settings and a ``label``. ``lags``, ``norms`` (= |error|)
    and ``bound`` (None) let ``plots.plot_lag_comparison`` draw a run as a lag curve.
    """

    t: np.ndarray
    c: np.ndarray
    z: np.ndarray
    factors: np.ndarray
    error: np.ndarray
    w: float
    activation: str
    input_scale: float
    c0: float
    label: str

    @property
    def lags(self) -> np.ndarray:
        """The lags k = 0 … T of ``error``."""
        return np.arange(self.error.size)

    @property
    def norms(self) -> np.ndarray:
        """|error[k]|, the size of the error after k steps back."""
        return np.abs(self.error)

    @property
    def bound(self):
        """No bound is drawn for a run (``plots.plot_lag_comparison``)."""
        return None


def carousel_run(w: float, *, activation: str = "tanh", T: int = 100, input_scale: float = 1.0,
                 c0: float = 0.0, seed: int = 0) -> CarouselRun:
    """Run one unit c_t = φ(w c_{t-1} + x_t) from c_{-1} = c0 and follow the error back.

    φ is ``activation``: 'tanh', 'sigmoid' or 'linear' (φ(z) = z); x_t ~ N(0, input_scale²)
    (T,), seeded. Going back one step multiplies the error by

        ∂c_t/∂c_{t-1} = φ'(z_t) · w,

    so the error injected at c_{T-1} arrives at c_{T-1-k} scaled by the product of the last k
    factors (``error[k]``). Constant error flow for every z needs φ'(z) · w = 1: the linear
    unit with w = 1, for which every factor, and so every ``error[k]``, is exactly 1.

    Derived in :ref:`ch5-carousel` (chapter 5).
    """
    w = as_real(w, "w")
    if activation not in CAROUSEL_ACTIVATIONS:
        raise ValueError(f"activation must be one of {CAROUSEL_ACTIVATIONS}, got {activation!r}")
    T = as_positive_int(T, "T")
    input_scale = as_real(input_scale, "input_scale", low=0.0)
    c0 = c_prev = as_real(c0, "c0")
    rng = np.random.default_rng(as_positive_int(seed, "seed", minimum=0))
    xs = input_scale * rng.standard_normal(T)
    phi = (lambda z: z) if activation == "linear" else ACTIVATIONS[activation]
    c, z = np.empty(T), np.empty(T)
    for t in range(T):
        z[t] = w * c_prev + xs[t]
        c[t] = c_prev = float(phi(z[t]))
    slope = np.ones(T) if activation == "linear" else derivative(activation, z)
    factors = slope * w
    error = np.concatenate([[1.0], np.cumprod(factors[::-1])])
    inputs = "random inputs" if input_scale > 0 else "inputs $x_t = 0$"
    start = f", $c_{{-1}} = {c0:g}$" if c0 != 0 else ""
    return CarouselRun(t=np.arange(T), c=c, z=z, factors=factors, error=error, w=w,
                       activation=activation, input_scale=input_scale, c0=c0,
                       label=f"{activation}, $w = {w:g}$, {inputs}{start}")
