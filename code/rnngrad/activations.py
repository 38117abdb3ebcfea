"""Activation functions and their derivatives (chapter 1, chapter 2, chapter 4).

The derivative act'(z) two ways: from z (``derivative``, accurate in the saturated tails; the
deep network of chapter 1), and from the activation's *output* a = act(z)
(``derivative_from_output``), which is what the RNN's forward pass stores:
sigmoid' = a (1 - a), tanh' = 1 - a².
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "tanh", "ACTIVATIONS", "GAMMA", "activation", "derivative", "derivative_from_output"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function σ(z) = 1 / (1 + e^{-z}).

    Uses e^{-|z|} ≤ 1 only, so no overflow warning for any finite z, and keeps full relative
    precision for large negative z (σ(z) ≈ e^{z}).

    Derived in :ref:`ch1-sigma-bound` (chapter 1); the RNN's activation in :ref:`ch2-model`
    (chapter 2).
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent (NumPy's, which never overflows).

    Derived in :ref:`ch1-sigma-bound` (chapter 1).
    """
    return np.tanh(z)


#: The activations by name: ``ACTIVATIONS["tanh"](z)``.
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh}

#: Supremum of the activation's derivative: σ' ≤ 1/4 (at z = 0), tanh' ≤ 1 (at z = 0).
GAMMA = {"sigmoid": 0.25, "tanh": 1.0}


def check_activation(name: str) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return name


def activation(name: str):
    """The activation function called ``name`` ('sigmoid' or 'tanh').

    Used in :ref:`ch2-model` (chapter 2).
    """
    return ACTIVATIONS[check_activation(name)]


def derivative(name: str, z) -> np.ndarray:
    """act'(z) computed from z, accurately in the saturated tails (chapter 1).

    σ'(z) = σ(z) σ(-z) = e^{-|z|} / (1 + e^{-|z|})² (≤ 1/4, at z = 0), tanh'(z) =
    4e^{-2|z|} / (1 + e^{-2|z|})² (≤ 1, at z = 0). Unlike a(1 - a) or 1 - a², these do not
    round to exactly 0 once a = act(z) rounds to 1, so a zero gradient here means a genuine
    float64 underflow (|z| ≳ 745 or 372).

    Derived in :ref:`ch1-sigma-bound` (chapter 1).
    """
    check_activation(name)
    z = np.asarray(z, dtype=np.float64)
    if name == "sigmoid":
        e = np.exp(-np.abs(z))
        return e / (1.0 + e) ** 2
    t = np.exp(-2.0 * np.abs(z))
    return 4.0 * t / (1.0 + t) ** 2


def derivative_from_output(name: str, a: np.ndarray) -> np.ndarray:
    """act'(z) expressed through a = act(z).

    Derived in :ref:`ch2-saturation` (chapter 2).
    """
    check_activation(name)
    if name == "sigmoid":
        return a * (1.0 - a)
    return 1.0 - a * a
