"""The simple RNN of the source article and its exact backpropagation through time.

    c_t = act(W_rec c_{t-1} + W_in x_t + b),   t = 0, …, T-1,   c_{-1} = c0 (zeros by default)

``act`` is the sigmoid (the source's choice) or tanh. Introduced in chapter 2 (forward),
chapter 3 (BPTT) and chapter 4 (the step Jacobian, the source's eq. 2).

Shapes: n hidden units, m inputs, T time steps, optional batch B. ``xs`` is (T, m) or
(T, B, m); states are then (T, n) or (T, B, n).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_array, as_positive_int, as_real, as_rng, as_sequence, as_state, as_time_index
from ._trace import Trace, check_pair
from .activations import activation as _activation
from .activations import check_activation, derivative_from_output

__all__ = ["RNNParams", "RNNTrace", "RNNGrads", "RECURRENT_INITS", "init", "forward", "backward",
           "step_jacobian", "bptt_terms"]


@dataclass(frozen=True)
class RNNParams:
    """Parameters of the simple RNN: W_rec (n, n), W_in (n, m), b (n,), activation name."""

    W_rec: np.ndarray
    W_in: np.ndarray
    b: np.ndarray
    activation: str = "sigmoid"

    def __post_init__(self):
        W_rec = as_array(self.W_rec, "W_rec", (None, None))
        n = W_rec.shape[0]
        if n == 0 or W_rec.shape != (n, n):
            raise ValueError(f"W_rec must be a non-empty square (n, n) matrix, got {W_rec.shape}")
        W_in = as_array(self.W_in, "W_in", (n, None))
        if W_in.shape[1] == 0:
            raise ValueError(f"W_in must have at least one column (m >= 1), got shape {W_in.shape}")
        b = as_array(self.b, "b", (n,))
        object.__setattr__(self, "W_rec", W_rec)
        object.__setattr__(self, "W_in", W_in)
        object.__setattr__(self, "b", b)
        check_activation(self.activation)

    @property
    def n(self) -> int:
        """Number of hidden units."""
        return self.W_rec.shape[0]

    @property
    def m(self) -> int:
        """Number of inputs."""
        return self.W_in.shape[1]


@dataclass(frozen=True)
class RNNGrads:
    """Gradients of a scalar loss with respect to the parameters (and the initial state)."""

    W_rec: np.ndarray
    W_in: np.ndarray
    b: np.ndarray
    c0: np.ndarray


@dataclass(frozen=True)
class RNNTrace(Trace):
    """Everything the forward pass computed: inputs, initial state, states c and act'(z)."""

    xs: np.ndarray
    c0: np.ndarray
    c: np.ndarray
    dact: np.ndarray = field(repr=False)


#: The choices of ``rnn.init(..., recurrent=...)``: how W_rec is drawn before it is scaled.
RECURRENT_INITS = ("gaussian", "orthogonal", "identity")


def init(n: int, m: int, *, rng: np.random.Generator, scale: float = 1.0,
         input_scale: float = 1.0, activation: str = "sigmoid",
         recurrent: str = "gaussian") -> RNNParams:
    """Random parameters whose W_rec has largest singular value exactly ``scale`` (= g).

    ``recurrent`` chooses W_rec, always with ‖W_rec‖₂ = g:

    * ``"gaussian"`` (the default): a Gaussian matrix G rescaled, W_rec = g G / ‖G‖₂; its
      other singular values are smaller than g (the quantity chapter 4's bound is about);
    * ``"orthogonal"``: W_rec = g Q, with Q the orthogonal factor of the QR decomposition of
      G, signs fixed so that R has a positive diagonal (Q is then uniformly distributed over
      the orthogonal matrices; Saxe, McClelland & Ganguli 2014): all n singular values
      equal g, and W_rec is normal;
    * ``"identity"``: W_rec = g I (Le, Jaitly & Hinton 2015).

    W_in ~ N(0, input_scale² / m); b = 0. G is drawn for every choice, so one generator state
    gives the same W_in whichever ``recurrent`` is chosen.

    Used in :ref:`ch2-forward` (chapter 2). The orthogonal and identity choices: derived in
    :ref:`ch4-init` (chapter 4).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    rng = as_rng(rng)
    scale = as_real(scale, "scale", low=0.0)
    input_scale = as_real(input_scale, "input_scale", low=0.0)
    check_activation(activation)
    if recurrent not in RECURRENT_INITS:
        raise ValueError(f"recurrent must be one of {RECURRENT_INITS}, got {recurrent!r}")
    G = rng.standard_normal((n, n))
    if recurrent == "gaussian":
        W_rec = G * (scale / np.linalg.norm(G, 2))
    elif recurrent == "orthogonal":
        Q, R = np.linalg.qr(G)
        W_rec = scale * Q * np.where(np.diag(R) < 0.0, -1.0, 1.0)
    else:
        W_rec = scale * np.eye(n)
    W_in = rng.standard_normal((n, m)) * (input_scale / np.sqrt(m))
    return RNNParams(W_rec, W_in, np.zeros(n), activation)


def forward(params: RNNParams, xs, c0=None) -> RNNTrace:
    """Run the RNN over ``xs`` ((T, m) or (T, B, m)) from ``c0`` ((n,) or (B, n)).

    The input part W_in x_t + b is computed for all t in one product; the loop over time
    does only the recurrent product.

    Derived in :ref:`ch2-model` (eq. 2.1), shown in :ref:`ch2-forward` (chapter 2).
    """
    if not isinstance(params, RNNParams):
        raise ValueError(f"params must be an RNNParams, got {type(params).__name__}")
    xs = as_sequence(xs, "xs", params.m)
    batch = xs.shape[1] if xs.ndim == 3 else None
    c0 = as_state(c0, "c0", params.n, batch)
    act = _activation(params.activation)
    zx = xs @ params.W_in.T + params.b
    c = np.empty(zx.shape)
    prev = c0
    WT = params.W_rec.T
    for t in range(xs.shape[0]):
        prev = c[t] = act(zx[t] + prev @ WT)
    return RNNTrace(xs=xs, c0=c0, c=c, dact=derivative_from_output(params.activation, c))


def _check_trace(params: RNNParams, trace: RNNTrace) -> None:
    check_pair(params, trace, RNNParams, RNNTrace, "rnn.forward")


def _check_backward_args(params, trace, dL_dc) -> np.ndarray:
    _check_trace(params, trace)
    return as_array(dL_dc, "dL_dc", trace.c.shape)


def _backprop_dz(params: RNNParams, trace: RNNTrace, dL_dc) -> tuple[np.ndarray, np.ndarray]:
    """δ_t = ∂L/∂z_t for every t (the pre-activation gradients), and ∂L/∂c0."""
    dz = np.empty_like(dL_dc)
    carry = np.zeros(trace.c.shape[1:])
    W = params.W_rec
    for t in range(trace.T - 1, -1, -1):
        dz[t] = (dL_dc[t] + carry) * trace.dact[t]
        carry = dz[t] @ W
    return dz, carry


def backward(params: RNNParams, trace: RNNTrace, dL_dc) -> RNNGrads:
    """Full BPTT: the gradient of a loss L with respect to W_rec, W_in, b (and c0).

    ``dL_dc[t]`` is the *direct* gradient ∂⁺L/∂c_t (zeros except at the last step for a loss on
    the last state). Summing over all paths, ∂L/∂W = Σ_t δ_tᵀ [c_{t-1}; x_t]ᵀ, with the row
    vectors δ_t = (∂⁺L/∂c_t + δ_{t+1} W_rec) diag(act'(z_t)) of eq. (3.8); a sequence's δ_t are
    the rows of one array. For a batch, gradients are summed over it.

    Derived in :ref:`ch3-recursion` (eq. 3.8, chapter 3).
    """
    dL_dc = _check_backward_args(params, trace, dL_dc)
    dz, dc0 = _backprop_dz(params, trace, dL_dc)
    axes = tuple(range(dz.ndim - 1))
    flat = dz.reshape(-1, params.n)
    return RNNGrads(
        W_rec=flat.T @ trace.c_prev.reshape(-1, params.n),
        W_in=flat.T @ trace.xs.reshape(-1, params.m),
        b=dz.sum(axis=axes),
        c0=dc0,
    )


def bptt_terms(params: RNNParams, trace: RNNTrace, dL_dc) -> RNNGrads:
    """The per-time-step terms of the BPTT gradient, each with a leading T axis.

    Term j is (Π_{t>j} ∂c_t/∂c_{t-1})-weighted immediate derivative ∂⁺c_j/∂W: the part of
    the gradient that enters through time step j. Their sum over j is ``backward``.
    ``c0`` holds ∂L/∂c0 (there is one, not one per step).

    Derived in :ref:`ch3-paths` (eqs. 3.6 and 3.7, chapter 3).
    """
    dL_dc = _check_backward_args(params, trace, dL_dc)
    dz, dc0 = _backprop_dz(params, trace, dL_dc)
    spec = "tbi,tbj->tij" if trace.batched else "ti,tj->tij"
    b_axes = (1,) if trace.batched else ()
    return RNNGrads(
        W_rec=np.einsum(spec, dz, trace.c_prev),
        W_in=np.einsum(spec, dz, trace.xs),
        b=dz.sum(axis=b_axes) if b_axes else dz.copy(),
        c0=dc0,
    )


def step_jacobian(params: RNNParams, trace: RNNTrace, t: int) -> np.ndarray:
    """∂c_t/∂c_{t-1} = diag(act'(z_t)) W_rec, the source's eq. (2) in matrix form.

    Shape (n, n), or (B, n, n) for a batched trace; 1 <= t <= T-1.

    Derived in :ref:`ch4-matrix-form` (chapter 4).
    """
    _check_trace(params, trace)
    t = as_time_index(t, "t", 1, trace.T - 1)
    return trace.dact[t][..., :, None] * params.W_rec
