"""The website's explorers: kernel-free, drawn when the book is built.

An explorer cell (``widgets.state_explorer()``) displays one output with three
representations (``rnngrad.widgets.ExplorerView``): the live widget, an HTML stand-in (the
picture at the default setting, marked with ``data-rnngrad-explorer``) and plain text. A live
widget on a static page would be drawn from its saved state, so its controls would move
while its picture never changed; ``nb_mime_priority_overrides`` in ``_config.yml`` therefore
drops the widget for the HTML builder, and myst-nb renders the stand-in. This extension
replaces each stand-in, when the page is read, by the explorer's kernel-free version
(``Explorer.static_html``: pictures precomputed over the range of its main control, switched
by an HTML slider), built from the same declaration and arguments as the live one. Relative
paths among the arguments (chapter 9 reads its data file) are taken from the page's folder.

With no widget left on a page, the widgets' saved state (which myst-nb would embed, with every
picture the live view drew) and the widget manager's scripts are dropped from it too.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_STAND_IN = re.compile(r'<div class="rnngrad-explorer" data-rnngrad-explorer="([^"]+)"'
                       r' data-rnngrad-call="([^"]*)">')


def static_explorer(name: str, call: dict, folder: Path) -> str:
    """The kernel-free HTML of explorer ``name`` called with ``call`` (args, kwargs), with
    relative paths resolved from ``folder``."""
    from rnngrad import widgets

    if name not in widgets.EXPLORERS:
        raise ValueError(f"unknown explorer {name!r}; known: {sorted(widgets.EXPLORERS)}")
    args = [str(folder / a) if (folder / a).exists() else a for a in call.get("args", [])]
    spec = widgets.EXPLORERS[name](*args, **call.get("kwargs", {}))
    return spec.static_html(key=name)


def replace_stand_ins(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    js_files = getattr(app.env, "nb_metadata", {}).get(docname, {}).get("js_files", {})
    for key in [k for k in js_files if k.startswith("ipywidgets_")]:   # myst-nb's keys
        del js_files[key]
    folder = Path(app.env.doc2path(docname)).parent
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", ""):
            continue
        match = _STAND_IN.search(raw.astext())
        if not match:
            continue
        name, call = match.group(1), json.loads(html.unescape(match.group(2)))
        try:
            text = static_explorer(name, call, folder)
        except Exception as err:  # a broken explorer must fail the strict build, visibly
            logger.warning(f"explorer {name}: {err}", location=raw)
            continue
        raw.parent.replace(raw, nodes.raw("", text, format="html"))


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", replace_stand_ins)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
