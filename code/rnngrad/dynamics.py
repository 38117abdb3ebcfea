"""The simple RNN as a dynamical system: the stacked weights W = [W_rec, W_in] and the state
trajectories c_t over time (chapter 2).

    c_t = φ(W_rec c_{t-1} + W_in x_t + b) = φ(W u_t + b),   u_t = [c_{t-1}; x_t] ∈ R^{n+m}

φ is the sigmoid σ (the source article's choice) or tanh; γ = sup φ' (1/4 or 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import rnn as _rnn
from ._checks import as_positive_int, as_real
from .activations import GAMMA, check_activation

__all__ = ["stacked_weights", "stacked_inputs", "StateTrajectories", "state_trajectories",
           "INPUT_KINDS", "SATURATION_LEVEL"]

#: Input sequences ``state_trajectories`` can drive the RNN with.
INPUT_KINDS = ("noise", "pulse")
#: A unit counts as saturated at step t when φ'(z_t) < SATURATION_LEVEL · γ.
SATURATION_LEVEL = 0.1


def stacked_weights(params: _rnn.RNNParams) -> np.ndarray:
    """The source article's W = [W_rec, W_in]: the two blocks side by side, shape (n, n+m).

    W u_t = W_rec c_{t-1} + W_in x_t for u_t = [c_{t-1}; x_t] (block matrix product).

    Derived in :ref:`ch2-model` (eq. 2.2, chapter 2).
    """
    if not isinstance(params, _rnn.RNNParams):
        raise ValueError(f"params must be an RNNParams, got {type(params).__name__}")
    return np.concatenate([params.W_rec, params.W_in], axis=1)


def stacked_inputs(trace: _rnn.RNNTrace) -> np.ndarray:
    """The concatenated inputs u_t = [c_{t-1}; x_t] of every step, c_{t-1} first.

    Shape (T, n+m), or (T, B, n+m) for a batched trace; u_0 holds the initial state c_{-1}.

    Derived in :ref:`ch2-model` (eq. 2.2, chapter 2).
    """
    if not isinstance(trace, _rnn.RNNTrace):
        raise ValueError(f"trace must be an RNNTrace from rnn.forward, got {type(trace).__name__}")
    return np.concatenate([trace.c_prev, trace.xs], axis=-1)


@dataclass(frozen=True)
class StateTrajectories:
    """States of one RNN run and summaries of how saturated its units are, per time step.

    ``t`` (T,), ``c`` (T, n) the states c_t, ``slope`` (T,) the mean over units of φ'(z_t)/γ
    (1 = every unit at the steepest point, 0 = every unit saturated), ``saturated`` (T,) the
    fraction of units with φ'(z_t) < SATURATION_LEVEL·γ, ``step_norms`` (T,) ‖c_t − c_{t-1}‖
    (c_{-1} = 0), ``activation``, ``scale`` = ‖W_rec‖₂, ``inputs`` and a ``label``.
    """

    t: np.ndarray
    c: np.ndarray
    slope: np.ndarray
    saturated: np.ndarray
    step_norms: np.ndarray
    activation: str
    scale: float
    inputs: str
    label: str


def _input_sequence(kind: str, T: int, m: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "noise":
        return rng.standard_normal((T, m))
    xs = np.zeros((T, m))
    xs[0] = 3.0
    return xs


def state_trajectories(*, n: int = 8, m: int = 1, T: int = 50, scale: float = 1.0,
                       activation: str = "sigmoid", inputs: str = "noise",
                       input_scale: float = 1.0, seed: int = 0) -> StateTrajectories:
    """Run a random RNN with ‖W_rec‖₂ = ``scale`` (rnn.init, b = 0) and summarise its states.

    ``inputs='noise'``: x_t ~ N(0, I) at every step; ``'pulse'``: x_0 = 3·1, then x_t = 0, so
    the states show the network's own dynamics after one kick. The state starts at
    c_{-1} = 0. Deterministic given ``seed``. Chapter 2.

    Used in :ref:`ch2-saturation` (chapter 2).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    T = as_positive_int(T, "T")
    scale = as_real(scale, "scale", low=0.0)
    input_scale = as_real(input_scale, "input_scale", low=0.0)
    check_activation(activation)
    if inputs not in INPUT_KINDS:
        raise ValueError(f"inputs must be one of {INPUT_KINDS}, got {inputs!r}")
    rng = np.random.default_rng(as_positive_int(seed, "seed", minimum=0))
    params = _rnn.init(n, m, rng=rng, scale=scale, input_scale=input_scale, activation=activation)
    trace = _rnn.forward(params, _input_sequence(inputs, T, m, rng))
    gamma = GAMMA[activation]
    rel_slope = trace.dact / gamma
    return StateTrajectories(
        t=np.arange(T),
        c=trace.c,
        slope=rel_slope.mean(axis=1),
        saturated=(rel_slope < SATURATION_LEVEL).mean(axis=1),
        step_norms=np.linalg.norm(trace.c - trace.c_prev, axis=1),
        activation=activation,
        scale=scale,
        inputs=inputs,
        label=f"{activation} RNN, ‖W_rec‖₂ = {scale:g}, {inputs} input",
    )
