"""The LSTM cell of the source article (chapters 5 and 6) and its exact BPTT.

    z_t = W [h_{t-1}, x_t] + b                     (four gates fused: W is 4n × (n+m))
    f_t = σ(z_f),  i_t = σ(z_i),  c̃_t = tanh(z_c),  o_t = σ(z_o)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t                (the source's eq. 5)
    h_t = o_t ⊙ tanh(c_t)

[h_{t-1}, x_t] is the concatenation, h first, so each W_g = [U_g | V_g] with the h-block
U_g = W_g[:, :n] (n × n) and the x-block V_g = W_g[:, n:] (n × m).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_array, as_positive_int, as_real, as_rng, as_sequence, as_state, as_time_index
from .activations import sigmoid

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
    # Fused copies used by forward/backward: rows ordered f, i, c, o.
    W_h: np.ndarray = field(init=False, repr=False, compare=False)
    W_x: np.ndarray = field(init=False, repr=False, compare=False)
    b: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        W_f = as_array(self.W_f, "W_f", (None, None))
        n = W_f.shape[0]
        if n == 0 or W_f.shape[1] <= n:
            raise ValueError(
                f"W_f must have shape (n, n+m) with n >= 1 and m >= 1, got {W_f.shape}"
            )
        m = W_f.shape[1] - n
        for g in GATES:
            W = as_array(getattr(self, f"W_{g}"), f"W_{g}", (n, n + m))
            object.__setattr__(self, f"W_{g}", W)
            object.__setattr__(self, f"b_{g}", as_array(getattr(self, f"b_{g}"), f"b_{g}", (n,)))
        W = np.concatenate([getattr(self, f"W_{g}") for g in GATES], axis=0)
        object.__setattr__(self, "W_h", W[:, :n].copy())
        object.__setattr__(self, "W_x", W[:, n:].copy())
        object.__setattr__(self, "b", np.concatenate([getattr(self, f"b_{g}") for g in GATES]))

    @property
    def n(self) -> int:
        return self.W_f.shape[0]

    @property
    def m(self) -> int:
        return self.W_f.shape[1] - self.n

    def U(self, gate: str) -> np.ndarray:
        """The h-block W_gate[:, :n] of a gate ('f', 'i', 'c' or 'o')."""
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        return getattr(self, f"W_{gate}")[:, : self.n]


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
class LSTMTrace:
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
    def T(self) -> int:
        return self.xs.shape[0]

    @property
    def batched(self) -> bool:
        return self.xs.ndim == 3

    @property
    def h_prev(self) -> np.ndarray:
        return np.concatenate([self.h0[None], self.h[:-1]], axis=0)

    @property
    def c_prev(self) -> np.ndarray:
        return np.concatenate([self.c0[None], self.c[:-1]], axis=0)


def init(n: int, m: int, *, rng: np.random.Generator, forget_bias: float = 1.0,
         weight_scale: float = 1.0) -> LSTMParams:
    """Random LSTM parameters: W_g ~ N(0, weight_scale² / (n+m)), b_f = forget_bias, others 0.

    forget_bias = 1 is the initialization recommended by Gers et al. (2000) and
    Jozefowicz et al. (2015) (chapter 8).
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


def forward(params: LSTMParams, xs, h0=None, c0=None) -> LSTMTrace:
    """Run the LSTM over ``xs`` ((T, m) or (T, B, m)) from (h0, c0); one fused product per step."""
    if not isinstance(params, LSTMParams):
        raise ValueError(f"params must be an LSTMParams, got {type(params).__name__}")
    xs = as_sequence(xs, "xs", params.m)
    n = params.n
    batch = xs.shape[1] if xs.ndim == 3 else None
    h0 = as_state(h0, "h0", n, batch)
    c0 = as_state(c0, "c0", n, batch)
    zx = xs @ params.W_x.T + params.b           # (T, [B,] 4n): input part, all t at once
    shape = xs.shape[:-1] + (n,)
    h, c, tanh_c = np.empty(shape), np.empty(shape), np.empty(shape)
    gates = np.empty(xs.shape[:-1] + (4 * n,))
    WhT = params.W_h.T
    h_prev, c_prev = h0, c0
    for t in range(xs.shape[0]):
        z = zx[t] + h_prev @ WhT
        g = gates[t]
        g[..., : 2 * n] = sigmoid(z[..., : 2 * n])
        g[..., 2 * n: 3 * n] = np.tanh(z[..., 2 * n: 3 * n])
        g[..., 3 * n:] = sigmoid(z[..., 3 * n:])
        c_prev = c[t] = g[..., :n] * c_prev + g[..., n: 2 * n] * g[..., 2 * n: 3 * n]
        tanh_c[t] = np.tanh(c_prev)
        h_prev = h[t] = g[..., 3 * n:] * tanh_c[t]
    return LSTMTrace(
        xs=xs, h0=h0, c0=c0, h=h, c=c,
        f=gates[..., :n], i=gates[..., n: 2 * n], c_tilde=gates[..., 2 * n: 3 * n],
        o=gates[..., 3 * n:], tanh_c=tanh_c,
    )


def _check_trace(params: LSTMParams, trace: LSTMTrace) -> None:
    if not isinstance(params, LSTMParams):
        raise ValueError(f"params must be an LSTMParams, got {type(params).__name__}")
    if not isinstance(trace, LSTMTrace):
        raise ValueError(f"trace must be an LSTMTrace from lstm.forward, got {type(trace).__name__}")
    if trace.c.shape[-1] != params.n or trace.xs.shape[-1] != params.m:
        raise ValueError(
            f"trace (n={trace.c.shape[-1]}, m={trace.xs.shape[-1]}) does not match params "
            f"(n={params.n}, m={params.m})"
        )


def _backprop_dz(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc):
    """∂L/∂z_t for the fused pre-activations (T, [B,] 4n), and ∂L/∂h0, ∂L/∂c0."""
    _check_trace(params, trace)
    dL_dh = as_array(dL_dh, "dL_dh", trace.h.shape)
    dL_dc = np.zeros(trace.c.shape) if dL_dc is None else as_array(dL_dc, "dL_dc", trace.c.shape)
    n = params.n
    f, i, ct, o, tc = trace.f, trace.i, trace.c_tilde, trace.o, trace.tanh_c
    c_prev = trace.c_prev
    dz = np.empty(trace.xs.shape[:-1] + (4 * n,))
    dh_carry = np.zeros(trace.h.shape[1:])
    dc_carry = np.zeros(trace.c.shape[1:])
    W_h = params.W_h
    for t in range(trace.T - 1, -1, -1):
        dh = dL_dh[t] + dh_carry
        dc = dL_dc[t] + dc_carry + dh * o[t] * (1.0 - tc[t] * tc[t])
        d = dz[t]
        d[..., :n] = dc * c_prev[t] * f[t] * (1.0 - f[t])
        d[..., n: 2 * n] = dc * ct[t] * i[t] * (1.0 - i[t])
        d[..., 2 * n: 3 * n] = dc * i[t] * (1.0 - ct[t] * ct[t])
        d[..., 3 * n:] = dh * tc[t] * o[t] * (1.0 - o[t])
        dh_carry = d @ W_h
        dc_carry = dc * f[t]
    return dz, dh_carry, dc_carry


def _split(params: LSTMParams, gW: np.ndarray, gb: np.ndarray, dh0, dc0) -> LSTMGrads:
    n = params.n
    kw = {}
    for k, g in enumerate(GATES):
        kw[f"W_{g}"] = gW[..., k * n: (k + 1) * n, :]
        kw[f"b_{g}"] = gb[..., k * n: (k + 1) * n]
    return LSTMGrads(**kw, h0=dh0, c0=dc0)


def backward(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc=None) -> LSTMGrads:
    """Full BPTT through the LSTM.

    ``dL_dh[t]`` and ``dL_dc[t]`` are the direct gradients of the loss with respect to h_t and
    c_t (``dL_dc`` defaults to zeros). Returns gradients with the fields of LSTMParams (summed
    over a batch) and ∂L/∂h0, ∂L/∂c0.
    """
    dz, dh0, dc0 = _backprop_dz(params, trace, dL_dh, dL_dc)
    hx = np.concatenate([trace.h_prev, trace.xs], axis=-1).reshape(-1, params.n + params.m)
    flat = dz.reshape(-1, 4 * params.n)
    return _split(params, flat.T @ hx, flat.sum(axis=0), dh0, dc0)


def bptt_terms(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc=None) -> LSTMGrads:
    """Per-time-step terms of the LSTM's BPTT gradient (leading T axis); they sum to ``backward``."""
    dz, dh0, dc0 = _backprop_dz(params, trace, dL_dh, dL_dc)
    hx = np.concatenate([trace.h_prev, trace.xs], axis=-1)
    if trace.batched:
        gW, gb = np.einsum("tbi,tbj->tij", dz, hx), dz.sum(axis=1)
    else:
        gW, gb = np.einsum("ti,tj->tij", dz, hx), dz.copy()
    return _split(params, gW, gb, dh0, dc0)


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
    """∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}): a (2n, 2n) matrix with blocks ordered [h; c].

    [[∂h_t/∂h_{t-1}, ∂h_t/∂c_{t-1}],
     [∂c_t/∂h_{t-1}, ∂c_t/∂c_{t-1}]]   with ∂c_t/∂c_{t-1} = diag(f_t) here (h_{t-1} held fixed).
    0 <= t <= T-1 (t = 0 differentiates with respect to h0, c0). (B, 2n, 2n) for a batch.
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
