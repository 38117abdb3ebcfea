"""Input validation shared by the whole package.

Every public function turns bad input into a ``ValueError`` that names the argument and
says what was expected, instead of a NumPy broadcasting error three calls deep.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def as_array(value, name: str, shape: Sequence[int | None] | None = None) -> np.ndarray:
    """Return ``value`` as a finite float64 array, checking its shape.

    ``shape`` lists the expected sizes; ``None`` in it accepts any size on that axis.
    """
    if np.iscomplexobj(value):
        raise ValueError(f"{name} must contain real numbers, got complex values")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers ({exc})") from None
    if shape is not None:
        if arr.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(arr.shape, shape)
        ):
            want_txt = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want_txt}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers (found NaN or inf)")
    return arr


def as_sequence(xs, name: str, m: int | None = None) -> np.ndarray:
    """Validate an input sequence: shape (T, m) or batched (T, B, m), T >= 1."""
    arr = as_array(xs, name)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must have shape (T, m) or (T, B, m), got an array with shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty sequence (T = 0); give at least one time step")
    if arr.ndim == 3 and arr.shape[1] == 0:
        raise ValueError(f"{name} has an empty batch (B = 0)")
    if m is not None and arr.shape[-1] != m:
        raise ValueError(
            f"{name} must have {m} input features on its last axis to match the parameters, "
            f"got shape {arr.shape}"
        )
    return arr


def as_state(value, name: str, n: int, batch: int | None) -> np.ndarray:
    """Validate an initial state: (n,) for one sequence, (B, n) for a batch (or (n,) broadcast)."""
    if value is None:
        return np.zeros((n,) if batch is None else (batch, n))
    arr = as_array(value, name)
    if batch is None:
        if arr.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
        return arr
    if arr.shape == (n,):
        return np.broadcast_to(arr, (batch, n)).copy()
    if arr.shape != (batch, n):
        raise ValueError(f"{name} must have shape ({n},) or ({batch}, {n}), got {arr.shape}")
    return arr


def as_time_index(t, name: str, low: int, high: int) -> int:
    """Validate an integer time index with low <= t <= high."""
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
        raise ValueError(f"{name} must be an integer time index, got {t!r}")
    if low > high:
        raise ValueError(f"{name}: the sequence is too short, no valid time index (needs {low} <= {name} <= {high})")
    if not low <= int(t) <= high:
        raise ValueError(f"{name} must satisfy {low} <= {name} <= {high}, got {t}")
    return int(t)


def as_positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def as_seeds(seeds, name: str = "seeds") -> tuple[int, ...]:
    """Validate a non-empty collection of random seeds, each an integer >= 0."""
    seeds = tuple(as_positive_int(s, name, minimum=0) for s in seeds)
    if not seeds:
        raise ValueError(f"{name} must name at least one seed")
    return seeds


def as_real(value, name: str, low: float | None = None, high: float | None = None) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and x < low:
        raise ValueError(f"{name} must be >= {low}, got {x}")
    if high is not None and x > high:
        raise ValueError(f"{name} must be <= {high}, got {x}")
    return x


def as_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng
