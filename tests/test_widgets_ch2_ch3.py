"""Chapters 2 and 3: the plot functions and the explorers' compute + plot calls over the whole
slider range (extremes and middle), and the explorers themselves driven control by control."""

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from reference import assert_every_control_changes_the_picture, legend_texts  # noqa: E402

from rnngrad import bptt, dynamics, plots, style, widgets  # noqa: E402


# --------------------------------------------------------------------------- chapter 2


@pytest.mark.parametrize("T, highlight", [(1, None), (1, 0), (5, None), (5, 0), (5, 4), (12, 7)])
def test_unrolled_diagram(T, highlight):
    ax = plots.plot_unrolled_rnn(T, highlight=highlight)
    texts = [t.get_text() for t in ax.texts]
    assert "$c_{-1}$" in texts and "$E$" in texts
    assert f"$c_{{{T - 1}}}$" in texts and f"$x_{{{T - 1}}}$" in texts
    assert not ax.axison
    if highlight is not None:
        assert f"j = {highlight}" in ax.get_title()


@pytest.mark.parametrize("kw", [dict(T=0), dict(T=13), dict(T=2.0), dict(T=3, highlight=3),
                                dict(T=3, highlight=-1), dict(T=3, highlight=True)])
def test_unrolled_diagram_validation(kw):
    with pytest.raises(ValueError, match="T|highlight"):
        plots.plot_unrolled_rnn(**kw)


@pytest.mark.parametrize("scale, activation, inputs",
                         list(itertools.product([0.1, 8.0, 16.0], ["sigmoid", "tanh"],
                                           list(dynamics.INPUT_KINDS))))
def test_state_explorer_compute_and_plot_at_every_slider_corner(scale, activation, inputs):
    traj = dynamics.state_trajectories(n=8, T=60, scale=scale, activation=activation,
                                       inputs=inputs, seed=0)
    fig, ax = plt.subplots()
    assert plots.plot_state_trajectories(traj, ax=ax) is ax
    assert "c_{t,i}" in ax.get_ylabel() and "time step" in ax.get_xlabel()
    assert len(fig.axes) == 1 and "phi'" in ax.get_ylabel()        # one axis, no twin
    assert len(ax.get_lines()) == 4 + 1                             # four units and the slope
    assert any("phi'" in s for s in legend_texts(ax))
    lo, hi = ax.get_ylim()
    assert lo <= min(traj.c.min(), traj.slope.min()) and max(traj.c.max(), traj.slope.max()) <= hi
    assert "saturated" in ax.get_title()


def test_state_trajectories_plot_options():
    traj = dynamics.state_trajectories(n=2, T=5)
    ax = plots.plot_state_trajectories(traj, units=10, title=False)
    assert len(ax.get_lines()) == 2 + 1 and ax.get_title() == ""
    with pytest.raises(ValueError, match="units"):
        plots.plot_state_trajectories(traj, units=0)


def test_state_steps_plot_labels_exact_zeros_and_uses_log_scale():
    trajs = [dynamics.state_trajectories(scale=s, inputs="pulse", T=60) for s in (0.1, 2.0)]
    assert np.any(trajs[0].step_norms == 0)
    ax = plots.plot_state_steps(trajs)
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()
    labels = legend_texts(ax)
    assert len(labels) == 2 and "exactly 0 from t =" in labels[0]
    one = plots.plot_state_steps(trajs[1])
    assert len(legend_texts(one)) == 1
    with pytest.raises(ValueError, match="trajs"):
        plots.plot_state_steps([])


def test_state_explorer_responds_to_every_control():
    box = widgets.state_explorer(T=20)
    assert len(box.children[0].children) == 3
    assert_every_control_changes_the_picture(
        box, lambda c: [c.min, (c.min + c.max) / 2, c.max] if hasattr(c, "min") else list(c.options))


# --------------------------------------------------------------------------- chapter 3


@pytest.mark.parametrize("T, scale, activation, loss",
                         list(itertools.product([1, 50, 100], [0.1, 8.0, 16.0], ["sigmoid", "tanh"],
                                           list(bptt.LOSS_KINDS))))
def test_contribution_explorer_compute_and_plot_at_every_slider_corner(T, scale, activation, loss):
    prof = bptt.step_contribution_profile(n=8, T=T, scale=scale, activation=activation,
                                          loss=loss, seed=0)
    fig, ax = plt.subplots()
    assert plots.plot_step_contributions(prof, ax=ax) is ax
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()
    assert len(ax.patches) == T
    assert "eq. (1)" in ax.get_title()
    lo, hi = ax.get_ylim()
    top = prof.norms.max()
    assert top <= hi and lo <= max(prof.norms.min(), top / 10.0 ** (style.MAX_DECADES - 1))
    if prof.norms.min() < lo:       # the axis is cut to MAX_DECADES: the legend counts the rest
        below = int(np.sum(prof.norms < lo))
        assert f"{below} step(s) below the axis" in legend_texts(ax)


def test_contribution_plot_marks_underflow_and_overflow():
    prof = bptt.StepContributions(steps=np.arange(4), norms=np.array([0.0, 1e-3, 1.0, np.inf]),
                                  single_path_error=1.0, loss="last", label="synthetic")
    ax = plots.plot_step_contributions(prof)
    labels = " ".join(legend_texts(ax))
    assert "underflow" in labels and "overflow" in labels
    assert len(ax.patches) == 2


def test_contribution_explorer_responds_to_every_control():
    box = widgets.contribution_explorer()
    assert len(box.children[0].children) == 4

    def values(c):
        if hasattr(c, "min"):
            mid = (c.min + c.max) // 2 if isinstance(c.min, int) else (c.min + c.max) / 2
            return [c.min, mid, c.max]
        return list(c.options)

    assert_every_control_changes_the_picture(box, values)
