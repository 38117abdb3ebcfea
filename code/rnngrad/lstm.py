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
# Row order of the fused weights inside forward/backward: the three sigmoid gates side by side
# (one exp for all three), and the three gates whose gradient is scaled by dc side by side.
_FUSED = ("o", "f", "i", "c")


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
    # Fused copies, gates stacked in the order _FUSED (o, f, i, c): W_step = [W | b]
    # (4n × (n+m+1)) for forward, with the sigmoid gates' rows negated so that one product per
    # step gives -z_o, -z_f, -z_i and z_c; W_back = [U_o; U_f; U_i; U_c]ᵀ (n × 4n) for backward.
    W_step: np.ndarray = field(init=False, repr=False, compare=False)
    W_back: np.ndarray = field(init=False, repr=False, compare=False)

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
        Wb = np.concatenate([np.column_stack([getattr(self, f"W_{g}"), getattr(self, f"b_{g}")])
                             for g in _FUSED], axis=0)
        object.__setattr__(self, "W_back", np.ascontiguousarray(Wb[:, :n].T))
        Wb[: 3 * n] *= -1.0
        object.__setattr__(self, "W_step", Wb)

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
    n, m, T = params.n, params.m, xs.shape[0]
    batch = xs.shape[1] if xs.ndim == 3 else None
    h0 = as_state(h0, "h0", n, batch)
    c0 = as_state(c0, "c0", n, batch)
    B = 1 if batch is None else batch
    # For the course's small matrices the time goes into NumPy calls and memory traffic, not
    # arithmetic. So each step makes few calls, in place, on arrays allocated once, stored
    # feature-major ((features, B) per step: every gate's block is contiguous). Row t of hx1 is
    # [h_{t-1}; x_t; 1]: one product with W_step gives every pre-activation, input and bias
    # included, and h_t is written straight into row t+1.
    hx1 = np.empty((T + 1, n + m + 1, B))
    hx1[0, :n] = h0.reshape(B, n).T
    hx1[:T, n: n + m] = xs.reshape(T, B, m).transpose(0, 2, 1)
    hx1[T, n: n + m] = 0.0
    hx1[:, n + m] = 1.0
    q = np.empty((T + 1, 3 * n, B))                 # row t: [tanh(c_t); c_{t-1}; c̃_t]
    q[0, n: 2 * n] = c0.reshape(B, n).T
    sig = np.empty((T, 3 * n, B))                   # row t: [o_t; f_t; i_t]
    z = np.empty((4 * n, B))
    fc = np.empty((2 * n, B))
    W = params.W_step
    with np.errstate(over="ignore"):                # σ(z) = 1/(1+e^{-z}); e^{-z} = inf gives 0
        for t in range(T):
            np.matmul(W, hx1[t], out=z)
            e = z[: 3 * n]
            np.exp(e, out=e)
            e += 1.0
            np.reciprocal(e, out=sig[t])
            row = q[t]
            np.tanh(z[3 * n:], out=row[2 * n:])
            np.multiply(sig[t, n:], row[n:], out=fc)  # [f ⊙ c_{t-1}; i ⊙ c̃]
            c = q[t + 1, n: 2 * n]
            np.add(fc[:n], fc[n:], out=c)
            np.tanh(c, out=row[:n])
            np.multiply(sig[t, :n], row[:n], out=hx1[t + 1, :n])

    def public(a):                                   # (T, features, B) → (T, [B,] features)
        return a.transpose(0, 2, 1) if batch else a[..., 0]

    trace = LSTMTrace(
        xs=xs, h0=h0, c0=c0, h=public(hx1[1:, :n]), c=public(q[1:, n: 2 * n]),
        o=public(sig[:, :n]), f=public(sig[:, n: 2 * n]), i=public(sig[:, 2 * n:]),
        c_tilde=public(q[:T, 2 * n:]), tanh_c=public(q[:T, :n]),
    )
    object.__setattr__(trace, "_buffers", (hx1, q, sig))   # for backward; not a field
    return trace


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


def _feature_major(a: np.ndarray, batched: bool) -> np.ndarray:
    """(T, [B,] k) → a (T, k, B) view."""
    return a.transpose(0, 2, 1) if batched else a[..., None]


def _buffers(trace: LSTMTrace):
    """The forward pass's feature-major arrays (hx1, q, sig), see forward.

    Rebuilt from the fields for a trace that forward did not make (dataclasses.replace).
    """
    saved = trace.__dict__.get("_buffers")
    if saved is not None:
        return saved

    def fm(a):
        return _feature_major(a, trace.batched)
    n, m, T = trace.c.shape[-1], trace.xs.shape[-1], trace.T
    B = trace.xs.shape[1] if trace.batched else 1
    hx1 = np.empty((T, n + m + 1, B))
    hx1[:, :n] = fm(trace.h_prev)
    hx1[:, n: n + m] = fm(trace.xs)
    hx1[:, n + m] = 1.0
    q = np.concatenate([fm(trace.tanh_c), fm(trace.c_prev), fm(trace.c_tilde)], axis=1)
    sig = np.concatenate([fm(trace.o), fm(trace.f), fm(trace.i)], axis=1)
    return hx1, q, sig


# Steps per block in backward: the gate-local derivatives are computed for a block of steps at
# once (few calls for small problems) while the block stays in cache (large problems).
_BLOCK_ELEMENTS = 1 << 15


def _backprop(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc, consume):
    """BPTT in blocks of steps, latest first; returns ∂L/∂h0, ∂L/∂c0.

    For each block, ``consume(k, dz, hx)`` gets the slice k of time steps, dz (L, 4n, B), the
    gradient with respect to the fused pre-activations (gates stacked as _FUSED), and hx
    (L, n+m+1, B), the steps' [h_{t-1}; x_t; 1], so that Σ_b dz hxᵀ is their weight gradient.
    """
    _check_trace(params, trace)
    dL_dh = as_array(dL_dh, "dL_dh", trace.h.shape)
    dL_dc = None if dL_dc is None else as_array(dL_dc, "dL_dc", trace.c.shape)
    hx1, q, sig = _buffers(trace)
    n, T, B = params.n, trace.T, hx1.shape[2]
    g_h = _feature_major(dL_dh, trace.batched)
    g_c = None if dL_dc is None else _feature_major(dL_dc, trace.batched)
    block = max(1, _BLOCK_ELEMENTS // (B * n))
    dz_block = np.empty((min(block, T), 4 * n, B))
    via_h_block = np.empty((min(block, T), n, B))
    dh, dc, tmp = np.zeros((n, B)), np.zeros((n, B)), np.empty((n, B))
    W = params.W_back
    for stop in range(T, 0, -block):
        start = max(0, stop - block)
        k = slice(start, stop)
        dz, via_h, s, r = dz_block[: stop - start], via_h_block[: stop - start], sig[k], q[k]
        # What does not depend on the carried gradient, for the whole block: dz_t is
        # [dh ⊙ tanh(c) σ'_o; dc ⊙ c_{t-1} σ'_f; dc ⊙ c̃ σ'_i; dc ⊙ i tanh'_c], and dc_t also
        # gets dh_t ⊙ o ⊙ tanh'(c_t) through h_t = o ⊙ tanh(c_t).
        local = dz[:, : 3 * n]
        np.subtract(1.0, s, out=local)
        local *= s
        local *= r[:, : 3 * n]
        local = dz[:, 3 * n:]
        np.multiply(r[:, 2 * n:], r[:, 2 * n:], out=local)
        np.subtract(1.0, local, out=local)
        local *= s[:, 2 * n:]
        np.multiply(r[:, :n], r[:, :n], out=via_h)
        np.subtract(1.0, via_h, out=via_h)
        via_h *= s[:, :n]
        for j in range(stop - start - 1, -1, -1):
            dh += g_h[start + j]
            if g_c is not None:
                dc += g_c[start + j]
            np.multiply(dh, via_h[j], out=tmp)
            dc += tmp
            d = dz[j]
            d[:n] *= dh
            by_dc = d[n:].reshape(3, n, B)
            by_dc *= dc
            dh = W @ d                                  # carried to step t - 1
            dc *= s[j, n: 2 * n]
        consume(k, dz, hx1[k])
    if trace.batched:
        return np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T)
    return dh[:, 0], dc[:, 0]


def _split(params: LSTMParams, gWb: np.ndarray, dh0, dc0) -> LSTMGrads:
    """LSTMGrads from the fused [W | b] gradient (..., 4n, n+m+1)."""
    n, m = params.n, params.m
    kw = {}
    for k, g in enumerate(_FUSED):
        rows = gWb[..., k * n: (k + 1) * n, :]
        kw[f"W_{g}"] = rows[..., : n + m].copy()
        kw[f"b_{g}"] = rows[..., n + m].copy()
    return LSTMGrads(**kw, h0=dh0, c0=dc0)


def backward(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc=None) -> LSTMGrads:
    """Full BPTT through the LSTM.

    ``dL_dh[t]`` and ``dL_dc[t]`` are the direct gradients of the loss with respect to h_t and
    c_t (``dL_dc`` defaults to zeros). Returns gradients with the fields of LSTMParams (summed
    over a batch) and ∂L/∂h0, ∂L/∂c0.
    """
    rows = 4 * params.n
    gWb = np.zeros((rows, params.n + params.m + 1))

    def accumulate(k, dz, hx):
        cols = dz.shape[0] * dz.shape[2]
        np.add(gWb, dz.transpose(1, 0, 2).reshape(rows, cols)
               @ hx.transpose(1, 0, 2).reshape(-1, cols).T, out=gWb)

    dh0, dc0 = _backprop(params, trace, dL_dh, dL_dc, accumulate)
    return _split(params, gWb, dh0, dc0)


def bptt_terms(params: LSTMParams, trace: LSTMTrace, dL_dh, dL_dc=None) -> LSTMGrads:
    """Per-time-step terms of the LSTM's BPTT gradient (leading T axis); they sum to ``backward``."""
    _check_trace(params, trace)
    gWb = np.empty((trace.T, 4 * params.n, params.n + params.m + 1))

    def store(k, dz, hx):
        np.matmul(dz, hx.transpose(0, 2, 1), out=gWb[k])

    dh0, dc0 = _backprop(params, trace, dL_dh, dL_dc, store)
    return _split(params, gWb, dh0, dc0)


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
