"""Figures of the course. Each function takes ``ax=None``, draws, and returns the Axes.

The look (sizes, fonts, colours) comes from :mod:`rnngrad.style`: a notebook calls
``style.use()`` once, the explorers draw inside ``style.rc_context()``. These functions set no
font size of their own, place their legends inside the axes, and give log axes one labelled
tick every 1, 2 or 5 decades over at most ``style.MAX_DECADES`` decades (a curve that falls
further leaves through the lower edge, and its legend entry says from where). Without ``ax``
a function draws on a new figure of the book's size (``style.figure()``).

``show_source`` shows a piece of the package's own code in a page (chapters 2–6 show the
lines behind their equations with it).

No global styling: importing this module changes no rcParams.
"""

from __future__ import annotations

import inspect
import re

import numpy as np

from . import style
from .style import PALETTE

__all__ = ["plot_lag_curve", "plot_threshold_sweep", "plot_loss_surface", "plot_clipping_steps",
           "plot_layer_gradient_norms", "plot_unrolled_rnn", "plot_state_trajectories",
           "plot_state_steps", "plot_step_contributions", "plot_full_vs_cell",
           "plot_gate_trajectories", "plot_memory_runs", "plot_lag_comparison",
           "plot_cell_term_sizes", "plot_forget_paths", "plot_forget_bias_sweep",
           "plot_rate_vs_weight_scale", "plot_success_vs_lag", "plot_training_curves",
           "plot_state_gradient", "plot_run_view", "plot_readout_trajectories",
           "plot_circle_image", "plot_power_norms", "show_source"]


#: Values outside [LOG_MIN, LOG_MAX] are not drawn on log axes: matplotlib's margins and its
#: LogLocator (which looks a few tick strides beyond the view) would leave the float64 range
#: and fail. The plots label such values as off the scale instead.
LOG_MIN, LOG_MAX = 1e-200, 1e200

#: Colours with a meaning, the same in every figure: a threshold or a highlighted value
#: (vermillion), a reference line such as y = 1 (grey), a bound or prediction (black).
MARK, REFERENCE, BOUND = PALETTE["vermillion"], PALETTE["grey"], PALETTE["black"]
#: The gradient-descent paths of chapter 4, in the same colours on the error surface and in
#: the plot of their gradient norms; drawn with a dark outline, visible on any background.
PATH_COLORS = (PALETTE["orange"], PALETTE["sky"], PALETTE["green"])
#: Markers and line styles that keep several series apart in greyscale.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))


def _on_log_scale(v: np.ndarray) -> np.ndarray:
    """Mask of the values a log axis can show: finite and within [LOG_MIN, LOG_MAX]."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & (v >= LOG_MIN) & (v <= LOG_MAX)


def _tex_number(x: float) -> str:
    """Mathtext for a number: '10^{-8}' for a power of ten, else '0.001' (%g)."""
    e = np.log10(x) if x > 0 else np.nan
    return f"10^{{{int(round(e))}}}" if np.isfinite(e) and abs(e - round(e)) < 1e-9 else f"{x:g}"


def _axes(ax):
    if ax is None:
        _, ax = style.figure()
    return ax


def _log_range(ax, *values, axis: str = "y", pad: float = 0.15) -> float | None:
    """Limits and ticks of the log axis from the data that matter (``values``: arrays; what
    is not finite and positive is ignored), through ``style.set_log_range``. A curve that
    falls below the lower limit leaves through the lower edge; a labelled line of ``ax`` with
    every point below it gets '(all below 1e-38)' in its legend entry. Returns the lower limit
    (None if nothing can be shown; the range is then 1e-3 … 1e3)."""
    v = np.concatenate([np.asarray(a, dtype=float).ravel() for a in values] + [np.empty(0)])
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        (ax.set_ylim if axis == "y" else ax.set_xlim)(1e-3, 1e3)
        return None
    floor = style.set_log_range(ax, float(v.min()), float(v.max()), axis=axis, pad=pad)
    for line in ax.get_lines():
        label = getattr(line, "_rnngrad_label", line.get_label())   # as drawn, before any note
        if label.startswith("_") or line.get_transform() != ax.transData:
            continue
        line._rnngrad_label = label
        y = np.asarray(line.get_ydata() if axis == "y" else line.get_xdata(), dtype=float)
        y = y[np.isfinite(y)]
        hidden = y.size > 0 and bool(np.all(y < floor))
        line.set_label(f"{label} (all below {floor:.0e})" if hidden else label)
    return floor


def _legend(ax, handles=None, labels=None, **kw):
    """The legend, inside the axes (``loc='best'`` unless given)."""
    kw.setdefault("loc", "best")
    if handles is None:
        return ax.legend(**kw)
    return ax.legend(handles, labels, **kw) if labels is not None else ax.legend(handles=handles, **kw)


def plot_lag_curve(curve, ax=None, *, show_bound: bool = True, color=None):
    """Gradient norm ‖∂c_{T-1}/∂c_{T-1-k}‖ against the lag k, log scale, with its bound.

    Values beyond [1e-200, 1e200] (including float64 overflow to inf and underflow to 0)
    cannot sit on a log axis: they are left out of the curve and the legend says so. The
    y-range follows the curve (the bound may leave it through the top).
    """
    ax = _axes(ax)
    ax.set_yscale("log")
    lags, norms = np.asarray(curve.lags), np.asarray(curve.norms, dtype=float)
    ok = _on_log_scale(norms)
    (line,) = ax.plot(lags[ok], norms[ok], color=color, lw=2, label=style.mathtext(curve.label))
    if show_bound and curve.bound is not None:
        b = np.asarray(curve.bound, dtype=float)
        okb = _on_log_scale(b)
        ax.plot(lags[okb], b[okb], ls="--", color=line.get_color(), lw=1.2,
                label=r"bound $(\gamma\,\|W_\mathrm{rec}\|_2)^k$")
    high = ~ok & ~(norms < LOG_MIN)
    if high.any():
        k = int(lags[high][0])
        ax.axvline(k, color=MARK, ls=":", label=f"above {LOG_MAX:.0e} (inf: overflow) from lag {k}")
    low = norms < LOG_MIN
    if low.any():
        k = int(lags[low][0])
        ax.axvline(k, color=REFERENCE, ls=":", label=f"below {LOG_MIN:.0e} (0: underflow) from lag {k}")
    _log_range(ax, norms[ok])
    ax.set_xlabel("lag $k$ (time steps back from the last step)")
    ax.set_ylabel(r"$\|\partial c_{T-1}/\partial c_{T-1-k}\|_2$ (log scale)")
    _legend(ax)
    return ax


def plot_threshold_sweep(scales, norms, *, gamma: float, lag: int, ax=None, label=None):
    """Norm of ∂c_{T-1}/∂c_{T-1-lag} against ‖W_rec‖₂ (chapter 4): one dot per random RNN,
    the median as a line, the bound (γ s)^lag dashed and the threshold s = 1/γ dotted."""
    ax = _axes(ax)
    ax.set_yscale("log")
    scales = np.asarray(scales, dtype=float)
    norms = np.asarray(norms, dtype=float)
    ok = _on_log_scale(norms)
    color = PALETTE["blue"]
    for j in range(norms.shape[1]):
        ax.plot(scales[ok[:, j]], norms[ok[:, j], j], "o", ms=3.5, alpha=0.45, color=color)
    med = np.median(norms, axis=1)
    okm = _on_log_scale(med)
    ax.plot(scales[okm], med[okm], "-", color=color, lw=2, label=label or "median over seeds")
    with np.errstate(over="ignore"):
        bound = (gamma * scales) ** lag
    okb = _on_log_scale(bound)
    ax.plot(scales[okb], bound[okb], "--", color=BOUND, lw=1.2,
            label=rf"bound $(\gamma\,s)^{{{lag}}}$")
    ax.axvline(1 / gamma, color=MARK, ls=":", lw=1.5, label=rf"$s = 1/\gamma = {1 / gamma:g}$")
    ax.axhline(1.0, color=REFERENCE, lw=0.6)
    _log_range(ax, norms[ok], [1.0])
    ax.set_xlabel(r"largest singular value $s = \|W_\mathrm{rec}\|_2$")
    ax.set_ylabel(rf"$\|\partial c_{{T-1}}/\partial c_{{T-1-{lag}}}\|_2$ (log scale)")
    _legend(ax)
    return ax


def _path_style(k: int) -> dict:
    """Line style of chapter 4's k-th descent path: its colour and marker, outlined in black.
    Paths that share their first steps overlap: later ones are drawn thinner, on top."""
    import matplotlib.patheffects as pe

    return dict(ls="-", color=PATH_COLORS[k % len(PATH_COLORS)], marker=MARKERS[k % len(MARKERS)],
                ms=6 - 1.5 * k, mec="black", mew=0.6, lw=2.2 - 0.6 * k, zorder=2 + k,
                path_effects=[pe.withStroke(linewidth=4.0 - k, foreground="black")])


def plot_loss_surface(W, B, loss, *, paths=(), ax=None):
    """The one-unit RNN's error surface E(w, b) (chapter 4), with gradient-descent paths.

    ``paths`` is a sequence of (label, GradientDescentPath); each is drawn step by step, in a
    colour with a dark outline (visible on the colour map and in the legend), the same as in
    :func:`plot_clipping_steps`.
    """
    ax = _axes(ax)
    cs = ax.pcolormesh(W, B, loss, shading="auto", cmap="viridis", rasterized=True)
    ax.figure.colorbar(cs, ax=ax, label=r"error $E(w, b)$")
    wmin, wmax, bmin, bmax = W.min(), W.max(), B.min(), B.max()
    for k, (label, path) in enumerate(paths):
        p = path.params
        inside = (p[:, 0] >= wmin) & (p[:, 0] <= wmax) & (p[:, 1] >= bmin) & (p[:, 1] <= bmax)
        ax.plot(p[:, 0], p[:, 1], label=label, **_path_style(k))
        if not inside.all():
            k_out = int(np.argmin(inside))
            ax.annotate(f"{label}: thrown off the plot to\n(w, b) = ({p[k_out, 0]:.1f}, "
                        f"{p[k_out, 1]:.1f})", xy=(p[k_out - 1, 0], p[k_out - 1, 1]),
                        xytext=(0.03, 0.88), textcoords="axes fraction", va="top",
                        bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.5", alpha=0.9),
                        arrowprops=dict(arrowstyle="->", color="white", lw=1.5))
    ax.set_xlim(wmin, wmax)
    ax.set_ylim(bmin, bmax)
    ax.set_xlabel("recurrent weight $w$")
    ax.set_ylabel("bias $b$")
    _legend(ax, loc="lower right")
    return ax


def plot_clipping_steps(paths, *, threshold: float, ax=None):
    """Raw gradient norm at each gradient-descent step (log scale), for each (label, path),
    with the clipping threshold (chapter 4); the paths in the colours of
    :func:`plot_loss_surface`."""
    ax = _axes(ax)
    ax.set_yscale("log")
    shown = [np.asarray([threshold], dtype=float)]
    for k, (label, path) in enumerate(paths):
        g = np.asarray(path.grad_norms, dtype=float)
        steps = np.arange(len(g))
        ok = np.isfinite(g) & (g > 0)
        shown.append(g[ok])
        (line,) = ax.plot(steps[ok], g[ok], label=label, **_path_style(k))
        if (~ok).any():
            line.set_label(f"{label} (gradient 0 or not finite at {int((~ok).sum())} step(s))")
    ax.axhline(threshold, color=MARK, ls=":", lw=1.5, label=f"clipping threshold {threshold:g}")
    _log_range(ax, *shown)
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel(r"$\|\nabla E\|$ before clipping (log scale)")
    _legend(ax)
    return ax


def _layer_span(layers) -> str:
    """'l = 3', 'l = 0…5' (contiguous) or '4 layers in l = 0…9' (with gaps)."""
    layers = sorted(int(l) for l in layers)
    lo, hi = layers[0], layers[-1]
    if lo == hi:
        return f"l = {lo}"
    if len(layers) == hi - lo + 1:
        return f"l = {lo}…{hi}"
    return f"{len(layers)} layers in l = {lo}…{hi}"


def plot_layer_gradient_norms(norms, ax=None, *, which: str = "both", show_bound: bool = True,
                              color=None, label: str | None = None):
    """Per-layer gradient norms of a deep network against the layer index l, log scale (chapter 1).

    ``norms`` is a ``deepnet.LayerGradientNorms``. ``which`` = 'W' draws ‖∂E/∂W_l‖_F for
    l = 1 … L (solid, dots), 'a' draws the batch RMS of ‖∂E/∂a_l‖₂ for l = 0 … L (dash-dot,
    squares), 'both' draws the two. ``show_bound`` adds the bound Π_{k>l} γ‖W_k‖₂ · ‖∂E/∂a_L‖
    on ‖∂E/∂a_l‖ (dashed). ``label`` prefixes the legend entries (for several networks on one
    Axes; each call takes the next colour and marker). Values that overflowed float64 (inf or
    NaN) or underflowed to 0 cannot sit on a log axis: they are left out, and a dotted
    vertical line with a legend entry marks them. The y-range covers every network drawn on
    the Axes, cut to ``style.MAX_DECADES`` decades below the largest value.
    """
    if which not in ("W", "a", "both"):
        raise ValueError(f"which must be 'W', 'a' or 'both', got {which!r}")
    from matplotlib.ticker import MaxNLocator

    ax = _axes(ax)
    ax.set_yscale("log")
    ax.autoscale(False)  # limits are set below: autoscale margins overflow near 1e308
    prefix = f"{label}: " if label else ""
    data = [ln for ln in ax.get_lines() if ln.get_gid() == "rnngrad-layer-norms"]
    calls = len({ln.get_gid() + str(ln.get_color()) for ln in data})   # networks drawn before
    series = []
    if which in ("W", "both"):
        series.append((norms.layers_W, norms.grad_W, r"$\|\partial E/\partial W_l\|_F$",
                       dict(ls="-", marker=MARKERS[calls % len(MARKERS)], lw=1.8)))
    if which in ("a", "both"):
        series.append((norms.layers_a, norms.grad_a,
                       r"$\|\partial E/\partial a_l\|_2$ (RMS over batch)",
                       dict(ls="-.", marker="s", lw=1.8)))
    if show_bound:
        series.append((norms.layers_a, norms.bound_a,
                       r"bound $\Pi_{k>l}\,\gamma\|W_k\|_2$" + f" ($\\gamma$ = {norms.gamma:g})",
                       dict(ls="--", marker=None, lw=1.2)))
    L = norms.depth
    ms = 4 if L <= 40 else 2
    marks = []  # (x, colour, legend text) for values that left float64 range
    for layers, values, name, kw in series:
        layers = np.asarray(layers)
        values = np.asarray(values, dtype=float)
        ok = np.isfinite(values) & (values > 0)
        kw = dict(ms=ms, **kw)
        if color is not None:
            kw["color"] = color
        (line,) = ax.plot(layers[ok], values[ok], label=prefix + name, gid="rnngrad-layer-norms", **kw)
        color = line.get_color()  # one colour for every curve of this network
        over, under = ~np.isfinite(values), values == 0
        if over.any():
            marks.append((layers[over].max(), MARK,
                          f"{prefix}{name}: overflow (> 1e308) at {_layer_span(layers[over])}"))
        if under.any():
            marks.append((layers[under].max(), REFERENCE,
                          f"{prefix}{name}: underflow (< 1e-308) at {_layer_span(layers[under])}"))
    # Limits from every network drawn on this Axes (several calls share them), set before any
    # axvline: matplotlib's own autoscale margins overflow for data near 1e308.
    data = [ln for ln in ax.get_lines() if ln.get_gid() == "rnngrad-layer-norms"]
    if _log_range(ax, *[ln.get_ydata() for ln in data]) is None:
        ax.text(0.5, 0.5, "nothing finite and non-zero to plot", transform=ax.transAxes,
                ha="center", va="center", color=MARK)
    x_max = max([L] + [float(np.max(ln.get_xdata())) for ln in data if len(ln.get_xdata())])
    ax.set_xlim(-0.5, x_max + 0.5)
    for x, c, text in marks:
        ax.axvline(x, color=c, ls=":", lw=1.5, label=text, gid="rnngrad-range-mark")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"layer $l$ (0 = input, {L} = output)")
    ax.set_ylabel("gradient norm (log scale)")
    _legend(ax)
    return ax


def plot_unrolled_rnn(T: int = 4, ax=None, *, highlight: int | None = None):
    """The RNN unrolled over T steps (chapter 2), 0-based: x_t → c_t, c_{t-1} → c_t, c_{T-1} → E.

    Every step uses the same W = [W_rec, W_in]. With ``highlight = j`` the path of chapter 3's
    term j is drawn in vermillion: W enters at step j (the immediate derivative ∂⁺c_j/∂W),
    then the gradient travels c_j → c_{j+1} → … → c_{T-1} → E. A diagram: the axes are hidden.
    Without ``ax`` the figure is as wide as the column allows (at most ``style.WIDTH``).
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or not 1 <= T <= 12:
        raise ValueError(f"T must be an integer with 1 <= T <= 12 (a readable diagram), got {T!r}")
    if highlight is not None and (isinstance(highlight, bool)
                                  or not isinstance(highlight, (int, np.integer))
                                  or not 0 <= highlight < T):
        raise ValueError(f"highlight must be None or an integer step 0 <= highlight <= {T - 1}, "
                         f"got {highlight!r}")
    if ax is None:
        _, ax = style.figure(width=min(style.WIDTH, 0.75 * T + 2.2), height=2.2)
    on, off, dim = MARK, "0.2", "0.65"
    lit = highlight is not None

    def node(x, y, text, color):
        ax.text(x, y, text, ha="center", va="center", fontsize=style.FONT_PT, color=color,
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=color, lw=1.5))

    def arrow(x0, y0, x1, y1, color, label=None, lx=0.0, ly=0.0):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=2.2 if color == on else 1.2,
                                    shrinkA=12, shrinkB=12))
        if label:
            ax.text((x0 + x1) / 2 + lx, (y0 + y1) / 2 + ly, label, ha="center", va="center",
                    fontsize=style.MIN_FONT_PT, color=color)

    node(0.0, 1.0, "$c_{-1}$", off)
    for t in range(T):
        x = 1.3 * (t + 1)
        in_path = lit and t >= highlight
        enters = lit and t == highlight
        node(x, 0.0, f"$x_{{{t}}}$", off)
        node(x, 1.0, f"$c_{{{t}}}$", on if in_path else off)
        arrow(x, 0.0, x, 1.0, on if enters else (dim if lit else off),
              r"$W_\mathrm{in}$" if t == 0 or enters else None, lx=0.42)
        prev_color = on if enters else (on if lit and t > highlight else (dim if lit else off))
        arrow(x - 1.3, 1.0, x, 1.0, prev_color,
              r"$W_\mathrm{rec}$" if t == 0 or enters else None, ly=0.25)
    xE = 1.3 * (T + 1)
    node(xE, 1.0, "$E$", on if lit else off)
    arrow(xE - 1.3, 1.0, xE, 1.0, on if lit else off)
    ax.set_xlim(-0.6, xE + 0.6)
    ax.set_ylim(-0.45, 1.5)
    ax.set_axis_off()
    if lit:
        ax.set_title(f"term $j = {highlight}$: $W$ enters at step {highlight}, then "
                     f"{T - 1 - highlight} step Jacobian(s) to $c_{{{T - 1}}}$")
    return ax


def plot_state_trajectories(traj, ax=None, *, units: int = 4, title: bool = True):
    """A few units' states c_{t,i} against t, and the mean local slope φ'(z_t)/γ (chapter 2).

    ``traj`` is a ``dynamics.StateTrajectories``. The states of the first ``units`` units
    (thin, solid) and the mean over all units of φ'(z_t)/γ (black, dashed) share one axis: both
    are numbers between -1 and 1 (between 0 and 1 for the sigmoid). A mean slope near 0 means
    saturated units, whose step Jacobians (chapter 4) are nearly zero. The legend sits in a
    band above the curves.
    """
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
        raise ValueError(f"units must be an integer >= 1, got {units!r}")
    ax = _axes(ax)
    t, c = np.asarray(traj.t), np.asarray(traj.c)
    k = min(int(units), c.shape[1])
    for i in range(k):
        ax.plot(t, c[:, i], lw=1.3, label=f"state $c_{{t,i}}$ of {k} units" if i == 0 else None)
    ax.plot(t, traj.slope, color=BOUND, ls="--", lw=2.0, label=r"mean $\phi'(z_t)/\gamma$")
    lo = 0.0 if traj.activation == "sigmoid" else -1.0
    ax.set_ylim(lo - 0.05, 1.45)            # headroom for the legend above the curves
    ax.set_yticks(np.arange(lo, 1.01, 0.5))
    ax.set_xlabel("time step $t$")
    ax.set_ylabel(r"$c_{t,i}$ and mean $\phi'(z_t)/\gamma$")
    _legend(ax, loc="upper center", ncols=2)
    if title:
        ax.set_title(f"{style.mathtext(traj.label)}; saturated: "
                     f"{100 * float(np.mean(traj.saturated)):.0f}% of unit-steps")
    return ax


def plot_state_steps(trajs, ax=None):
    """Step sizes ‖c_t − c_{t-1}‖ against t, log scale, one curve per trajectory (chapter 2).

    ``trajs`` is one ``dynamics.StateTrajectories`` or a list of them. A step of exactly 0 (the
    state has reached a fixed point to float64 precision) cannot sit on a log axis: such points
    are left out and the legend says from which step on the curve is 0.
    """
    if not isinstance(trajs, (list, tuple)):
        trajs = [trajs]
    if not trajs:
        raise ValueError("trajs must hold at least one StateTrajectories")
    ax = _axes(ax)
    ax.set_yscale("log")
    shown = []
    for j, tr in enumerate(trajs):
        t, s = np.asarray(tr.t), np.asarray(tr.step_norms, dtype=float)
        ok = np.isfinite(s) & (s > 0)
        label = style.mathtext(tr.label)
        if np.any(s == 0):
            label += f" (exactly 0 from t = {int(t[s == 0][0])})"
        ax.plot(t[ok], s[ok], lw=1.6, ls=LINESTYLES[j % len(LINESTYLES)], label=label)
        shown.append(s[ok])
    _log_range(ax, *shown)
    ax.set_xlabel("time step $t$")
    ax.set_ylabel(r"$\|c_t - c_{t-1}\|$ (log scale)")
    _legend(ax)
    return ax


def plot_step_contributions(profile, ax=None):
    """Bar plot, log scale: the norm of each time step's term of ∂E/∂W (chapter 3).

    ``profile`` is a ``bptt.StepContributions``. The bar of step 0 (vermillion) is the only
    term the source's eq. (1) keeps; the title gives eq. (1)'s relative error. Terms that are
    exactly 0 (underflow) or inf (overflow) cannot be bars on a log axis: they are marked along
    the bottom edge and named in the legend, as are the bars too small for the axis.
    """
    from matplotlib.patches import Patch

    ax = _axes(ax)
    steps = np.asarray(profile.steps)
    norms = np.asarray(profile.norms, dtype=float)
    ok = np.isfinite(norms) & (norms > 0)
    first, rest = MARK, PALETTE["blue"]
    colors = np.where(steps == 0, first, rest)
    ax.set_yscale("log")
    floor = _log_range(ax, norms[ok], pad=0.5)
    bottom = floor if floor is not None else 1e-3
    ax.bar(steps[ok], norms[ok] - bottom, bottom=bottom, color=colors[ok], width=0.8)
    if ok[0] and steps[0] == 0 and (floor is None or norms[0] >= floor):
        ax.plot([0], [norms[0]], "o", color=first, ms=4)  # visible even when the bar is thin
    handles = [Patch(color=first, label="step 0: the only term eq. (1) keeps"),
               Patch(color=rest, label="steps eq. (1) leaves out")]
    small = ok & (norms < bottom)
    if small.any():
        handles.append(Patch(color="none", label=f"{small.sum()} step(s) below the axis"))
    zero, inf = steps[norms == 0], steps[np.isinf(norms)]
    ymin = ax.get_ylim()[0]
    if zero.size:
        handles += ax.plot(zero, np.full(zero.size, ymin), "v", color=REFERENCE, clip_on=False,
                           label=f"exactly 0 in float64 (underflow): {zero.size} step(s)")
    if inf.size:
        handles += ax.plot(inf, np.full(inf.size, ymin), "^", color=BOUND, clip_on=False,
                           label=f"overflow (> 1e308): {inf.size} step(s)")
    ax.set_xlabel("time step $j$ where $W$ enters")
    ax.set_ylabel(r"$\|$term $j$ of $\partial E/\partial W\|_F$ (log scale)")
    if steps.size <= 20:
        ax.set_xticks(steps)
    _legend(ax, handles=handles)
    ax.set_title(f"{style.mathtext(profile.label)}\nrelative error of eq. (1) alone: "
                 f"{profile.single_path_error:.4f}")
    return ax


def plot_full_vs_cell(lags, full_norms, cell_norms, rel_diff, ax=None):
    """Chapter 6: the true ‖∂c_{T-1}/∂c_{T-1-k}‖ and the source's ‖Π(A+B+C+D)‖ against the lag
    (log scale), with the relative difference of the two matrices on a second axis (right,
    in vermillion like its curve)."""
    ax = _axes(ax)
    ax.set_yscale("log")
    lags = np.asarray(lags)
    shown = []
    for norms, style_, label in [(full_norms, "-", r"true $\|\partial c_{T-1}/\partial c_{T-1-k}\|_2$"),
                                 (cell_norms, "--", r"source's $\|\prod (A_t+B_t+C_t+D_t)\|_2$")]:
        v = np.asarray(norms, dtype=float)
        ok = _on_log_scale(v)
        ax.plot(lags[ok], v[ok], style_, lw=2, label=label)
        shown.append(v[ok])
    _log_range(ax, *shown)
    ax.set_xlabel("lag $k$ (time steps back from the last step)")
    ax.set_ylabel("norm (log scale)")
    ax2 = ax.twinx()
    ax2.plot(lags, rel_diff, ":", color=MARK, lw=2, label="relative difference (right axis)")
    ax2.set_ylabel(r"$\|P_\mathrm{true} - P_\mathrm{source}\|_2 / \|P_\mathrm{true}\|_2$", color=MARK)
    ax2.tick_params(axis="y", colors=MARK)
    ax2.set_ylim(0, max(1.0, float(np.nanmax(rel_diff)) * 1.1))
    lines = ax.get_lines() + ax2.get_lines()
    _legend(ax, lines, [ln.get_label() for ln in lines])
    return ax


def plot_gate_trajectories(traj, ax=None, *, which: str = "cell", units: int = 4,
                           title: bool = True):
    """One LSTM run against t (chapter 5), in one of two panels (``which``):

    * 'cell': c_{t,i} of the first ``units`` units (solid) and the bound ±(t+1) on |c_t| from
      c_{-1} = 0 (grey dashed); the y-range follows the cell states, so the bound comes into
      view only when a unit approaches it. With ``title``, the title gives max |c_t| and
      max |h_t|.
    * 'gates': the mean over all units of f_t (solid), i_t (dashed) and o_t (dotted), on
      [0, 1].

    ``traj`` is a ``cell.GateTrajectories``; draw both panels one above the other (sharing
    t) to see a run, as chapter 5 and its explorer do.
    """
    if which not in ("cell", "gates"):
        raise ValueError(f"which must be 'cell' or 'gates', got {which!r}")
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
        raise ValueError(f"units must be an integer >= 1, got {units!r}")
    ax = _axes(ax)
    t = np.asarray(traj.t)
    if which == "gates":
        for values, (ls, color), name in [(traj.f_mean, ("-", PALETTE["blue"]), "forget $f_t$"),
                                          (traj.i_mean, ("--", PALETTE["orange"]), "input $i_t$"),
                                          (traj.o_mean, (":", PALETTE["green"]), "output $o_t$")]:
            ax.plot(t, values, color=color, ls=ls, lw=2, label=name)
        ax.set_ylim(-0.05, 1.45)            # headroom for the legend above the curves
        ax.set_yticks([0, 0.5, 1])
        ax.set_xlabel("time step $t$")
        ax.set_ylabel("mean gate")
        _legend(ax, loc="upper center", ncols=3)
        return ax
    c = np.asarray(traj.c, dtype=float)
    bound = np.asarray(traj.bound, dtype=float)
    k = min(int(units), c.shape[1])
    for i in range(k):
        ax.plot(t, c[:, i], lw=1.4, label=f"$c_{{t,{i}}}$")
    ax.plot(t, bound, color=REFERENCE, ls="--", lw=1.2, label=r"bound $\pm(t+1)$")
    ax.plot(t, -bound, color=REFERENCE, ls="--", lw=1.2)
    top = 1.1 * max(1.0, float(np.max(np.abs(c))))
    ax.set_ylim(-top, 1.6 * top)            # headroom for the legend above the curves
    ax.set_xlabel("time step $t$")
    ax.set_ylabel(r"cell state $c_{t,i}$")
    _legend(ax, loc="upper center", ncols=k + 1, columnspacing=1.0, handlelength=1.6)
    if title:
        ax.set_title(f"{style.mathtext(traj.label)}: max $|c_t|$ = {float(np.max(np.abs(c))):.2f}, "
                     f"max $|h_t|$ = {float(np.max(np.abs(traj.h))):.3f}")
    return ax


def plot_memory_runs(runs, ax=None, *, reference: bool = True):
    """The memory experiment (chapter 5): the fraction of a stored value the cell still holds,
    mean_j c_{t,j} / c_{-1}, against t, one solid curve per ``cell.MemoryRun`` (linear scale),
    each with its own marker.

    With ``reference`` each run also gets its zero-weight prediction σ(b_f)^{t+1} (thin dashed,
    same colour): the cell keeps the product of its forget gates.
    """
    if not isinstance(runs, (list, tuple)):
        runs = [runs]
    if not runs:
        raise ValueError("runs must hold at least one MemoryRun")
    ax = _axes(ax)
    for j, run in enumerate(runs):
        t = np.asarray(run.t)
        (line,) = ax.plot(t, run.retained, ls="-", lw=1.8, marker=MARKERS[j % len(MARKERS)],
                          markevery=max(1, len(t) // 8), label=run.label)
        if reference:
            ax.plot(t, run.reference, ls="--", lw=1.0, color=line.get_color())
    if reference:
        ax.plot([], [], ls="--", lw=1.0, color=REFERENCE, label=r"zero weights: $\sigma(b_f)^{t+1}$")
    ax.axhline(0.0, color=REFERENCE, lw=0.6)
    ax.set_xlabel("time step $t$")
    ax.set_ylabel(r"kept fraction $\mathrm{mean}_j\; c_{t,j}/c_{-1}$")
    _legend(ax)
    return ax


def _survival_log_line(ax, x, y, label: str, **kw):
    """Draw y against x on a log axis, leaving out values off the scale (chapters 7, 8).

    Values above LOG_MAX (including inf) are not drawn, and the legend label says from which
    x on, so nothing disappears silently. Values below LOG_MIN (including float64 underflow to
    0) are not drawn either; they lie far below any axis (``style.MAX_DECADES``), which the
    curve leaves through its lower edge. Returns the Line2D.
    """
    x = np.asarray(x)
    y = np.asarray(y, dtype=float)
    ok = _on_log_scale(y)
    with np.errstate(invalid="ignore"):
        high = ~ok & ~(y < LOG_MIN)
    if high.any():
        label += f" (> {LOG_MAX:.0e} or inf from {x[high][0]:g}: overflow, not drawn)"
    (line,) = ax.plot(x[ok], y[ok], label=label, **kw)
    return line


def plot_lag_comparison(curves, ax=None, *, show_bounds: bool = False, xlabel: str | None = None,
                        ylabel: str | None = None):
    """Several gradient-norm-vs-lag curves (``lag_curves.LagCurve``) on one log axis (chapters 7, 8).

    Each curve is a line of its own colour and style; with ``show_bounds`` a curve's bound (if
    it has one) is drawn thin and dashed in the same colour. Values off the log scale
    (underflow to 0, overflow to inf) are left out and named in the legend; the axis spans at
    most ``style.MAX_DECADES`` decades below the largest value, and a curve that falls further
    says from which lag on (legend). A grey line marks 1. ``xlabel``/``ylabel`` replace the
    default labels (the lag k and ‖∂c_{T-1}/∂c_{T-1-k}‖₂).
    """
    if hasattr(curves, "norms"):
        curves = [curves]
    curves = list(curves)
    if not curves:
        raise ValueError("curves must hold at least one LagCurve")
    ax = _axes(ax)
    ax.set_yscale("log")
    shown = []
    for j, c in enumerate(curves):
        line = _survival_log_line(ax, c.lags, c.norms, style.mathtext(c.label), lw=2.2,
                                  ls=LINESTYLES[j % len(LINESTYLES)])
        shown.append(line.get_ydata())
        if show_bounds and c.bound is not None:
            b = np.asarray(c.bound, dtype=float)
            okb = _on_log_scale(b)
            ax.plot(np.asarray(c.lags)[okb], b[okb], ls="--", lw=1, color=line.get_color(),
                    label=f"bound for {style.mathtext(c.label)}")
    _log_range(ax, *shown, [1.0])
    if not any(len(v) for v in shown):
        ax.text(0.5, 0.5, "every value is off the log scale", transform=ax.transAxes,
                ha="center", va="center", color=MARK)
    ax.axhline(1.0, color=REFERENCE, lw=0.6)
    ax.set_xlabel(xlabel or "lag $k$ (time steps back from the last step)")
    ax.set_ylabel(ylabel or r"$\|\partial c_{T-1}/\partial c_{T-1-k}\|_2$ (log scale)")
    _legend(ax)
    return ax


def plot_cell_term_sizes(sizes, ax=None):
    """Stacked areas: the spectral norms of A_t, B_t, C_t, D_t of eq. (6) against t (chapter 7).

    ``sizes`` is a ``survival.CellTermSizes``. The top of the stack is ‖A_t‖+‖B_t‖+‖C_t‖+‖D_t‖,
    an upper bound on ‖A_t+B_t+C_t+D_t‖₂ (triangle inequality), which is drawn as a black line.
    Linear scale; the legend sits in a band above the stack.
    """
    ax = _axes(ax)
    t = np.asarray(sizes.t)
    norms = np.asarray(sizes.norms, dtype=float)
    names = [r"$\|A_t\|_2$ (via $f_t$)", r"$\|B_t\|_2 = \max_i f_{t,i}$",
             r"$\|C_t\|_2$ (via $i_t$)", r"$\|D_t\|_2$ (via $\tilde c_t$)"]
    colors = [PALETTE["orange"], PALETTE["blue"], PALETTE["green"], PALETTE["vermillion"]]
    hatches = ["", "", "//", ".."]                # greyscale: A and C, B and D differ by hatch
    stacks = ax.stackplot(t, norms.T, labels=names, colors=colors, alpha=0.6)
    for area, hatch in zip(stacks, hatches):
        area.set_hatch(hatch)
        area.set_edgecolor("white")
    ax.plot(t, sizes.sum_norm, color=BOUND, lw=1.6, label=r"$\|A_t+B_t+C_t+D_t\|_2$")
    ax.axhline(1.0, color=REFERENCE, lw=0.8, ls=":")
    ax.set_xlim(t[0], t[-1])
    top = max(1.05, float(norms.sum(axis=1).max()) * 1.05)
    ax.set_ylim(0, 1.55 * top)            # headroom for the legend above the stack
    ax.set_xlabel("time step $t$")
    ax.set_ylabel("spectral norm (linear scale)")
    _legend(ax, loc="upper center", ncols=3, columnspacing=1.0, handlelength=1.5)
    return ax


def plot_forget_paths(paths, ax=None, *, show_cell: bool = True):
    """The true ‖∂c_{T-1}/∂c_{T-1-k}‖₂ beside the forget-gate path, log scale (chapters 7, 8).

    ``paths`` is a ``survival.ForgetPaths``: the full product (solid), the source's product of
    A+B+C+D (thin, if ``show_cell``), the forget path ‖Π B_t‖₂ = max_i Π f_{t,i} (dashed), its
    bound Π max_i f_{t,i} (dash-dot) and f̄^k (dotted). If ``paths.lag`` is set, a vertical
    line marks it and the title gives the three values there. Values off the log scale are
    left out and named in the legend.
    """
    ax = _axes(ax)
    ax.set_yscale("log")
    k = np.asarray(paths.lags)
    lines = [_survival_log_line(ax, k, paths.full, "true norm (every path)", lw=2.4,
                                color=PALETTE["purple"])]
    if show_cell:
        lines.append(_survival_log_line(ax, k, paths.cell, r"source's $\Pi(A+B+C+D)$", lw=1.2,
                                        color=REFERENCE))
    lines.append(_survival_log_line(ax, k, paths.b_path, r"forget path $\max_i \Pi_t f_{t,i}$",
                                    lw=2, ls="--", color=PALETTE["blue"]))
    _survival_log_line(ax, k, paths.b_bound, r"$\Pi_t \max_i f_{t,i}$", lw=1.4, ls="-.",
                       color=PALETTE["sky"])
    _survival_log_line(ax, k, paths.f_bar_power, rf"$\bar f^k$, $\bar f = {paths.f_bar:.3f}$",
                       lw=1.6, ls=":", color=BOUND)
    if _log_range(ax, *[ln.get_ydata() for ln in lines], [1.0]) is None:
        ax.set_ylim(1e-3, 1e3)
    ax.axhline(1.0, color=REFERENCE, lw=0.6)
    if paths.lag is not None:
        j = int(paths.lag)
        ax.axvline(j, color=MARK, lw=1.2, ls=":")
        full = float(paths.full[j])
        if _on_log_scale(np.array([full]))[0]:
            ax.plot([j], [full], "o", color=MARK, ms=6)
        ax.set_title(f"lag {j}: true norm {full:.1e}, forget path {paths.b_path[j]:.1e}, "
                     f"$\\bar f^{{{j}}}$ = {paths.f_bar_power[j]:.1e}")
    ax.set_xlabel("lag $k$ (time steps back from the last step)")
    ax.set_ylabel(r"$\|\partial c_{T-1}/\partial c_{T-1-k}\|_2$ (log scale)")
    _legend(ax, ncols=2, columnspacing=1.0, handlelength=1.8)
    return ax


def plot_forget_bias_sweep(sweep, ax=None, *, which: str = "norm"):
    """Gradient survival against the forget-gate bias b_f (chapter 8); ``sweep`` is a
    ``survival.ForgetBiasSweep``. One dot per random LSTM, lines through the medians.

    * ``which='norm'``: ‖∂c_{T-1}/∂c_{T-1-k}‖₂ at each swept lag (solid) and the forget path
      max_i Π f_{t,i} (dashed), log scale; zeros (underflow) are left out and counted.
    * ``which='lag'``: the first lag where the norm falls below the threshold, log scale;
      networks that never get there within T-1 steps are triangles at T-1. Dotted: the lag
      where f̄^k reaches the threshold, k = ln(threshold)/ln f̄ (median f̄).
    * ``which='rate'``: the measured per-step factor r against f̄ (linear scale); the diagonal
      r = f̄ is what the forget path alone would give.
    """
    if which not in ("norm", "lag", "rate"):
        raise ValueError(f"which must be 'norm', 'lag' or 'rate', got {which!r}")
    ax = _axes(ax)
    b = np.asarray(sweep.biases, dtype=float)
    ns = len(sweep.seeds)
    xb = np.repeat(b, ns)
    if which == "norm":
        ax.set_yscale("log")
        shown = []
        for j, lag in enumerate(sweep.lags):
            color = f"C{j}"
            y = sweep.norms[:, :, j]
            ok = _on_log_scale(y.ravel())
            ax.plot(xb[ok], y.ravel()[ok], MARKERS[j % len(MARKERS)], ms=3.5, alpha=0.45,
                    color=color)
            shown.append(y.ravel()[ok])
            med = np.median(y, axis=1)
            _survival_log_line(ax, b, med, f"true norm, lag {lag} (median)", color=color, lw=2)
            _survival_log_line(ax, b, np.median(sweep.b_path[:, :, j], axis=1),
                               f"forget path, lag {lag} (median)", color=color, lw=1.4, ls="--")
            if (~ok).any():
                ax.plot([], [], " ", label=f"lag {lag}: {(~ok).sum()} network(s) off the log scale")
        _log_range(ax, *shown, [1.0])
        ax.axhline(1.0, color=REFERENCE, lw=0.6)
        ax.set_ylabel(r"$\|\partial c_{T-1}/\partial c_{T-1-k}\|_2$ (log scale)")
    elif which == "lag":
        ax.set_yscale("log")
        v = np.asarray(sweep.vanish_lag, dtype=float)
        fin = np.isfinite(v).ravel()
        level = _tex_number(sweep.threshold)
        ax.plot(xb[fin], v.ravel()[fin], "o", ms=4.5, alpha=0.55, color="C0",
                label=f"first lag with norm < ${level}$")
        if (~fin).any():
            ax.plot(xb[~fin], np.full((~fin).sum(), sweep.T - 1), "^", ms=6, color=MARK,
                    label=f"still above ${level}$ at lag $T-1$ = {sweep.T - 1}")
        f_med = np.median(sweep.f_bar, axis=1)
        with np.errstate(divide="ignore"):
            pred = np.where(f_med < 1, np.log(sweep.threshold) / np.log(np.minimum(f_med, 1 - 1e-16)), np.inf)
        _survival_log_line(ax, b, pred, rf"$\bar f^k = {level}$ at $k = \ln({level})/\ln \bar f$",
                           color=BOUND, ls=":", lw=1.6)
        ax.axhline(sweep.T - 1, color=REFERENCE, lw=0.8)
        _log_range(ax, v.ravel()[fin], [sweep.T - 1])
        ax.set_ylabel("lag $k$ (log scale)")
    else:
        r = np.asarray(sweep.rate, dtype=float).ravel()
        f = np.asarray(sweep.f_bar, dtype=float).ravel()
        ok = np.isfinite(r)
        sc = ax.scatter(f[ok], r[ok], c=xb[ok], cmap="viridis", s=20)
        ax.figure.colorbar(sc, ax=ax, label="forget bias $b_f$")
        lo = float(min(f.min(), r[ok].min() if ok.any() else 1.0)) - 0.02
        ax.plot([lo, 1.0], [lo, 1.0], ls=":", color=BOUND, lw=1.2,
                label=r"$r = \bar f$ (forget path alone)")
        ax.axhline(1.0, color=MARK, lw=1, label="$r = 1$: no decay")
        ax.set_xlabel(r"geometric-mean forget gate $\bar f$")
        ax.set_ylabel("per-step factor $r$ (linear scale)")
        _legend(ax, loc="lower right")
        return ax
    ax.set_xlabel("forget-gate bias $b_f$")
    _legend(ax)
    return ax


def plot_rate_vs_weight_scale(sweep, ax=None):
    """Per-step decay factor r of the gradient norm against the weight scale (chapter 7).

    ``sweep`` is a ``survival.RateSweep``: one dot per random network, one line through the
    medians for each model (its own colour, marker and line style); r < 1 decays like r^k,
    r > 1 grows. Linear scale.
    """
    ax = _axes(ax)
    ws = np.asarray(sweep.weight_scales, dtype=float)
    ns = len(sweep.seeds)
    for j, label in enumerate(sweep.labels):
        y = sweep.rates[:, :, j]
        ok = np.isfinite(y).ravel()
        marker = MARKERS[j % len(MARKERS)]
        ax.plot(np.repeat(ws, ns)[ok], y.ravel()[ok], marker, ms=3.5, alpha=0.35, color=f"C{j}")
        with np.errstate(invalid="ignore"):
            med = np.array([np.median(row[np.isfinite(row)]) if np.isfinite(row).any() else np.nan
                            for row in y])
        ax.plot(ws, med, ls=LINESTYLES[j % len(LINESTYLES)], marker=marker, lw=2, color=f"C{j}",
                label=f"{style.mathtext(label)} (median)")
    ax.axhline(1.0, color=MARK, lw=1, ls=":", label="$r = 1$")
    ax.set_xlabel("weight scale $s$ (weights $\\sim N(0, s^2/(n+m))$)")
    ax.set_ylabel("per-step factor $r$ (linear scale)")
    _legend(ax)
    return ax


def plot_success_vs_lag(table, ax=None):
    """Chapter 9: the fraction of seeds that solved the task against the lag, one line per model.

    ``table`` is an ``experiment.SuccessTable``. The lag axis is logarithmic. Models with equal
    rates stay visible: each has its own marker and line style, and the markers of model i are
    shifted sideways by a few per cent of the lag (never up or down: every point sits at its
    true fraction, and the y ticks are the fractions a run count allows).
    """
    from fractions import Fraction

    from .train import model_spec

    ax = _axes(ax)
    lags = np.asarray(table.lags, dtype=float)
    rate = np.asarray(table.rate, dtype=float)
    k = len(table.models)
    for i, model in enumerate(table.models):
        ok = np.isfinite(rate[i])
        dodge = 10.0 ** (0.012 * (i - (k - 1) / 2))
        ax.plot(lags[ok] * dodge, rate[i][ok], ls=LINESTYLES[i % len(LINESTYLES)],
                marker=MARKERS[i % len(MARKERS)], lw=1.8, ms=6, label=model_spec(model).label)
    ax.set_xscale("log")
    ax.set_xticks(lags, [f"{v:g}" for v in lags])
    ax.minorticks_off()
    runs = sorted({int(r) for r in np.asarray(table.runs).ravel() if r > 0})
    if len(runs) == 1 and runs[0] <= 6:                   # e.g. three seeds: 0, 1/3, 2/3, 1
        fractions = [Fraction(s, runs[0]) for s in range(runs[0] + 1)]
        ax.set_yticks([float(f) for f in fractions], [str(f) for f in fractions])
    ax.set_ylim(-0.06, 1.6)                 # headroom for the legend above the lines
    what = "sequence length $T$" if table.task == "adding" else "lag (steps between the bit and the answer)"
    ax.set_xlabel(f"{what} (log scale)")
    ax.set_ylabel("fraction of seeds solved")
    _legend(ax, loc="upper center", ncols=3, columnspacing=1.0)
    return ax


_CURVE_VIEWS = {
    "loss": ("loss", "training loss, block mean (log scale)", True),
    "accuracy": ("accuracy", "training accuracy, block mean", False),
    "grad_norm": ("grad_norm", r"$\|\partial L/\partial\theta\|_2$ before clipping (log scale)", True),
}


def plot_training_curves(runs, ax=None, *, which: str = "loss"):
    """Chapter 9: training curves of one or more runs (``experiment.RunCurves``) against the step.

    ``which`` is 'loss' (log scale), 'accuracy' (linear; the 0.95 threshold dotted) or
    'grad_norm' (the global gradient norm before clipping, log scale). Values that a log axis
    cannot show (0, inf) are left out and the legend says so.
    """
    if which not in _CURVE_VIEWS:
        raise ValueError(f"which must be one of {sorted(_CURVE_VIEWS)}, got {which!r}")
    if hasattr(runs, "steps"):
        runs = [runs]
    runs = list(runs)
    if not runs:
        raise ValueError("runs must hold at least one RunCurves")
    field, ylabel, log = _CURVE_VIEWS[which]
    ax = _axes(ax)
    if log:
        ax.set_yscale("log")
    shown = []
    for j, run in enumerate(runs):
        x = np.asarray(run.steps)
        y = np.asarray(getattr(run, field), dtype=float)
        ok = _on_log_scale(y) if log else np.isfinite(y)
        label = run.label + ("" if ok.all() else f" ({int((~ok).sum())} points off the scale)")
        ax.plot(x[ok], y[ok], lw=1.6, ls=LINESTYLES[j % len(LINESTYLES)], label=label)
        shown.append(y[ok])
    if which == "loss" and all(r.task == "first_bit" for r in runs):
        ax.axhline(np.log(2.0), color=REFERENCE, ls=":", lw=1.2, label=r"chance: $\ln 2$")
        shown.append([np.log(2.0)])
    if log:
        _log_range(ax, *shown)
    if which == "accuracy":
        ax.axhline(0.95, color=MARK, ls=":", lw=1.2, label="threshold 0.95")
        ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    _legend(ax)
    return ax


def plot_state_gradient(run, ax=None):
    """Chapter 9: mean_b ‖∂ℓ_b/∂c_t‖₂ against t at the probed training steps of one run (log scale).

    ``run`` is an ``experiment.RunCurves``; one line per probe step, darker = later. Values off
    the log scale (underflow to 0) are left out and named in the legend.
    """
    import matplotlib as mpl

    ax = _axes(ax)
    G = np.asarray(run.state_grad, dtype=float)
    steps = np.asarray(run.probe_steps)
    if G.ndim != 2 or G.shape[0] == 0:
        raise ValueError(f"run.state_grad must be a non-empty (probes, T) array, got shape {G.shape}")
    ax.set_yscale("log")
    cmap = mpl.colormaps["viridis"]
    t = np.arange(G.shape[1])
    shown = []
    for p, (step, g) in enumerate(zip(steps, G)):
        ok = _on_log_scale(g)
        label = f"step {int(step)}"
        if not ok.all():
            label += f" ({int((~ok).sum())} values off the scale, not drawn)"
        colour = cmap(0.85 * (1 - p / max(len(steps) - 1, 1)))
        ax.plot(t[ok], g[ok], lw=1.8, color=colour, ls=LINESTYLES[p % len(LINESTYLES)], label=label)
        shown.append(g[ok])
    _log_range(ax, *shown)
    ax.set_xlabel("time step $t$ (the answer is read at $t = T-1$)")
    ax.set_ylabel(r"$\mathrm{mean}_b\,\|\partial \ell_b/\partial c_t\|_2$ (log scale)")
    ax.set_title(run.label)
    _legend(ax)
    return ax


def plot_run_view(run, ax=None, *, view: str = "loss"):
    """Chapter 9's explorer: one stored run (``experiment.RunCurves`` or None) in one view.

    ``view``: 'loss', 'accuracy', 'grad_norm' (see :func:`plot_training_curves`) or
    'state_grad' (:func:`plot_state_gradient`). ``run=None`` draws a labelled empty panel
    ("no run stored for this choice") instead of raising.
    """
    if view not in ("loss", "accuracy", "grad_norm", "state_grad"):
        raise ValueError(f"view must be 'loss', 'accuracy', 'grad_norm' or 'state_grad', got {view!r}")
    ax = _axes(ax)
    if run is None:
        ax.text(0.5, 0.5, "no run stored for this choice\n(the sweep did not train it)",
                transform=ax.transAxes, ha="center", va="center", color=MARK)
        ax.set_xlabel("training step")
        ax.set_xticks([])
        ax.set_yticks([])
        return ax
    if view == "state_grad":
        plot_state_gradient(run, ax=ax)
    else:
        plot_training_curves(run, ax=ax, which=view)
    verdict = "solved" if run.solved else "not solved"
    ax.set_title(f"{run.label}: {verdict}\ntest accuracy {run.final_accuracy:.3f} "
                 f"after {int(run.steps[-1]) if len(run.steps) else 0} steps")
    return ax


def plot_readout_trajectories(values, labels, ax=None, *, max_lines: int = 40, every: int = 1):
    """Chapter 9: the readout w·s_t + b over t for sequences of the two classes (linear scale).

    ``values`` is (T, B) from ``train.readout_trajectory``; ``labels`` (B,) holds 0/1. Up to
    ``max_lines`` thin lines per class, and the class means thick (solid for +1, dashed for
    −1). For the bit task the answer is the sign at the last step. ``every`` = k draws only the
    steps T-1, T-1-k, T-1-2k, … (k = 2 shows one phase of a state that flips its sign at every
    step).
    """
    v = np.asarray(values, dtype=float)
    y = np.asarray(labels)
    if v.ndim != 2 or y.shape != (v.shape[1],):
        raise ValueError(f"values must be (T, B) and labels (B,), got {v.shape} and {y.shape}")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be an integer >= 1, got {every!r}")
    ax = _axes(ax)
    t = np.arange(v.shape[0])[::-1][::every][::-1]
    v = v[t]
    for cls, colour, ls, name in ((1, PALETTE["blue"], "-", "bit +1"),
                                  (0, PALETTE["vermillion"], "--", "bit −1")):
        sel = v[:, y == cls]
        if sel.shape[1] == 0:
            continue
        ax.plot(t, sel[:, :max_lines], color=colour, lw=0.5, alpha=0.35)
        ax.plot(t, sel.mean(axis=1), color=colour, ls=ls, lw=2.4,
                label=f"{name} (mean of {sel.shape[1]})")
    ax.axhline(0.0, color=REFERENCE, lw=0.8)
    ax.set_xlabel("time step $t$" + (f" (one step in {every}, ending at $T-1$)" if every > 1 else ""))
    ax.set_ylabel(r"readout $w^\top s_t + b$ (linear scale)")
    _legend(ax)
    return ax


# --------------------------------------------------------------------------- code in a page


def plot_circle_image(A, ax=None):
    """What a 2 × 2 matrix A does to the unit circle (the linear-algebra page): the circle
    (grey, dashed) becomes an ellipse (blue) whose semi-axes are σ₁u₁ and σ₂u₂, the images of
    the right singular vectors v₁, v₂ (A = U Σ Vᵀ, A vᵢ = σᵢ uᵢ). Equal scales on both axes."""
    A = np.asarray(A, dtype=float)
    if A.shape != (2, 2) or not np.all(np.isfinite(A)):
        raise ValueError(f"A must be a finite 2 x 2 matrix, got shape {A.shape}")
    ax = _axes(ax)
    theta = np.linspace(0.0, 2.0 * np.pi, 361)
    circle = np.stack([np.cos(theta), np.sin(theta)])
    ellipse = A @ circle
    U, S, Vt = np.linalg.svd(A)
    ax.plot(*circle, ls="--", color=REFERENCE, lw=1.2, label=r"unit circle $\|x\|_2 = 1$")
    ax.plot(*ellipse, color=PALETTE["blue"], lw=2, label=r"its image $\{Ax\}$")
    for i, color in enumerate((PALETTE["vermillion"], PALETTE["orange"])):
        v, u = Vt[i], S[i] * U[:, i]
        ax.annotate("", xy=v, xytext=(0, 0),
                    arrowprops=dict(arrowstyle="->", color=REFERENCE, lw=1.5))
        ax.annotate("", xy=u, xytext=(0, 0), arrowprops=dict(arrowstyle="->", color=color, lw=2))
        ax.plot([], [], color=color, lw=2,
                label=rf"$\sigma_{i + 1} u_{i + 1} = A v_{i + 1}$, $\sigma_{i + 1} = {S[i]:.2f}$")
    ax.plot([], [], color=REFERENCE, lw=1.5, label=r"$v_1$, $v_2$ (grey arrows)")
    reach = 1.08 * max(1.0, S[0])
    ax.set_xlim(-reach, 3.2 * reach)              # room for the legend, right of the ellipse
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.axhline(0, color=REFERENCE, lw=0.5)
    ax.axvline(0, color=REFERENCE, lw=0.5)
    ax.set_xlabel("first coordinate")
    ax.set_ylabel("second coordinate")
    _legend(ax, loc="center right")
    return ax


def plot_power_norms(norms, *, rho: float, norm: float, ax=None, label: str | None = None):
    """‖W^k‖₂ against k (log scale; ``norms`` from ``gradients.power_norms``), with the
    bound ‖W‖₂^k (``norm``, dashed) and ρ(W)^k (``rho``, dotted), the rate at which the norms
    decay in the end (the linear-algebra page, chapter 4). ``label`` names the curve in the
    legend (default ‖W^k‖₂)."""
    if label is None:
        label = r"$\|W^k\|_2$"
    norms = np.asarray(norms, dtype=float)
    if norms.ndim != 1 or norms.size < 2:
        raise ValueError(f"norms must be a 1-D array with at least 2 entries, got shape "
                         f"{norms.shape}")
    if not (np.isfinite(rho) and rho >= 0 and np.isfinite(norm) and norm >= 0):
        raise ValueError(f"rho and norm must be finite and >= 0, got {rho!r} and {norm!r}")
    ax = _axes(ax)
    ax.set_yscale("log")
    k = np.arange(norms.size)
    ok = _on_log_scale(norms)
    ax.plot(k[ok], norms[ok], color=PALETTE["blue"], lw=2, label=label)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        bound, rate = norm ** k.astype(float), rho ** k.astype(float)
    okb, okr = _on_log_scale(bound), _on_log_scale(rate)
    ax.plot(k[okb], bound[okb], ls="--", color=BOUND, lw=1.2,
            label=rf"bound $\|W\|_2^k$, $\|W\|_2 = {norm:.3g}$")
    ax.plot(k[okr], rate[okr], ls=":", color=MARK, lw=1.5,
            label=rf"$\rho(W)^k$, $\rho(W) = {rho:.3g}$")
    _log_range(ax, norms[ok], rate[okr])
    ax.set_xlabel("power $k$")
    ax.set_ylabel(r"$\|W^k\|_2$ (log scale)")
    _legend(ax)
    return ax


def show_source(*objs):
    """The source code of functions (or classes), as one Python block for a page to display.

    Chapters 2–6 show the lines that implement their equations with it: the code is read from
    the package itself (``inspect.getsource``), so the page shows the code that runs.
    ``plots.show_source(rnn.forward)`` as the last line of a cell displays it; several objects
    are shown one after the other. Returns an ``IPython.display.Markdown`` holding a fenced
    code block, which JupyterLab and the book both highlight.
    """
    from IPython.display import Markdown

    if not objs:
        raise ValueError("show_source needs at least one function or class")
    sources = []
    for obj in objs:
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            raise ValueError(f"each object must be a function or class, got {obj!r}")
        try:
            sources.append(inspect.getsource(obj).rstrip("\n"))
        except (OSError, TypeError) as err:
            raise ValueError(f"no source code found for {obj.__qualname__}: {err}") from None
    code = "\n\n\n".join(sources)
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)                  # longer than any run of ` in the code
    return Markdown(f"{fence}python\n{code}\n{fence}")
