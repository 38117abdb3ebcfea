"""Norms that survive the range of vanishing and exploding gradients.

Squaring entries below ~1e-154 underflows to 0 and above ~1e154 overflows to inf, although
the norm itself is representable; scaling by the largest entry first avoids both.
"""

from __future__ import annotations

import numpy as np


def vector_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norms along the last axis, scaled by the largest |entry| before squaring.

    0 for an all-zero vector, inf where an entry is inf, NaN where an entry is NaN.
    """
    X = np.asarray(X, dtype=float)
    # max|x| from max and min (NaN propagates through both), without an |X| temporary
    s = np.maximum(np.max(X, axis=-1, initial=0.0), -np.min(X, axis=-1, initial=0.0))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        safe = np.where(np.isfinite(s) & (s > 0), s, 1.0)
        Y = X / safe[..., None]
        out = s * np.sqrt(np.einsum("...i,...i->...", Y, Y))
    out = np.where(s == 0, 0.0, out)
    return np.where(np.isinf(s), np.inf, out)


def frobenius_norms(stack: np.ndarray) -> np.ndarray:
    """Frobenius norm of each matrix (or array) in a stack, over all axes but the first."""
    stack = np.asarray(stack, dtype=float)
    return vector_norms(stack.reshape(stack.shape[0], -1))
