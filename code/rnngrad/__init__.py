"""rnngrad: the numeric core of the course "Why RNN gradients vanish, and how the LSTM keeps them alive".

Modules (the chapter that introduces each in brackets):
    deepnet     deep feed-forward network, per-layer gradient norms              [1]
    rnn         simple RNN: forward, full BPTT, step Jacobian (eq. 2)             [2–4]
    dynamics    state trajectories and saturation of the simple RNN              [2]
    bptt        losses, paths and the single-path eq. (1) of BPTT                 [3]
    numdiff     central finite differences, relative errors                      [3]
    exploding   Pascanu et al.'s one-unit example, norm clipping                  [4]
    lstm        LSTM: forward, full BPTT, the terms A, B, C, D of eq. (6)         [5–6]
    gru         GRU (PyTorch's convention): forward, full BPTT, step Jacobian     [GRU]
    gradients   products of step Jacobians, gradient norm vs lag, per-step terms [3–8, GRU]
    lag_curves  gradient norm vs lag of seeded random RNNs, LSTMs, GRUs (demos)   [4, 6–8, GRU]
    activations stable sigmoid, tanh, their derivatives and γ
    symbolic    SymPy derivations and the audit of the source's equations        [4, 6, GRU]
    plots       matplotlib figures (each takes ax=None and returns the Axes)
    diagrams    the chapters' diagrams: unrolled RNN, LSTM and GRU cells, paths  [1–7, GRU]
    style       the one figure style: sizes, fonts, colours, log ticks (opt-in: style.use())
    tables      results shown as tables (Markdown on the page)                    [3, 9]
    widgets     the explorers: declared once, shown live (ipywidgets) or as static frames
    exercises   answer checkers for the code exercises
    cell        chapter 5's experiments on one LSTM cell: equations, memory, gates [5]
    survival    how far back the LSTM's gradient survives; the forget gate        [7–8]
    gru_survival the same for the GRU: the update gate's path, beside the LSTM     [GRU]
    gru_variants the GRU as Cho et al., Chung et al. and Keras write it           [GRU]
    tasks, train, experiment: long-range tasks, training with full BPTT, the sweep [9]

``symbolic``, ``plots``, ``diagrams``, ``widgets`` and ``exercises`` load SymPy, matplotlib and ipywidgets: import them
explicitly (``from rnngrad import widgets``). Importing rnngrad changes no global state.
"""

from . import (activations, bptt, deepnet, dynamics, exploding, gradients, gru, lag_curves, lstm,
               numdiff, rnn)

__all__ = ["activations", "bptt", "deepnet", "dynamics", "exploding", "gradients", "gru",
           "lag_curves", "lstm", "numdiff", "rnn"]
__version__ = "0.1.0"
