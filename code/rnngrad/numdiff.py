"""Central finite differences: the independent check of every gradient in the course (chapter 3).

    ∂E/∂x_i ≈ (E(x + h e_i) − E(x − h e_i)) / (2h),   error O(h²) plus rounding O(ε|E|/h).

The book uses these functions in its pages to check a hand-derived or BPTT gradient; the test
suite has its own copy (tests/reference.py) so that the package is never checked only by itself.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._checks import as_array, as_real
from ._linalg import vector_norms

__all__ = ["finite_difference_gradient", "finite_difference_jacobian", "relative_error"]


def _scalar(value, name: str) -> float:
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"{name} must return a scalar (a single real number), got shape {arr.shape}")
    try:
        x = float(arr.reshape(()))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must return a real number, got {value!r}") from None
    if not np.isfinite(x):
        raise ValueError(f"{name} returned a non-finite value ({x}) at the finite-difference points")
    return x


def finite_difference_gradient(loss_fn: Callable[[np.ndarray], float], x, *,
                               h: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function by central differences, shaped like ``x``.

    g_i = (E(x + h e_i) − E(x − h e_i)) / (2h) for every entry i of ``x`` (any shape), with
    2·x.size calls of ``loss_fn``. ``loss_fn`` always receives a fresh float64 copy of ``x``
    with one entry moved, so it may modify its argument; ``x`` itself is never changed.
    With h = 1e-6 and a smooth E of order one, the relative error is about 1e-9 to 1e-10.

    Used in :ref:`ch3-checks` (chapter 3).
    """
    if not callable(loss_fn):
        raise ValueError(f"loss_fn must be a callable E(x) -> float, got {type(loss_fn).__name__}")
    return finite_difference_jacobian(lambda v: _scalar(loss_fn(v), "loss_fn"), x, h=h)


def relative_error(approx, exact) -> float:
    """‖approx − exact‖ / ‖exact‖ (Frobenius norm over all entries); shapes must agree.

    Returns 0.0 when both are exactly zero and inf when only ``exact`` is zero.

    Used in :ref:`ch3-checks` (chapter 3).
    """
    exact = as_array(exact, "exact")
    approx = as_array(approx, "approx", exact.shape)
    num = float(vector_norms((approx - exact).ravel()))
    den = float(vector_norms(exact.ravel()))
    if den == 0.0:
        return 0.0 if num == 0.0 else float("inf")
    return num / den


def finite_difference_jacobian(fn: Callable[[np.ndarray], np.ndarray], x, *,
                               h: float = 1e-6) -> np.ndarray:
    """Jacobian of an array-valued function by central differences: shape fn(x).shape + x.shape.

    J[..., i] = (fn(x + h e_i) − fn(x − h e_i)) / (2h); ``fn`` receives fresh float64 copies.
    Used in chapter 6 to check A_t + B_t + C_t + D_t.

    Used in :ref:`ch3-checks` (chapter 3).
    """
    if not callable(fn):
        raise ValueError(f"fn must be a callable f(x) -> array, got {type(fn).__name__}")
    x = as_array(x, "x")
    h = as_real(h, "h")
    if not h > 0:
        raise ValueError(f"h must be > 0, got {h}")
    out_shape = np.shape(fn(x.copy()))
    J = np.empty(out_shape + x.shape)
    for idx in np.ndindex(*x.shape):
        xp = x.copy()
        xm = x.copy()
        xp[idx] += h
        xm[idx] -= h
        fp, fm = np.asarray(fn(xp), dtype=float), np.asarray(fn(xm), dtype=float)
        if fp.shape != out_shape or fm.shape != out_shape:
            raise ValueError(f"fn must return arrays of one shape {out_shape}, got {fp.shape}")
        J[(...,) + idx] = (fp - fm) / (2.0 * h)
    return J
