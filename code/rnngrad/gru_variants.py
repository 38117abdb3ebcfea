"""The GRU as other sources write it, for the GRU chapter's audit of conventions.

``gru.py`` follows PyTorch. Two choices tell the published forms apart:

* which gate keeps the old state: ``keep="z"``, h_t = (1 - z_t) ⊙ h̃_t + z_t ⊙ h_{t-1} (Cho et al.
  2014, PyTorch, Keras), or ``keep="1-z"``, h_t = z_t ⊙ h̃_t + (1 - z_t) ⊙ h_{t-1} (Chung et al.
  2014, and texts that follow them);
* where the reset gate acts: ``reset="after"`` the recurrent product, r_t ⊙ (U_n h_{t-1} + b_hn)
  (PyTorch; Keras with ``reset_after=True``, its default since TensorFlow 2), or
  ``reset="before"`` it, U_n (r_t ⊙ h_{t-1}) + b_hn (Cho et al. 2014; Keras with
  ``reset_after=False``).

:func:`forward` runs one GRU, with the parameters of ``gru.GRUParams``, written from those
equations (it shares no code with ``gru.forward``, so comparing the two is a check).
:func:`relabelled` maps parameters across the first choice: the same model. Nothing maps across
the second (the GRU chapter measures the difference).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import gru as _gru
from ._checks import as_sequence, as_state
from .activations import sigmoid

__all__ = ["CONVENTIONS", "forward", "relabelled"]

#: The published forms: (keep, reset) for each, as :func:`forward` takes them.
CONVENTIONS = {
    "PyTorch": ("z", "after"),
    "Keras, reset_after=True": ("z", "after"),
    "Keras, reset_after=False": ("z", "before"),
    "Cho et al. (2014)": ("z", "before"),
    "Chung et al. (2014)": ("1-z", "before"),
}


def forward(params: _gru.GRUParams, xs, h0=None, *, keep: str = "z",
            reset: str = "after") -> np.ndarray:
    """The states h_t (shape (T, n) or (T, B, n)) of a GRU in the form ``keep`` ('z' or '1-z')
    and ``reset`` ('after' or 'before'); see the module's docstring. With ``reset="before"``,
    b_hn is a constant added to U_n (r_t ⊙ h_{t-1}), so it acts as part of b_n.

    Used in :ref:`gru-conventions` (the GRU chapter).
    """
    if not isinstance(params, _gru.GRUParams):
        raise ValueError(f"params must be a GRUParams, got {type(params).__name__}")
    if keep not in ("z", "1-z"):
        raise ValueError(f"keep must be 'z' or '1-z', got {keep!r}")
    if reset not in ("after", "before"):
        raise ValueError(f"reset must be 'after' or 'before', got {reset!r}")
    xs = as_sequence(xs, "xs", params.m)
    h = as_state(h0, "h0", params.n, xs.shape[1] if xs.ndim == 3 else None)
    U_z, U_r, U_n = (params.U(g) for g in ("z", "r", "n"))
    V_z, V_r, V_n = (params.V(g) for g in ("z", "r", "n"))
    out = []
    for x in xs:
        z = sigmoid(h @ U_z.T + x @ V_z.T + params.b_z)
        r = sigmoid(h @ U_r.T + x @ V_r.T + params.b_r)
        if reset == "after":
            recurrent = r * (h @ U_n.T + params.b_hn)
        else:
            recurrent = (r * h) @ U_n.T + params.b_hn
        h_tilde = np.tanh(x @ V_n.T + params.b_n + recurrent)
        kept = z if keep == "z" else 1.0 - z
        h = (1.0 - kept) * h_tilde + kept * h
        out.append(h)
    return np.stack(out)


def relabelled(params: _gru.GRUParams) -> _gru.GRUParams:
    """The parameters that give the same model in the other ``keep`` form: W_z → -W_z,
    b_z → -b_z. Since σ(-a) = 1 - σ(a), the new update gate is 1 - z_t of the old one.

    Derived in :ref:`gru-conventions` (the GRU chapter).
    """
    if not isinstance(params, _gru.GRUParams):
        raise ValueError(f"params must be a GRUParams, got {type(params).__name__}")
    return dataclasses.replace(params, W_z=-params.W_z, b_z=-params.b_z)
