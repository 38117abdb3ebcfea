"""Norms that survive the range of vanishing and exploding gradients.

Squaring entries below ~1e-154 underflows to 0 and above ~1e154 overflows to inf, although
the norm itself is representable; scaling by the largest entry first avoids both.
"""

from __future__ import annotations

import numpy as np


def largest_abs(X: np.ndarray, axis) -> tuple[np.ndarray, np.ndarray]:
    """(s, divisor): s = max |x| over ``axis`` (0 when empty, NaN where an entry is NaN), and
    the divisor to scale by before squaring, s where it is finite and positive, else 1."""
    # max|x| from max and min (NaN propagates through both), without an |X| temporary
    s = np.maximum(np.max(X, axis=axis, initial=0.0), -np.min(X, axis=axis, initial=0.0))
    return s, np.where(np.isfinite(s) & (s > 0), s, 1.0)


def unscaled(s: np.ndarray, scaled_norm: np.ndarray) -> np.ndarray:
    """s · (the norm of X / s): 0 where s = 0, inf where s = inf, NaN where s is NaN."""
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.where(s == 0, 0.0, s * scaled_norm)
    return np.where(np.isinf(s), np.inf, out)


def vector_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norms along the last axis, scaled by the largest |entry| before squaring.

    0 for an all-zero vector, inf where an entry is inf, NaN where an entry is NaN.
    """
    X = np.asarray(X, dtype=float)
    s, divisor = largest_abs(X, -1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        Y = X / divisor[..., None]
        return unscaled(s, np.sqrt(np.einsum("...i,...i->...", Y, Y)))


def frobenius_norms(stack: np.ndarray) -> np.ndarray:
    """Frobenius norm of each matrix (or array) in a stack, over all axes but the first."""
    stack = np.asarray(stack, dtype=float)
    return vector_norms(stack.reshape(stack.shape[0], -1))
