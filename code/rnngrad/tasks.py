"""Long-range tasks for training RNNs and LSTMs (chapter 9).

Two seeded generators of mini-batches. Both return ``xs`` of shape (T, B, m), time first as
everywhere in rnngrad, and targets ``ys`` of shape (B,): the answer is read off the state at
the last step t = T-1, so the information has to travel across the whole lag.

* :func:`adding_problem`: the adding problem of Hochreiter & Schmidhuber (1997, experiment 4).
  m = 2 channels: channel 0 holds values drawn uniformly from [-1, 1], channel 1 the markers.
  Exactly two positions are marked with 1.0: the first uniformly among the first ten steps,
  the second uniformly among the first T/2 - 1 steps (distinct from the first). The first and
  the last step carry the marker -1.0 unless marked. Target y = 0.5 + (X1 + X2)/4 ∈ [0, 1],
  where X1, X2 are the two marked values (a marked step 0 counts as 0, as in the paper).
  A prediction counts as correct when |ŷ - y| < 0.04.
* :func:`first_bit`: "remember the first bit". m = 1: x_0 = ±1 (the bit), then ``lag`` steps
  of Gaussian noise of standard deviation ``noise`` (1 by default; 0 gives zeros),
  T = lag + 1. Target y = 1 for the bit +1 and y = 0 for -1, a binary classification at the
  last step: the bit has to be carried across exactly ``lag`` steps.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_positive_int, as_real, as_rng

__all__ = ["TASKS", "ADDING_TOLERANCE", "adding_problem", "adding_target", "first_bit",
           "make_batch", "sequence_length"]

#: The task names the training loop and the experiment runner understand.
TASKS = ("adding", "first_bit")

#: Hochreiter & Schmidhuber's criterion: an output is correct when |ŷ - y| < 0.04.
ADDING_TOLERANCE = 0.04


def adding_target(x1, x2) -> np.ndarray:
    """y = 0.5 + (X1 + X2) / 4: the sum of two values in [-1, 1], scaled to [0, 1]."""
    return 0.5 + (np.asarray(x1, dtype=float) + np.asarray(x2, dtype=float)) / 4.0


def adding_problem(T: int, batch: int, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the adding problem: ``xs`` (T, B, 2) and targets ``ys`` (B,).

    Follows Hochreiter & Schmidhuber (1997), experiment 4, with a fixed length T (the paper
    draws lengths between T and T + T/10; a fixed T lets a batch share one array). The first
    marked step is uniform on {0, …, min(10, T) - 1}, the second uniform on the first T/2 - 1
    steps {0, …, ⌊T/2⌋ - 2} without the first. So the second value is at least ⌊T/2⌋ + 1 steps
    before the end, and the first at least T - 10. Needs T >= 6 (two distinct positions in the
    first half).
    """
    T = as_positive_int(T, "T", minimum=6)
    B = as_positive_int(batch, "batch")
    rng = as_rng(rng)
    half = T // 2 - 1                                   # the first T/2 - 1 positions
    values = rng.uniform(-1.0, 1.0, (T, B))
    first = rng.integers(0, min(10, T), B)
    inside = first < half                               # the first mark blocks one slot
    second = rng.integers(0, half - inside.astype(int))
    second = second + (inside & (second >= first))      # skip the first mark's position
    markers = np.zeros((T, B))
    markers[0] = -1.0
    markers[T - 1] = -1.0
    cols = np.arange(B)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    values[0] = np.where(markers[0] == 1.0, 0.0, values[0])   # the paper: a marked step 0 counts 0
    x1, x2 = values[first, cols], values[second, cols]
    xs = np.stack([values, markers], axis=-1)
    return xs, adding_target(x1, x2)


def first_bit(lag: int, batch: int, *, rng: np.random.Generator,
              noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A batch of "remember the first bit": ``xs`` (lag + 1, B, 1) and labels ``ys`` (B,) in {0, 1}.

    x_0 = 2y - 1 = ±1 with y ~ Bernoulli(1/2); x_1 … x_lag are i.i.d. N(0, noise²) (zeros for
    ``noise`` = 0). The label is to be predicted from the state at t = lag, exactly ``lag``
    steps after the bit was seen. Without noise the task is deceptively easy: every later
    input is the same, so any trace of the bit, however small, separates the two classes and a
    readout can amplify it; with noise of the bit's size the trace has to stay above the noise.
    """
    lag = as_positive_int(lag, "lag")
    B = as_positive_int(batch, "batch")
    rng = as_rng(rng)
    noise = as_real(noise, "noise", low=0.0)
    ys = rng.integers(0, 2, B).astype(float)
    xs = np.zeros((lag + 1, B, 1))
    if noise > 0:
        xs[1:, :, 0] = noise * rng.standard_normal((lag, B))
    xs[0, :, 0] = 2.0 * ys - 1.0
    return xs, ys


def sequence_length(task: str, lag: int) -> int:
    """The sequence length T for a task at a given lag: T = lag for the adding problem (whose
    'lag' is the paper's sequence length), T = lag + 1 for the first-bit task."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if task == "adding":
        return as_positive_int(lag, "lag (the sequence length T of the adding problem)", minimum=6)
    return as_positive_int(lag, "lag") + 1


def make_batch(task: str, lag: int, batch: int, *, rng: np.random.Generator,
               noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """One batch of ``task`` ('adding' or 'first_bit'); ``lag`` is T for the adding problem
    and the number of steps to bridge for the first bit. ``noise`` is for 'first_bit' only."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if task == "adding":
        return adding_problem(lag, batch, rng=rng)
    return first_bit(lag, batch, rng=rng, noise=noise)
