"""What the models' traces share (``rnn.RNNTrace``, ``lstm.LSTMTrace``, ``gru.GRUTrace``).

Each holds the inputs ``xs`` ((T, m), or (T, B, m) for a batch) and states of shape (T, n) or
(T, B, n): the simple RNN and the LSTM an initial state ``c0`` and states ``c``, the GRU ``h0``
and ``h``. This base gives them T, the batch flag, the number of units and (for ``c``) c_{t-1};
``check_pair`` validates a (params, trace) pair for any model.
"""

from __future__ import annotations

import numpy as np


def previous(first: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The states one step earlier, s_{t-1} for t = 0 … T-1: ``first`` (s_{-1}), then s_0 … s_{T-2}."""
    return np.concatenate([first[None], states[:-1]], axis=0)


class Trace:
    """Base of the models' trace dataclasses (fields ``xs``, ``c0``, ``c``; the GRU's trace has
    ``h0`` and ``h`` instead, and overrides ``units``)."""

    @property
    def T(self) -> int:
        """Number of time steps."""
        return self.xs.shape[0]

    @property
    def batched(self) -> bool:
        """Whether the trace holds a batch of sequences (xs of shape (T, B, m))."""
        return self.xs.ndim == 3

    @property
    def units(self) -> int:
        """Number of units: the width of the states c."""
        return self.c.shape[-1]

    @property
    def c_prev(self) -> np.ndarray:
        """c_{t-1} for t = 0 … T-1 (c0 first): shape of ``c``."""
        return previous(self.c0, self.c)


def _a(name: str) -> str:
    """A type name with its article, as read aloud: 'an RNNParams', 'an LSTMTrace', 'a GRUTrace'."""
    return f"{'an' if name[:1] in 'AEFHILMNORSX' else 'a'} {name}"


def check_pair(params, trace, params_type: type, trace_type: type, forward: str) -> None:
    """ValueError unless ``params`` is a ``params_type`` and ``trace`` a ``trace_type`` (made by
    ``forward``) with the same n units and m inputs."""
    if not isinstance(params, params_type):
        raise ValueError(f"params must be {_a(params_type.__name__)}, got {type(params).__name__}")
    if not isinstance(trace, trace_type):
        raise ValueError(f"trace must be {_a(trace_type.__name__)} from {forward}, "
                         f"got {type(trace).__name__}")
    if trace.units != params.n or trace.xs.shape[-1] != params.m:
        raise ValueError(
            f"trace (n={trace.units}, m={trace.xs.shape[-1]}) does not match params "
            f"(n={params.n}, m={params.m})"
        )
