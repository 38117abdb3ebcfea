"""What the traces of the simple RNN and of the LSTM share (``rnn.RNNTrace``, ``lstm.LSTMTrace``).

Both hold the inputs ``xs`` ((T, m), or (T, B, m) for a batch), the initial state ``c0`` and
the states ``c`` ((T, n) or (T, B, n)); this base gives them T, the batch flag and c_{t-1},
and ``check_pair`` validates a (params, trace) pair for either model.
"""

from __future__ import annotations

import numpy as np


def previous(first: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The states one step earlier, s_{t-1} for t = 0 … T-1: ``first`` (s_{-1}), then s_0 … s_{T-2}."""
    return np.concatenate([first[None], states[:-1]], axis=0)


class Trace:
    """Base of the RNN's and the LSTM's trace dataclasses (fields ``xs``, ``c0``, ``c``)."""

    @property
    def T(self) -> int:
        """Number of time steps."""
        return self.xs.shape[0]

    @property
    def batched(self) -> bool:
        """Whether the trace holds a batch of sequences (xs of shape (T, B, m))."""
        return self.xs.ndim == 3

    @property
    def c_prev(self) -> np.ndarray:
        """c_{t-1} for t = 0 … T-1 (c0 first): shape of ``c``."""
        return previous(self.c0, self.c)


def check_pair(params, trace, params_type: type, trace_type: type, forward: str) -> None:
    """ValueError unless ``params`` is a ``params_type`` and ``trace`` a ``trace_type`` (made by
    ``forward``) with the same n units and m inputs."""
    if not isinstance(params, params_type):
        raise ValueError(f"params must be an {params_type.__name__}, got {type(params).__name__}")
    if not isinstance(trace, trace_type):
        raise ValueError(f"trace must be an {trace_type.__name__} from {forward}, "
                         f"got {type(trace).__name__}")
    if trace.c.shape[-1] != params.n or trace.xs.shape[-1] != params.m:
        raise ValueError(
            f"trace (n={trace.c.shape[-1]}, m={trace.xs.shape[-1]}) does not match params "
            f"(n={params.n}, m={params.m})"
        )
