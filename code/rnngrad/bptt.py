"""Backpropagation through time as a sum over paths, and what the source's eq. (1) leaves out
(chapter 3).

Every step uses the same W = [W_rec, W_in], so the total derivative of the loss is a sum of
one term per time step j (0-based, T steps, loss on the last state):

    ∂E/∂W = Σ_{j=0}^{T-1} ∂E/∂c_{T-1} (Π_{t=j+1}^{T-1} ∂c_t/∂c_{t-1}) ∂⁺c_j/∂W

with the *immediate* derivative ∂⁺c_j/∂W (W varied only where it enters step j, c_{j-1} held
fixed). The source's eq. (1) keeps the j = 0 term only. The terms themselves come from
``rnn.bptt_terms`` (the backward recursion); this module adds the losses, the immediate
derivative, the literal product-of-Jacobians form of one path (an independent check), and the
comparisons of chapter 3.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from . import dynamics as _dynamics
from . import gradients as _gradients
from . import rnn as _rnn
from ._checks import as_array, as_positive_int, as_real, as_sequence, as_state, as_time_index
from .numdiff import relative_error

__all__ = ["LOSS_KINDS", "stacked_gradient", "last_state_loss", "last_state_loss_grad",
           "every_step_loss_grad", "immediate_derivative",
           "forward_with_step_weights", "path_term",
           "single_path_relative_error", "single_path_error_grid", "StepContributions",
           "step_contribution_profile", "truncated_backward", "gradient_descent_step"]

#: Losses of chapter 3: on the last state only (the source's single output) or on every state.
LOSS_KINDS = ("last", "every")


def _check_params(params) -> None:
    if not isinstance(params, _rnn.RNNParams):
        raise ValueError(f"params must be an RNNParams, got {type(params).__name__}")


def _check_sequence(params, trace) -> None:
    """RNN parameters and a matching trace of one sequence (not a batch)."""
    _rnn._check_trace(params, trace)
    if trace.batched:
        raise ValueError(
            f"trace must come from a single sequence xs of shape (T, m), not a batch "
            f"(got xs of shape {trace.xs.shape})"
        )


def stacked_gradient(grads: _rnn.RNNGrads) -> np.ndarray:
    """∂E/∂W for W = [W_rec, W_in]: the two gradient blocks side by side, (..., n, n+m).

    Works for a full gradient (``rnn.backward``: shape (n, n+m)) and for per-step terms
    (``rnn.bptt_terms``: shape (T, n, n+m)).

    Derived in :ref:`ch3-loss` (chapter 3).
    """
    if not isinstance(grads, _rnn.RNNGrads):
        raise ValueError(f"grads must be an RNNGrads (from rnn.backward or rnn.bptt_terms), "
                         f"got {type(grads).__name__}")
    return np.concatenate([grads.W_rec, grads.W_in], axis=-1)


# --------------------------------------------------------------------------- losses


def _target(trace, y, name: str) -> np.ndarray:
    if not isinstance(trace, _rnn.RNNTrace):
        raise ValueError(f"trace must be an RNNTrace from rnn.forward, got {type(trace).__name__}")
    return as_array(y, name, trace.c.shape[1:])


def last_state_loss(trace: _rnn.RNNTrace, y) -> float:
    """E = ½‖c_{T-1} − y‖², the squared error of the last state against a target y (n,).

    The source's single output at the last step, with the read-out h = c (chapter 3). For a
    batched trace, y is (B, n) and E is summed over the batch.

    Derived in :ref:`ch3-loss` (eq. 3.1, chapter 3).
    """
    y = _target(trace, y, "y")
    d = trace.c[-1] - y
    return 0.5 * float(np.sum(d * d))


def last_state_loss_grad(trace: _rnn.RNNTrace, y) -> np.ndarray:
    """Direct gradients ∂⁺E/∂c_t of E = ½‖c_{T-1} − y‖², the ``dL_dc`` of ``rnn.backward``.

    Shape of ``trace.c``: zero at every step except the last, where it is c_{T-1} − y.

    Derived in :ref:`ch3-loss` (eq. 3.1, chapter 3).
    """
    y = _target(trace, y, "y")
    g = np.zeros_like(trace.c)
    g[-1] = trace.c[-1] - y
    return g


def every_step_loss_grad(trace: _rnn.RNNTrace, ys) -> np.ndarray:
    """Direct gradients ∂⁺E/∂c_t = c_t − y_t of E = Σ_t ½‖c_t − y_t‖²; shape of ``trace.c``.

    Used in :ref:`ch3-ten-words` (chapter 3).
    """
    if not isinstance(trace, _rnn.RNNTrace):
        raise ValueError(f"trace must be an RNNTrace from rnn.forward, got {type(trace).__name__}")
    ys = as_array(ys, "ys", trace.c.shape)
    return trace.c - ys


# --------------------------------------------------------------------------- paths


def immediate_derivative(params: _rnn.RNNParams, trace: _rnn.RNNTrace, j: int) -> np.ndarray:
    """∂⁺c_j/∂W: W varied only where it enters step j, c_{j-1} held fixed. Shape (n, n, n+m).

    Entry [i, k, l] = ∂c_{j,i}/∂W_{kl} = δ_{ik} φ'(z_{j,i}) u_{j,l} with u_j = [c_{j-1}; x_j]:
    row i of W is the only one that moves unit i. Single sequence only.

    Derived in :ref:`ch3-paths` (chapter 3).
    """
    _check_sequence(params, trace)
    j = as_time_index(j, "j", 0, trace.T - 1)
    u = _dynamics.stacked_inputs(trace)[j]
    n = params.n
    D = np.zeros((n, n, u.size))
    D[np.arange(n), np.arange(n), :] = trace.dact[j][:, None] * u[None, :]
    return D


def forward_with_step_weights(params: _rnn.RNNParams, xs, j: int, W_j, c0=None) -> _rnn.RNNTrace:
    """Run the RNN with the stacked weights W_j = [W_rec', W_in'] (n, n+m) at step j only.

    Every other step uses ``params``. The derivative of a loss with respect to W_j, at
    W_j = [W_rec, W_in], is the path term j: this is the definition of the immediate
    derivative, and the finite-difference check of chapter 3. Reuses ``rnn.forward``.

    Derived in :ref:`ch3-paths` (eq. 3.4, chapter 3).
    """
    _check_params(params)
    xs = as_sequence(xs, "xs", params.m)
    batch = xs.shape[1] if xs.ndim == 3 else None
    c0 = as_state(c0, "c0", params.n, batch)
    T = xs.shape[0]
    j = as_time_index(j, "j", 0, T - 1)
    W_j = as_array(W_j, "W_j", (params.n, params.n + params.m))
    parts_c, parts_d = [], []
    prev = c0
    if j > 0:
        head = _rnn.forward(params, xs[:j], prev)
        parts_c.append(head.c)
        parts_d.append(head.dact)
        prev = head.c[-1]
    step_params = replace(params, W_rec=W_j[:, :params.n], W_in=W_j[:, params.n:])
    mid = _rnn.forward(step_params, xs[j:j + 1], prev)
    parts_c.append(mid.c)
    parts_d.append(mid.dact)
    if j < T - 1:
        tail = _rnn.forward(params, xs[j + 1:], mid.c[-1])
        parts_c.append(tail.c)
        parts_d.append(tail.dact)
    return _rnn.RNNTrace(xs=xs, c0=c0, c=np.concatenate(parts_c), dact=np.concatenate(parts_d))


def path_term(params: _rnn.RNNParams, trace: _rnn.RNNTrace, dE_dc_last, j: int) -> np.ndarray:
    """One path of the sum, evaluated literally as matrices, shape (n, n+m):

        ∂E/∂c_{T-1} · (∂c_{T-1}/∂c_{T-2} ⋯ ∂c_{j+1}/∂c_j) · ∂⁺c_j/∂W

    ``dE_dc_last`` (n,) is ∂E/∂c_{T-1} (a loss on the last state only). j = 0 is the source's
    eq. (1). The Jacobian product comes from ``gradients.jacobian_products``; this is the
    slow, textbook form (O(T n³)) that ``rnn.bptt_terms`` computes by a backward recursion.

    Derived in :ref:`ch3-paths` (eq. 3.6, chapter 3).
    """
    _check_sequence(params, trace)
    g = as_array(dE_dc_last, "dE_dc_last", (params.n,))
    j = as_time_index(j, "j", 0, trace.T - 1)
    P = _gradients.jacobian_products(_gradients.step_jacobians(params, trace))[trace.T - 1 - j]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.einsum("i,ik,kab->ab", g, P, immediate_derivative(params, trace, j))


# --------------------------------------------------------------------------- comparisons


def single_path_relative_error(params: _rnn.RNNParams, trace: _rnn.RNNTrace, dL_dc) -> float:
    """‖term_0 − ∂E/∂W‖ / ‖∂E/∂W‖ for W = [W_rec, W_in]: how far eq. (1) alone is from the
    full BPTT gradient (0 = exact, 1 = as far as zero is). ``dL_dc`` as in ``rnn.backward``.

    Derived in :ref:`ch3-eq1` (eq. 3.3), measured in :ref:`ch3-how-far` (chapter 3).
    """
    G = stacked_gradient(_rnn.bptt_terms(params, trace, dL_dc))
    return relative_error(G[0], G.sum(axis=0))


def _target_range(activation: str) -> tuple[float, float]:
    return (0.0, 1.0) if activation == "sigmoid" else (-1.0, 1.0)


def _draw_problem(n: int, m: int, T: int, scale: float, activation: str, seed: int, draw: int):
    """Random (params, xs, y): for one (seed, draw) the same W_rec direction at every scale and
    the same inputs for every T (prefixes of one long sequence)."""
    params = _rnn.init(n, m, rng=np.random.default_rng((seed, draw, 0)), scale=scale,
                       activation=activation)
    rng = np.random.default_rng((seed, draw, 1))
    y = rng.uniform(*_target_range(activation), n)
    xs = rng.standard_normal((T, m))
    return params, xs, y


def single_path_error_grid(Ts: Sequence[int], scales: Sequence[float], *, n: int = 8, m: int = 2,
                           activation: str = "sigmoid", draws: int = 20,
                           seed: int = 0) -> np.ndarray:
    """Median over ``draws`` random problems of ``single_path_relative_error``, loss
    E = ½‖c_{T-1} − y‖², for every ‖W_rec‖₂ in ``scales`` (rows) and length T in ``Ts``
    (columns). Shape (len(scales), len(Ts)). Deterministic given ``seed``.

    Used in :ref:`ch3-how-far` (chapter 3).
    """
    Ts = [as_positive_int(T, "Ts") for T in Ts]
    scales = [as_real(s, "scales", low=0.0) for s in scales]
    if not Ts or not scales:
        raise ValueError("Ts and scales must each hold at least one value")
    draws = as_positive_int(draws, "draws")
    seed = as_positive_int(seed, "seed", minimum=0)
    out = np.empty((len(scales), len(Ts)))
    for a, s in enumerate(scales):
        for b, T in enumerate(Ts):
            errs = []
            for d in range(draws):
                params, xs, y = _draw_problem(n, m, T, s, activation, seed, d)
                tr = _rnn.forward(params, xs)
                errs.append(single_path_relative_error(params, tr, last_state_loss_grad(tr, y)))
            out[a, b] = np.median(errs)
    return out


@dataclass(frozen=True)
class StepContributions:
    """Per-step contributions ‖term_j‖_F to ∂E/∂W (chapter 3's bar plots and explorer).

    ``steps`` (T,), ``norms`` (T,), ``single_path_error`` (eq. (1)'s relative error),
    ``loss`` ('last' or 'every') and a ``label``.
    """

    steps: np.ndarray
    norms: np.ndarray
    single_path_error: float
    loss: str
    label: str


def step_contribution_profile(*, n: int = 8, m: int = 2, T: int = 10, scale: float = 1.0,
                              activation: str = "sigmoid", loss: str = "last",
                              seed: int = 0) -> StepContributions:
    """Norm of each time step's term of ∂E/∂W for a random RNN with ‖W_rec‖₂ = ``scale``.

    ``loss='last'``: E = ½‖c_{T-1} − y‖² (one output, at the last step); ``'every'``:
    E = Σ_t ½‖c_t − y_t‖² (an output at every step). Targets uniform in the activation's range,
    inputs N(0, 1), c_{-1} = 0. Terms from ``rnn.bptt_terms``. Deterministic given ``seed``.

    Used in :ref:`ch3-ten-words` (chapter 3).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    T = as_positive_int(T, "T")
    scale = as_real(scale, "scale", low=0.0)
    if loss not in LOSS_KINDS:
        raise ValueError(f"loss must be one of {LOSS_KINDS}, got {loss!r}")
    seed = as_positive_int(seed, "seed", minimum=0)
    params, xs, y = _draw_problem(n, m, T, scale, activation, seed, 0)
    tr = _rnn.forward(params, xs)
    if loss == "last":
        dL = last_state_loss_grad(tr, y)
    else:
        ys = np.random.default_rng((seed, 0, 2)).uniform(*_target_range(activation), (T, n))
        dL = every_step_loss_grad(tr, ys)
    terms = _rnn.bptt_terms(params, tr, dL)
    G = stacked_gradient(terms)
    where = "the last step" if loss == "last" else "every step"
    return StepContributions(
        steps=np.arange(T),
        norms=_gradients.step_contribution_norms(terms),
        single_path_error=relative_error(G[0], G.sum(axis=0)),
        loss=loss,
        label=f"{activation} RNN, ‖W_rec‖₂ = {scale:g}, T = {T}, loss at {where}",
    )


# --------------------------------------------------------------------------- truncation


def truncated_backward(params: _rnn.RNNParams, trace: _rnn.RNNTrace, dL_dc,
                       K: int) -> _rnn.RNNGrads:
    """Truncated BPTT: the gradient of ``rnn.backward`` with every path of lag > K dropped.

    A path from the loss at step k to the use of W at step j has lag k − j: it crosses k − j
    step Jacobians. Truncation to K steps keeps the terms with k − j ≤ K,

        ∂E/∂W ≈ Σ_k Σ_{j = max(0, k−K)}^{k} ∂⁺E/∂c_k (Π_{t=j+1}^{k} ∂c_t/∂c_{t-1}) ∂⁺c_j/∂W,

    which is ordinary BPTT (``rnn.backward``) run, for each step k with a loss, on the window
    of steps max(0, k−K), …, k only. ``dL_dc`` as in ``rnn.backward``; K >= 0 (K = 0 keeps
    only the immediate derivatives, K >= T − 1 gives the full gradient). ``c0`` collects
    ∂E/∂c_{-1} from the windows that start at step 0 (the losses at k <= K). For a batch,
    gradients are summed over it.

    Derived in :ref:`ch3-truncated` (chapter 3).
    """
    dL_dc = _rnn._check_backward_args(params, trace, dL_dc)
    K = as_positive_int(K, "K", minimum=0)
    total = _rnn.RNNGrads(np.zeros_like(params.W_rec), np.zeros_like(params.W_in),
                          np.zeros_like(params.b), np.zeros(trace.c.shape[1:]))
    for k in range(trace.T):
        if not dL_dc[k].any():
            continue
        j0 = max(0, k - K)                         # the window's first step
        window = _rnn.RNNTrace(xs=trace.xs[j0:k + 1], c0=trace.c_prev[j0],
                               c=trace.c[j0:k + 1], dact=trace.dact[j0:k + 1])
        dL = np.zeros_like(window.c)
        dL[-1] = dL_dc[k]                          # the loss at step k only
        g = _rnn.backward(params, window, dL)
        total = _rnn.RNNGrads(total.W_rec + g.W_rec, total.W_in + g.W_in, total.b + g.b,
                              total.c0 + (g.c0 if j0 == 0 else 0.0))
    return total


# --------------------------------------------------------------------------- the update


def gradient_descent_step(params: _rnn.RNNParams, grads: _rnn.RNNGrads, lr: float) -> _rnn.RNNParams:
    """One step of plain gradient descent, W ← W − α ∂E/∂W, for W_rec, W_in and b.

    ``grads`` is the full gradient (``rnn.backward``), accumulated over the whole sequence;
    ``lr`` is α >= 0. Returns new parameters (the old ones are frozen and unchanged).

    Derived in :ref:`ch3-loss` (eq. 3.2, chapter 3).
    """
    _check_params(params)
    if not isinstance(grads, _rnn.RNNGrads):
        raise ValueError(f"grads must be an RNNGrads from rnn.backward, got {type(grads).__name__}")
    lr = as_real(lr, "lr", low=0.0)
    new = {}
    for name in ("W_rec", "W_in", "b"):
        p = getattr(params, name)
        g = as_array(getattr(grads, name), f"grads.{name}", p.shape)
        new[name] = p - lr * g
    return replace(params, **new)
