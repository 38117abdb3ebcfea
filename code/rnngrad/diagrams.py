"""Diagrams of the course's argument, drawn with matplotlib patches, arrows and mathtext.

One public function per diagram; each takes ``ax=None``, draws, and returns the Axes:

    feedforward_chain        the deep network of chapter 1 and its product of layer Jacobians [1]
    unrolled_rnn             the simple RNN unrolled in time, forward and backward; the sum over
                             paths of chapter 3, one path highlighted, a product of chapter 4 [2–4]
    lstm_cell                the LSTM cell: gates, ⊙ and +, the cell-state line, h_t          [5]
    lstm_backward_paths      the paths of ∂c_t/∂c_{t-1} = A_t + B_t + C_t + D_t and the
                             output-gate path that their product leaves out                 [6]
    constant_error_carousel  the cell-state line over several steps, the gradient scaled
                             by f_t (or by exactly 1 in the 1997 cell) at every step       [5, 7]
    gru_cell                 the GRU cell: update and reset gates, the candidate, the state
                             line h_{t-1} → h_t                                    [the GRU chapter]

The book shows them as SVG files written by ``tools/draw_diagrams.py`` (``make diagrams``).
Every diagram is drawn in inches: without ``ax`` a figure of the diagram's own size (at most
7.5 in wide, the text column) is created, and all text is at least 10 pt at that size. A
diagram drawn into a smaller Axes of your own shrinks, its text does not. One palette, below,
serves every diagram (Okabe–Ito colours, distinct for colour-blind readers and, with the line
widths, in greyscale). No rcParams are changed: the mathtext font is set per text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import ArrowStyle, Circle, FancyArrowPatch, FancyBboxPatch

__all__ = ["feedforward_chain", "unrolled_rnn", "lstm_cell", "lstm_backward_paths",
           "constant_error_carousel", "gru_cell", "PALETTE", "MAX_WIDTH", "MIN_FONT_SIZE"]

#: The one palette of the diagrams: forward pass, gradient flow, a highlighted path, context.
PALETTE = {
    "forward": "#1a1a1a",      # near-black
    "backward": "#D55E00",     # Okabe–Ito vermillion
    "highlight": "#0072B2",    # Okabe–Ito blue (drawn thicker than "backward")
    "muted": "#8c8c8c",        # grey: what the diagram is not about
}
#: Line widths (points) that keep the three kinds of arrow apart in greyscale too.
LINE_WIDTH = {"forward": 1.3, "backward": 1.8, "highlight": 3.0, "muted": 1.2}
FONT_SIZE = 14          # symbols: nodes and the main arrow labels
LABEL_FONT_SIZE = 12    # secondary labels (longer formulas beside arrows)
SMALL_FONT_SIZE = 12    # words: legends and notes
MIN_FONT_SIZE = 10      # the floor every text respects at the diagram's own size
MAX_WIDTH = 7.5         # inches: the book's text column (about 757 CSS px)
MATH_FONT = "cm"        # mathtext in Computer Modern, like the book's formulas

_NODE_R = 0.26          # radius of a state node, inches


# ----------------------------------------------------------------------------- validation
def _count(value, name: str, low: int, high: int) -> int:
    """An integer with low <= value <= high (a diagram readable at the column width)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer with {low} <= {name} <= {high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must satisfy {low} <= {name} <= {high} (a diagram readable at "
                         f"the column width), got {value}")
    return int(value)


def _check_ax(ax) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")


# ----------------------------------------------------------------------------- drawing kit
@dataclass(frozen=True)
class _Node:
    """A drawn node: its centre (inches) and its patch (arrows are clipped at its edge)."""

    x: float
    y: float
    patch: object

    @property
    def xy(self) -> tuple[float, float]:
        return (self.x, self.y)


def _canvas(ax, width: float, height: float) -> Axes:
    """The Axes to draw in, with one data unit = one inch of the diagram's own figure."""
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0.0, width)
    ax.set_ylim(0.0, height)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _text(ax, x, y, s, *, color=PALETTE["forward"], size=FONT_SIZE, ha="center", va="center",
          **kw):
    return ax.text(x, y, s, color=color, fontsize=size, ha=ha, va=va, math_fontfamily=MATH_FONT,
                   zorder=5, **kw)


def _circle(ax, x, y, label, *, r=_NODE_R, color=PALETTE["forward"], lw=1.4, size=FONT_SIZE):
    patch = Circle((x, y), r, fc="white", ec=color, lw=lw, zorder=3)
    ax.add_patch(patch)
    if label:
        _text(ax, x, y, label, color=color, size=size)
    return _Node(x, y, patch)


def _box(ax, x, y, label, *, w=0.62, h=0.40, color=PALETTE["forward"], lw=1.4, fc="white"):
    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.08",
                           fc=fc, ec=color, lw=lw, zorder=3)
    ax.add_patch(patch)
    if label:
        _text(ax, x, y, label, color=color)
    return _Node(x, y, patch)


def _point(x, y) -> _Node:
    """A bare point (no patch): an arrow may start or end there."""
    return _Node(x, y, None)


def _arrow(ax, a: _Node, b: _Node, kind: str = "forward", *, rad: float = 0.0, ls="-", lw=None):
    """An arrow from node ``a`` to node ``b`` (clipped at their edges) in the colour and width
    of ``kind``; ``rad`` bends it (arc3: positive bends to the left of the direction a → b)."""
    lw = LINE_WIDTH[kind] if lw is None else lw
    patch = FancyArrowPatch(a.xy, b.xy, patchA=a.patch, patchB=b.patch, shrinkA=1.5,
                            shrinkB=1.5, arrowstyle=ArrowStyle("-|>", head_length=0.5, head_width=0.25),
                            mutation_scale=10 + 2 * lw, connectionstyle=f"arc3,rad={rad}",
                            color=PALETTE[kind], lw=lw, ls=ls, zorder=2, capstyle="butt",
                            joinstyle="miter")
    ax.add_patch(patch)
    return patch


def _line(ax, xs, ys, kind="forward", **kw):
    """A plain polyline (the wires of the LSTM cell)."""
    kw.setdefault("lw", LINE_WIDTH[kind])
    kw.setdefault("color", PALETTE[kind])
    (line,) = ax.plot(xs, ys, solid_capstyle="butt", zorder=2, **kw)
    return line


def _legend(ax, entries, *, loc="lower center"):
    """A one-row legend of arrow kinds inside the axes: entries are (kind, label)."""
    handles = [Line2D([], [], color=PALETTE[kind], lw=LINE_WIDTH[kind], label=label)
               for kind, label in entries]
    legend = ax.legend(handles=handles, loc=loc, ncols=len(handles), frameon=False,
                       fontsize=SMALL_FONT_SIZE, handlelength=2.2, columnspacing=1.4,
                       borderaxespad=0.2)
    for text in legend.get_texts():
        text.set_math_fontfamily(MATH_FONT)
    return legend


def _bracket(ax, x0, x1, y, label, *, color=PALETTE["forward"], tick=0.1):
    """A horizontal square bracket from x0 to x1 at height y, opening downwards, labelled above."""
    _line(ax, [x0, x0, x1, x1], [y - tick, y, y, y - tick], lw=1.2, color=color)
    return _text(ax, (x0 + x1) / 2, y + 0.07, label, color=color, va="bottom")


# ----------------------------------------------------------------------------- chapter 1
def feedforward_chain(*, L: int = 3, ax=None):
    """The deep feed-forward network of chapter 1 as a chain, with the backward product.

    Forward (black): a_0 = x → a_1 → … → a_L → E, layer l computing a_l = φ(W_l a_{l-1} + b_l).
    Backward (vermillion): each arrow a_l → a_{l-1} is labelled with the layer Jacobian
    J_l = ∂a_l/∂a_{l-1} = diag(φ'(z_l)) W_l, and a bracket marks the product along the chain,
    ∂a_L/∂a_0 = J_L ⋯ J_1, whose norm is at most (γ w_max)^L (w_max = max_l ‖W_l‖₂).
    ``L`` is the depth drawn, 2 <= L <= 5.
    """
    L = _count(L, "L", 2, 5)
    _check_ax(ax)
    dx = min(1.3, 6.4 / (L + 1))
    x0 = 0.5
    width, height = 2 * x0 + dx * (L + 1), 3.7
    ax = _canvas(ax, width, height)
    y = 2.0
    xs = [x0 + dx * i for i in range(L + 2)]
    nodes = [_circle(ax, xs[0], y, "$x$")]
    nodes += [_circle(ax, xs[l], y, f"$a_{{{l}}}$") for l in range(1, L + 1)]
    loss = _circle(ax, xs[-1], y, "$E$")
    for l in range(1, L + 1):
        _arrow(ax, nodes[l - 1], nodes[l])
        _text(ax, (xs[l - 1] + xs[l]) / 2, y - 0.16, f"$W_{{{l}}}$", va="top")
        _arrow(ax, nodes[l], nodes[l - 1], "backward", rad=0.45)
        _text(ax, (xs[l - 1] + xs[l]) / 2, y + 0.4, f"$J_{{{l}}}$", color=PALETTE["backward"],
              va="bottom")
    _arrow(ax, nodes[-1], loss)
    _arrow(ax, loss, nodes[-1], "backward", rad=0.45)
    _text(ax, (xs[-2] + xs[-1]) / 2, y + 0.4, rf"$\partial E/\partial a_{{{L}}}$",
          color=PALETTE["backward"], va="bottom")
    factors = r"\,".join(f"J_{{{l}}}" for l in range(L, 0, -1))
    _bracket(ax, xs[0], xs[L], y + 1.15, rf"$\partial a_{{{L}}}/\partial a_0 = {factors}$",
             color=PALETTE["backward"])
    _text(ax, width / 2, 1.05,
          r"$J_l = \partial a_l/\partial a_{l-1} = \mathrm{diag}(\phi'(z_l))\,W_l$")
    _text(ax, width / 2, 0.6, r"$\Vert J_l\Vert_2 \leq \gamma\,\Vert W_l\Vert_2$,  so  "
          rf"$\Vert\partial a_{{{L}}}/\partial a_0\Vert_2 \leq (\gamma\, w_\max)^{{{L}}}$")
    _legend(ax, [("forward", "forward pass"), ("backward", "gradient")])
    return ax


# ----------------------------------------------------------------------------- chapters 2–4
def unrolled_rnn(*, T: int = 3, backward: bool = True, highlight_path: int | None = None,
                 product: tuple[int, int] | None = None, ax=None):
    """The simple RNN unrolled over T steps (0-based), forward and backward.

    Forward (black): x_t → c_t (the product with W_in) and c_{t-1} → c_t (with W_rec), from
    c_{-1} to c_{T-1} → E; every step uses the same W = [W_rec, W_in] and b (chapter 2).
    With ``backward`` (vermillion): E → c_{T-1} and c_t → c_{t-1}, each arrow labelled with its
    Jacobian ∂c_t/∂c_{t-1}, and at every step j the branch ∂⁺c_j/∂W into ∂E/∂W: the sum over
    paths of chapter 3, eq. (3.6), one term per step at which W enters.
    ``highlight_path = j`` draws the path of term j in blue (E → c_{T-1} → … → c_j → W);
    ``product = (j, k)`` draws the chain c_k → … → c_j in blue and writes its product
    ∂c_k/∂c_j = ∂c_k/∂c_{k-1} ⋯ ∂c_{j+1}/∂c_j (chapter 4). 1 <= T <= 5; the two options need
    ``backward`` and exclude each other (both are drawn in the highlight colour).
    """
    T = _count(T, "T", 1, 5)
    if not isinstance(backward, (bool, np.bool_)):
        raise ValueError(f"backward must be True or False, got {backward!r}")
    if (highlight_path is not None or product is not None) and not backward:
        raise ValueError("highlight_path and product need backward=True (they mark backward paths)")
    if highlight_path is not None and product is not None:
        raise ValueError("give highlight_path or product, not both (both use the highlight colour)")
    if highlight_path is not None:
        highlight_path = _count(highlight_path, "highlight_path", 0, T - 1)
    if product is not None:
        if not isinstance(product, (tuple, list)) or len(product) != 2:
            raise ValueError(f"product must be a pair (j, k) of steps with 0 <= j < k <= {T - 1}, "
                             f"got {product!r}")
        j, k = (_count(v, f"product[{i}]", 0, T - 1) for i, v in enumerate(product))
        if not j < k:
            raise ValueError(f"product = (j, k) needs j < k, got {product!r}")
        product = (j, k)
    _check_ax(ax)

    dx = min(1.3, 6.4 / (T + 1))
    x0 = 0.55
    width = 2 * x0 + dx * (T + 1)
    y_x = 1.3 if product else 0.85
    y_c, y_w = y_x + 1.2, y_x + 2.9
    height = y_w + 0.4 if backward else y_c + 0.55
    ax = _canvas(ax, width, height)
    xs = [x0 + dx * i for i in range(T + 2)]            # c_{-1}, c_0, ..., c_{T-1}, E
    if highlight_path is not None:                       # the states on the highlighted path
        lit = set(range(highlight_path, T))
    elif product is not None:
        lit = set(range(product[0], product[1] + 1))
    else:
        lit = set()

    start = _circle(ax, xs[0], y_c, "$c_{-1}$", color=PALETTE["muted"])
    states = [_circle(ax, xs[t + 1], y_c, f"$c_{{{t}}}$",
                      color=PALETTE["highlight"] if t in lit else PALETTE["forward"],
                      lw=2.2 if t in lit else 1.4) for t in range(T)]
    loss = _circle(ax, xs[-1], y_c, "$E$")
    for t in range(T):
        x_node = _circle(ax, xs[t + 1], y_x, f"$x_{{{t}}}$")
        _arrow(ax, x_node, states[t])
        _arrow(ax, start if t == 0 else states[t - 1], states[t])
    _text(ax, xs[1] + 0.1, (y_x + y_c) / 2, r"$W_\mathrm{in}$", ha="left")
    _text(ax, (xs[0] + xs[1]) / 2, y_c - 0.16, r"$W_\mathrm{rec}$", va="top")
    _arrow(ax, states[-1], loss)
    legend = [("forward", "forward pass")]
    if backward:
        legend.append(("backward", "gradient"))
        to_loss = "highlight" if highlight_path is not None else "backward"
        _arrow(ax, loss, states[-1], to_loss, rad=0.45)
        _text(ax, (xs[-2] + xs[-1]) / 2, y_c + 0.36, rf"$\partial E/\partial c_{{{T - 1}}}$",
              color=PALETTE[to_loss], va="bottom")
        for t in range(T - 1, 0, -1):
            kind = "highlight" if t in lit and t - 1 in lit else "backward"
            _arrow(ax, states[t], states[t - 1], kind, rad=0.45)
            _text(ax, (xs[t] + xs[t + 1]) / 2, y_c + 0.36,
                  rf"$\partial c_{{{t}}}/\partial c_{{{t - 1}}}$", color=PALETTE[kind],
                  va="bottom")
        w_box = _box(ax, (xs[1] + xs[T]) / 2, y_w, "", w=max(xs[T] - xs[1] + 0.9, 2.6), h=0.6,
                     color=PALETTE["backward"], fc="#fbeee6")
        _text(ax, w_box.x, y_w, rf"$\partial E/\partial W = \sum_{{j=0}}^{{{T - 1}}}\ "
              r"\mathrm{term}\ j$")
        for j in range(T):
            kind = "highlight" if j == highlight_path else "backward"
            _arrow(ax, states[j], _Node(xs[j + 1], y_w, w_box.patch), kind)
            _text(ax, xs[j + 1] + 0.07, y_w - 0.62, rf"$\partial^+ c_{{{j}}}/\partial W$",
                  color=PALETTE[kind], ha="left", size=LABEL_FONT_SIZE)
        if highlight_path is not None:
            legend.append(("highlight", f"path of term {highlight_path}"))
        if product is not None:
            j, k = product
            factors = r"\,".join(rf"\partial c_{{{t}}}/\partial c_{{{t - 1}}}"
                                 for t in range(k, j, -1))
            _text(ax, width / 2, y_x - 0.5,
                  rf"$\partial c_{{{k}}}/\partial c_{{{j}}} = {factors}$",
                  color=PALETTE["highlight"], va="top")
            legend.append(("highlight", "a product along the chain"))
    _legend(ax, legend, loc="lower left" if backward else "lower center")
    return ax


# ----------------------------------------------------------------------------- chapter 5
def lstm_cell(*, ax=None):
    """The LSTM cell of chapter 5 at step t, with the book's names.

    [h_{t-1}, x_t] feeds four affine maps and their non-linearities: the gates f_t, i_t, o_t
    (σ) and the candidate c̃_t (tanh). Along the cell-state line at the top,
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t (eq. 5): one ⊙ and one +, no weight matrix. The output
    h_t = o_t ⊙ tanh(c_t) leaves upwards (the cell's output) and to the right (the next step).
    """
    _check_ax(ax)
    width, height = 6.8, 4.1
    ax = _canvas(ax, width, height)
    y_cell, y_mid, y_gate, y_bus = 3.25, 2.45, 1.55, 0.7
    x_in, x_out = 0.55, 6.25
    ax.add_patch(FancyBboxPatch((1.05, 0.35), 4.75, 3.25, boxstyle="round,pad=0,rounding_size=0.2",
                                fc="#f2f2f2", ec=PALETTE["muted"], lw=1.0, zorder=0))
    # cell-state line: c_{t-1} → ⊙ f_t → + i_t⊙c̃_t → c_t
    xf, xi, xc, xo, xh = 1.75, 2.65, 3.45, 4.35, 5.15
    times_f = _circle(ax, xf, y_cell, r"$\odot$", r=0.19)
    plus = _circle(ax, xc, y_cell, "$+$", r=0.19)
    c_prev, c_next = _point(x_in - 0.1, y_cell), _point(x_out + 0.25, y_cell)
    _arrow(ax, c_prev, times_f, lw=2.6)
    _arrow(ax, times_f, plus, lw=2.6)
    _arrow(ax, plus, c_next, lw=2.6)
    _text(ax, x_in - 0.15, y_cell + 0.2, "$c_{t-1}$", ha="left", va="bottom")
    _text(ax, x_out + 0.2, y_cell + 0.2, "$c_t$", ha="right", va="bottom")
    _text(ax, (xc + xh) / 2 - 0.1, y_cell + 0.12, "cell state", size=SMALL_FONT_SIZE,
          color=PALETTE["muted"], va="bottom")
    # the concatenation [h_{t-1}, x_t] and the four gates
    _line(ax, [x_in - 0.1, xo], [y_bus, y_bus])
    _text(ax, x_in - 0.15, y_bus - 0.12, "$h_{t-1}$", ha="left", va="top")
    _line(ax, [1.35, 1.35], [0.05, y_bus])
    _text(ax, 1.45, 0.15, "$x_t$", ha="left")
    gates = {}
    for name, x, act in (("f", xf, r"$\sigma$"), ("i", xi, r"$\sigma$"),
                         ("c", xc, r"$\tanh$"), ("o", xo, r"$\sigma$")):
        _line(ax, [x, x], [y_bus, y_gate])
        gates[name] = _box(ax, x, y_gate, act, w=0.62 if name != "c" else 0.7)
    _text(ax, 2.2, y_bus + 0.12, r"$[h_{t-1}, x_t]$", va="bottom", size=LABEL_FONT_SIZE)
    # f_t up to ⊙; i_t and c̃_t meet at ⊙, then up to +
    _arrow(ax, gates["f"], times_f)
    _text(ax, xf + 0.1, (y_gate + y_cell) / 2 - 0.1, "$f_t$", ha="left")
    times_ic = _circle(ax, xc, y_mid, r"$\odot$", r=0.19)
    _line(ax, [xi, xi], [y_gate + 0.2, y_mid])
    _arrow(ax, _point(xi, y_mid), times_ic)
    _text(ax, xi - 0.1, (y_gate + y_mid) / 2 + 0.05, "$i_t$", ha="right")
    _arrow(ax, gates["c"], times_ic)
    _text(ax, xc + 0.12, (y_gate + y_mid) / 2 + 0.05, r"$\tilde c_t$", ha="left")
    _arrow(ax, times_ic, plus)
    _text(ax, xc + 0.12, (y_mid + y_cell) / 2, r"$i_t\odot\tilde c_t$", ha="left",
          size=LABEL_FONT_SIZE)
    # h_t = o_t ⊙ tanh(c_t)
    tanh_c = _box(ax, xh, y_mid, r"$\tanh$", w=0.7, h=0.36)
    _line(ax, [xh, xh], [y_cell, y_mid + 0.18])
    times_o = _circle(ax, xh, y_gate, r"$\odot$", r=0.19)
    _arrow(ax, tanh_c, times_o)
    _arrow(ax, gates["o"], times_o)
    _text(ax, (xo + xh) / 2, y_gate + 0.12, "$o_t$", va="bottom")
    _line(ax, [xh, xh, x_out], [y_gate - 0.19, y_bus, y_bus])
    _arrow(ax, _point(x_out - 0.4, y_bus), _point(x_out + 0.25, y_bus))
    _text(ax, x_out + 0.2, y_bus - 0.12, "$h_t$", ha="right", va="top")
    # the output also leaves upwards, passing under the cell-state line (a gap, not a junction)
    _line(ax, [5.55, 5.55], [y_bus, y_cell - 0.16])
    _arrow(ax, _point(5.55, y_cell + 0.16), _point(5.55, height - 0.05))
    _text(ax, 5.65, height - 0.3, "$h_t$", ha="left")
    return ax


# ----------------------------------------------------------------------------- chapter 6
def lstm_backward_paths(*, ax=None):
    """The backward flow of the LSTM over (h, c) into step t, chapter 6's eq. (6).

    c_{t-1} reaches c_t in four ways, and the gradient comes back along each: B_t = diag(f_t)
    directly along the cell-state line (the forget gate, no weight matrix), and A_t, C_t, D_t
    through the forget gate f_t, the input gate i_t and the candidate c̃_t, which read
    h_{t-1} = o_{t-1} ⊙ tanh(c_{t-1}) through U_f, U_i, U_c (their last factor is
    ∂h_{t-1}/∂c_{t-1} = diag(s_{t-1})). Dashed blue: the output-gate path
    c_{t-2} → h_{t-2} → o_{t-1} → h_{t-1} → c_t, which reaches c_t without passing through
    c_{t-1}, so no product of factors A + B + C + D contains it (chapters 6 and 7).
    """
    _check_ax(ax)
    width, height = 6.3, 4.6
    ax = _canvas(ax, width, height)
    bwd, hi, muted = PALETTE["backward"], PALETTE["highlight"], PALETTE["muted"]
    dashed = (0, (3, 1.5))
    y_c, y_h = 3.45, 1.45
    x2, x1, xg, x0 = 0.45, 2.55, 4.35, 5.8
    c2 = _circle(ax, x2, y_c, "$c_{t-2}$", color=muted)
    h2 = _circle(ax, x2, y_h, "$h_{t-2}$", color=hi)
    c1 = _circle(ax, x1, y_c, "$c_{t-1}$")
    h1 = _circle(ax, x1, y_h, "$h_{t-1}$")
    c0 = _circle(ax, x0, y_c, "$c_t$")
    o1 = _box(ax, (x2 + x1) / 2, y_h, "$o_{t-1}$", color=hi, w=0.72)
    gates = {"A": _box(ax, xg, 2.75, "$f_t$", w=0.5, h=0.4),
             "C": _box(ax, xg, 2.05, "$i_t$", w=0.5, h=0.4),
             "D": _box(ax, xg, 1.35, r"$\tilde c_t$", w=0.5, h=0.4)}
    _text(ax, width / 2, height - 0.1,
          r"$\partial c_t/\partial c_{t-1} = A_t + B_t + C_t + D_t$", va="top")
    # B_t: straight along the cell-state line
    _arrow(ax, c0, c1, "backward", lw=3.0)
    _text(ax, (x1 + x0) / 2, y_c + 0.14, r"$B_t = \mathrm{diag}(f_t)$", color=bwd, va="bottom")
    # A_t, C_t, D_t: c_t → gate → h_{t-1} → c_{t-1}
    for name, gate in gates.items():
        _arrow(ax, c0, gate, "backward", rad=0.0 if name == "A" else -0.15)
        _arrow(ax, gate, h1, "backward")
        # the term's name in the wedge between its own arrow to h_{t-1} and the one above
        _text(ax, xg - 0.32, gate.y + 0.04, f"${name}_t$", color=bwd, ha="right", va="bottom")
    _text(ax, (x1 + xg) / 2 + 0.2, 1.05, r"through $U_f,\ U_i,\ U_c$", color=bwd,
          size=SMALL_FONT_SIZE, va="top")
    _arrow(ax, h1, c1, "backward")
    _text(ax, x1 + 0.1, (y_c + y_h) / 2 + 0.3, r"$\mathrm{diag}(s_{t-1})$", color=bwd,
          ha="left", size=LABEL_FONT_SIZE)
    # the next factor back, and the output-gate path that no factor contains
    _arrow(ax, c1, c2, "muted")
    _text(ax, (x2 + x1) / 2, y_c + 0.14, r"$A_{t-1}+\dots+D_{t-1}$", color=muted, va="bottom",
          size=LABEL_FONT_SIZE)
    _arrow(ax, h1, o1, "highlight", ls=dashed)
    _arrow(ax, o1, h2, "highlight", ls=dashed)
    _arrow(ax, h2, c2, "highlight", ls=dashed)
    _text(ax, 0.1, 0.95, "output-gate path, not in\n" r"$\prod\,(A_t+B_t+C_t+D_t)$", color=hi,
          ha="left", va="top", size=SMALL_FONT_SIZE, linespacing=1.5)
    return ax


# ----------------------------------------------------------------------------- chapters 5, 7
def constant_error_carousel(*, steps: int = 3, forget_gate: bool = True, ax=None):
    """The cell-state line over ``steps`` steps and the gradient flowing back along it.

    Forward (black): c_{t-1} → ⊙ f_t → + i_t ⊙ c̃_t → c_t at every step. Backward (vermillion):
    along this line each step multiplies the gradient by B_t = diag(f_t), so over the steps
    drawn the product is diag(f_t ⊙ f_{t-1} ⊙ …) (chapter 7). With ``forget_gate=False``, the
    1997 cell (f_t ≡ 1, chapter 5): the self-connection has the fixed weight 1 and every
    factor is exactly 1, the constant error carousel. 2 <= steps <= 4.
    """
    steps = _count(steps, "steps", 2, 4)
    if not isinstance(forget_gate, (bool, np.bool_)):
        raise ValueError(f"forget_gate must be True or False, got {forget_gate!r}")
    _check_ax(ax)
    dx = min(1.9, 6.0 / steps)
    x0 = 0.5
    width, height = 2 * x0 + dx * steps, 3.7
    ax = _canvas(ax, width, height)
    y = 2.05
    lag = [steps - 1 - k for k in range(steps)]                 # step k of the drawing is t - lag
    sub = [f"t-{d}" if d else "t" for d in lag]
    cells = [_circle(ax, x0, y, f"$c_{{t-{steps}}}$")]
    cells += [_circle(ax, x0 + dx * (k + 1), y, f"$c_{{{sub[k]}}}$") for k in range(steps)]
    for k in range(steps):
        xa, xb = cells[k].x, cells[k + 1].x
        plus = _circle(ax, xa + dx * (0.68 if forget_gate else 0.5), y, "$+$", r=0.17)
        if forget_gate:
            times = _circle(ax, xa + dx * 0.33, y, r"$\odot$", r=0.17)
            _arrow(ax, cells[k], times, lw=2.2)
            _arrow(ax, times, plus, lw=2.2)
            _arrow(ax, _point(times.x, y - 0.55), times)
            _text(ax, times.x, y - 0.6, f"$f_{{{sub[k]}}}$", va="top")
        else:
            _arrow(ax, cells[k], plus, lw=2.2)
            _text(ax, (xa + plus.x) / 2, y - 0.1, "$1$", va="top")
        _arrow(ax, plus, cells[k + 1], lw=2.2)
        _arrow(ax, _point(plus.x, y - 1.0), plus)
        _text(ax, plus.x, y - 1.05, rf"$i_{{{sub[k]}}}\odot\tilde c_{{{sub[k]}}}$", va="top",
              size=LABEL_FONT_SIZE)
        _arrow(ax, cells[k + 1], cells[k], "backward", rad=0.3)
        label = rf"$\times\,f_{{{sub[k]}}}$" if forget_gate else r"$\times\,1$"
        _text(ax, (xa + xb) / 2, y + 0.2 + 0.15 * dx, label, color=PALETTE["backward"],
              va="bottom")
    if forget_gate:
        bs = r"\,".join(f"B_{{{sub[k]}}}" for k in reversed(range(steps)))
        fs = r"\odot ".join(f"f_{{{sub[k]}}}" for k in reversed(range(steps)))
        total = rf"${bs} = \mathrm{{diag}}({fs})$"
    else:
        ones = r"\cdot ".join("1" for _ in range(steps))
        total = rf"along the carousel: ${ones} = 1$"
    _bracket(ax, cells[0].x, cells[-1].x, y + 0.85 + 0.1 * dx, total, color=PALETTE["backward"])
    _legend(ax, [("forward", "cell state"), ("backward", "gradient")], loc="lower right")
    return ax


# ----------------------------------------------------------------------------- the GRU chapter
def gru_cell(*, ax=None):
    """The GRU cell of the GRU chapter at step t (PyTorch's convention, ``gru.py``).

    Its only state runs along the top: h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ h̃_t, one ⊙ and one +
    as on the LSTM's cell-state line, with the update gate z_t in the place of the forget gate
    and 1 - z_t in the place of the input gate. [h_{t-1}, x_t] feeds the update gate z_t and
    the reset gate r_t (σ); the reset gate multiplies the recurrent product U_n h_{t-1} (+ b_hn)
    after it is formed, and the candidate h̃_t = tanh(V_n x_t + b_n + r_t ⊙ (U_n h_{t-1} + b_hn))
    reads x_t besides. h_t leaves to the right (the next step) and upwards (the output).
    """
    _check_ax(ax)
    width, height = 6.8, 4.3
    ax = _canvas(ax, width, height)
    y_top, y_mid, y_gate, y_un, y_bus = 3.35, 2.5, 1.7, 1.05, 0.6
    x_in, x_out = 0.45, 6.35
    xz, xr, xu, xh = 1.65, 2.65, 3.75, 4.85
    ax.add_patch(FancyBboxPatch((0.75, 0.3), 5.35, 3.5, boxstyle="round,pad=0,rounding_size=0.2",
                                fc="#f2f2f2", ec=PALETTE["muted"], lw=1.0, zorder=0))
    # the state line: h_{t-1} → ⊙ z_t → + (1 - z_t) ⊙ h̃_t → h_t
    keep = _circle(ax, xz, y_top, r"$\odot$", r=0.19)
    plus = _circle(ax, xh, y_top, "$+$", r=0.19)
    _arrow(ax, _point(x_in - 0.2, y_top), keep, lw=2.6)
    _arrow(ax, keep, plus, lw=2.6)
    _arrow(ax, plus, _point(x_out + 0.25, y_top), lw=2.6)
    _text(ax, x_in - 0.25, y_top + 0.2, "$h_{t-1}$", ha="left", va="bottom")
    _text(ax, x_out + 0.2, y_top + 0.2, "$h_t$", ha="right", va="bottom")
    _text(ax, (xz + xh) / 2 + 0.3, y_top + 0.12, "state", size=SMALL_FONT_SIZE,
          color=PALETTE["muted"], va="bottom")
    # h_{t-1} also goes down into the bus [h_{t-1}, x_t], which x_t joins from below
    x_down, x_x = 1.0, 1.25
    _line(ax, [x_down, x_down, xr], [y_top, y_bus, y_bus])
    _line(ax, [x_x, x_x], [0.05, y_bus])
    _text(ax, x_x + 0.1, 0.15, "$x_t$", ha="left")
    _text(ax, (xz + xr) / 2, y_bus - 0.1, r"$[h_{t-1}, x_t]$", va="top", size=LABEL_FONT_SIZE)
    gates = {}
    for name, x in (("z", xz), ("r", xr)):
        _line(ax, [x, x], [y_bus, y_gate])
        gates[name] = _box(ax, x, y_gate, r"$\sigma$")
    # the update gate: z_t up to ⊙ on the state line, 1 - z_t to the candidate's ⊙
    _arrow(ax, gates["z"], keep)
    _text(ax, xz - 0.1, (y_gate + y_mid) / 2, "$z_t$", ha="right")
    one_minus = _box(ax, (xz + xu) / 2 + 0.15, y_mid, r"$1-$", w=0.55, h=0.36)
    _arrow(ax, _point(xz, y_mid), one_minus)
    write = _circle(ax, xh, y_mid, r"$\odot$", r=0.19)
    _arrow(ax, one_minus, write)
    _text(ax, (one_minus.x + xh) / 2, y_mid + 0.12, "$1-z_t$", va="bottom", size=LABEL_FONT_SIZE)
    _arrow(ax, write, plus)
    _text(ax, xh + 0.12, (y_mid + y_top) / 2, r"$(1-z_t)\odot\tilde h_t$", ha="left",
          size=LABEL_FONT_SIZE)
    # the candidate: r_t ⊙ (U_n h_{t-1} + b_hn), reset after the product, then tanh with x_t
    u_n = _box(ax, xu, y_un, "$U_n$", w=0.55, h=0.36)
    _line(ax, [x_down, xu], [y_bus, y_bus], color=PALETTE["forward"])
    _arrow(ax, _point(xu, y_bus), u_n)
    _text(ax, xu + 0.1, (y_bus + y_un) / 2 - 0.2, "$h_{t-1}$", ha="left", size=LABEL_FONT_SIZE)
    reset = _circle(ax, xu, y_gate, r"$\odot$", r=0.19)
    _arrow(ax, u_n, reset)
    _arrow(ax, gates["r"], reset)
    _text(ax, (xr + xu) / 2, y_gate + 0.12, "$r_t$", va="bottom")
    cand = _box(ax, xh, y_gate, r"$\tanh$", w=0.7)
    _arrow(ax, reset, cand)
    _arrow(ax, _point(xh, 0.05), cand)                       # x_t into the candidate
    _text(ax, xh + 0.1, 0.15, "$x_t$", ha="left")
    _arrow(ax, cand, write)
    _text(ax, xh + 0.12, (y_gate + y_mid) / 2, r"$\tilde h_t$", ha="left")
    # the output leaves upwards
    _arrow(ax, _point(5.75, y_top), _point(5.75, height - 0.05))
    _text(ax, 5.85, height - 0.3, "$h_t$", ha="left")
    return ax
