"""A faster LSTM forward + backward for chapter 9's training loop. Not the teaching code.

``lstm.forward`` and ``lstm.backward`` are the LSTM as the book writes it, gate by gate; read
those. This module computes the same numbers (``tests/test_fast_lstm.py`` checks it against
them) with fewer, larger NumPy calls, and exists only because ``train.train`` (and so
``make experiment``, the sweep behind chapter 9) spends most of its time here: on chapter 9's
sizes (n = 16, B = 64, T up to 151) a training step is about 1.4–1.9× faster than with
``lstm.py`` (``tests/benchmarks/bench.py``, row "lstm training step"). It also keeps the
committed sweep and chapter 9's stored runs reproducible bit for bit.

How: the four gates are stacked in the order o, f, i, c into one matrix with the biases as a
last column, the rows of the three sigmoid gates negated, so that one product per step with
[h_{t-1}; x_t; 1] gives -z_o, -z_f, -z_i and z_c, and σ(z) = 1/(1 + e^{-z}) needs no
negation. Arrays are feature-major ((features, B) per step) and written in place; backward
computes the gate-local derivatives for blocks of steps at once.

Only ``forward(params, xs)`` from zero initial states and ``backward(params, trace, dL_dh)``
(no direct ∂L/∂c, no ∂L/∂h0, ∂L/∂c0) are provided: what ``train`` needs. Inputs are checked
by the caller (``train``), not again here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lstm import GATES, LSTMGrads, LSTMParams

__all__ = ["FastTrace", "forward", "backward"]

# Row order of the stacked weights: the three sigmoid gates side by side (one exp for all
# three), and the three gates whose gradient is scaled by ∂L/∂c side by side.
_ORDER = ("o", "f", "i", "c")


def _fused_weights(params: LSTMParams):
    """W_step = [W | b] (4n × (n+m+1), gates in _ORDER, sigmoid rows negated) for forward and
    W_back = [U_o; U_f; U_i; U_c]ᵀ (n × 4n) for backward."""
    n = params.n
    Wb = np.concatenate([np.column_stack([getattr(params, f"W_{g}"), getattr(params, f"b_{g}")])
                         for g in _ORDER], axis=0)
    W_back = np.ascontiguousarray(Wb[:, :n].T)
    Wb[: 3 * n] *= -1.0
    return Wb, W_back


@dataclass(frozen=True)
class FastTrace:
    """What ``backward`` needs: the outputs h ((T, B, n)) and the feature-major buffers
    hx1 (row t: [h_{t-1}; x_t; 1]), q (row t: [tanh(c_t); c_{t-1}; c̃_t]), sig (row t: [o; f; i])."""

    h: np.ndarray
    hx1: np.ndarray
    q: np.ndarray
    sig: np.ndarray


def forward(params: LSTMParams, xs: np.ndarray) -> FastTrace:
    """The LSTM over a batch ``xs`` (T, B, m) from h0 = c0 = 0; equals ``lstm.forward``."""
    n, m, T, B = params.n, params.m, xs.shape[0], xs.shape[1]
    W, _ = _fused_weights(params)
    hx1 = np.empty((T + 1, n + m + 1, B))
    hx1[0, :n] = 0.0
    hx1[:T, n: n + m] = xs.transpose(0, 2, 1)
    hx1[T, n: n + m] = 0.0
    hx1[:, n + m] = 1.0
    q = np.empty((T + 1, 3 * n, B))
    q[0, n: 2 * n] = 0.0
    sig = np.empty((T, 3 * n, B))
    z = np.empty((4 * n, B))
    fc = np.empty((2 * n, B))
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
    return FastTrace(h=hx1[1:, :n].transpose(0, 2, 1), hx1=hx1, q=q, sig=sig)


# Steps per block in backward: the gate-local derivatives are computed for a block of steps at
# once (few calls for small problems) while the block stays in cache (large problems).
_BLOCK_ELEMENTS = 1 << 15


def backward(params: LSTMParams, trace: FastTrace, dL_dh: np.ndarray) -> LSTMGrads:
    """BPTT for a direct gradient ``dL_dh`` (T, B, n) on the outputs; equals ``lstm.backward``
    (summed over the batch). The h0 and c0 fields of the result are None."""
    hx1, q, sig = trace.hx1, trace.q, trace.sig
    n, T, B = params.n, sig.shape[0], sig.shape[2]
    _, W = _fused_weights(params)
    g_h = dL_dh.transpose(0, 2, 1)
    block = max(1, _BLOCK_ELEMENTS // (B * n))
    dz_block = np.empty((min(block, T), 4 * n, B))
    via_h_block = np.empty((min(block, T), n, B))
    dh, dc, tmp = np.zeros((n, B)), np.zeros((n, B)), np.empty((n, B))
    rows = 4 * n
    gWb = np.zeros((rows, params.n + params.m + 1))
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
            np.multiply(dh, via_h[j], out=tmp)
            dc += tmp
            d = dz[j]
            d[:n] *= dh
            by_dc = d[n:].reshape(3, n, B)
            by_dc *= dc
            dh = W @ d                                  # carried to step t - 1
            dc *= s[j, n: 2 * n]
        cols = dz.shape[0] * B
        np.add(gWb, dz.transpose(1, 0, 2).reshape(rows, cols)
               @ hx1[k].transpose(1, 0, 2).reshape(-1, cols).T, out=gWb)
    kw = {}
    for k, g in enumerate(_ORDER):
        block_rows = gWb[k * n: (k + 1) * n]
        kw[f"W_{g}"] = block_rows[:, : n + params.m].copy()
        kw[f"b_{g}"] = block_rows[:, n + params.m].copy()
    return LSTMGrads(**{f"{k}_{g}": kw[f"{k}_{g}"] for k in ("W", "b") for g in GATES},
                     h0=None, c0=None)
