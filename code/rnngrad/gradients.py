"""How gradients travel back through time: products of step Jacobians (chapters 3, 4, 6, 7).

For the RNN the step Jacobian is J_t = ∂c_t/∂c_{t-1} = diag(act'(z_t)) W_rec (eq. 2). For the
LSTM there are two products to compare:

* ``path="full"``: the true ∂c_{T-1}/∂c_{T-1-k}, the c-block of the product of full state
  Jacobians ∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}) (every path, including through the output gate);
* ``path="cell"``: the source's product Π (A_t + B_t + C_t + D_t) of eq. (6).

For the GRU, whose only state is h, the step Jacobian is J_t = ∂h_t/∂h_{t-1} (``gru.step_jacobian``)
and the products are ∂h_{T-1}/∂h_{T-1-k} (the GRU chapter).

The seeded random networks whose curves the chapters plot are drawn in ``lag_curves``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from ._checks import as_array
from ._linalg import frobenius_norms, largest_abs, unscaled

__all__ = ["step_jacobians", "jacobian_products", "gradient_norm_vs_lag", "step_contribution_norms",
           "cell_term_norms", "CellPathGap", "cell_path_gap", "StateBlockNorms",
           "state_block_norms", "eq4_single_path", "Eq4Gap", "eq4_gap", "power_norms"]

_NORMS = {"spectral": 2, "fro": "fro"}


def _check_sequence(params, trace, path: str = "full") -> None:
    """The checks of this module's public functions: ``path``, a model's parameters and a trace
    of one sequence (not a batch) that matches them. The private helpers assume them done."""
    if path not in ("full", "cell"):
        raise ValueError(f"path must be 'full' or 'cell', got {path!r}")
    if isinstance(params, _rnn.RNNParams):
        _rnn._check_trace(params, trace)
    elif isinstance(params, _lstm.LSTMParams):
        _lstm._check_trace(params, trace)
    elif isinstance(params, _gru.GRUParams):
        _gru._check_trace(params, trace)
        if path != "full":
            raise ValueError("path must be 'full' for a GRU (path='cell' is the LSTM's product "
                             f"of eq. (6) terms), got {path!r}")
    else:
        raise ValueError(f"params must be RNNParams, LSTMParams or GRUParams, "
                         f"got {type(params).__name__}")
    if trace.batched:
        raise ValueError(
            f"trace must come from a single sequence xs of shape (T, m), not a batch "
            f"(got xs of shape {trace.xs.shape})"
        )


def step_jacobians(params, trace, path: str = "full") -> np.ndarray:
    """All step Jacobians of one sequence, stacked: (T-1, d, d) for t = 1 … T-1.

    RNN: d = n, J_t = diag(act'(z_t)) W_rec. LSTM ``path="full"``: d = 2n, the state Jacobians
    [h; c]; ``path="cell"``: d = n, A_t + B_t + C_t + D_t. GRU: d = n, ∂h_t/∂h_{t-1}.

    Derived in :ref:`ch4-matrix-form` (chapter 4), :ref:`ch6-full-jacobian` (chapter 6) and
    :ref:`gru-jacobian` (the GRU chapter).
    """
    _check_sequence(params, trace, path)
    return _step_jacobians(params, trace, path)


def _step_jacobians(params, trace, path: str) -> np.ndarray:
    """The stack of step_jacobians, for arguments already checked."""
    if isinstance(params, _rnn.RNNParams):
        return trace.dact[1:, :, None] * params.W_rec
    if isinstance(params, _gru.GRUParams):
        return sum(_gru._terms_at(params, trace, slice(1, trace.T)))
    if path == "full":
        return _lstm._state_jacobian_at(params, trace, slice(1, trace.T))
    return sum(_lstm._cell_terms_at(params, trace, slice(1, trace.T), slice(0, trace.T - 1)))


def _scaled_products(J: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running products S J_K … J_{K-k+1}, each stored scaled by a power of two.

    Returns (P̂, exps) with P_k = P̂_k · 2^exps[k] exactly (the scaling only shifts exponents)
    and |P̂_k| ≤ 1. Keeping P̂ of order one avoids float64 overflow and, as important,
    subnormal numbers: a product that has vanished to ~1e-310 makes every further matrix
    product tens of times slower.
    """
    K = J.shape[0]
    P = np.empty((K + 1,) + S.shape)
    P[0] = S
    exps = np.zeros(K + 1, dtype=np.int64)
    for k in range(1, K + 1):
        np.matmul(P[k - 1], J[K - k], out=P[k])
        e = int(np.frexp(max(P[k].max(), -P[k].min()))[1])   # 0 for an all-zero product
        np.ldexp(P[k], -e, out=P[k])
        exps[k] = exps[k - 1] + e
    return P, exps


def _rescale(values: np.ndarray, exps: np.ndarray) -> np.ndarray:
    """values · 2^exps along the first axis, exactly; beyond float64's range: inf or 0."""
    e = np.clip(exps, -1_000_000, 1_000_000).astype(np.int32)
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(values, e.reshape((-1,) + (1,) * (np.ndim(values) - 1)))


def jacobian_products(jacobians, start=None) -> np.ndarray:
    """Running products P_k = S J_{T-1} J_{T-2} … J_{T-k} for k = 0 … K (P_0 = S).

    ``jacobians`` is a stack (K, d, d) of J_1 … J_K in time order (K = T-1); ``start`` S is
    (r, d), the identity by default, so P_k is ∂c_{T-1}/∂c_{T-1-k}. A start with fewer rows
    keeps only the rows that are needed (the LSTM's c-rows). Returns (K+1, r, d); one matrix
    product per lag. Entries beyond float64's range come out as inf or 0.

    Derived in :ref:`ch3-paths` (chapter 3).
    """
    J = as_array(jacobians, "jacobians", (None, None, None))
    K, d, d2 = J.shape
    if d != d2:
        raise ValueError(f"jacobians must be a stack of square matrices, got shape {J.shape}")
    S = np.eye(d) if start is None else as_array(start, "start", (None, d))
    return _rescale(*_scaled_products(J, S))


def _lag_jacobians_scaled(params, trace, path: str) -> tuple[np.ndarray, np.ndarray]:
    """(M̂, exps) with ∂c_{T-1}/∂c_{T-1-k} = M̂_k · 2^exps[k] for every lag k = 0 … T-1 (T, n, n).

    RNN: the running products of eq. (2). LSTM, ``path``:

    * 'full', the true total derivative: perturbing c_j also moves h_j = o_j ⊙ tanh(c_j), and
      the perturbation then travels through every path of the state Jacobians,
      ∂c_{T-1}/∂c_j = P[c, h] diag(o_j ⊙ tanh'(c_j)) + P[c, c] with P = ∂(h,c)_{T-1}/∂(h,c)_j
      (at lag 1 this is exactly A+B+C+D);
    * 'cell', the source's product of A+B+C+D over the steps, which drops the paths through
      the output gates o_{j+1}, …, o_{T-2} (chapter 6).
    """
    if isinstance(params, _lstm.LSTMParams) and path == "full":
        return _lstm_full_lag_scaled(params, trace)
    J = _step_jacobians(params, trace, path)
    return _scaled_products(J, np.eye(J.shape[-1]))


def _lstm_full_lag_scaled(params, trace) -> tuple[np.ndarray, np.ndarray]:
    """The LSTM's true ∂c_{T-1}/∂c_j for j = T-1, T-2, …, 0, scaled as in _scaled_products.

    Only c_{T-1} is differentiated, so the running product P = ∂c_{T-1}/∂(h_j, c_j) = [P_h | P_c]
    has n rows, and the structure of the state Jacobian (see lstm.state_jacobian) gives one
    step without forming it: with M = ∂c_{T-1}/∂c_j = P_h diag(s_j) + P_c, s = o ⊙ tanh'(c),

        P_c ← M diag(f_j),    P_h ← M (∂c_j/∂h_{j-1}) + P_h diag(tanh(c_j) ⊙ σ'(z_o)) U_o,

    two n × n products per step instead of one (n × 2n)(2n × 2n) product and no stack of
    (2n × 2n) Jacobians in memory.
    """
    n, T = params.n, trace.T
    f, i, ct, o, tc = trace.f, trace.i, trace.c_tilde, trace.o, trace.tanh_c
    s = o * (1.0 - tc * tc)                                     # ∂h_j/∂c_j (diagonal)
    beta = tc * o * (1.0 - o)                                   # ∂h_j/∂z_o,j
    alpha = np.stack([trace.c_prev * f * (1.0 - f), ct * i * (1.0 - i), i * (1.0 - ct * ct)],
                     axis=1)[..., None]                         # ∂c_j/∂z_g,j for g = f, i, c
    U = np.stack([params.U(g) for g in ("f", "i", "c")])        # (3, n, n)
    U_o = params.U("o")
    M = np.empty((T, n, n))
    exps = np.zeros(T, dtype=np.int64)
    P = np.zeros((n, 2 * n))                                    # [P_h | P_c], scaled
    P_h, P_c = P[:, :n], P[:, n:]
    P_c[...] = np.eye(n)
    dc_dh, terms, h_part = np.empty((n, n)), np.empty((3, n, n)), np.empty((n, n))
    for k in range(T):
        j = T - 1 - k
        np.multiply(P_h, s[j], out=M[k])
        M[k] += P_c
        if j == 0:
            break
        np.multiply(alpha[j], U, out=terms)                     # ∂c_j/∂h_{j-1} = Σ_g diag(α_g) U_g
        np.add(terms[0], terms[1], out=dc_dh)
        dc_dh += terms[2]
        np.multiply(P_h, beta[j], out=h_part)
        np.matmul(M[k], dc_dh, out=P_h)
        P_h += h_part @ U_o
        np.multiply(M[k], f[j], out=P_c)
        e = int(np.frexp(max(P.max(), -P.min()))[1])           # 0 for an all-zero product
        np.ldexp(P, -e, out=P)
        exps[k + 1] = exps[k] + e
    return M, exps


def _matrix_norms(M: np.ndarray, norm: str) -> np.ndarray:
    """Norm of each matrix of a stack. 'spectral': σ_max = sqrt(λ_max(G)), G = M Mᵀ, about a
    fifth faster than an SVD and as accurate for σ_max (a few ulps). Squaring is safe while
    trace G = ‖M‖²_F is within 1e±200; other matrices (and those with inf/NaN) are redone
    scaled by their largest |entry| first."""
    if norm == "fro":
        return frobenius_norms(M)

    def sigma_max(G):
        return np.sqrt(np.maximum(np.linalg.eigvalsh(G)[:, -1], 0.0))

    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        G = M @ M.transpose(0, 2, 1)
        trace = np.trace(G, axis1=1, axis2=2)
        fast = (trace >= 1e-200) & (trace <= 1e200)          # False for inf and NaN too
        if fast.all():
            return sigma_max(G)
        out = np.empty(len(M))
        out[fast] = sigma_max(G[fast])
        R = M[~fast]
        s, divisor = largest_abs(R, (1, 2))
        X = np.nan_to_num(R / divisor[:, None, None], nan=0.0, posinf=0.0, neginf=0.0)
        out[~fast] = unscaled(s, sigma_max(X @ X.transpose(0, 2, 1)))   # NaN stays NaN via s
    return out


def gradient_norm_vs_lag(params, trace, *, norm: str = "spectral", path: str = "full") -> np.ndarray:
    """‖∂c_{T-1}/∂c_{T-1-k}‖ for every lag k = 0 … T-1, by running products (not T backward passes).

    For the GRU, whose state is h: ‖∂h_{T-1}/∂h_{T-1-k}‖ (:ref:`gru-update-path`).

    ``norm`` is 'spectral' (the largest singular value; the norm of chapter 4's bound) or
    'fro'; ``path`` (LSTM only): 'full', the true total derivative (perturbing c_j also moves
    h_j = o_j ⊙ tanh(c_j), and every path of the state Jacobians counts), or 'cell', the
    source's product of A+B+C+D over the steps, which drops the paths through the output gates
    (chapter 6). The products are kept scaled, so a norm is inf or 0 only when the true value
    is beyond float64's range.

    Derived in :ref:`ch4-threshold` (chapter 4) and :ref:`ch6-full-jacobian` (chapter 6).
    """
    if norm not in _NORMS:
        raise ValueError(f"norm must be 'spectral' or 'fro', got {norm!r}")
    _check_sequence(params, trace, path)
    M, exps = _lag_jacobians_scaled(params, trace, path)
    return _rescale(_matrix_norms(M, norm), exps)


def step_contribution_norms(terms) -> np.ndarray:
    """Frobenius norm of each time step's contribution to the gradient of all weight matrices.

    RNN: ‖[term_t(W_rec), term_t(W_in)]‖_F; LSTM: the norm over W_f, W_i, W_c, W_o (each with
    its h- and x-blocks). Shape (T,). Scaled before squaring, so contributions far below
    1e-154 or above 1e154 come out right instead of 0 or inf (chapter 3).

    Used in :ref:`ch3-ten-words` (chapter 3).
    """
    if isinstance(terms, _rnn.RNNGrads):
        mats = [terms.W_rec, terms.W_in]
    elif isinstance(terms, _lstm.LSTMGrads):
        mats = [terms.W_f, terms.W_i, terms.W_c, terms.W_o]
    else:
        raise ValueError(f"terms must come from rnn.bptt_terms or lstm.bptt_terms, "
                         f"got {type(terms).__name__}")
    if mats[0].ndim != 3:
        raise ValueError("terms must have a leading time axis (use bptt_terms, not backward)")
    return frobenius_norms(np.concatenate([M.reshape(M.shape[0], -1) for M in mats], axis=1))


def cell_term_norms(params, trace) -> np.ndarray:
    """Spectral norms of the four terms A_t, B_t, C_t, D_t of eq. (6) for t = 1 … T-1.

    Shape (T-1, 4), columns in the order A, B, C, D (chapters 6 and 7). One sequence only.

    Derived in :ref:`ch6-four-terms` (chapter 6), measured in :ref:`ch7-forget-inside` (chapter 7).
    """
    if not isinstance(params, _lstm.LSTMParams):
        raise ValueError(f"params must be LSTMParams, got {type(params).__name__}")
    _check_sequence(params, trace)
    if trace.T < 2:
        raise ValueError("trace must have at least T = 2 steps (eq. 6 starts at t = 1)")
    terms = np.stack(_lstm._cell_terms_at(params, trace, slice(1, trace.T), slice(0, trace.T - 1)),
                     axis=1)                                            # (T-1, 4, n, n)
    return np.linalg.svd(terms, compute_uv=False)[..., 0]


@dataclass(frozen=True)
class CellPathGap:
    """Chapter 6: the true ∂c_{T-1}/∂c_{T-1-k} against the source's product Π(A+B+C+D)."""

    lags: np.ndarray
    full_norms: np.ndarray
    cell_norms: np.ndarray
    rel_diff: np.ndarray      # ‖P_full − P_cell‖₂ / ‖P_full‖₂ per lag (0 at lags 0 and 1)


def cell_path_gap(params, trace) -> CellPathGap:
    """How much the source's product of eq. (6) terms misses of the true cell-state derivative.

    Derived in :ref:`ch6-full-jacobian` (chapter 6).
    """
    if not isinstance(params, _lstm.LSTMParams):
        raise ValueError(f"params must be LSTMParams, got {type(params).__name__}")
    _check_sequence(params, trace)
    full, ef = _lag_jacobians_scaled(params, trace, "full")
    cell, ec = _lag_jacobians_scaled(params, trace, "cell")
    fn_hat, cn_hat = _matrix_norms(full, "spectral"), _matrix_norms(cell, "spectral")
    top = np.maximum(ef, ec)                      # a common scale for the difference
    full_c, cell_c = _rescale(full, ef - top), _rescale(cell, ec - top)
    diff, fn_c = _matrix_norms(full_c - cell_c, "spectral"), _matrix_norms(full_c, "spectral")
    with np.errstate(divide="ignore", invalid="ignore"):
        rd = np.where(fn_c > 0, diff / fn_c, np.nan)
    fn, cn = _rescale(fn_hat, ef), _rescale(cn_hat, ec)
    return CellPathGap(np.arange(full.shape[0]), fn, cn, rd)


@dataclass(frozen=True)
class StateBlockNorms:
    """Chapter 6: which blocks of the LSTM's (h, c) Jacobian products carry the norm.

    For every lag k = 0 … T-1, P_k = ∂(h_{T-1}, c_{T-1})/∂(h_{T-1-k}, c_{T-1-k}), the product
    of k state Jacobians S_t. ``hh``, ``hc``, ``ch``, ``cc`` (T,) are the spectral norms of its
    four n × n blocks (``hc`` = ∂h_{T-1}/∂c_{T-1-k}); ``forget_line`` (T,) is ‖Π diag(f_t)‖,
    the largest product of one unit's forget gates over the k steps (the diagonal line of the
    cc-blocks alone); ``output_path`` (T,) is ‖Π diag(tanh(c_t) ⊙ σ'(z_o,t)) U_o‖, the path
    from h back to h through the output gates only, which never touches the cell state.
    """

    lags: np.ndarray
    hh: np.ndarray
    hc: np.ndarray
    ch: np.ndarray
    cc: np.ndarray
    forget_line: np.ndarray
    output_path: np.ndarray


def state_block_norms(params, trace) -> StateBlockNorms:
    """Norms of the four blocks of S_{T-1} ⋯ S_{T-k} for every lag k, beside the forget line
    Π diag(f_t) and the output-gate-only path (see :class:`StateBlockNorms`). LSTM, one
    sequence.

    Derived in :ref:`ch6-hc-step` (chapter 6).
    """
    if not isinstance(params, _lstm.LSTMParams):
        raise ValueError(f"params must be LSTMParams, got {type(params).__name__}")
    _check_sequence(params, trace)
    n = params.n
    S = _step_jacobians(params, trace, "full")                          # (T-1, 2n, 2n)
    P, exps = _scaled_products(S, np.eye(2 * n))
    blocks = {name: _rescale(_matrix_norms(np.ascontiguousarray(P[:, r, c]), "spectral"), exps)
              for name, (r, c) in {"hh": (slice(0, n), slice(0, n)),
                                   "hc": (slice(0, n), slice(n, None)),
                                   "ch": (slice(n, None), slice(0, n)),
                                   "cc": (slice(n, None), slice(n, None))}.items()}
    log_f = np.concatenate([np.zeros((1, n)), np.cumsum(np.log(trace.f[:0:-1]), axis=0)])
    forget_line = np.exp(log_f.max(axis=1))
    beta = trace.tanh_c * trace.o * (1.0 - trace.o)                     # ∂h_t/∂z_o,t
    O, e_o = _scaled_products(beta[1:, :, None] * params.U("o"), np.eye(n))
    output_path = _rescale(_matrix_norms(O, "spectral"), e_o)
    return StateBlockNorms(np.arange(trace.T), blocks["hh"], blocks["hc"], blocks["ch"],
                           blocks["cc"], forget_line, output_path)


def _check_last_h_grad(params, trace, dE_dh) -> np.ndarray:
    if not isinstance(params, _lstm.LSTMParams):
        raise ValueError(f"params must be LSTMParams, got {type(params).__name__}")
    _check_sequence(params, trace)
    return as_array(dE_dh, "dE_dh", (params.n,))


def _eq4_single_path(params, trace, dE_dh) -> np.ndarray:
    """eq4_single_path for arguments already checked."""
    s_last = trace.o[-1] * (1.0 - trace.tanh_c[-1] ** 2)              # ∂h_{T-1}/∂c_{T-1}
    v = dE_dh * s_last                                                 # a row vector (n,)
    if trace.T > 1:
        for J in _step_jacobians(params, trace, "cell")[::-1]:        # A_t+B_t+C_t+D_t, t = T-1 … 1
            v = v @ J
    f, i, ct = trace.f[0], trace.i[0], trace.c_tilde[0]
    u0 = np.concatenate([trace.h0, trace.xs[0]])                      # [h_{-1}, x_0]
    dz = np.stack([v * trace.c0 * f * (1.0 - f),                      # ∂c_0/∂z_f,0 …
                   v * ct * i * (1.0 - i),
                   v * i * (1.0 - ct * ct),
                   np.zeros(params.n)])                               # c_0 does not read W_o
    return dz[:, :, None] * u0[None, None, :]


def eq4_single_path(params, trace, dE_dh) -> np.ndarray:
    """The source's eq. (4) evaluated literally, for a loss E that reads h_{T-1}:

        ∂E/∂W = ∂E/∂h_{T-1} ∂h_{T-1}/∂c_{T-1} (Π_{t=1}^{T-1} ∂c_t/∂c_{t-1}) ∂c_0/∂W

    with each ∂c_t/∂c_{t-1} = A_t + B_t + C_t + D_t (eq. 6, as the source plugs it in),
    ∂h_{T-1}/∂c_{T-1} = diag(o_{T-1} ⊙ tanh'(c_{T-1})) and ∂c_0/∂W the derivative of
    c_0 = f_0 ⊙ c_{-1} + i_0 ⊙ c̃_0 with respect to the weights of f, i and c̃ (c_0 does not
    depend on W_o). ``dE_dh`` is ∂E/∂h_{T-1} (n,). Returns (4, n, n+m): the blocks for W_f,
    W_i, W_c, W_o, in the layout of ``lstm.backward``'s gradients.

    Derived in :ref:`ch6-eq4` (chapter 6).
    """
    dE_dh = _check_last_h_grad(params, trace, dE_dh)
    return _eq4_single_path(params, trace, dE_dh)


@dataclass(frozen=True)
class Eq4Gap:
    """Chapter 6: eq. (4) against the true gradient of a loss on h_{T-1}.

    ``eq4``, ``full`` and ``term0`` are (4, n, n+m) (blocks W_f, W_i, W_c, W_o): eq. (4)
    evaluated literally, the true ∂E/∂W (``lstm.backward``) and the true contribution of
    step 0 (term 0 of ``lstm.bptt_terms``). ``rel_error`` = ‖eq4 − full‖/‖full‖,
    ``captured`` = ‖eq4‖/‖full‖, ``term0_share`` = ‖term0‖/‖full‖ and ``term0_gap`` =
    ‖eq4 − term0‖/‖term0‖ (what eq. (4) misses even of the one step it keeps); Frobenius norms.
    """

    eq4: np.ndarray
    full: np.ndarray
    term0: np.ndarray
    rel_error: float
    captured: float
    term0_share: float
    term0_gap: float


def eq4_gap(params, trace, dE_dh) -> Eq4Gap:
    """Compare the source's eq. (4) (:func:`eq4_single_path`) with the true gradient of a loss
    that reads h_{T-1} only (``dE_dh`` = ∂E/∂h_{T-1}, shape (n,)). See :class:`Eq4Gap`.

    Derived in :ref:`ch6-eq4` (chapter 6).
    """
    dE_dh = _check_last_h_grad(params, trace, dE_dh)
    dL_dh = np.zeros_like(trace.h)
    dL_dh[-1] = dE_dh
    g = _lstm.backward(params, trace, dL_dh)
    terms = _lstm.bptt_terms(params, trace, dL_dh)
    full = np.stack([g.W_f, g.W_i, g.W_c, g.W_o])
    term0 = np.stack([terms.W_f[0], terms.W_i[0], terms.W_c[0], terms.W_o[0]])
    eq4 = _eq4_single_path(params, trace, dE_dh)
    norm = np.linalg.norm
    return Eq4Gap(eq4, full, term0, float(norm(eq4 - full) / norm(full)),
                  float(norm(eq4) / norm(full)), float(norm(term0) / norm(full)),
                  float(norm(eq4 - term0) / norm(term0)))


def power_norms(W, k_max: int) -> np.ndarray:
    """‖W^k‖₂ for k = 0, 1, …, k_max: shape (k_max + 1,), starting with ‖I‖₂ = 1.

    W is a square matrix. A product of k step Jacobians that are all equal to W is the matrix
    power W^k, so this is the gradient norm at lag k of a linear RNN. Every ‖W^k‖₂ is at most
    ‖W‖₂^k; it equals ρ(W)^k when W is normal (W Wᵀ = Wᵀ W), it can grow for many steps
    before it decays when W is not, and ‖W^k‖₂^{1/k} → ρ(W) in any case (Gelfand's formula).
    Each power is rescaled by its largest entry as it is formed, so powers far outside the
    float64 range still give their norms (as 0 or inf only where the norm itself is).

    Derived in :ref:`la-nonnormal` (the linear-algebra page).
    """
    W = as_array(W, "W", (None, None))
    if W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"W must be a non-empty square matrix, got shape {W.shape}")
    if isinstance(k_max, (bool, np.bool_)) or not isinstance(k_max, (int, np.integer)) \
            or k_max < 0:
        raise ValueError(f"k_max must be an integer >= 0, got {k_max!r}")
    norms = np.empty(int(k_max) + 1)
    P, log_scale = np.eye(W.shape[0]), 0.0        # W^k = P · exp(log_scale)
    for k in range(int(k_max) + 1):
        with np.errstate(over="ignore", under="ignore"):
            norms[k] = np.linalg.norm(P, 2) * np.exp(log_scale) if P.any() else 0.0
        P = P @ W
        s = np.abs(P).max()
        if s > 0:
            P, log_scale = P / s, log_scale + np.log(s)
    return norms

