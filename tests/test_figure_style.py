"""One figure style, sized for the text column: every figure the book can show is checked here.

Each public function of ``rnngrad.plots`` is drawn on its own figure (``ax=None``: the size the
package chooses) in the course's style, and every explorer's frame at each end of every
control. For each picture:

* it is at most ``style.COLUMN_WIDTH`` (7.5 in) wide as the notebook shows it (saved with
  ``bbox_inches='tight'``, like the inline backend), so the page never shrinks it;
* its smallest text is at least ``style.MIN_FONT_PT`` (10 pt), and at least ``MIN_PX`` CSS px
  where the desktop page shows it (the column is ``COLUMN_PX`` wide; wider pictures would be
  scaled down to it);
* every legend lies inside its axes;
* every log axis has at least two labelled ticks and at most ``MAX_DECADES_PER_LABEL``
  decades between two labels.

Diagrams (functions that take only ``ax=None`` and keyword options) are drawn with their
defaults: a module of them joins the check by one line in ``DIAGRAM_MODULES``.
"""

from __future__ import annotations

import inspect
import io
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from rnngrad import (bptt, cell, deepnet, diagrams, dynamics, experiment, exploding, gradients, lag_curves,  # noqa: E402
                     plots, style, survival, widgets)

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "book" / "data" / "long_range_results.csv"

#: The text column of the desktop page, in CSS px (sphinx-book-theme at 1366 px).
COLUMN_PX = 757
#: CSS px per inch (a browser shows an SVG of w pt at w × 96/72 px).
PX_PER_IN = 96
#: The smallest text a reader should meet on a desktop page, in CSS px.
MIN_PX = 9.0
MAX_DECADES_PER_LABEL = 5

#: Modules of diagrams: every public function is drawn with its defaults (``ax=None``).
#: A new module of diagrams is checked by adding it here.
DIAGRAM_MODULES: list = [diagrams]


# --------------------------------------------------------------------------- the pictures


def _curves():
    store = experiment.load_curves(CSV.with_suffix(".npz"))
    return [store.get("first_bit", "rnn_tanh", 50, 0), store.get("first_bit", "lstm_bf3", 50, 0)]


def _paths():
    return [("plain", exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30)),
            ("clipped at 1", exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30, clip=1.0))]


def _forget_sweep():
    return survival.forget_bias_sweep([-2.0, 0.0, 1.0, 3.0, 5.0], lags=(100, 300), n=8,
                                      seeds=range(3))


def _gap():
    params, trace = lag_curves.random_lstm_trace(n=8, T=40, forget_bias=1.0, weight_scale=2.0, seed=0)
    return gradients.cell_path_gap(params, trace)


def _term_sizes():
    params, trace = lag_curves.random_lstm_trace(n=16, T=100, forget_bias=1.0, weight_scale=1.0, seed=0)
    return survival.cell_term_sizes(params, trace)


def _readout():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    values = np.cumsum(rng.standard_normal((80, 60)), axis=0) * 0.1 + (2 * labels - 1)
    return values, labels


#: name of the plot function -> the calls that draw it (each a function of ``ax``), with data
#: as the chapters use it (the widest, longest case where a chapter has several).
PLOT_CASES = {
    "plot_lag_curve": [lambda ax: plots.plot_lag_curve(lag_curves.rnn_lag_curve(
        n=16, T=300, scale=0.5, activation="sigmoid", seed=0), ax=ax)],
    "plot_circle_image": [lambda ax: plots.plot_circle_image([[1.5, 1.0], [0.0, 0.5]], ax=ax)],
    "plot_power_norms": [lambda ax: plots.plot_power_norms(
        gradients.power_norms(W := np.array([[0.9, 5.0], [0.0, 0.9]]), 120), rho=0.9,
        norm=float(np.linalg.norm(W, 2)), ax=ax)],
    "plot_threshold_sweep": [lambda ax: plots.plot_threshold_sweep(
        s := np.array([0.5, 2, 4, 8, 16]), lag_curves.norm_at_lag_sweep(
            s, lag=50, n=16, activation="sigmoid", seeds=range(3)), gamma=0.25, lag=50, ax=ax)],
    "plot_loss_surface": [lambda ax: plots.plot_loss_surface(
        *exploding.loss_surface(w_range=(3.0, 8.0), b_range=(-4.5, -1.0), num=41),
        paths=_paths(), ax=ax)],
    "plot_clipping_steps": [lambda ax: plots.plot_clipping_steps(_paths(), threshold=1.0, ax=ax)],
    "plot_layer_gradient_norms": [lambda ax: plots.plot_layer_gradient_norms(
        deepnet.layer_gradient_norms(depth=200, width=16, activation="sigmoid", seed=0), ax=ax)],
    "plot_unrolled_rnn": [lambda ax: plots.plot_unrolled_rnn(T=12, ax=ax, highlight=3),
                          lambda ax: plots.plot_unrolled_rnn(T=5, ax=ax)],
    "plot_state_trajectories": [lambda ax: plots.plot_state_trajectories(
        dynamics.state_trajectories(n=8, T=50, scale=16.0, activation="tanh", seed=0), ax=ax)],
    "plot_state_steps": [lambda ax: plots.plot_state_steps(
        [dynamics.state_trajectories(n=8, T=60, scale=s, activation=a, inputs="pulse", seed=0)
         for a, s in [("sigmoid", 0.5), ("sigmoid", 8.0), ("tanh", 0.5), ("tanh", 2.0)]], ax=ax)],
    "plot_step_contributions": [lambda ax: plots.plot_step_contributions(
        bptt.step_contribution_profile(n=8, T=100, scale=0.5, loss="last", seed=0), ax=ax)],
    "plot_full_vs_cell": [lambda ax: plots.plot_full_vs_cell(
        (g := _gap()).lags, g.full_norms, g.cell_norms, g.rel_diff, ax=ax)],
    "plot_gate_trajectories": [
        lambda ax: plots.plot_gate_trajectories(cell.gate_trajectories(
            forget_bias=10.0, input_scale=10.0, inputs="constant"), ax=ax, which="cell"),
        lambda ax: plots.plot_gate_trajectories(cell.gate_trajectories(), ax=ax, which="gates")],
    "plot_memory_runs": [lambda ax: plots.plot_memory_runs(
        [cell.memory_run(bf) for bf in [8.0, 4.0, 2.0, 0.0, -2.0]], ax=ax)],
    "plot_lag_comparison": [lambda ax: plots.plot_lag_comparison(
        survival.rnn_vs_lstm(n=16, T=300, forget_bias=1.0, weight_scale=1.0, seed=0), ax=ax)],
    "plot_cell_term_sizes": [lambda ax: plots.plot_cell_term_sizes(_term_sizes(), ax=ax)],
    "plot_forget_paths": [lambda ax: plots.plot_forget_paths(survival.forget_survival(
        forget_bias=0.0, lag=100, n=16, T=301, weight_scale=1.0, seed=0), ax=ax)],
    "plot_forget_bias_sweep": [
        lambda ax, w=w: plots.plot_forget_bias_sweep(_forget_sweep(), ax=ax, which=w)
        for w in ("norm", "lag", "rate")],
    "plot_rate_vs_weight_scale": [lambda ax: plots.plot_rate_vs_weight_scale(
        survival.rate_vs_weight_scale([0.25, 1.0, 3.0], forget_bias=1.0, n=8, T=100,
                                      seeds=range(2)), ax=ax)],
    "plot_success_vs_lag": [lambda ax: plots.plot_success_vs_lag(
        experiment.success_table(experiment.read_results(CSV), "first_bit"), ax=ax)],
    "plot_training_curves": [lambda ax, w=w: plots.plot_training_curves(_curves(), ax=ax, which=w)
                             for w in ("loss", "accuracy", "grad_norm")],
    "plot_state_gradient": [lambda ax: plots.plot_state_gradient(_curves()[0], ax=ax)],
    "plot_run_view": [lambda ax: plots.plot_run_view(_curves()[1], ax=ax, view="state_grad"),
                      lambda ax: plots.plot_run_view(None, ax=ax)],
    "plot_readout_trajectories": [lambda ax: plots.plot_readout_trajectories(*_readout(), ax=ax,
                                                                             every=2)],
}


def _diagram_cases():
    for module in DIAGRAM_MODULES:
        for name in module.__all__:
            fn = getattr(module, name)
            if callable(fn) and "ax" in inspect.signature(fn).parameters:
                yield pytest.param(fn, id=f"{module.__name__.rsplit('.', 1)[-1]}.{name}")


# --------------------------------------------------------------------------- the checks


def svg_size_in(fig) -> tuple[float, float]:
    """Width and height in inches of the SVG the inline backend makes of ``fig``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    head = buf.getvalue()[:2000].decode()
    w, h = (float(re.search(rf'{a}="([0-9.]+)pt"', head).group(1)) / 72 for a in ("width", "height"))
    return w, h


def texts(fig) -> list[Text]:
    """Every visible, non-empty text of the figure (titles, labels, tick labels, legends)."""
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and (t.axes is None or t.get_window_extent().width > 0)]


def problems(fig, width_in: float) -> list[str]:
    """What makes ``fig`` hard to read, shown ``width_in`` inches wide (empty: nothing)."""
    found = []
    if width_in > style.COLUMN_WIDTH + 1e-6:
        found.append(f"{width_in:.2f} in wide, more than the column's {style.COLUMN_WIDTH} in")
    scale = min(1.0, COLUMN_PX / (width_in * PX_PER_IN))
    for t in texts(fig):
        pt = t.get_fontsize()
        px = pt * PX_PER_IN / 72 * scale
        if pt < style.MIN_FONT_PT - 1e-6 or px < MIN_PX:
            found.append(f"text {t.get_text()[:40]!r} at {pt:.1f} pt ({px:.1f} px on the page)")
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            box, frame = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
            if (box.x0 < frame.x0 - 1 or box.x1 > frame.x1 + 1 or box.y0 < frame.y0 - 1
                    or box.y1 > frame.y1 + 1):
                found.append(f"legend outside its axes ({ax.get_title()[:30]!r})")
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() != "log":
                continue
            lo, hi = sorted(axis.get_view_interval())
            ticks = [v for v in axis.get_majorticklocs() if lo <= v <= hi]
            if len(ticks) < 2:
                found.append(f"log {axis.axis_name} axis with {len(ticks)} labelled tick(s)")
                continue
            step = float(np.max(np.diff(np.log10(ticks))))
            if step > MAX_DECADES_PER_LABEL + 1e-9:
                found.append(f"log {axis.axis_name} axis labelled every {step:g} decades")
    return found


# --------------------------------------------------------------------------- the tests


def test_every_public_plot_function_has_a_case():
    assert set(PLOT_CASES) == {name for name in plots.__all__ if name.startswith("plot_")}


@pytest.mark.parametrize("draw", [pytest.param(fn, id=f"{name}-{i}")
                                  for name, fns in PLOT_CASES.items()
                                  for i, fn in enumerate(fns)])
def test_plot_is_sized_for_the_column(draw):
    with style.rc_context():
        ax = draw(None)
        fig = ax.figure
        width, height = svg_size_in(fig)
        found = problems(fig, width)
    assert not found, found
    assert height <= 12, f"{height:.1f} in tall"


@pytest.mark.parametrize("draw", list(_diagram_cases()))
def test_diagram_is_sized_for_the_column(draw):
    with style.rc_context():
        ax = draw()
        width, _ = svg_size_in(ax.figure)
        found = problems(ax.figure, width)
    assert not found, found


@pytest.mark.parametrize("name", list(widgets.EXPLORERS))
def test_explorer_frames_are_sized_for_the_column(name):
    """Each frame (live view and website), at both ends of every control's range."""
    spec = widgets.EXPLORERS[name](*([CSV] if name == "long_range_explorer" else []))
    fig = spec.canvas()
    for control_name, control in spec.controls.items():
        for value in control.span(2):
            spec.png(fig, **{control_name: value})
            with style.rc_context():
                found = problems(fig, fig.get_figwidth())
            assert not found, (control_name, value, found)


@pytest.mark.filterwarnings("error")
def test_explorers_keep_their_margins_in_a_styled_notebook():
    """A notebook that called style.use() (constrained layout for new figures) still gets
    the explorers' fixed margins, and no warning about them in its output."""
    with matplotlib.rc_context():
        style.use(svg=False)
        for name in widgets.EXPLORERS:
            if name != "long_range_explorer":
                fig = (lambda spec: spec.render(spec.canvas()))(widgets.EXPLORERS[name]())
                assert fig.get_layout_engine() is None, name


def test_the_checks_catch_what_the_issue_reported():
    """A figure like the old ones fails: 16 in wide, 7 pt legend outside the axes, a log axis
    labelled every 25 decades."""
    fig, ax = plt.subplots(figsize=(16, 4.4))
    ax.semilogy([0, 300], [1e7, 1e-193], label="sigmoid RNN")
    ax.set_yticks(10.0 ** np.arange(-193, 8, 25))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    found = problems(fig, svg_size_in(fig)[0])
    assert any("wide" in f for f in found)
    assert any("7.0 pt" in f for f in found)
    assert any("legend outside" in f for f in found)
    assert any("every 25 decades" in f for f in found)


def test_importing_the_package_changes_no_rcparams():
    import subprocess
    import sys

    code = ("import matplotlib as mpl; before = dict(mpl.rcParams); "
            "from rnngrad import plots, style, widgets; "
            "assert dict(mpl.rcParams) == before")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_use_sets_the_style_and_rc_context_restores():
    before = matplotlib.rcParams["font.size"]
    with style.rc_context():
        assert matplotlib.rcParams["font.size"] == style.FONT_PT
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == style.CYCLE
    assert matplotlib.rcParams["font.size"] == before
    with matplotlib.rc_context():
        style.use(svg=False)
        assert matplotlib.rcParams["legend.fontsize"] == style.MIN_FONT_PT
    with pytest.raises(ValueError, match="svg"):
        style.use(svg="yes")


def test_palette_stays_apart_in_greyscale():
    """The first three colours of the cycle differ in lightness (CIE L*) by at least 10."""
    from matplotlib.colors import to_rgb

    def lightness(color):
        rgb = np.array(to_rgb(color))
        lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        y = lin @ [0.2126, 0.7152, 0.0722]
        return 116 * np.cbrt(y) - 16 if y > 0.008856 else 903.3 * y

    first = sorted(lightness(c) for c in style.CYCLE[:3])
    assert min(np.diff(first)) >= 10, first


def test_linear_algebra_plots_validate():
    with pytest.raises(ValueError, match="2 x 2"):
        plots.plot_circle_image(np.eye(3))
    with pytest.raises(ValueError, match="2 x 2"):
        plots.plot_circle_image([[np.inf, 0], [0, 1]])
    with pytest.raises(ValueError, match="norms"):
        plots.plot_power_norms([1.0], rho=0.5, norm=1.0)
    with pytest.raises(ValueError, match="rho"):
        plots.plot_power_norms([1.0, 0.5], rho=-0.5, norm=1.0)
    plt.close("all")


def test_figure_and_log_range_validate():
    with pytest.raises(ValueError, match="width"):
        style.figure(width=11)
    with pytest.raises(ValueError, match="nrows"):
        style.figure(0)
    fig, ax = style.figure(2, sharex=True)
    assert fig.get_figwidth() == style.WIDTH and len(ax) == 2
    with pytest.raises(ValueError, match="lo"):
        style.set_log_range(ax[0], 0.0, 1.0)
    with pytest.raises(ValueError, match="axis"):
        style.set_log_range(ax[0], 1e-3, 1.0, axis="z")
    ax[0].set_yscale("log")
    floor = style.set_log_range(ax[0], 1e-190, 1e7)
    assert floor == pytest.approx(10.0 ** (7.15 - style.MAX_DECADES))


def test_mathtext_of_plain_labels():
    assert style.mathtext("sigmoid RNN, ‖W_rec‖₂ = 2") == r"sigmoid RNN, $\|W_\mathrm{rec}\|_2$ = 2"
    assert style.mathtext("$b_f$ stays, b_f changes") == "$b_f$ stays, $b_f$ changes"
    with pytest.raises(ValueError, match="str"):
        style.mathtext(3)
