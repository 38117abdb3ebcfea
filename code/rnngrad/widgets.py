"""ipywidgets explorers. Each callback calls a pure compute function and a plot function;
no mathematics lives here. Import explicitly: ``from rnngrad import widgets``.
"""

from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt

from . import gradients, plots

__all__ = ["lag_explorer", "deepnet_explorer", "state_explorer", "contribution_explorer", "cell_path_explorer", "gate_explorer", "survival_explorer", "forget_explorer", "long_range_explorer"]


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


def deepnet_explorer(*, width: int = 64, seed: int = 0, batch: int = 16) -> w.VBox:
    """Per-layer gradient norms of a random deep network at initialization (chapter 1):
    depth L, activation and weight scale (1 = Glorot) are sliders."""
    from . import deepnet

    style = {"description_width": "initial"}
    controls = {
        "depth": w.IntSlider(value=20, min=1, max=200, step=1, description="depth L",
                             continuous_update=False, style=style),
        "activation": w.Dropdown(options=["sigmoid", "tanh"], value="sigmoid",
                                 description="activation", style=style),
        "weight_scale": w.FloatLogSlider(value=1.0, base=10, min=-1.0, max=1.3, step=0.05,
                                         description="weight scale (1 = Glorot)",
                                         continuous_update=False, style=style),
    }

    def draw(ax, depth, activation, weight_scale):
        norms = deepnet.layer_gradient_norms(depth=depth, width=width, activation=activation,
                                             weight_scale=weight_scale, seed=seed, batch=batch)
        plots.plot_layer_gradient_norms(norms, ax=ax)
        ax.set_title(norms.label)

    return _explorer(controls, draw)


def state_explorer(*, n: int = 8, T: int = 60, seed: int = 0) -> w.VBox:
    """State trajectories of a random RNN (chapter 2): ‖W_rec‖₂, activation and the input
    sequence (noise at every step, or one pulse at t = 0) are the controls."""
    from . import dynamics

    style = {"description_width": "initial"}
    controls = {
        "scale": w.FloatSlider(value=1.0, min=0.1, max=16.0, step=0.1, description="‖W_rec‖₂",
                               continuous_update=False, style=style),
        "activation": w.Dropdown(options=["sigmoid", "tanh"], value="sigmoid",
                                 description="activation", style=style),
        "inputs": w.Dropdown(options=list(dynamics.INPUT_KINDS), value="noise",
                             description="input", style=style),
    }

    def draw(ax, scale, activation, inputs):
        traj = dynamics.state_trajectories(n=n, T=T, scale=scale, activation=activation,
                                           inputs=inputs, seed=seed)
        plots.plot_state_trajectories(traj, ax=ax)

    return _explorer(controls, draw)


def contribution_explorer(*, n: int = 8, seed: int = 0) -> w.VBox:
    """Each time step's contribution to ∂E/∂W, log-scale bars (chapter 3): sequence length T,
    ‖W_rec‖₂, activation and the loss (last step only, or every step) are the controls."""
    from . import bptt

    style = {"description_width": "initial"}
    controls = {
        "T": w.IntSlider(value=10, min=1, max=100, step=1, description="length T",
                         continuous_update=False, style=style),
        "scale": w.FloatSlider(value=2.0, min=0.1, max=16.0, step=0.1, description="‖W_rec‖₂",
                               continuous_update=False, style=style),
        "activation": w.Dropdown(options=["sigmoid", "tanh"], value="sigmoid",
                                 description="activation", style=style),
        "loss": w.Dropdown(options=list(bptt.LOSS_KINDS), value="last", description="loss at",
                           style=style),
    }

    def draw(ax, T, scale, activation, loss):
        profile = bptt.step_contribution_profile(n=n, T=T, scale=scale, activation=activation,
                                                 loss=loss, seed=seed)
        plots.plot_step_contributions(profile, ax=ax)

    return _explorer(controls, draw)


def cell_path_explorer(*, n: int = 8, seed: int = 0) -> w.VBox:
    """Chapter 6: the true cell-state derivative against the source's product Π(A+B+C+D)."""
    style = {"description_width": "initial"}
    controls = {
        "weight_scale": w.FloatSlider(value=1.0, min=0.1, max=4.0, step=0.1,
                                      description="weight scale", style=style),
        "forget_bias": w.FloatSlider(value=1.0, min=-3.0, max=6.0, step=0.25,
                                     description="forget bias", style=style),
        "T": w.IntSlider(value=40, min=2, max=200, description="length T", style=style),
    }

    def draw(ax, weight_scale, forget_bias, T):
        params, trace = gradients.random_lstm_trace(n=n, T=T, forget_bias=forget_bias,
                                                    weight_scale=weight_scale, seed=seed)
        gap = gradients.cell_path_gap(params, trace)
        plots.plot_full_vs_cell(gap.lags, gap.full_norms, gap.cell_norms, gap.rel_diff, ax=ax)
        ax.set_title(f"LSTM, n = {n}: true derivative vs the source's product")

    return _explorer(controls, draw)


def gate_explorer(*, n: int = 8, T: int = 60, seed: int = 0) -> w.VBox:
    """Chapter 5: mean gate activations and cell states of a random LSTM over time; the
    forget-gate bias, the input scale and the input sequence (noise or constant) are the controls."""
    from . import cell

    style = {"description_width": "initial"}
    controls = {
        "forget_bias": w.FloatSlider(value=1.0, min=-6.0, max=10.0, step=0.5,
                                     description="forget bias b_f", continuous_update=False,
                                     style=style),
        "input_scale": w.FloatSlider(value=1.0, min=0.0, max=10.0, step=0.5,
                                     description="input scale", continuous_update=False,
                                     style=style),
        "inputs": w.Dropdown(options=list(cell.INPUT_KINDS), value="noise", description="input",
                             style=style),
    }

    def draw(ax, forget_bias, input_scale, inputs):
        traj = cell.gate_trajectories(forget_bias=forget_bias, input_scale=input_scale,
                                      inputs=inputs, n=n, T=T, seed=seed)
        plots.plot_gate_trajectories(traj, ax=ax)

    return _explorer(controls, draw)


def survival_explorer(*, n: int = 16, seed: int = 0) -> w.VBox:
    """Chapter 7: gradient norm vs lag for a sigmoid RNN, a tanh RNN and an LSTM that share
    their weights and inputs; the forget-gate bias, the weight scale and the length T are
    the controls (log scale)."""
    from . import survival

    style = {"description_width": "initial"}
    controls = {
        "forget_bias": w.FloatSlider(value=1.0, min=-3.0, max=6.0, step=0.5,
                                     description="forget bias b_f", continuous_update=False,
                                     style=style),
        "weight_scale": w.FloatSlider(value=1.0, min=0.1, max=4.0, step=0.1,
                                      description="weight scale", continuous_update=False,
                                      style=style),
        "T": w.IntSlider(value=100, min=2, max=300, step=1, description="length T",
                         continuous_update=False, style=style),
    }

    def draw(ax, forget_bias, weight_scale, T):
        curves = survival.rnn_vs_lstm(n=n, T=T, forget_bias=forget_bias,
                                      weight_scale=weight_scale, seed=seed)
        plots.plot_lag_comparison(curves, ax=ax)
        ax.set_title(f"n = {n}, weight scale {weight_scale:g}, same inputs for all three",
                     fontsize="medium")

    return _explorer(controls, draw)


def forget_explorer(*, n: int = 16, T: int = 301, seed: int = 0) -> w.VBox:
    """Chapter 8: how much gradient survives at a chosen lag, against the forget-gate bias;
    the true norm, the forget-gate path max_i Π f_{t,i} and f̄^k on one log plot."""
    from . import survival

    style = {"description_width": "initial"}
    controls = {
        "forget_bias": w.FloatSlider(value=1.0, min=-3.0, max=6.0, step=0.25,
                                     description="forget bias b_f", continuous_update=False,
                                     style=style),
        "lag": w.IntSlider(value=100, min=1, max=T - 1, step=1, description="lag k",
                           continuous_update=False, style=style),
    }

    def draw(ax, forget_bias, lag):
        paths = survival.forget_survival(forget_bias=forget_bias, lag=lag, n=n, T=T, seed=seed)
        plots.plot_forget_paths(paths, ax=ax)

    return _explorer(controls, draw)


def long_range_explorer(csv_path, npz_path=None) -> w.VBox:
    """Chapter 9: browse the committed sweep. Task, model, lag and seed pick one stored run;
    the view shows its loss, accuracy, gradient norm, or ‖∂ℓ/∂c_t‖ over t at the first and
    last step. Combinations the sweep did not train show a labelled empty panel."""
    from pathlib import Path

    from . import experiment

    rows = experiment.read_results(csv_path)
    store = experiment.load_curves(npz_path or Path(csv_path).with_suffix(".npz"))
    tasks = sorted({r["task"] for r in rows}, key=lambda t: t != "first_bit")
    models = [m for m in experiment.success_table(rows, tasks[0]).models]
    lags = sorted({r["lag"] for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    style = {"description_width": "initial"}
    controls = {
        "task": w.Dropdown(options=tasks, value=tasks[0], description="task", style=style),
        "model": w.Dropdown(options=models, value=models[-1], description="model", style=style),
        "lag": w.SelectionSlider(options=lags, value=lags[len(lags) // 2],
                                 description="lag (T for adding)", continuous_update=False,
                                 style=style),
        "seed": w.Dropdown(options=seeds, value=seeds[0], description="seed", style=style),
        "view": w.Dropdown(options=[("loss", "loss"), ("accuracy", "accuracy"),
                                    ("‖∂L/∂θ‖", "grad_norm"), ("‖∂ℓ/∂c_t‖ over t", "state_grad")],
                           value="loss", description="view", style=style),
    }

    def draw(ax, task, model, lag, seed, view):
        run = store.get(task, model, lag, seed)
        plots.plot_run_view(run, ax=ax, view=view)

    return _explorer(controls, draw)
