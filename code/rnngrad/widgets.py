"""The explorers of the course: one per chapter, each a set of controls, a pure compute
function and a plot function. No mathematics lives here.

Every explorer is declared once, as an :class:`Explorer` (controls + ``compute`` + ``draw``),
by a function decorated with :func:`explorer`. Calling the function (``widgets.lag_explorer()``)
builds the live ipywidgets view; its ``.spec(...)`` gives the declaration itself, which the
tests, the benchmarks and the static (kernel-free) pages use. ``EXPLORERS`` lists them all.
Import explicitly: ``from rnngrad import widgets``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

import ipywidgets as w
import numpy as np

from . import bptt, cell, deepnet, dynamics, gradients, lag_curves, plots, style, survival

__all__ = ["Control", "Explorer", "ExplorerView", "EXPLORERS", "explorer", "lag_explorer",
           "deepnet_explorer", "state_explorer", "contribution_explorer", "cell_path_explorer",
           "gate_explorer", "survival_explorer", "forget_explorer", "long_range_explorer",
           "gru_explorer"]

_STYLE = {"description_width": "initial"}
#: An explorer's picture, in inches: as wide as the book's figures (``style.WIDTH``).
FIGSIZE = (style.WIDTH, 3.6)
#: Fixed margins around the axes, in inches (left, right, bottom, top): room for log tick
#: labels and the axis label on the left, the x label below, a two-line title above. An
#: explorer with a second y axis (a twin) asks for more on the right.
MARGINS = (0.95, 0.25, 0.6, 0.7)
#: Pictures of the website's explorers are drawn at twice the CSS pixel density (crisp on
#: high-density screens) and shown at ``style.WIDTH`` × 96 CSS px.
STATIC_DPI = 2 * 96


@dataclass(frozen=True)
class Control:
    """One control: a slider over [min, max] in steps of ``step`` (``log``: min and max are
    powers of ten), or a choice among ``options`` (``slider=True`` shows it as a slider)."""

    label: str
    value: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None
    options: tuple = ()
    log: bool = False
    slider: bool = False

    def widget(self, continuous: bool) -> w.ValueWidget:
        common = dict(description=self.label, style=_STYLE)
        if self.options:
            if self.slider:
                return w.SelectionSlider(options=list(self.options), value=self.value,
                                         continuous_update=continuous, **common)
            return w.Dropdown(options=list(self.options), value=self.value, **common)
        kind = (w.FloatLogSlider if self.log else
                w.IntSlider if isinstance(self.value, int) else w.FloatSlider)
        extra = {"base": 10} if self.log else {}
        return kind(value=self.value, min=self.min, max=self.max, step=self.step,
                    continuous_update=continuous, **extra, **common)

    def text(self, value) -> str:
        """How a value of this control is labelled: an option's label, a number to three
        significant digits."""
        for o in self.options:
            if isinstance(o, tuple) and o[1] == value:
                return o[0]
        return _fmt(value)

    def span(self, k: int = 20) -> list:
        """``k`` values spanning the control's range (all options of a choice), ends included."""
        if self.options:   # options are values, or (label, value) pairs
            return [o[1] if isinstance(o, tuple) else o for o in self.options]
        if self.log:
            return [float(v) for v in np.logspace(self.min, self.max, k)]
        vals = np.linspace(self.min, self.max, k)
        if isinstance(self.value, int):
            return sorted({int(round(v)) for v in vals})
        return [float(np.round(v / self.step) * self.step) for v in vals]


@dataclass(frozen=True)
class Explorer:
    """An explorer: ``compute(**values)`` → data (pure, tested on its own), then
    ``draw(data, ax, **values)`` plots it. The website's kernel-free version varies every
    control (``main``, the one that tells the chapter's story, over the most values) except
    those named in ``fixed``, which keep their defaults. With ``panels`` > 1 the picture holds that many panels stacked (sharing x), and ``draw``
    receives the list of their Axes. ``margins`` (inches: left, right, bottom, top) are fixed."""

    title: str
    controls: dict[str, Control]
    compute: Callable[..., Any]
    draw: Callable[..., Any]
    main: str
    continuous: bool = False
    figsize: tuple = field(default=FIGSIZE)
    panels: int = 1
    margins: tuple = field(default=MARGINS)
    fixed: tuple = ()

    def defaults(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def canvas(self):
        """A Figure to draw this explorer into again and again (no pyplot state), with fixed
        margins: re-using one figure and skipping automatic layout halves the time per redraw."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        # layout="none": fixed margins, whatever a notebook's style asks of new figures.
        fig = Figure(figsize=self.figsize, dpi=style.RC["figure.dpi"], layout="none")
        FigureCanvasAgg(fig)                  # one canvas for the figure's whole life
        return fig

    def render(self, fig, **values):
        """Compute and draw at ``values`` (missing ones at their defaults) into ``fig``, in the
        course's style (``style.rc_context``).

        A redraw avoids what it can of matplotlib's set-up cost: it computes first (an error
        leaves the last picture), re-uses the figure's axes and their ticks (emptied by
        ``_empty``; twins of the previous drawing removed) instead of building new ones,
        keeps titles at a fixed height (no search for overlapping tick labels, which these
        plots never have above the axes) and gives log axes no minor ticks (each tick costs
        about a millisecond to build). The picture is the same as on a new canvas (tested).
        """
        import matplotlib as mpl
        from matplotlib.ticker import NullLocator

        values = {**self.defaults(), **values}
        data = self.compute(**values)
        with style.rc_context(), mpl.rc_context({"axes.titley": 1.0}):
            if fig.axes:
                axes, twins = fig.axes[:self.panels], fig.axes[self.panels:]
                for twin in twins:
                    fig.delaxes(twin)
                for ax in axes:
                    _empty(ax)
            else:
                width, height = fig.get_size_inches()
                left, right, bottom, top = self.margins
                fig.subplots_adjust(left=left / width, right=1 - right / width,
                                    bottom=bottom / height, top=1 - top / height, hspace=0.08)
                axes = list(fig.subplots(self.panels, 1, sharex=True, squeeze=False)[:, 0])
            self.draw(data, axes if self.panels > 1 else axes[0], **values)
            for ax in axes[:-1]:                    # stacked panels: one x axis, at the bottom
                ax.set_xlabel("")
                ax.tick_params(labelbottom=False)
        for each in fig.axes:
            for axis in (each.xaxis, each.yaxis):
                if axis.get_scale() == "log":
                    axis.set_minor_locator(NullLocator())
        return fig

    def png(self, fig, *, dpi: int = 96, **values) -> bytes:
        """The PNG of :meth:`render` (deterministic: no metadata).

        The canvas is drawn and its pixels encoded directly, with light compression: about
        10 ms less per slider move than ``savefig`` (which draws the same pixels but adds its
        own bookkeeping and compresses harder), for a file about a third larger that travels
        only from the kernel to the browser."""
        import io

        from PIL import Image

        if fig.get_dpi() != dpi:
            fig.set_dpi(dpi)
        # matplotlib's LogLocator computes candidate ticks a few decades beyond the view, and
        # a cleared log axis autoscales from the last view: both overflow harmlessly when a
        # curve reached ~1e300 (the limits and ticks kept are finite).
        with np.errstate(over="ignore"):
            self.render(fig, **values)
            with style.rc_context():
                fig.canvas.draw()
        buf = io.BytesIO()
        Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).save(buf, format="png",
                                                                   compress_level=1)
        return buf.getvalue()

    def website_values(self, *, main_values: int = 7, other_values: int = 3) -> dict[str, list]:
        """The values each control takes in the website's kernel-free explorer: the ``main``
        control ``main_values`` over its range, every other slider ``other_values``, a choice
        all its options, each range with the control's default added (where the live view
        starts); a control named in ``fixed`` keeps its default."""
        grid = {}
        for name, c in self.controls.items():
            if name in self.fixed:
                grid[name] = [c.value]
                continue
            values = c.span(main_values if name == self.main else other_values)
            if not c.options and c.value not in values:
                values = sorted(values + [c.value])
            grid[name] = values
        return grid

    def website_frames(self, *, dpi: int = STATIC_DPI):
        """The pictures of the kernel-free explorer, one per combination of ``website_values``
        (the last control varying fastest): yields PNG bytes, drawn at ``dpi``. Deterministic."""
        import io
        import itertools

        grid = self.website_values()
        fig = self.canvas()
        for combo in itertools.product(*grid.values()):
            png = self.png(fig, dpi=dpi, **dict(zip(grid, combo)))
            yield _palette_png(io.BytesIO(png)).getvalue()

    def static_html(self, frame_url: str, *, key: str = "explorer") -> str:
        """The website's kernel-free explorer: a control for every control the website varies
        (a range slider, or a menu for a choice) above one picture, the file
        ``frame_url.format(i)`` for frame i of :meth:`website_frames`. A few lines of
        JavaScript swap the file when a control moves; the browser fetches each picture the
        first time it is shown. The picture is shown at the figure's size (96 CSS px per inch,
        scaled down to the column on a narrow screen)."""
        import html
        import json

        grid = self.website_values()
        names = list(grid)
        at = [grid[n].index(self.controls[n].value) for n in names]
        strides = [1] * len(names)
        for k in range(len(names) - 2, -1, -1):
            strides[k] = strides[k + 1] * len(grid[names[k + 1]])
        spec = {"url": frame_url, "title": self.title, "strides": strides, "names": names,
                "labels": [self.controls[n].label for n in names],
                "values": [[self.controls[n].text(v) for v in grid[n]] for n in names], "at": at}
        rows = []
        for k, n in enumerate(names):
            c, values, label = self.controls[n], grid[n], html.escape(self.controls[n].label)
            if len(values) == 1:
                continue
            if c.options and not c.slider:
                options = "".join(f'<option value="{i}"{" selected" if i == at[k] else ""}>'
                                  f"{html.escape(c.text(v))}</option>" for i, v in enumerate(values))
                rows.append(f'<label>{label} <select data-control="{k}">{options}</select></label>')
            else:
                rows.append(f'<label>{label} <input type="range" data-control="{k}" min="0" '
                            f'max="{len(values) - 1}" step="1" value="{at[k]}" aria-label="{label}">'
                            f" <output>{html.escape(c.text(values[at[k]]))}</output></label>")
        first = sum(s * i for s, i in zip(strides, at))
        alt = ", ".join([self.title] + [f"{spec['labels'][k]} = {spec['values'][k][i]}"
                                        for k, i in enumerate(at)])
        width, height = (round(96 * x) for x in self.figsize)
        uid = f"rnngrad-static-{html.escape(key)}"
        return (
            f'<div class="rnngrad-static-explorer" id="{uid}" '
            f'data-explorer="{html.escape(json.dumps(spec, ensure_ascii=False))}">'
            f'<div class="controls">{"".join(rows)}</div>'
            f'<div class="frames"><img src="{html.escape(frame_url.format(first))}" '
            f'width="{width}" height="{height}" style="max-width:100%;height:auto" '
            f'alt="{html.escape(alt)}"></div>'
            "<script>(function(){"
            f'var root=document.getElementById("{uid}"),spec=JSON.parse(root.dataset.explorer),'
            'img=root.querySelector(".frames img"),at=spec.at.slice();'
            "function show(){var i=0,alt=[spec.title];"
            "for(var k=0;k<at.length;k++){i+=spec.strides[k]*at[k];"
            'alt.push(spec.labels[k]+" = "+spec.values[k][at[k]]);}'
            'img.src=spec.url.replace("{}",i);img.alt=alt.join(", ");}'
            'root.querySelectorAll("[data-control]").forEach(function(el){'
            "var k=+el.dataset.control;"
            'el.addEventListener("input",function(){at[k]=+el.value;'
            'var out=el.parentNode.querySelector("output");'
            "if(out)out.textContent=spec.values[k][at[k]];show();});});"
            "})();</script></div>")

    def widget(self, source: tuple[str, tuple, dict] | None = None) -> ExplorerView:
        """The live view: the controls above a picture redrawn on every change.

        The picture is an ``Image`` widget whose bytes are replaced (the browser swaps one
        image; no output area is cleared and rebuilt). ``source`` (name, args, kwargs) names
        the declaration this explorer came from, for the view's stand-in where no kernel runs
        (see :class:`ExplorerView`)."""
        controls = {name: c.widget(self.continuous) for name, c in self.controls.items()}
        fig = self.canvas()
        # Shown at the figure's size (96 CSS px per inch, as the book's figures), not stretched
        # to the width of the output area, which would blur it and enlarge its text.
        picture = w.Image(format="png", value=self.png(fig),
                          layout=w.Layout(width=f"{round(96 * self.figsize[0])}px",
                                          max_width="100%", height="auto"))

        def update(_change=None):
            picture.value = self.png(fig, **{name: c.value for name, c in controls.items()})

        for c in controls.values():
            c.observe(update, names="value")
        return ExplorerView([w.HBox(list(controls.values())), picture],
                            stand_in=_stand_in(self, picture.value, source))


def _empty(ax) -> None:
    """Make ``ax`` as a new Axes is for the plot functions (no artists, titles or labels,
    linear scales with their default ticks, limits autoscaled from the next data, the colour
    cycle from its start) while keeping its Tick objects: ``Axes.clear`` throws them away, and
    building them again is about half of a redraw's time."""
    from matplotlib.transforms import Bbox

    for artist in [*ax.lines, *ax.patches, *ax.collections, *ax.texts, *ax.images, *ax.tables,
                   *ax.artists]:
        artist.remove()
    ax.containers.clear()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    for loc in ("left", "center", "right"):
        ax.set_title("", loc=loc)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_prop_cycle(None)
    ax.set_xscale("linear")                    # also restores the default locators
    ax.set_yscale("linear")
    ax.dataLim.set_points(Bbox.null().get_points())
    ax.ignore_existing_data_limits = True
    ax.set_xlim(0, 1, auto=True)
    ax.set_ylim(0, 1, auto=True)


class ExplorerView(w.VBox):
    """An explorer's live view, displayed with a stand-in for where no kernel runs.

    Its display data holds three representations: the widget (what a running kernel shows),
    ``text/html`` with the picture at the default setting (what JupyterLab shows before the
    cell is run, or in a notebook it does not trust), and a line of plain text. The book's
    build replaces the stand-in by the kernel-free explorer of the website
    (``_ext/explorers.py``, which finds it by its ``data-rnngrad-explorer`` attribute)."""

    def __init__(self, children, *, stand_in: str):
        super().__init__(children)
        self._stand_in = stand_in

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self._stand_in
        bundle["text/plain"] = "An explorer: run this cell in a Python kernel to move its controls."
        return bundle


def _stand_in(spec: Explorer, png: bytes, source: tuple[str, tuple, dict] | None) -> str:
    """The ``text/html`` stand-in of a live view: the default picture, a hint, and (when the
    explorer was built by a registered function) its name and arguments as data attributes."""
    import base64
    import html
    import json

    data = base64.b64encode(png).decode("ascii")
    attrs = ""
    if source is not None:
        name, args, kwargs = source
        call = json.dumps({"args": [str(a) for a in args], "kwargs": kwargs}, sort_keys=True)
        attrs = (f' data-rnngrad-explorer="{html.escape(name)}"'
                 f' data-rnngrad-call="{html.escape(call)}"')
    return (f'<div class="rnngrad-explorer"{attrs}>'
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(spec.title)}">'
            "<p><em>Run this cell in a Python kernel to move the explorer's controls.</em></p>"
            "</div>")


def _palette_png(buf):
    """Re-encode a plot's PNG with a 64-colour palette: a quarter of the size, same look."""
    import io

    from PIL import Image

    buf.seek(0)
    out = io.BytesIO()
    Image.open(buf).convert("RGB").quantize(colors=64).save(out, format="PNG", optimize=True)
    return out


def _fmt(v) -> str:
    """A control's value as its label shows it: numbers to three significant digits."""
    return f"{v:.3g}" if isinstance(v, (float, np.floating)) else str(v)


#: name → the function that declares it (``EXPLORERS["lag_explorer"](n=8)`` is an Explorer).
EXPLORERS: dict[str, Callable[..., Explorer]] = {}


def explorer(declare: Callable[..., Explorer]) -> Callable[..., ExplorerView]:
    """Register ``declare`` and return the function that builds its live widget."""
    EXPLORERS[declare.__name__] = declare

    @functools.wraps(declare)
    def build(*args, **kwargs) -> ExplorerView:
        return declare(*args, **kwargs).widget(source=(declare.__name__, args, kwargs))

    build.spec = declare
    return build


_ACTIVATION = Control("activation", "sigmoid", options=("sigmoid", "tanh"))


@explorer
def lag_explorer(*, n: int = 16, seed: int = 0) -> Explorer:
    """Chapter 4 (and Getting started): gradient norm vs lag for a random RNN, with its bound;
    ‖W_rec‖₂, activation and length T are the controls."""

    def draw(curve, ax, **_):
        plots.plot_lag_curve(curve, ax=ax)
        ax.set_title(style.mathtext(curve.label))

    return Explorer(
        "gradient norm vs lag, simple RNN",
        {"scale": Control("‖W_rec‖₂", 1.0, 0.1, 8.0, 0.1), "activation": _ACTIVATION,
         "T": Control("length T", 60, 2, 300, 1)},
        functools.partial(lag_curves.rnn_lag_curve, n=n, seed=seed), draw, main="scale",
        continuous=True)


@explorer
def deepnet_explorer(*, width: int = 64, seed: int = 0, batch: int = 16) -> Explorer:
    """Chapter 1: per-layer gradient norms of a random deep network at initialization;
    depth L, activation and weight scale (1 = Glorot) are the controls."""

    def draw(norms, ax, **_):
        plots.plot_layer_gradient_norms(norms, ax=ax)
        ax.set_title(norms.label)

    return Explorer(
        "per-layer gradient norms of a deep network",
        {"depth": Control("depth L", 20, 1, 200, 1), "activation": _ACTIVATION,
         "weight_scale": Control("weight scale (1 = Glorot)", 1.0, -1.0, 1.3, 0.05, log=True)},
        functools.partial(deepnet.layer_gradient_norms, width=width, seed=seed, batch=batch),
        draw, main="weight_scale")


@explorer
def state_explorer(*, n: int = 8, T: int = 60, seed: int = 0) -> Explorer:
    """Chapter 2: state trajectories of a random RNN; ‖W_rec‖₂, activation and the input
    sequence (noise at every step, or one pulse at t = 0) are the controls."""
    return Explorer(
        "state trajectories of a simple RNN",
        {"scale": Control("‖W_rec‖₂", 1.0, 0.1, 16.0, 0.1), "activation": _ACTIVATION,
         "inputs": Control("input", "noise", options=tuple(dynamics.INPUT_KINDS))},
        functools.partial(dynamics.state_trajectories, n=n, T=T, seed=seed),
        lambda traj, ax, **_: plots.plot_state_trajectories(traj, ax=ax), main="scale")


@explorer
def contribution_explorer(*, n: int = 8, seed: int = 0) -> Explorer:
    """Chapter 3: each time step's contribution to ∂E/∂W (log-scale bars); sequence length T,
    ‖W_rec‖₂, activation and the loss (last step only, or every step) are the controls."""
    return Explorer(
        "per-step contributions to the BPTT gradient",
        {"T": Control("length T", 10, 1, 100, 1), "scale": Control("‖W_rec‖₂", 2.0, 0.1, 16.0, 0.1),
         "activation": _ACTIVATION,
         "loss": Control("loss at", "last", options=tuple(bptt.LOSS_KINDS))},
        functools.partial(bptt.step_contribution_profile, n=n, seed=seed),
        lambda profile, ax, **_: plots.plot_step_contributions(profile, ax=ax), main="scale")


def _cell_path_gap(*, n, T, forget_bias, weight_scale, seed):
    params, trace = lag_curves.random_lstm_trace(n=n, T=T, forget_bias=forget_bias,
                                                weight_scale=weight_scale, seed=seed)
    return gradients.cell_path_gap(params, trace)


@explorer
def cell_path_explorer(*, n: int = 8, seed: int = 0) -> Explorer:
    """Chapter 6: the true cell-state derivative against the source's product Π(A+B+C+D)."""

    def draw(gap, ax, **_):
        plots.plot_full_vs_cell(gap.lags, gap.full_norms, gap.cell_norms, gap.rel_diff, ax=ax)
        ax.set_title(f"LSTM, n = {n}: true derivative vs the source's product")

    return Explorer(
        "true cell-state derivative vs the source's product",
        {"weight_scale": Control("weight scale", 1.0, 0.1, 4.0, 0.1),
         "forget_bias": Control("forget bias", 1.0, -3.0, 6.0, 0.25),
         "T": Control("length T", 40, 2, 200, 1)},
        functools.partial(_cell_path_gap, n=n, seed=seed), draw, main="weight_scale",
        margins=(MARGINS[0], MARGINS[0], *MARGINS[2:]))     # room for the twin's label


def _draw_gates(traj, axes, **_):
    plots.plot_gate_trajectories(traj, ax=axes[0], which="cell")
    plots.plot_gate_trajectories(traj, ax=axes[1], which="gates")


@explorer
def gate_explorer(*, n: int = 8, T: int = 60, seed: int = 0) -> Explorer:
    """Chapter 5: mean gate activations and cell states of a random LSTM over time; the
    forget-gate bias, the input scale and the input sequence (noise or constant) are the controls."""
    return Explorer(
        "gates and cell state of an LSTM",
        {"forget_bias": Control("forget bias b_f", 1.0, -6.0, 10.0, 0.5),
         "input_scale": Control("input scale", 1.0, 0.0, 10.0, 0.5),
         "inputs": Control("input", "noise", options=tuple(cell.INPUT_KINDS))},
        functools.partial(cell.gate_trajectories, n=n, T=T, seed=seed),
        _draw_gates, main="forget_bias", figsize=(style.WIDTH, 5.6), panels=2)


@explorer
def survival_explorer(*, n: int = 16, seed: int = 0) -> Explorer:
    """Chapter 7: gradient norm vs lag for a sigmoid RNN, a tanh RNN and an LSTM that share
    their weights and inputs; the forget-gate bias, the weight scale and the length T are
    the controls (log scale)."""

    def draw(curves, ax, *, weight_scale, **_):
        plots.plot_lag_comparison(curves, ax=ax)
        ax.set_title(f"n = {n}, weight scale {weight_scale:g}, same inputs for all three")

    return Explorer(
        "RNN vs LSTM: gradient norm vs lag",
        {"forget_bias": Control("forget bias b_f", 1.0, -3.0, 6.0, 0.5),
         "weight_scale": Control("weight scale", 1.0, 0.1, 4.0, 0.1),
         "T": Control("length T", 100, 2, 300, 1)},
        functools.partial(survival.rnn_vs_lstm, n=n, seed=seed), draw, main="forget_bias")


@explorer
def forget_explorer(*, n: int = 16, T: int = 301, seed: int = 0) -> Explorer:
    """Chapter 8: how much gradient survives at a chosen lag, against the forget-gate bias;
    the true norm, the forget-gate path max_i Π f_{t,i} and f̄^k on one log plot. The lag
    only moves the highlight, so the measurements are kept per forget bias."""
    @functools.lru_cache(maxsize=64)
    def measured(forget_bias):
        return survival.forget_survival(forget_bias=forget_bias, lag=None, n=n, T=T, seed=seed)

    return Explorer(
        "surviving gradient vs forget bias",
        {"forget_bias": Control("forget bias b_f", 1.0, -3.0, 6.0, 0.25),
         "lag": Control("lag k", 100, 1, T - 1, 1)},
        lambda forget_bias, lag: measured(forget_bias).at_lag(lag),
        lambda paths, ax, **_: plots.plot_forget_paths(paths, ax=ax), main="forget_bias")


@explorer
def long_range_explorer(csv_path, npz_path=None) -> Explorer:
    """Chapter 9: browse the committed sweep. Task, model, lag and seed pick one stored run;
    the view shows its loss, accuracy, gradient norm, or ‖∂ℓ/∂c_t‖ over t at the first and
    last step. Combinations the sweep did not train show a labelled empty panel."""
    from pathlib import Path

    from . import experiment

    from . import train as _train

    rows = experiment.read_results(csv_path)
    store = experiment.load_curves(npz_path or Path(csv_path).with_suffix(".npz"))
    tasks = tuple(sorted({r["task"] for r in rows}, key=lambda t: t != "first_bit"))
    models = tuple((_train.model_spec(m).label, m)
                   for m in experiment.success_table(rows, tasks[0]).models)
    lags = tuple(sorted({r["lag"] for r in rows}))
    seeds = tuple(sorted({r["seed"] for r in rows}))
    views = (("loss", "loss"), ("accuracy", "accuracy"), ("‖∂L/∂θ‖", "grad_norm"),
             ("‖∂ℓ/∂c_t‖ over t", "state_grad"))
    return Explorer(
        "one training run of the long-range sweep",
        {"task": Control("task", tasks[0], options=tasks),
         "model": Control("model", models[-1][1], options=models),
         "lag": Control("lag (T for adding)", lags[len(lags) // 2], options=lags, slider=True),
         "seed": Control("seed", seeds[0], options=seeds),
         "view": Control("view", "loss", options=views)},
        lambda task, model, lag, seed, view: store.get(task, model, lag, seed),
        lambda run, ax, *, view, **_: plots.plot_run_view(run, ax=ax, view=view), main="lag",
        fixed=("seed",))


@explorer
def gru_explorer(*, n: int = 16, seed: int = 0) -> Explorer:
    """The GRU chapter: gradient norm vs lag of a random GRU and a random LSTM on the same
    inputs, each beside its gate path (max_i Π z_{t,i}, max_i Π f_{t,i}); the update bias
    (= the LSTM's forget bias), the weight scale and the length T are the controls."""
    from . import gru_survival

    def draw(curves, ax, *, weight_scale, **_):
        plots.plot_lag_comparison(curves, ax=ax, ylabel="gradient norm vs lag (log scale)")
        ax.set_title(f"n = {n}, weight scale {weight_scale:g}, same inputs for both")

    return Explorer(
        "GRU vs LSTM: gradient norm vs lag",
        {"bias": Control("update bias b_z (= forget bias b_f)", 1.0, -3.0, 6.0, 0.5),
         "weight_scale": Control("weight scale", 1.0, 0.1, 4.0, 0.1),
         "T": Control("length T", 100, 2, 300, 1)},
        functools.partial(gru_survival.gru_vs_lstm, n=n, seed=seed), draw, main="bias")
