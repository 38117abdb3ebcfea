"""The LSTM cell of the source article (chapters 5 and 6) and its exact BPTT.

For t = 0, …, T-1, from h_{-1} = h0 and c_{-1} = c0 (zeros by default):

    f_t = σ(W_f [h_{t-1}, x_t] + b_f)          forget gate
    i_t = σ(W_i [h_{t-1}, x_t] + b_i)          input gate
    c̃_t = tanh(W_c [h_{t-1}, x_t] + b_c)       candidate
    o_t = σ(W_o [h_{t-1}, x_t] + b_o)          output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t            (the source's eq. 5)
    h_t = o_t ⊙ tanh(c_t)

[h_{t-1}, x_t] is the concatenation, h first, so each W_g = [U_g | V_g] with the h-block
U_g = W_g[:, :n] (n × n) and the x-block V_g = W_g[:, n:] (n × m), and
W_g [h_{t-1}, x_t] = U_g h_{t-1} + V_g x_t. Symbols as on the book's Notation page.

Shapes: n units, m inputs, T steps, optional batch B. ``xs`` is (T, m) or (T, B, m); h, c
and the gates are then (T, n) or (T, B, n). In code a batch holds one sequence per row, so
W_g [h_{t-1}, x_t] is written ``hx @ W_g.T`` with ``hx`` the rows [h_{t-1}, x_t].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_array, as_positive_int, as_real, as_rng, as_sequence, as_state, as_time_index
from ._trace import Trace, check_pair, previous

__all__ = ["LSTMParams", "LSTMTrace", "LSTMGrads", "init", "forward", "backward",
           "cell_jacobian_terms", "state_jacobian", "bptt_terms"]

GATES = ("f", "i", "c", "o")


@dataclass(frozen=True)
class LSTMParams:
    """LSTM parameters: W_f, W_i, W_c, W_o (each n × (n+m)) and b_f, b_i, b_c, b_o (each n)."""

    W_f: np.ndarray
    W_i: np.ndarray
    W_c: np.ndarray
    W_o: np.ndarray
    b_f: np.ndarray
    b_i: np.ndarray
    b_c: np.ndarray
    b_o: np.ndarray

    def __post_init__(self):
        W_f = as_array(self.W_f, "W_f", (None, None))
        n = W_f.shape[0]
        if n == 0 or W_f.shape[1] <= n:
            raise ValueError(
                f"W_f must have shape (n, n+m) with n >= 1 and m >= 1, got {W_f.shape}"
            )
        m = W_f.shape[1] - n
        for g in GATES:
            object.__setattr__(self, f"W_{g}", as_array(getattr(self, f"W_{g}"), f"W_{g}", (n, n + m)))
            object.__setattr__(self, f"b_{g}", as_array(getattr(self, f"b_{g}"), f"b_{g}", (n,)))

    @property
    def n(self) -> int:
        """Number of units."""
        return self.W_f.shape[0]

    @property
    def m(self) -> int:
        """Number of inputs."""
        return self.W_f.shape[1] - self.n

    def U(self, gate: str) -> np.ndarray:
        """The h-block W_gate[:, :n] of a gate ('f', 'i', 'c' or 'o')."""
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        return getattr(self, f"W_{gate}")[:, : self.n]

    def V(self, gate: str) -> np.ndarray:
        """The x-block W_gate[:, n:] of a gate ('f', 'i', 'c' or 'o')."""
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        return getattr(self, f"W_{gate}")[:, self.n:]


@dataclass(frozen=True)
class LSTMGrads:
    """Gradients of a scalar loss: the fields of LSTMParams, plus h0 and c0."""

    W_f: np.ndarray
    W_i: np.ndarray
    W_c: np.ndarray
    W_o: np.ndarray
    b_f: np.ndarray
    b_i: np.ndarray
    b_c: np.ndarray
    b_o: np.ndarray
    h0: np.ndarray
    c0: np.ndarray


@dataclass(frozen=True)
class LSTMTrace(Trace):
    """The forward pass: inputs, initial states, h, c, the gates f, i, c̃, o and tanh(c)."""

    xs: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    h: np.ndarray
    c: np.ndarray
    f: np.ndarray
    i: np.ndarray
    c_tilde: np.ndarray
    o: np.ndarray
    tanh_c: np.ndarray = field(repr=False)

    @property
    def h_prev(self) -> np.ndarray:
        """h_{t-1} for t = 0 … T-1 (h0 first): shape of ``h``."""
        return previous(self.h0, self.h)


def init(n: int, m: int, *, rng: np.random.Generator, forget_bias: float = 1.0,
         weight_scale: float = 1.0) -> LSTMParams:
    """Random LSTM parameters: W_g ~ N(0, weight_scale² / (n+m)), b_f = forget_bias, others 0.

    forget_bias = 1 is the initialization recommended by Gers et al. (2000) and
    Jozefowicz et al. (2015) (chapter 8).

    Used in :ref:`ch5-forward` (chapter 5).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    rng = as_rng(rng)
    forget_bias = as_real(forget_bias, "forget_bias")
    weight_scale = as_real(weight_scale, "weight_scale", low=0.0)
    Ws = {g: rng.standard_normal((n, n + m)) * (weight_scale / np.sqrt(n + m)) for g in GATES}
    return LSTMParams(
        **{f"W_{g}": Ws[g] for g in GATES},
        b_f=np.full(n, forget_bias), b_i=np.zeros(n), b_c=np.zeros(n), b_o=np.zeros(n),
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{-z}), to be called under ``np.errstate(over="ignore")``.

    For z < -709, e^{-z} overflows to inf and σ(z) comes out as its limit 0; otherwise it has
    full relative precision. Four NumPy calls: about a fifth of ``activations.sigmoid``'s time
    on the small arrays of one step.
    """
    return 1.0 / (1.0 + np.exp(-z))


def _stacked(params: LSTMParams):
    """The four gates' weights and biases stacked in the order f, i, c, o, and their row slices.

    W = [W_f; W_i; W_c; W_o] (4n × (n+m)) and b = [b_f; b_i; b_c; b_o] (4n), so that one
    product W [h_{t-1}, x_t] + b gives the four pre-activations z_f, z_i, z_c, z_o side by
    side; rows F = [0, n) belong to gate f, I = [n, 2n) to i, C = [2n, 3n) to c̃, O = [3n, 4n) to o.
    """
    n = params.n
    W = np.concatenate([params.W_f, params.W_i, params.W_c, params.W_o])
    b = np.concatenate([params.b_f, params.b_i, params.b_c, params.b_o])
    F, I, C, O = (slice(k * n, (k + 1) * n) for k in range(4))
    return W, b, (F, I, C, O)


def forward(params: LSTMParams, xs, h0=None, c0=None) -> LSTMTrace:
    """Run the LSTM over ``xs`` ((T, m) or (T, B, m)) from (h0, c0) ((n,) or (B, n), zeros
    by default), gate by gate as in chapter 5. For t = 0 … T-1:

        f_t = σ(W_f [h_{t-1}, x_t] + b_f),   i_t = σ(W_i [h_{t-1}, x_t] + b_i),
        c̃_t = tanh(W_c [h_{t-1}, x_t] + b_c),  o_t = σ(W_o [h_{t-1}, x_t] + b_o),
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t   (eq. 5),     h_t = o_t ⊙ tanh(c_t).

    One matrix product per step gives the four gates' pre-activations (see _stacked).
    Returns the LSTMTrace: h, c, f, i, c_tilde, o and tanh_c, each (T, n) or (T, B, n).

    Derived in :ref:`ch5-gates` (eq. 5), shown in :ref:`ch5-forward` (chapter 5).
    """
    if not isinstance(params, LSTMParams):
        raise ValueError(f"params must be an LSTMParams, got {type(params).__name__}")
    xs = as_sequence(xs, "xs", params.m)
    batch = xs.shape[1] if xs.ndim == 3 else None
    h0 = as_state(h0, "h0", params.n, batch)
    c0 = as_state(c0, "c0", params.n, batch)

    W, b, (F, I, C, O) = _stacked(params)
    # The trace's seven (T, [B,] n) arrays, allocated as one block: for long sequences the
    # memory's first use then costs far fewer page faults than seven separate arrays.
    f, i, c_tilde, o, c, tanh_c, h = np.empty((7, xs.shape[0]) + h0.shape)
    h_prev, c_prev = h0, c0
    with np.errstate(over="ignore"):                      # see _sigmoid
        for t in range(xs.shape[0]):
            hx = np.concatenate([h_prev, xs[t]], axis=-1)  # [h_{t-1}, x_t]
            z = hx @ W.T + b                               # W_g [h_{t-1}, x_t] + b_g, g = f, i, c, o
            f[t] = _sigmoid(z[..., F])
            i[t] = _sigmoid(z[..., I])
            c_tilde[t] = np.tanh(z[..., C])
            o[t] = _sigmoid(z[..., O])
            c[t] = f[t] * c_prev + i[t] * c_tilde[t]       # eq. (5)
            tanh_c[t] = np.tanh(c[t])
            h[t] = o[t] * tanh_c[t]
            h_prev, c_prev = h[t], c[t]
    return LSTMTrace(xs=xs, h0=h0, c0=c0, h=h, c=c, f=f, i=i, c_tilde=c_tilde, o=o,
                     tanh_c=tanh_c)


def _check_trace(params: LSTMParams, trace: LSTMTrace) -> None:
    check_pair(params, trace, LSTMParams, LSTMTrace, "lstm.forward")


def _check_backward_args(params, trace, dL_dh, dL_dc):
    _check_trace(params, trace)
    dL_dh = as_array(dL_dh, "dL_dh", trace.h.shape)
    dL_dc = None if dL_dc is None else as_array(dL_dc, "dL_dc", trace.c.shape)
    return dL_dh, dL_dc


def _backprop(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc):
    """BPTT, latest step first: dz[t] = ∂L/∂z_t for the four gates, then ∂L/∂h0, ∂L/∂c0.

    z_t = W [h_{t-1}, x_t] + b holds the pre-activations of f, i, c̃, o side by side (see
    _stacked). The gradient reaches h_t directly (dL_dh[t]) and from step t+1 through the
    four gates' weights; it reaches c_t directly (dL_dc[t]), through h_t = o_t ⊙ tanh(c_t),
    and from c_{t+1} through eq. (5), where it is multiplied by f_{t+1}.
    Returns dz ((T, [B,] 4n)), ∂L/∂h0 and ∂L/∂c0.
    """
    f, i, c_tilde, o, tanh_c, c = trace.f, trace.i, trace.c_tilde, trace.o, trace.tanh_c, trace.c
    W, _, (F, I, C, O) = _stacked(params)
    U = W[:, :params.n]                                   # [U_f; U_i; U_c; U_o]
    dz = np.empty(f.shape[:-1] + (4 * params.n,))
    dz_f, dz_i, dz_c, dz_o = dz[..., F], dz[..., I], dz[..., C], dz[..., O]
    dh_next = np.zeros(trace.h0.shape)                    # ∂L/∂h_t through step t+1
    dc_next = np.zeros(trace.c0.shape)                    # ∂L/∂c_t through c_{t+1}
    for t in range(trace.T - 1, -1, -1):
        c_prev = c[t - 1] if t > 0 else trace.c0
        dh = dL_dh[t] + dh_next                           # ∂L/∂h_t
        dc = dc_next + dh * o[t] * (1.0 - tanh_c[t] ** 2)  # ∂L/∂c_t, also via h_t = o_t ⊙ tanh(c_t)
        if dL_dc is not None:
            dc += dL_dc[t]
        # σ'(z) = σ(1 - σ) and tanh'(z) = 1 - tanh², through h_t = o_t ⊙ tanh(c_t) and eq. (5):
        dz_o[t] = dh * tanh_c[t] * o[t] * (1.0 - o[t])
        dz_f[t] = dc * c_prev * f[t] * (1.0 - f[t])
        dz_i[t] = dc * c_tilde[t] * i[t] * (1.0 - i[t])
        dz_c[t] = dc * i[t] * (1.0 - c_tilde[t] ** 2)
        dh_next = dz[t] @ U                               # Σ_g U_gᵀ ∂L/∂z_g
        dc_next = dc * f[t]                               # eq. (5): ∂c_t/∂c_{t-1} = diag(f_t)
    return dz, dh_next, dc_next


def _hx(trace: LSTMTrace) -> np.ndarray:
    """[h_{t-1}, x_t] for t = 0 … T-1: shape (T, [B,] n+m)."""
    n = trace.h.shape[-1]
    hx = np.empty(trace.h.shape[:-1] + (n + trace.xs.shape[-1],))
    hx[0, ..., :n] = trace.h0
    hx[1:, ..., :n] = trace.h[:-1]
    hx[..., n:] = trace.xs
    return hx


def _per_gate(dW: np.ndarray, db: np.ndarray, dh0, dc0) -> LSTMGrads:
    """LSTMGrads from stacked gradients (rows in the order f, i, c, o, see _stacked)."""
    n = dW.shape[-2] // 4
    grads = {}
    for k, g in enumerate(GATES):
        grads[f"W_{g}"] = dW[..., k * n:(k + 1) * n, :]
        grads[f"b_{g}"] = db[..., k * n:(k + 1) * n]
    return LSTMGrads(**grads, h0=dh0, c0=dc0)


def backward(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc=None) -> LSTMGrads:
    """Full BPTT through the LSTM.

    ``dL_dh[t]`` and ``dL_dc[t]`` are the direct gradients of the loss with respect to h_t and
    c_t (``dL_dc`` defaults to zeros). Returns gradients with the fields of LSTMParams (summed
    over a batch) and ∂L/∂h0, ∂L/∂c0:

        ∂L/∂W_g = Σ_t ∂L/∂z_g,t [h_{t-1}, x_t]ᵀ,    ∂L/∂b_g = Σ_t ∂L/∂z_g,t.

    Its factor ∂c_t/∂c_{t-1} is derived in :ref:`ch6-four-terms` (chapter 6); used in
    :ref:`ch7-shared` (chapter 7).
    """
    dL_dh, dL_dc = _check_backward_args(params, trace, dL_dh, dL_dc)
    dz, dh0, dc0 = _backprop(params, trace, dL_dh, dL_dc)
    dz = dz.reshape(-1, dz.shape[-1])                     # steps (and sequences) as rows
    hx = _hx(trace).reshape(dz.shape[0], -1)
    dW = (hx.T @ dz).T                                    # = dz.T @ hx, a quarter faster in BLAS
    return _per_gate(dW, dz.sum(axis=0), dh0, dc0)


def bptt_terms(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc=None) -> LSTMGrads:
    """Per-time-step terms of the LSTM's BPTT gradient (leading T axis); they sum to ``backward``.

    Term t of ∂L/∂W_g is ∂L/∂z_g,t [h_{t-1}, x_t]ᵀ (summed over a batch): the part of the
    gradient that enters through step t. ``h0`` and ``c0`` hold ∂L/∂h0 and ∂L/∂c0 (one each).

    Used in :ref:`ch7-shared` (chapter 7).
    """
    dL_dh, dL_dc = _check_backward_args(params, trace, dL_dh, dL_dc)
    dz, dh0, dc0 = _backprop(params, trace, dL_dh, dL_dc)
    hx = _hx(trace)
    if trace.batched:                                     # (T, 4n, B) @ (T, B, n+m)
        return _per_gate(dz.transpose(0, 2, 1) @ hx, dz.sum(axis=1), dh0, dc0)
    return _per_gate(dz[:, :, None] * hx[:, None, :], dz, dh0, dc0)


def _diag(v: np.ndarray) -> np.ndarray:
    """diag(v) for v of shape (n,) or a stack (B, n) → (B, n, n)."""
    return v[..., :, None] * np.eye(v.shape[-1])


def cell_jacobian_terms(params: LSTMParams, trace: LSTMTrace, t: int):
    """The four terms of the source's eq. (6) in matrix form, (A_t, B_t, C_t, D_t).

    They are the derivative of c_t = f_t⊙c_{t-1} + i_t⊙c̃_t with respect to c_{t-1}, through
    f_t (A), c_{t-1} itself (B), i_t (C) and c̃_t (D), where c_{t-1} reaches the gates through
    h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) with o_{t-1} held fixed. With s = o_{t-1}⊙(1 - tanh²(c_{t-1})):

        A_t = diag(c_{t-1} ⊙ σ'(z_f)) U_f diag(s)
        B_t = diag(f_t)
        C_t = diag(c̃_t ⊙ σ'(z_i)) U_i diag(s)
        D_t = diag(i_t ⊙ tanh'(z_c)) U_c diag(s)

    Each (n, n) (or (B, n, n) for a batched trace); 1 <= t <= T-1 (chapter 6).

    Derived in :ref:`ch6-four-terms`, checked by SymPy in :ref:`ch6-sympy` (chapter 6).
    """
    _check_trace(params, trace)
    t = as_time_index(t, "t", 1, trace.T - 1)
    return _cell_terms_at(params, trace, t, t - 1)


def _cell_terms_at(params: LSTMParams, trace: LSTMTrace, t, tm1):
    """A, B, C, D at time index ``t`` with ``tm1`` = t - 1; both may be slices (a stack over t)."""
    f, i, ct = trace.f[t], trace.i[t], trace.c_tilde[t]
    c_prev = trace.c[tm1]
    s = trace.o[tm1] * (1.0 - trace.tanh_c[tm1] ** 2)
    right = s[..., None, :]
    A = (c_prev * f * (1.0 - f))[..., :, None] * params.U("f") * right
    B = _diag(f)
    C = (ct * i * (1.0 - i))[..., :, None] * params.U("i") * right
    D = (i * (1.0 - ct * ct))[..., :, None] * params.U("c") * right
    return A, B, C, D


def state_jacobian(params: LSTMParams, trace: LSTMTrace, t: int) -> np.ndarray:
    """∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}): a (2n, 2n) matrix with blocks ordered [h; c],

        [[∂h_t/∂h_{t-1}, ∂h_t/∂c_{t-1}],
         [∂c_t/∂h_{t-1}, ∂c_t/∂c_{t-1}]]

    with ∂c_t/∂c_{t-1} = diag(f_t) here (h_{t-1} held fixed).
    0 <= t <= T-1 (t = 0 differentiates with respect to h0, c0). (B, 2n, 2n) for a batch.

    Derived in :ref:`ch6-full-jacobian` (chapter 6).
    """
    _check_trace(params, trace)
    t = as_time_index(t, "t", 0, trace.T - 1)
    return _state_jacobian_at(params, trace, t)


def _state_jacobian_at(params: LSTMParams, trace: LSTMTrace, t) -> np.ndarray:
    """The state Jacobian at time index ``t``, which may be a slice (a stack over t)."""
    n = params.n
    f, i, ct, o, tc = trace.f[t], trace.i[t], trace.c_tilde[t], trace.o[t], trace.tanh_c[t]
    c_prev = trace.c_prev[t]
    dc_dh = ((c_prev * f * (1.0 - f))[..., :, None] * params.U("f")
             + (ct * i * (1.0 - i))[..., :, None] * params.U("i")
             + (i * (1.0 - ct * ct))[..., :, None] * params.U("c"))
    dh_dc_t = o * (1.0 - tc * tc)                                    # ∂h_t/∂c_t (diagonal)
    dh_dh = (tc * o * (1.0 - o))[..., :, None] * params.U("o") + dh_dc_t[..., :, None] * dc_dh
    J = np.empty(f.shape[:-1] + (2 * n, 2 * n))
    J[..., :n, :n] = dh_dh
    J[..., :n, n:] = _diag(dh_dc_t * f)
    J[..., n:, :n] = dc_dh
    J[..., n:, n:] = _diag(f)
    return J
