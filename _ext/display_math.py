r"""Display equations with their own ``\tag{...}`` typeset as Jupyter typesets them.

Sphinx's MathJax writer wraps a display equation that contains a line break ``\\`` (even one
inside a matrix) in ``\begin{split}...\end{split}``; MathJax then rejects a ``\tag`` inside
("\tag not allowed in split environment") and the reader sees a red error instead of the
equation, while the same ``$$ ... \tag{2.2} $$`` renders fine in Jupyter. For such equations
this extension asks Sphinx not to wrap (``nowrap``) and adds the display delimiters itself.

It also adds ``_ext/static/display-math.css``: an equation wider than the text column scrolls
sideways instead of being cut off on the left.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config

STATIC = Path(__file__).parent / "static"


def _wrapped_in_split(tex: str) -> bool:
    """One equation (no blank line) with a ``\\`` somewhere: Sphinx would use split."""
    parts = [p for p in tex.split("\n\n") if p.strip()]
    return len(parts) == 1 and r"\\" in parts[0]


def unwrap_tagged(app: Sphinx, doctree: nodes.document) -> None:
    left, right = app.config.mathjax_display
    for node in list(doctree.findall(nodes.math_block)):
        tex = node.astext()
        if node.get("nowrap") or r"\tag" not in tex or not _wrapped_in_split(tex):
            continue
        text = f"{left}{tex}{right}"
        new = nodes.math_block(text, text, **{**node.attributes, "nowrap": True})
        node.replace_self(new)


def add_static(app: Sphinx, config: Config) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", add_static)
    app.connect("doctree-read", unwrap_tagged)
    app.add_css_file("display-math.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
