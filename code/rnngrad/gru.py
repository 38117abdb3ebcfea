"""The gated recurrent unit (GRU) in PyTorch's convention, and its exact BPTT (the GRU chapter).

For t = 0, …, T-1, from h_{-1} = h0 (zeros by default):

    z_t = σ(W_z [h_{t-1}, x_t] + b_z)                          update gate
    r_t = σ(W_r [h_{t-1}, x_t] + b_r)                          reset gate
    h̃_t = tanh(V_n x_t + b_n + r_t ⊙ (U_n h_{t-1} + b_hn))     candidate
    h_t = (1 - z_t) ⊙ h̃_t + z_t ⊙ h_{t-1}

[h_{t-1}, x_t] is the concatenation, h first, so each W_g = [U_g | V_g] with the h-block
U_g = W_g[:, :n] (n × n) and the x-block V_g = W_g[:, n:] (n × m), as for the LSTM; the
candidate's W_n = [U_n | V_n] (PyTorch's W_hn and W_in). The update gate z_t keeps the old
state and 1 - z_t writes the candidate; the reset gate multiplies the recurrent product
U_n h_{t-1} + b_hn *after* it is formed. Cho et al. (2014) apply it before (U_n (r_t ⊙ h_{t-1})),
and some texts swap z_t and 1 - z_t: ``gru_variants`` writes those forms out. Symbols as on
the book's Notation page.

Shapes: n units, m inputs, T steps, optional batch B. ``xs`` is (T, m) or (T, B, m); h and the
gates are then (T, n) or (T, B, n). In code a batch holds one sequence per row, so
W_g [h_{t-1}, x_t] is written ``hx @ W_g.T`` with ``hx`` the rows [h_{t-1}, x_t].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ._checks import as_array, as_positive_int, as_real, as_rng, as_sequence, as_state, as_time_index
from ._trace import Trace, check_pair, previous

__all__ = ["GRUParams", "GRUTrace", "GRUGrads", "JacobianTerms", "init", "forward", "backward",
           "step_jacobian", "step_jacobian_terms", "input_jacobian"]

#: The three maps of the cell: the update gate z, the reset gate r and the candidate n.
GATES = ("z", "r", "n")


@dataclass(frozen=True)
class GRUParams:
    """GRU parameters: W_z, W_r, W_n (each n × (n+m)), b_z, b_r, b_n and b_hn (each n)."""

    W_z: np.ndarray
    W_r: np.ndarray
    W_n: np.ndarray
    b_z: np.ndarray
    b_r: np.ndarray
    b_n: np.ndarray
    b_hn: np.ndarray

    def __post_init__(self):
        W_z = as_array(self.W_z, "W_z", (None, None))
        n = W_z.shape[0]
        if n == 0 or W_z.shape[1] <= n:
            raise ValueError(
                f"W_z must have shape (n, n+m) with n >= 1 and m >= 1, got {W_z.shape}"
            )
        m = W_z.shape[1] - n
        for g in GATES:
            object.__setattr__(self, f"W_{g}", as_array(getattr(self, f"W_{g}"), f"W_{g}", (n, n + m)))
            object.__setattr__(self, f"b_{g}", as_array(getattr(self, f"b_{g}"), f"b_{g}", (n,)))
        object.__setattr__(self, "b_hn", as_array(self.b_hn, "b_hn", (n,)))

    @property
    def n(self) -> int:
        """Number of units."""
        return self.W_z.shape[0]

    @property
    def m(self) -> int:
        """Number of inputs."""
        return self.W_z.shape[1] - self.n

    def U(self, gate: str) -> np.ndarray:
        """The h-block W_gate[:, :n] of a map ('z', 'r' or 'n')."""
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        return getattr(self, f"W_{gate}")[:, : self.n]

    def V(self, gate: str) -> np.ndarray:
        """The x-block W_gate[:, n:] of a map ('z', 'r' or 'n')."""
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        return getattr(self, f"W_{gate}")[:, self.n:]


@dataclass(frozen=True)
class GRUGrads:
    """Gradients of a scalar loss: the fields of GRUParams, plus h0."""

    W_z: np.ndarray
    W_r: np.ndarray
    W_n: np.ndarray
    b_z: np.ndarray
    b_r: np.ndarray
    b_n: np.ndarray
    b_hn: np.ndarray
    h0: np.ndarray


@dataclass(frozen=True)
class GRUTrace(Trace):
    """The forward pass: inputs, initial state, h, the gates z, r, the candidate h̃ and the
    candidate's recurrent part U_n h_{t-1} + b_hn (before the reset gate multiplies it)."""

    xs: np.ndarray
    h0: np.ndarray
    h: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    n_rec: np.ndarray = field(repr=False)

    @property
    def units(self) -> int:
        """Number of units: the width of h."""
        return self.h.shape[-1]

    @property
    def h_prev(self) -> np.ndarray:
        """h_{t-1} for t = 0 … T-1 (h0 first): shape of ``h``."""
        return previous(self.h0, self.h)

    @property
    def c_prev(self):
        raise AttributeError("a GRU has no cell state c: its only state is h (see h_prev)")


def init(n: int, m: int, *, rng: np.random.Generator, update_bias: float = 0.0,
         weight_scale: float = 1.0) -> GRUParams:
    """Random GRU parameters: W_g ~ N(0, weight_scale² / (n+m)), b_z = update_bias, others 0.

    A large update bias starts the cell with z_t ≈ σ(b_z) near 1: it keeps its state and
    writes little, as a large forget bias does for the LSTM.

    Used in :ref:`gru-cell`, its bias in :ref:`gru-bias` (the GRU chapter).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    rng = as_rng(rng)
    update_bias = as_real(update_bias, "update_bias")
    weight_scale = as_real(weight_scale, "weight_scale", low=0.0)
    Ws = {g: rng.standard_normal((n, n + m)) * (weight_scale / np.sqrt(n + m)) for g in GATES}
    return GRUParams(**{f"W_{g}": Ws[g] for g in GATES}, b_z=np.full(n, update_bias),
                     b_r=np.zeros(n), b_n=np.zeros(n), b_hn=np.zeros(n))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{-z}), to be called under ``np.errstate(over="ignore")`` (as lstm's)."""
    return 1.0 / (1.0 + np.exp(-z))


def forward(params: GRUParams, xs, h0=None) -> GRUTrace:
    """Run the GRU over ``xs`` ((T, m) or (T, B, m)) from h0 ((n,) or (B, n), zeros by
    default), gate by gate. For t = 0 … T-1:

        z_t = σ(W_z [h_{t-1}, x_t] + b_z),   r_t = σ(W_r [h_{t-1}, x_t] + b_r),
        h̃_t = tanh(V_n x_t + b_n + r_t ⊙ (U_n h_{t-1} + b_hn)),
        h_t = (1 - z_t) ⊙ h̃_t + z_t ⊙ h_{t-1}.

    W_g [h_{t-1}, x_t] = U_g h_{t-1} + V_g x_t: the input parts V_g x_t + b_g are computed for
    all t before the loop (one product per map), so each step multiplies only h_{t-1}.
    Returns the GRUTrace: h, z, r, h_tilde and n_rec, each (T, n) or (T, B, n).

    Derived in :ref:`gru-cell` (the GRU chapter).
    """
    if not isinstance(params, GRUParams):
        raise ValueError(f"params must be a GRUParams, got {type(params).__name__}")
    xs = as_sequence(xs, "xs", params.m)
    batch = xs.shape[1] if xs.ndim == 3 else None
    h0 = as_state(h0, "h0", params.n, batch)

    vz, vr, vn = (xs @ params.V(g).T + getattr(params, f"b_{g}") for g in GATES)  # V_g x_t + b_g
    U_zT, U_rT, U_nT = (params.U(g).T for g in GATES)
    z, r, h_tilde, n_rec, h = np.empty((5, xs.shape[0]) + h0.shape)
    h_prev = h0
    with np.errstate(over="ignore"):                      # see _sigmoid
        for t in range(xs.shape[0]):
            z[t] = _sigmoid(vz[t] + h_prev @ U_zT)
            r[t] = _sigmoid(vr[t] + h_prev @ U_rT)
            n_rec[t] = h_prev @ U_nT + params.b_hn          # U_n h_{t-1} + b_hn
            h_tilde[t] = np.tanh(vn[t] + r[t] * n_rec[t])
            h[t] = (1.0 - z[t]) * h_tilde[t] + z[t] * h_prev
            h_prev = h[t]
    return GRUTrace(xs=xs, h0=h0, h=h, z=z, r=r, h_tilde=h_tilde, n_rec=n_rec)


def _check_trace(params: GRUParams, trace: GRUTrace) -> None:
    check_pair(params, trace, GRUParams, GRUTrace, "gru.forward")


def backward(params: GRUParams, trace: GRUTrace, dL_dh) -> GRUGrads:
    """Full BPTT through the GRU, latest step first.

    ``dL_dh[t]`` is the direct gradient of the loss with respect to h_t. With dh = ∂L/∂h_t
    (direct, plus what comes back from step t+1) and the pre-activations a_z, a_r, a_n of
    z_t, r_t, h̃_t, step t gives, through h_t = (1 - z_t) ⊙ h̃_t + z_t ⊙ h_{t-1}:

        ∂L/∂a_z = dh ⊙ (h_{t-1} - h̃_t) ⊙ z_t ⊙ (1 - z_t)
        ∂L/∂a_n = dh ⊙ (1 - z_t) ⊙ (1 - h̃_t²)
        ∂L/∂a_r = ∂L/∂a_n ⊙ (U_n h_{t-1} + b_hn) ⊙ r_t ⊙ (1 - r_t)
        ∂L/∂(U_n h_{t-1} + b_hn) = ∂L/∂a_n ⊙ r_t
        ∂L/∂h_{t-1} = dh ⊙ z_t + U_zᵀ ∂L/∂a_z + U_rᵀ ∂L/∂a_r + U_nᵀ (∂L/∂a_n ⊙ r_t)

    and the weights collect Σ_t (gradient) ⊗ (what it multiplied): h_{t-1} for the U_g, x_t
    for the V_g. Returns the gradients with the fields of GRUParams (summed over a batch) and
    ∂L/∂h0.

    Derived in :ref:`gru-jacobian` (the GRU chapter).
    """
    _check_trace(params, trace)
    dL_dh = as_array(dL_dh, "dL_dh", trace.h.shape)
    z, r, h_tilde, n_rec = trace.z, trace.r, trace.h_tilde, trace.n_rec
    h_prev = trace.h_prev
    U_z, U_r, U_n = (params.U(g) for g in GATES)
    da_z, da_r, da_n, dn_rec = np.empty((4,) + trace.h.shape)
    dh_next = np.zeros(trace.h0.shape)                    # ∂L/∂h_t through step t+1
    for t in range(trace.T - 1, -1, -1):
        dh = dL_dh[t] + dh_next                           # ∂L/∂h_t
        da_z[t] = dh * (h_prev[t] - h_tilde[t]) * z[t] * (1.0 - z[t])
        da_n[t] = dh * (1.0 - z[t]) * (1.0 - h_tilde[t] ** 2)
        da_r[t] = da_n[t] * n_rec[t] * r[t] * (1.0 - r[t])
        dn_rec[t] = da_n[t] * r[t]
        dh_next = dh * z[t] + da_z[t] @ U_z + da_r[t] @ U_r + dn_rec[t] @ U_n

    def rows(a):                                          # steps (and sequences) as rows
        return a.reshape(-1, a.shape[-1])

    h_rows, x_rows = rows(h_prev), rows(trace.xs)

    def weights(d_h, d_x):                                # [∂L/∂U_g | ∂L/∂V_g]
        return np.hstack([rows(d_h).T @ h_rows, rows(d_x).T @ x_rows])

    return GRUGrads(
        W_z=weights(da_z, da_z), W_r=weights(da_r, da_r), W_n=weights(dn_rec, da_n),
        b_z=rows(da_z).sum(axis=0), b_r=rows(da_r).sum(axis=0),
        b_n=rows(da_n).sum(axis=0), b_hn=rows(dn_rec).sum(axis=0),
        h0=dh_next,
    )


class JacobianTerms(NamedTuple):
    """The four terms of ∂h_t/∂h_{t-1}, one per way h_{t-1} reaches h_t (they sum to it)."""

    direct: np.ndarray      # diag(z_t): h_{t-1} kept, no weights (the LSTM's B_t)
    update: np.ndarray      # through the update gate z_t (U_z)
    candidate: np.ndarray   # through the candidate's product U_n h_{t-1} (U_n)
    reset: np.ndarray       # through the reset gate r_t (U_r)


def step_jacobian_terms(params: GRUParams, trace: GRUTrace, t: int) -> JacobianTerms:
    """∂h_t/∂h_{t-1} split by the path h_{t-1} takes to h_t = (1 - z_t) ⊙ h̃_t + z_t ⊙ h_{t-1}:

        direct    = diag(z_t)
        update    = diag((h_{t-1} - h̃_t) ⊙ z_t ⊙ (1 - z_t)) U_z
        candidate = diag((1 - z_t) ⊙ (1 - h̃_t²) ⊙ r_t) U_n
        reset     = diag((1 - z_t) ⊙ (1 - h̃_t²) ⊙ (U_n h_{t-1} + b_hn) ⊙ r_t ⊙ (1 - r_t)) U_r

    Each (n, n), or (B, n, n) for a batched trace; 0 <= t <= T-1 (t = 0: with respect to h0).

    Derived in :ref:`gru-jacobian`, checked by SymPy in :ref:`gru-sympy` (the GRU chapter).
    """
    _check_trace(params, trace)
    t = as_time_index(t, "t", 0, trace.T - 1)
    return _terms_at(params, trace, t)


def _terms_at(params: GRUParams, trace: GRUTrace, t) -> JacobianTerms:
    """The four terms at time index ``t``, which may be a slice (a stack over t)."""
    z, r, ht, n_rec = trace.z[t], trace.r[t], trace.h_tilde[t], trace.n_rec[t]
    write = (1.0 - z) * (1.0 - ht * ht)                   # ∂h_t/∂(candidate's pre-activation)
    return JacobianTerms(
        direct=z[..., :, None] * np.eye(z.shape[-1]),
        update=((trace.h_prev[t] - ht) * z * (1.0 - z))[..., :, None] * params.U("z"),
        candidate=(write * r)[..., :, None] * params.U("n"),
        reset=(write * n_rec * r * (1.0 - r))[..., :, None] * params.U("r"),
    )


def step_jacobian(params: GRUParams, trace: GRUTrace, t: int) -> np.ndarray:
    """∂h_t/∂h_{t-1} = diag(z_t) + (the terms through U_z, U_n and U_r): the sum of
    :func:`step_jacobian_terms`. Shape (n, n), or (B, n, n) for a batched trace;
    0 <= t <= T-1 (t = 0 differentiates with respect to h0).

    Derived in :ref:`gru-jacobian`, checked by SymPy in :ref:`gru-sympy` (the GRU chapter).
    """
    _check_trace(params, trace)
    t = as_time_index(t, "t", 0, trace.T - 1)
    return sum(_terms_at(params, trace, t))


def input_jacobian(params: GRUParams, trace: GRUTrace, t: int) -> np.ndarray:
    """∂h_t/∂x_t: how step t writes its input into the state. With w = (1 - z_t) ⊙ (1 - h̃_t²),

        ∂h_t/∂x_t = diag((h_{t-1} - h̃_t) ⊙ z_t ⊙ (1 - z_t)) V_z + diag(w) V_n
                    + diag(w ⊙ (U_n h_{t-1} + b_hn) ⊙ r_t ⊙ (1 - r_t)) V_r.

    Every path but the update gate's carries the factor 1 - z_t. Shape (n, m), or (B, n, m)
    for a batched trace; 0 <= t <= T-1.

    Used in :ref:`gru-vanish` (the GRU chapter).
    """
    _check_trace(params, trace)
    t = as_time_index(t, "t", 0, trace.T - 1)
    return _input_jacobian_at(params, trace, t)


def _input_jacobian_at(params: GRUParams, trace: GRUTrace, t) -> np.ndarray:
    """∂h_t/∂x_t at time index ``t``, which may be a slice (a stack over t)."""
    z, r, ht, n_rec = trace.z[t], trace.r[t], trace.h_tilde[t], trace.n_rec[t]
    write = (1.0 - z) * (1.0 - ht * ht)
    return (((trace.h_prev[t] - ht) * z * (1.0 - z))[..., :, None] * params.V("z")
            + write[..., :, None] * params.V("n")
            + (write * n_rec * r * (1.0 - r))[..., :, None] * params.V("r"))
