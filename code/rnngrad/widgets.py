"""ipywidgets explorers. Each callback calls a pure compute function and a plot function;
no mathematics lives here. Import explicitly: ``from rnngrad import widgets``.
"""

from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt

from . import gradients, plots

__all__ = ["lag_explorer"]


def _explorer(controls: dict, draw) -> w.VBox:
    """Lay out ``controls`` above an Output; redraw on every change with ``draw(ax, **values)``."""
    out = w.Output()

    def update(_change=None):
        values = {name: c.value for name, c in controls.items()}
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
            draw(ax, **values)
            plt.show()
            plt.close(fig)

    for c in controls.values():
        c.observe(update, names="value")
    update()
    return w.VBox([w.HBox(list(controls.values())), out])


def lag_explorer(*, n: int = 16, seed: int = 0) -> w.VBox:
    """Gradient norm vs lag for a random RNN: ‖W_rec‖₂, activation and length T are sliders."""
    style = {"description_width": "initial"}
    controls = {
        "scale": w.FloatSlider(value=1.0, min=0.1, max=8.0, step=0.1, description="‖W_rec‖₂",
                               continuous_update=True, style=style),
        "activation": w.Dropdown(options=["sigmoid", "tanh"], value="sigmoid",
                                 description="activation", style=style),
        "T": w.IntSlider(value=60, min=2, max=300, step=1, description="length T",
                         continuous_update=True, style=style),
    }

    def draw(ax, scale, activation, T):
        curve = gradients.rnn_lag_curve(n=n, T=T, scale=scale, activation=activation, seed=seed)
        plots.plot_lag_curve(curve, ax=ax)
        ax.set_title(curve.label)

    return _explorer(controls, draw)
