"""The diagrams (rnngrad.diagrams) and the SVG files the book shows (tools/draw_diagrams.py).

* Each committed book/figures/diagrams/<name>.svg is what the script draws now, byte for byte,
  and no other file lies in that folder.
* Chapters 1–7 and the GRU chapter each open with one of them: a MyST figure with a name, alt
  text and a caption, before the chapter's first section, referred to with {numref} in the
  chapter's text.
* Every label the book uses is drawn (the Text artists are inspected), the figure is at most
  7.5 in wide with no text under 10 pt, and nothing is drawn outside the axes (nothing clipped).
* Every function rejects bad arguments with a ValueError.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text

from rnngrad import diagrams

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import draw_diagrams  # noqa: E402

FUNCTIONS = [diagrams.feedforward_chain, diagrams.unrolled_rnn, diagrams.lstm_cell,
             diagrams.lstm_backward_paths, diagrams.constant_error_carousel, diagrams.gru_cell]

#: Every way the book (and the tests below) draws the diagrams, with readable ids.
VARIANTS = {
    **{f"feedforward_chain(L={L})": (diagrams.feedforward_chain, {"L": L}) for L in range(2, 6)},
    **{f"unrolled_rnn(T={T})": (diagrams.unrolled_rnn, {"T": T}) for T in range(1, 6)},
    **{f"unrolled_rnn(T={T}, forward only)": (diagrams.unrolled_rnn, {"T": T, "backward": False})
       for T in (1, 5)},
    "unrolled_rnn(T=5, path 0)": (diagrams.unrolled_rnn, {"T": 5, "highlight_path": 0}),
    "unrolled_rnn(T=5, product)": (diagrams.unrolled_rnn, {"T": 5, "product": (0, 4)}),
    "lstm_cell": (diagrams.lstm_cell, {}),
    "lstm_backward_paths": (diagrams.lstm_backward_paths, {}),
    "gru_cell": (diagrams.gru_cell, {}),
    **{f"constant_error_carousel(steps={k}, f={f})":
       (diagrams.constant_error_carousel, {"steps": k, "forget_gate": f})
       for k in (2, 3, 4) for f in (True, False)},
    **{f"book:{name}": spec for name, spec in draw_diagrams.FIGURES.items()},
}


def _normal(s: str) -> str:
    """A label without the spacing and grouping that do not change what it shows."""
    return re.sub(r"\\[,;:! ]|[{}\s]", "", s)


def _texts(ax) -> list[str]:
    """The normalized strings of every visible, non-empty Text of the figure."""
    return [_normal(t.get_text()) for t in ax.figure.findobj(Text)
            if t.get_visible() and t.get_text().strip()]


# ------------------------------------------------------------------ the committed SVG files
@pytest.mark.parametrize("name", sorted(draw_diagrams.FIGURES))
def test_committed_svg_is_what_the_script_draws(name, tmp_path):
    fresh = draw_diagrams.draw(name, tmp_path)
    committed = draw_diagrams.OUT / f"{name}.svg"
    assert committed.exists(), f"{committed} is missing: run `make diagrams`"
    assert fresh.read_bytes() == committed.read_bytes(), (
        f"{committed.relative_to(ROOT)} differs from what tools/draw_diagrams.py draws: "
        "run `make diagrams` and commit the result")


def test_drawing_twice_gives_the_same_bytes(tmp_path):
    first = draw_diagrams.draw("lstm_cell", tmp_path / "a").read_bytes()
    second = draw_diagrams.draw("lstm_cell", tmp_path / "b").read_bytes()
    assert first == second
    assert b"<text" not in first, "text must be stored as paths (renders without fonts)"
    assert b"<dc:date>" not in first


def test_no_stray_svg_in_the_diagrams_folder():
    on_disk = {p.stem for p in draw_diagrams.OUT.glob("*.svg")}
    assert on_disk == set(draw_diagrams.FIGURES)


def test_draw_rejects_an_unknown_name(tmp_path):
    with pytest.raises(ValueError, match="unknown diagram"):
        draw_diagrams.draw("lstm", tmp_path)


# ------------------------------------------------------------------ the chapters show them
FIGURE = re.compile(r"```\{figure\} figures/diagrams/(?P<file>[\w.]+)\n(?P<body>.*?)```", re.S)
CHAPTERS = sorted(ROOT.glob("book/ch0[1-7]_*.ipynb")) + [ROOT / "book" / "ch10_gru.ipynb"]


def _markdown_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def test_chapters_1_to_7_and_the_gru_chapter_are_found():
    assert [p.name[:4] for p in CHAPTERS] == [f"ch0{k}" for k in range(1, 8)] + ["ch10"]
    assert all(p.exists() for p in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_opens_with_a_diagram(chapter):
    cells = _markdown_cells(chapter)
    text = "\n".join(cells)
    first_section = text.index("\n## ")
    figures = list(FIGURE.finditer(text))
    assert figures, f"{chapter.name} shows no diagram"
    opening = figures[0]
    assert opening.start() < first_section, "the first diagram must come before the first section"
    for fig in figures:
        svg = fig["file"]
        assert (ROOT / "book" / "figures" / "diagrams" / svg).exists(), svg
        assert Path(svg).stem in draw_diagrams.FIGURES, f"{svg} is not drawn by the script"
        options = dict(re.findall(r"^:(\w+):\s*(.*)$", fig["body"], re.M))
        assert options.get("name", "").startswith("fig-"), fig["body"]
        assert len(options.get("alt", "")) > 40, "alt text: a sentence for a screen reader"
        caption = [line for line in fig["body"].splitlines() if line and not line.startswith(":")]
        assert caption, "a caption below the options"
        assert f"{{numref}}`{options['name']}`" in text, f"no {{numref}} to {options['name']}"


# ------------------------------------------------------------------ labels, size, clipping
@pytest.mark.parametrize("T", [1, 3, 5])
def test_unrolled_rnn_draws_every_label(T):
    ax = diagrams.unrolled_rnn(T=T)
    drawn = _texts(ax)
    nodes = ["$c_{-1}$", "$E$"] + [f"$c_{t}$" for t in range(T)] + [f"$x_{t}$" for t in range(T)]
    jacobians = [rf"$\partial c_{t}/\partial c_{t - 1}$" for t in range(1, T)]
    immediate = [rf"$\partial^+ c_{j}/\partial W$" for j in range(T)]
    for label in nodes + jacobians + immediate + [rf"$\partial E/\partial c_{T - 1}$",
                                                  r"$W_\mathrm{in}$", r"$W_\mathrm{rec}$"]:
        assert _normal(label) in drawn, label
    assert any(_normal(r"\partial E/\partial W = \sum") in t for t in drawn)


def test_unrolled_rnn_forward_only_draws_no_gradient():
    drawn = _texts(diagrams.unrolled_rnn(T=4, backward=False))
    assert not [t for t in drawn if "partial" in t]
    assert _normal("$c_{3}$") in drawn


def test_unrolled_rnn_highlights_one_path_and_writes_a_product():
    ax = diagrams.unrolled_rnn(T=4, highlight_path=2)
    blue = diagrams.PALETTE["highlight"]
    lit = {_normal(t.get_text()) for t in ax.texts if t.get_color() == blue}
    # term 2: E -> c_3 -> c_2 -> W, nothing before step 2
    assert lit == {_normal(s) for s in (r"$\partial E/\partial c_3$", r"$\partial c_3/\partial c_2$",
                                        r"$\partial^+ c_2/\partial W$", "$c_2$", "$c_3$")}
    assert "pathofterm2" in _texts(ax)
    drawn = _texts(diagrams.unrolled_rnn(T=4, product=(1, 3)))
    assert _normal(r"$\partial c_3/\partial c_1 = \partial c_3/\partial c_2\,"
                   r"\partial c_2/\partial c_1$") in drawn


def test_feedforward_chain_draws_every_label():
    drawn = _texts(diagrams.feedforward_chain(L=4))
    for label in ["$x$", "$E$"] + [f"$a_{l}$" for l in range(1, 5)] + [f"$J_{l}$" for l in
                                                                        range(1, 5)] + \
            [f"$W_{l}$" for l in range(1, 5)]:
        assert _normal(label) in drawn, label
    assert any(_normal(r"\partial a_4/\partial a_0 = J_4 J_3 J_2 J_1") in t for t in drawn)
    assert any(_normal(r"\mathrm{diag}(\phi'(z_l))\,W_l") in t for t in drawn)


def test_lstm_cell_draws_the_books_names():
    drawn = _texts(diagrams.lstm_cell())
    for label in ["$f_t$", "$i_t$", r"$\tilde c_t$", "$o_t$", "$c_t$", "$h_t$", "$c_{t-1}$",
                  "$h_{t-1}$", "$x_t$", r"$\sigma$", r"$\tanh$", r"$\odot$", "$+$",
                  r"$[h_{t-1}, x_t]$", r"$i_t\odot\tilde c_t$"]:
        assert _normal(label) in drawn, label
    assert drawn.count(_normal(r"$\sigma$")) == 3, "three gates use the sigmoid"
    assert drawn.count(_normal(r"$\tanh$")) == 2, "the candidate and the output use tanh"
    assert drawn.count(_normal(r"$\odot$")) == 3


def test_lstm_backward_paths_marks_the_four_terms_and_the_output_gate_path():
    ax = diagrams.lstm_backward_paths()
    drawn = _texts(ax)
    for label in ["$A_t$", "$C_t$", "$D_t$", r"$B_t = \mathrm{diag}(f_t)$", "$f_t$", "$i_t$",
                  r"$\tilde c_t$", "$o_{t-1}$", "$c_t$", "$c_{t-1}$", "$h_{t-1}$", "$c_{t-2}$",
                  "$h_{t-2}$", r"$\mathrm{diag}(s_{t-1})$",
                  r"$\partial c_t/\partial c_{t-1} = A_t + B_t + C_t + D_t$"]:
        assert _normal(label) in drawn, label
    blue = diagrams.PALETTE["highlight"]
    assert any("output-gatepath" in _normal(t.get_text()) and t.get_color() == blue
               for t in ax.texts)
    assert any("output-gatepath" in t for t in drawn)


def test_gru_cell_draws_the_books_names():
    drawn = _texts(diagrams.gru_cell())
    for label in ["$z_t$", "$r_t$", "$1-z_t$", r"$\tilde h_t$", "$h_t$", "$h_{t-1}$", "$x_t$",
                  "$U_n$", r"$\sigma$", r"$\tanh$", r"$\odot$", "$+$", r"$[h_{t-1}, x_t]$",
                  r"$(1-z_t)\odot\tilde h_t$"]:
        assert _normal(label) in drawn, label
    assert drawn.count(_normal(r"$\sigma$")) == 2, "two gates, both sigmoids"
    assert drawn.count(_normal(r"$\tanh$")) == 1, "one tanh: the candidate"
    assert drawn.count(_normal(r"$\odot$")) == 3, "keep, write and reset"


@pytest.mark.parametrize("forget_gate", [True, False])
def test_constant_error_carousel_labels(forget_gate):
    drawn = _texts(diagrams.constant_error_carousel(steps=3, forget_gate=forget_gate))
    for label in ["$c_t$", "$c_{t-1}$", "$c_{t-2}$", "$c_{t-3}$", "$+$",
                  r"$i_t\odot\tilde c_t$"]:
        assert _normal(label) in drawn, label
    if forget_gate:
        for label in [r"$\times\,f_t$", r"$\times\,f_{t-1}$", r"$\times\,f_{t-2}$"]:
            assert _normal(label) in drawn, label
        assert any(_normal(r"\mathrm{diag}(f_t\odot f_{t-1}\odot f_{t-2})") in t for t in drawn)
    else:
        assert drawn.count(_normal(r"$\times\,1$")) == 3
        assert not [t for t in drawn if "f_" in t], "the 1997 cell has no forget gate"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_size_fonts_and_nothing_outside_the_axes(variant):
    func, kwargs = VARIANTS[variant]
    ax = func(**kwargs)
    fig = ax.figure
    assert fig.get_size_inches()[0] <= diagrams.MAX_WIDTH + 1e-9
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts
    small = [(t.get_text(), t.get_fontsize()) for t in texts
             if t.get_fontsize() < diagrams.MIN_FONT_SIZE]
    assert not small, f"text below {diagrams.MIN_FONT_SIZE} pt: {small}"
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    box = ax.get_window_extent(renderer)
    artists = [*ax.patches, *ax.lines, *ax.texts, *(ax.get_legend().get_texts()
                                                    if ax.get_legend() else [])]
    assert len(artists) > 10
    for artist in artists:
        extent = artist.get_window_extent(renderer)
        inside = (extent.x0 >= box.x0 - 0.5 and extent.x1 <= box.x1 + 0.5
                  and extent.y0 >= box.y0 - 0.5 and extent.y1 <= box.y1 + 0.5)
        assert inside, f"{artist} reaches outside the axes: {extent} not in {box}"


def test_palette_is_colour_blind_safe_and_distinct_in_greyscale():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert {diagrams.PALETTE["backward"], diagrams.PALETTE["highlight"]} <= okabe_ito

    def grey(hex_colour):
        r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    levels = sorted(grey(diagrams.PALETTE[k]) for k in ("forward", "highlight", "backward"))
    assert min(b - a for a, b in zip(levels, levels[1:])) > 25
    widths = diagrams.LINE_WIDTH
    assert widths["highlight"] > widths["backward"] > widths["forward"]


def test_drawing_into_a_given_axes_returns_it_and_changes_no_rcparams():
    before = dict(plt.rcParams)
    for func in FUNCTIONS:
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        assert func(ax=ax) is ax
        assert not ax.axison
    assert dict(plt.rcParams) == before


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("func, kwargs, match", [
    (diagrams.unrolled_rnn, {"T": 0}, "T must satisfy 1 <= T <= 5"),
    (diagrams.unrolled_rnn, {"T": 6}, "T must satisfy"),
    (diagrams.unrolled_rnn, {"T": 2.0}, "T must be an integer"),
    (diagrams.unrolled_rnn, {"T": True}, "T must be an integer"),
    (diagrams.unrolled_rnn, {"backward": "yes"}, "backward must be True or False"),
    (diagrams.unrolled_rnn, {"T": 4, "highlight_path": 4}, "highlight_path must satisfy"),
    (diagrams.unrolled_rnn, {"highlight_path": -1}, "highlight_path must satisfy"),
    (diagrams.unrolled_rnn, {"highlight_path": 1, "backward": False}, "need backward=True"),
    (diagrams.unrolled_rnn, {"product": (0, 2), "backward": False}, "need backward=True"),
    (diagrams.unrolled_rnn, {"product": (0, 2), "highlight_path": 1}, "not both"),
    (diagrams.unrolled_rnn, {"product": (2, 2)}, "needs j < k"),
    (diagrams.unrolled_rnn, {"T": 4, "product": (3, 1)}, "needs j < k"),
    (diagrams.unrolled_rnn, {"T": 4, "product": (0, 4)}, r"product\[1\] must satisfy"),
    (diagrams.unrolled_rnn, {"product": 3}, "product must be a pair"),
    (diagrams.unrolled_rnn, {"product": (0, 1, 2)}, "product must be a pair"),
    (diagrams.feedforward_chain, {"L": 1}, "L must satisfy 2 <= L <= 5"),
    (diagrams.feedforward_chain, {"L": 6}, "L must satisfy"),
    (diagrams.feedforward_chain, {"L": "4"}, "L must be an integer"),
    (diagrams.constant_error_carousel, {"steps": 5}, "steps must satisfy 2 <= steps <= 4"),
    (diagrams.constant_error_carousel, {"forget_gate": 1}, "forget_gate must be True or False"),
    *[(f, {"ax": "axes"}, "ax must be a matplotlib Axes or None") for f in FUNCTIONS],
])
def test_bad_arguments_raise_value_error(func, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(**kwargs)
