"""Pascanu, Mikolov & Bengio's one-unit example of an exploding gradient (chapter 4).

    x_t = w σ(x_{t-1}) + b,   x_0 = 0.5,   E(w, b) = (σ(x_T) − target)²,  T = 50, target = 0.7

The derivatives are carried forward with the state (forward-mode differentiation):

    ∂x_t/∂w = σ(x_{t-1}) + w σ'(x_{t-1}) ∂x_{t-1}/∂w,   ∂x_t/∂b = 1 + w σ'(x_{t-1}) ∂x_{t-1}/∂b

Everything is vectorized over arrays of (w, b), so a whole error surface is one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_array, as_positive_int, as_real
from .activations import sigmoid

__all__ = ["OneUnitResult", "one_unit", "loss_surface", "GradientDescentPath", "gradient_descent",
           "clip_by_norm"]


@dataclass(frozen=True)
class OneUnitResult:
    """Loss E and its gradient (dE/dw, dE/db) at each (w, b), plus the final state x_T."""

    x_T: np.ndarray
    loss: np.ndarray
    dw: np.ndarray
    db: np.ndarray

    @property
    def grad_norm(self) -> np.ndarray:
        return np.hypot(self.dw, self.db)


def one_unit(w, b, *, T: int = 50, x0: float = 0.5, target: float = 0.7) -> OneUnitResult:
    """Loss and exact gradient of the one-unit RNN, for arrays w, b of one shape (or scalars).

    Derived in :ref:`ch4-exploding` (chapter 4).
    """
    w = as_array(w, "w")
    b = as_array(b, "b")
    try:
        w, b = np.broadcast_arrays(w, b)
    except ValueError:
        raise ValueError(f"w and b must have the same shape, got {w.shape} and {b.shape}") from None
    T = as_positive_int(T, "T")
    x0 = as_real(x0, "x0")
    target = as_real(target, "target", 0.0, 1.0)
    x = np.full(w.shape, x0)
    dxw = np.zeros(w.shape)
    dxb = np.zeros(w.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(T):
            s = sigmoid(x)
            gain = w * s * (1.0 - s)
            dxw = s + gain * dxw
            dxb = 1.0 + gain * dxb
            x = w * s + b
        s = sigmoid(x)
        dE_dx = 2.0 * (s - target) * s * (1.0 - s)
        return OneUnitResult(x, (s - target) ** 2, dE_dx * dxw, dE_dx * dxb)


def loss_surface(w_range=(-2.0, 10.0), b_range=(-8.0, 2.0), *, num: int = 201, T: int = 50):
    """The grid (W, B) and E(W, B) over a rectangle: arrays of shape (num, num), W along columns.

    Used in :ref:`ch4-exploding` (chapter 4).
    """
    num = as_positive_int(num, "num", minimum=2)
    ws = np.linspace(*[as_real(v, "w_range") for v in w_range], num)
    bs = np.linspace(*[as_real(v, "b_range") for v in b_range], num)
    W, B = np.meshgrid(ws, bs)
    return W, B, one_unit(W, B, T=T).loss


def clip_by_norm(g: np.ndarray, threshold: float) -> np.ndarray:
    """Gradient norm clipping (Pascanu et al. 2013): g ← g · threshold/‖g‖ when ‖g‖ > threshold.

    Derived in :ref:`ch4-exploding` (chapter 4).
    """
    g = np.asarray(g, dtype=float)
    threshold = as_real(threshold, "threshold")
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    norm = np.linalg.norm(g)
    return g * (threshold / norm) if norm > threshold else g


@dataclass(frozen=True)
class GradientDescentPath:
    """Parameters (steps+1, 2), the raw gradient norm at each step (steps,), and the loss."""

    params: np.ndarray
    grad_norms: np.ndarray
    losses: np.ndarray
    clipped: np.ndarray


def gradient_descent(w0: float, b0: float, *, lr: float = 0.1, steps: int = 20,
                     clip: float | None = None, T: int = 50) -> GradientDescentPath:
    """Plain gradient descent on E(w, b), optionally with norm clipping at ``clip``.

    A step whose gradient is not finite stops the path there (the parameters are kept).

    Used in :ref:`ch4-exploding` (chapter 4).
    """
    lr = as_real(lr, "lr")
    steps = as_positive_int(steps, "steps")
    p = np.array([as_real(w0, "w0"), as_real(b0, "b0")])
    path, norms, losses, clipped = [p.copy()], [], [], []
    for _ in range(steps):
        r = one_unit(p[0], p[1], T=T)
        g = np.array([r.dw, r.db], dtype=float)
        losses.append(float(r.loss))
        norms.append(float(np.linalg.norm(g)))
        if not np.all(np.isfinite(g)):
            break
        step = clip_by_norm(g, clip) if clip is not None else g
        clipped.append(bool(clip is not None and norms[-1] > clip))
        p = p - lr * step
        path.append(p.copy())
    return GradientDescentPath(np.array(path), np.array(norms), np.array(losses),
                               np.array(clipped, dtype=bool))
