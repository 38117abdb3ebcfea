"""The course's one figure style: sizes, fonts, palette and log-axis ticks, set here only.

The book's text column is about 757 CSS px wide on a desktop (about 7.9 in at 96 px per
inch), so a figure is at most ``COLUMN_WIDTH`` = 7.5 in wide and is shown at its own size,
never shrunk; its text is at least ``MIN_FONT_PT`` = 10 pt. Panels are stacked (one column,
``figure(nrows)``) rather than squeezed side by side. Colours come from the Okabe–Ito palette,
which colour-blind readers tell apart; the first three of the cycle also differ in lightness,
so they stay distinct in greyscale (plots with more series add markers or line styles).

Importing this module changes no matplotlib setting. Styling is opt-in:

* a notebook calls :func:`use` once (rcParams, and SVG figures from the inline backend:
  crisp on high-density screens, text as paths so no font is needed to show them);
* the explorers draw inside :func:`rc_context`;
* :func:`figure` makes a figure of the book's size, with ``nrows`` panels stacked.

Plot functions (``rnngrad.plots``) never set font sizes of their own: they inherit these.
"""

from __future__ import annotations

import contextlib

import numpy as np

__all__ = ["COLUMN_WIDTH", "WIDTH", "PANEL_HEIGHT", "MIN_FONT_PT", "FONT_PT", "PALETTE", "CYCLE",
           "MAX_DECADES", "RC", "rc_context", "use", "figure", "set_log_range", "mathtext"]

#: The widest a figure may be, in inches (a wider one would be shrunk into the text column).
COLUMN_WIDTH = 7.5
#: Width of the book's figures and explorers, in inches (6.4 in = 614 CSS px: narrower than
#: the column, so that on a phone, where every figure is scaled to the screen, its text
#: shrinks less).
WIDTH = 6.4
#: Height of one panel, in inches; a figure of ``nrows`` stacked panels is about nrows times it.
PANEL_HEIGHT = 3.4
#: The smallest font anywhere in a figure, in points (at its own size, shown unscaled).
MIN_FONT_PT = 10.0
#: Labels, titles and tick labels.
FONT_PT = 11.0

#: Okabe & Ito's colour-blind-safe palette (https://jfly.uni-koeln.de/color/).
PALETTE = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000",
    "grey": "#777777",
}
#: The colour cycle (C0, C1, …): blue, orange and green first, which also differ in lightness
#: (CIE L* about 46, 71 and 58) and so stay apart in greyscale.
CYCLE = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]

#: A log axis spans at most this many decades: with one tick label every 1, 2 or 5 decades it
#: gets at most nine labels. Curves that fall further leave the plot through its lower edge,
#: and the plots say where (legend).
MAX_DECADES = 40

#: The rcParams of the style (fonts in points; sizes of the figure in inches).
RC = {
    "figure.figsize": (WIDTH, PANEL_HEIGHT),
    "figure.dpi": 96,                      # one inch = 96 CSS px, as a browser shows SVG
    "figure.constrained_layout.use": True,
    "font.size": FONT_PT,
    "axes.titlesize": FONT_PT,
    "axes.labelsize": FONT_PT,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "legend.framealpha": 0.85,
    "legend.borderaxespad": 0.4,
    "legend.handlelength": 2.2,
    "figure.titlesize": FONT_PT + 1,
    "mathtext.fontset": "dejavusans",
    "axes.prop_cycle": None,               # set below (cycler needs an import)
    "axes.titlelocation": "center",
    "axes.grid": False,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "savefig.dpi": 192,                    # PNGs (if any) at 2x: crisp on dense screens
    "svg.fonttype": "path",                # text as paths: no font needed to show the SVG
    "svg.hashsalt": "rnngrad",             # the same figure gives the same SVG (stable outputs)
}


def _rc() -> dict:
    from cycler import cycler

    return {**RC, "axes.prop_cycle": cycler(color=CYCLE)}


def rc_context():
    """A context manager in which matplotlib draws in the course's style (nothing changes
    outside it): ``with style.rc_context(): plots.plot_lag_curve(curve)``."""
    import matplotlib as mpl

    return mpl.rc_context(_rc())


def use(*, svg: bool = True) -> None:
    """Draw every later figure of this Python session in the course's style (a notebook calls
    it once, after its imports). With ``svg`` (default) and inside IPython, the inline backend
    sends SVG (crisp at any zoom; stable bytes: no date, fixed ids); elsewhere only rcParams
    change."""
    import matplotlib as mpl

    if not isinstance(svg, bool):
        raise ValueError(f"svg must be True or False, got {svg!r}")
    mpl.rcParams.update(_rc())
    if not svg:
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is installed with ipywidgets
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    with contextlib.redirect_stderr(None):  # IPython may warn about the config object
        set_matplotlib_formats("svg", metadata={"Date": None})


def figure(nrows: int = 1, ncols: int = 1, *, width: float = WIDTH,
           height: float | None = None, **kwargs):
    """A new pyplot figure of the book's size with ``nrows`` × ``ncols`` panels:
    ``fig, axes = style.figure(3, sharex=True)``. ``height`` defaults to ``nrows`` ×
    PANEL_HEIGHT (a little less per panel for shared x axes). Returns (Figure, Axes or array
    of Axes), like ``plt.subplots``; other keywords go to it."""
    import matplotlib.pyplot as plt

    for name, v in (("nrows", nrows), ("ncols", ncols)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= 8:
            raise ValueError(f"{name} must be an integer from 1 to 8, got {v!r}")
    if not 0 < width <= COLUMN_WIDTH:
        raise ValueError(f"width must be in (0, {COLUMN_WIDTH}] inches (the text column), "
                         f"got {width!r}")
    if height is None:
        shared = kwargs.get("sharex") not in (None, False, "none")
        height = PANEL_HEIGHT + (nrows - 1) * (PANEL_HEIGHT - (0.45 if shared else 0.0))
    if not 0 < height <= 12:
        raise ValueError(f"height must be in (0, 12] inches, got {height!r}")
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)


def set_log_range(ax, lo: float, hi: float, *, axis: str = "y", pad: float = 0.15) -> float:
    """Limits and ticks of a log axis around data in [lo, hi] (both > 0).

    The range is padded by ``pad`` decades on each side (and out to the next powers of ten if
    it would hold fewer than two) and cut to the top MAX_DECADES decades. The major ticks are
    the powers of ten every 1, 2 or 5 decades (at most nine labels); unlabelled minor ticks
    mark the other decades when the step is above 1. Returns the lower limit, so that a plot
    can name what falls below it.
    """
    from matplotlib.ticker import FixedLocator, LogFormatterSciNotation, NullFormatter, NullLocator

    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"need finite 0 < lo <= hi, got lo={lo!r}, hi={hi!r}")
    top = np.log10(hi) + pad
    bottom = max(np.log10(lo) - pad, top - MAX_DECADES)
    if np.floor(top) - np.ceil(bottom) < 1:   # fewer than two powers of ten: out to them
        bottom, top = np.floor(bottom), max(np.ceil(top), np.floor(bottom) + 1)
    bottom, top = max(bottom, -307.0), min(top, 307.0)
    which = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_ylim if axis == "y" else ax.set_xlim)(10.0 ** bottom, 10.0 ** top)
    first, last = int(np.ceil(bottom)), int(np.floor(top))
    step = next(s for s in (1, 2, 5, 10) if (last - first) // s + 1 <= 9)
    first = int(np.ceil(first / step) * step)
    which.set_major_locator(FixedLocator(10.0 ** np.arange(first, last + 1, step)))
    which.set_major_formatter(LogFormatterSciNotation())
    which.set_minor_formatter(NullFormatter())
    if step > 1:
        which.set_minor_locator(FixedLocator(10.0 ** np.arange(int(np.ceil(bottom)), last + 1)))
    elif last - first > 4:
        which.set_minor_locator(NullLocator())   # many decades: the decade ticks suffice
    return 10.0 ** bottom


#: Plain-text symbols in the data's labels (``LagCurve.label`` and the like, which are also
#: printed) and their mathtext in a figure.
_MATH = [("‖W_rec‖₂", r"$\|W_\mathrm{rec}\|_2$"), ("W_rec", r"$W_\mathrm{rec}$"),
         ("b_f", r"$b_f$"), ("f̄", r"$\bar f$"), ("γ", r"$\gamma$"), ("σ", r"$\sigma$")]


def mathtext(text: str) -> str:
    """``text`` with the plain-text symbols of the package's labels (‖W_rec‖₂, b_f, f̄, γ, σ)
    in mathtext, outside any math it already has (between dollar signs): titles show W_rec
    as a symbol with a subscript, not as the text ``W_rec``."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    parts = text.split("$")
    for i in range(0, len(parts), 2):            # the parts outside $…$
        for plain, tex in _MATH:
            parts[i] = parts[i].replace(plain, tex)
    return "$".join(parts).replace("$$", "")
