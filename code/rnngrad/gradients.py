"""How gradients travel back through time: products of step Jacobians (chapters 3, 4, 6, 7).

For the RNN the step Jacobian is J_t = ∂c_t/∂c_{t-1} = diag(act'(z_t)) W_rec (eq. 2). For the
LSTM there are two products to compare:

* ``path="full"``: the true ∂c_{T-1}/∂c_{T-1-k}, the c-block of the product of full state
  Jacobians ∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}) (every path, including through the output gate);
* ``path="cell"``: the source's product Π (A_t + B_t + C_t + D_t) of eq. (6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import lstm as _lstm
from . import rnn as _rnn
from ._checks import as_array, as_positive_int
from .activations import GAMMA

__all__ = ["step_jacobians", "jacobian_products", "gradient_norm_vs_lag", "bptt_terms",
           "step_contribution_norms", "LagCurve", "rnn_lag_curve"]

_NORMS = {"spectral": 2, "fro": "fro"}


def _unbatched(trace, name="trace"):
    if trace.batched:
        raise ValueError(
            f"{name} must come from a single sequence xs of shape (T, m), not a batch "
            f"(got xs of shape {trace.xs.shape})"
        )


def step_jacobians(params, trace, path: str = "full") -> np.ndarray:
    """All step Jacobians of one sequence, stacked: (T-1, d, d) for t = 1 … T-1.

    RNN: d = n, J_t = diag(act'(z_t)) W_rec. LSTM ``path="full"``: d = 2n, the state Jacobians
    [h; c]; ``path="cell"``: d = n, A_t + B_t + C_t + D_t.
    """
    if isinstance(params, _rnn.RNNParams):
        _rnn._check_trace(params, trace)
        _unbatched(trace)
        return trace.dact[1:, :, None] * params.W_rec
    if isinstance(params, _lstm.LSTMParams):
        _lstm._check_trace(params, trace)
        _unbatched(trace)
        if path == "full":
            fn = _lstm.state_jacobian
            return np.stack([fn(params, trace, t) for t in range(1, trace.T)]) if trace.T > 1 \
                else np.empty((0, 2 * params.n, 2 * params.n))
        if path == "cell":
            return np.stack([sum(_lstm.cell_jacobian_terms(params, trace, t))
                             for t in range(1, trace.T)]) if trace.T > 1 \
                else np.empty((0, params.n, params.n))
        raise ValueError(f"path must be 'full' or 'cell', got {path!r}")
    raise ValueError(f"params must be RNNParams or LSTMParams, got {type(params).__name__}")


def jacobian_products(jacobians) -> np.ndarray:
    """Running products P_k = J_{T-1} J_{T-2} … J_{T-k} for k = 0 … K (P_0 = I).

    ``jacobians`` is a stack (K, d, d) of J_1 … J_K in time order (K = T-1). P_k is
    ∂c_{T-1}/∂c_{T-1-k}. Returns (K+1, d, d); one matrix product per lag.
    """
    J = as_array(jacobians, "jacobians", (None, None, None))
    K, d, d2 = J.shape
    if d != d2:
        raise ValueError(f"jacobians must be a stack of square matrices, got shape {J.shape}")
    P = np.empty((K + 1, d, d))
    P[0] = np.eye(d)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, K + 1):
            np.matmul(P[k - 1], J[K - k], out=P[k])
    return P


def gradient_norm_vs_lag(params, trace, *, norm: str = "spectral", path: str = "full") -> np.ndarray:
    """‖∂c_{T-1}/∂c_{T-1-k}‖ for every lag k = 0 … T-1, by running products (not T backward passes).

    ``norm`` is 'spectral' (the largest singular value; the norm of chapter 4's bound) or
    'fro'. For the LSTM, ``path`` picks the true derivative ('full': the c-block of the state
    Jacobian product) or the source's product of A+B+C+D ('cell'). Entries overflow to inf
    when the product explodes past float64 range; they are left as inf, never wrapped.
    """
    if norm not in _NORMS:
        raise ValueError(f"norm must be 'spectral' or 'fro', got {norm!r}")
    P = jacobian_products(step_jacobians(params, trace, path))
    if isinstance(params, _lstm.LSTMParams) and path == "full":
        n = params.n
        P = P[:, n:, n:]
    out = np.full(P.shape[0], np.inf)
    ok = np.all(np.isfinite(P), axis=(1, 2))
    if norm == "fro":
        out[ok] = np.sqrt(np.einsum("kij,kij->k", P[ok], P[ok]))
    elif ok.any():
        out[ok] = np.linalg.svd(P[ok], compute_uv=False)[:, 0]
    return out


def bptt_terms(params, trace, dL_dh_or_dc, dL_dc=None):
    """Per-time-step terms of the BPTT gradient (each field has a leading T axis); see
    ``rnn.bptt_terms`` and ``lstm.bptt_terms``. Their sum over t is the full gradient."""
    if isinstance(params, _rnn.RNNParams):
        if dL_dc is not None:
            raise ValueError("dL_dc is only for the LSTM; for the RNN pass dL_dc as the third argument")
        return _rnn.bptt_terms(params, trace, dL_dh_or_dc)
    if isinstance(params, _lstm.LSTMParams):
        return _lstm.bptt_terms(params, trace, dL_dh_or_dc, dL_dc)
    raise ValueError(f"params must be RNNParams or LSTMParams, got {type(params).__name__}")


def step_contribution_norms(terms) -> np.ndarray:
    """Frobenius norm of each time step's contribution to the recurrent-weight gradient.

    RNN: ‖term_t(W_rec)‖; LSTM: the norm over all four gate matrices. Shape (T,).
    """
    if isinstance(terms, _rnn.RNNGrads):
        mats = [terms.W_rec]
    elif isinstance(terms, _lstm.LSTMGrads):
        mats = [terms.W_f, terms.W_i, terms.W_c, terms.W_o]
    else:
        raise ValueError(f"terms must come from bptt_terms, got {type(terms).__name__}")
    if mats[0].ndim != 3:
        raise ValueError("terms must have a leading time axis (use bptt_terms, not backward)")
    return np.sqrt(sum(np.einsum("tij,tij->t", M, M) for M in mats))


@dataclass(frozen=True)
class LagCurve:
    """A gradient-norm-vs-lag curve with its theoretical bound (chapter 4 and the explorers)."""

    lags: np.ndarray
    norms: np.ndarray
    bound: np.ndarray
    label: str


def rnn_lag_curve(*, n: int = 16, T: int = 60, scale: float = 1.0, activation: str = "sigmoid",
                  seed: int = 0, input_scale: float = 1.0) -> LagCurve:
    """‖∂c_{T-1}/∂c_{T-1-k}‖₂ for a random RNN with ‖W_rec‖₂ = ``scale`` on random inputs.

    The bound is (γ · scale)^k with γ = sup act' (1/4 for the sigmoid, 1 for tanh): each step
    Jacobian diag(act'(z_t)) W_rec has norm at most γ‖W_rec‖₂. Deterministic given ``seed``.
    """
    T = as_positive_int(T, "T", minimum=2)
    rng = np.random.default_rng(as_positive_int(seed, "seed", minimum=0))
    params = _rnn.init(n, 1, rng=rng, scale=scale, input_scale=input_scale, activation=activation)
    trace = _rnn.forward(params, rng.standard_normal((T, 1)))
    lags = np.arange(T)
    with np.errstate(over="ignore"):
        bound = (GAMMA[activation] * scale) ** lags.astype(float)
    return LagCurve(lags, gradient_norm_vs_lag(params, trace), bound,
                    f"{activation} RNN, ‖W_rec‖₂ = {scale:g}")
