"""rnngrad: the numeric core of the course "Why RNN gradients vanish, and how the LSTM keeps them alive".

Modules:
    rnn         simple RNN: forward, full BPTT, step Jacobian (eq. 2)
    lstm        LSTM: forward, full BPTT, the terms A, B, C, D of eq. (6), state Jacobian
    gradients   products of step Jacobians, gradient norm vs lag, per-step BPTT terms
    plots       matplotlib figures (each takes ax=None and returns the Axes)
    widgets     ipywidgets explorers (import explicitly: ``from rnngrad import widgets``)

Importing rnngrad changes no global state (no rcParams, no random seed).
"""

from . import activations, gradients, lstm, rnn

__all__ = ["activations", "gradients", "lstm", "rnn"]
__version__ = "0.1.0"
