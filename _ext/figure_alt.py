"""Alt text for the figures that notebook cells draw.

myst-nb writes a notebook's image outputs as ``<img>`` without alt text, so Sphinx falls back
to the file name (a SHA-256 hash): useless to a screen reader. The course's convention is
that every plotting cell is a numbered figure, its caption in the cell's metadata
(``"mystnb": {"figure": {"caption": "...", "name": "fig-..."}}``; myst-nb wraps the output in
a figure with that caption). This extension gives each output image, in order of preference:

1. the alt text set explicitly in the cell's metadata, ``"mystnb": {"image": {"alt": "..."}}``
   (a myst-nb option; it wins, nothing is changed);
2. the first sentence of the figure's caption;
3. otherwise the first sentence of the paragraph just before the cell (the lead-in), with
   the section title.

Math in the text is kept as readable characters (``\\lVert W_\\mathrm{rec}\\rVert_2`` becomes
``‖W_rec‖_2``). The website's explorers (``_ext/explorers.py``) bring their own alt texts.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

MAX_CHARS = 300

#: TeX commands turned into characters (anything else loses its backslash).
_TEX = {
    r"\lVert": "‖", r"\rVert": "‖", r"\|": "‖", r"\Vert": "‖", r"\vert": "|",
    r"\lvert": "|", r"\rvert": "|", r"\partial": "∂", r"\nabla": "∇", r"\sigma": "σ",
    r"\phi": "φ", r"\varphi": "φ", r"\gamma": "γ", r"\theta": "θ", r"\lambda": "λ",
    r"\delta": "δ", r"\alpha": "α", r"\beta": "β", r"\eta": "η", r"\rho": "ρ",
    r"\tau": "τ", r"\epsilon": "ε", r"\varepsilon": "ε", r"\odot": "⊙", r"\cdot": "·",
    r"\times": "×", r"\le": "≤", r"\leq": "≤", r"\ge": "≥", r"\geq": "≥",
    r"\approx": "≈", r"\ne": "≠", r"\neq": "≠", r"\infty": "∞", r"\pm": "±",
    r"\prod": "∏", r"\sum": "∑", r"\dots": "…", r"\ldots": "…", r"\cdots": "⋯",
    r"\to": "→", r"\rightarrow": "→", r"\sim": "∼", r"\in": "∈", r"\max": "max",
    r"\min": "min", r"\tanh": "tanh", r"\log": "log", r"\exp": "exp",
}
# A control word ends at the first non-letter and swallows the spaces after it (as in TeX).
_TEX_RE = re.compile("|".join(re.escape(k) + (r"(?![A-Za-z])\s*" if k[-1].isalpha() else "")
                              for k in sorted(_TEX, key=len, reverse=True)))


def _symbol(m: re.Match) -> str:
    # Words and letters keep one following space (\gamma s -> "γ s"); symbols do not
    # (\lVert W -> "‖W").
    word = _TEX[m.group(0).rstrip()]
    return word + " " if word.isalpha() and m.group(0) != m.group(0).rstrip() else word


def tex_to_text(tex: str) -> str:
    """Readable characters for a TeX snippet (alt text is plain text)."""
    text = re.sub(r"\\(?:mathrm|mathbf|mathit|operatorname|text|textrm|boldsymbol)"
                  r"\s*\{([^{}]*)\}", r"\1", tex)
    for accent, mark in (("bar", "\u0304"), ("tilde", "\u0303"), ("hat", "\u0302"), ("vec", "\u20d7")):
        text = re.sub(rf"\\{accent}\s*(?:\{{\s*([A-Za-z])\s*\}}|([A-Za-z]))",
                      lambda m: (m.group(1) or m.group(2)) + mark, text)
    group = lambda t: t if len(t) <= 1 else f"({t})"  # noqa: E731
    text = re.sub(r"\\[td]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}",
                  lambda m: f"{group(m.group(1))}/{group(m.group(2))}", text)
    text = re.sub(r"\\[td]?frac\s*(\w)(\w)", r"\1/\2", text)
    text = re.sub(r"\\(?:big|Big|bigg|Bigg|left|right)(?![A-Za-z])", "", text)
    text = _TEX_RE.sub(_symbol, text)
    text = re.sub(r"\\[,;:! ]", " ", text)
    text = re.sub(r"\\([A-Za-z]+)\s*", r"\1", text)
    # Sub- and superscripts of more than one character keep their grouping: c_{t-1} -> c_(t-1).
    for _ in range(3):
        text = re.sub(r"([_^])\{([^{}]{2,})\}", r"\1(\2)", text)
        text = re.sub(r"\{([^{}]*)\}", r"\1", text)
    return text


def plain_text(node: nodes.Node) -> str:
    """The text of a node, math made readable and whitespace collapsed."""
    parts: list[str] = []
    for child in node.findall(lambda n: isinstance(n, (nodes.Text, nodes.math))):
        if isinstance(child, nodes.math):
            parts.append(tex_to_text(child.astext()))
        elif not isinstance(child.parent, nodes.math):
            parts.append(child.astext())
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def first_sentence(text: str, min_chars: int = 30) -> str:
    """Text up to the first full stop that ends a sentence after ``min_chars`` characters."""
    for m in re.finditer(r"[.!?](?=\s+[A-Z(]|$)", text):
        if m.end() >= min_chars:
            text = text[:m.end()]
            break
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit(" ", 1)[0] + "…"
    return text


def _sibling(node: nodes.Node, step: int) -> nodes.Node | None:
    parent = node.parent
    if parent is None:
        return None
    i = parent.index(node) + step
    while 0 <= i < len(parent):
        sib = parent[i]
        if not isinstance(sib, (nodes.target, nodes.comment, nodes.raw)):
            return sib
        i += step
    return None


def section_title(node: nodes.Node) -> str:
    while node is not None and not isinstance(node, nodes.section):
        node = node.parent
    if node is None:
        return ""
    title = node.next_node(nodes.title)
    return plain_text(title) if title is not None else ""


def describe(cell: nodes.Element, image: nodes.image, what: str) -> tuple[str, str]:
    """(alt text, where it came from) for an image output of a code cell."""
    meta = cell.get("cell_metadata") or {}
    explicit = ((meta.get("mystnb") or {}).get("image") or {}).get("alt")
    if explicit:
        return str(explicit), "metadata"
    figure = image.parent
    while figure is not None and figure is not cell and not isinstance(figure, nodes.figure):
        figure = figure.parent
    caption = figure.next_node(nodes.caption) if isinstance(figure, nodes.figure) else None
    if caption is not None:
        return first_sentence(plain_text(caption)), "caption"
    before = _sibling(cell, -1)
    lead = first_sentence(plain_text(before)) if isinstance(before, nodes.paragraph) else ""
    title = section_title(cell)
    prefix = f"{what} (section “{title}”)" if title else what
    return (f"{prefix}: {lead}" if lead else prefix), "lead-in"


def _code_cell(node: nodes.Node) -> nodes.Element | None:
    while node is not None:
        if isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
            return node
        node = node.parent
    return None


def set_alt_text(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    for image in list(doctree.findall(nodes.image)):
        cell = _code_cell(image)
        if cell is None or image.get("alt"):
            continue
        image["alt"], source = describe(cell, image, "Figure")
        logger.verbose(f"[figure_alt] {docname} cell {cell.get('cell_index')}: alt from "
                       f"{source}: {image['alt']}")


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", set_alt_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

