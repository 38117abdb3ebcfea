"""The website's explorers: kernel-free, drawn when the book is built.

An explorer cell (``widgets.state_explorer()``) displays one output with three
representations (``rnngrad.widgets.ExplorerView``): the live widget, an HTML stand-in (the
picture at the default setting, marked with ``data-rnngrad-explorer``) and plain text. A live
widget on a static page would be drawn from its saved state, so its controls would move
while its picture never changed; ``nb_mime_priority_overrides`` in ``_config.yml`` therefore
drops the widget for the HTML builder, and myst-nb renders the stand-in. This extension
replaces each stand-in, when the page is read, by the explorer's kernel-free version
(``Explorer.static_html``: one picture per combination of its controls' values, drawn now,
switched by HTML controls), built from the same declaration and arguments as the live one.
Relative paths among the arguments (chapter 9 reads its data file) are taken from the page's
folder. The pictures are files, not inlined in the page, so a reader's browser fetches only
those it shows: they are written next to the doctrees (``<doctrees>/explorer-frames/``,
dropped with them, so a page whose doctree is kept keeps its pictures) and copied to
``_explorers/`` in the site when the build ends.

With no widget left on a page, the widgets' saved state (which myst-nb would embed, with every
picture the live view drew) and the widget manager's scripts are dropped from it too.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_STAND_IN = re.compile(r'<div class="rnngrad-explorer" data-rnngrad-explorer="([^"]+)"'
                       r' data-rnngrad-call="([^"]*)">')


FRAMES = "explorer-frames"     # under the doctree folder
SITE_FRAMES = "_explorers"     # under the site's root


def static_explorer(name: str, call: dict, folder: Path, frames: Path, url: str) -> str:
    """The kernel-free HTML of explorer ``name`` called with ``call`` (args, kwargs), with
    relative paths resolved from ``folder``; its pictures are written to ``frames/<i>.png``,
    which the page finds at ``url/<i>.png``."""
    from rnngrad import widgets

    if name not in widgets.EXPLORERS:
        raise ValueError(f"unknown explorer {name!r}; known: {sorted(widgets.EXPLORERS)}")
    args = [str(folder / a) if (folder / a).exists() else a for a in call.get("args", [])]
    spec = widgets.EXPLORERS[name](*args, **call.get("kwargs", {}))
    shutil.rmtree(frames, ignore_errors=True)
    frames.mkdir(parents=True)
    for i, png in enumerate(spec.website_frames()):
        (frames / f"{i}.png").write_bytes(png)
    return spec.static_html(f"{url}/{{}}.png", key=frames.name)


def replace_stand_ins(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    js_files = getattr(app.env, "nb_metadata", {}).get(docname, {}).get("js_files", {})
    for key in [k for k in js_files if k.startswith("ipywidgets_")]:   # myst-nb's keys
        del js_files[key]
    folder = Path(app.env.doc2path(docname)).parent
    up = "../" * docname.count("/") + ("../" if app.builder.name == "dirhtml" else "")
    count = 0
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", ""):
            continue
        match = _STAND_IN.search(raw.astext())
        if not match:
            continue
        name, call = match.group(1), json.loads(html.unescape(match.group(2)))
        key = f"{docname.replace('/', '-')}-{count}"
        count += 1
        try:
            text = static_explorer(name, call, folder, Path(app.doctreedir) / FRAMES / key,
                                   f"{up}{SITE_FRAMES}/{key}")
        except Exception as err:  # a broken explorer must fail the strict build, visibly
            logger.warning(f"explorer {name}: {err}", location=raw)
            continue
        raw.parent.replace(raw, nodes.raw("", text, format="html"))


def copy_frames(app: Sphinx, exception) -> None:
    """The pictures of every explorer into the site (``_explorers/``)."""
    source = Path(app.doctreedir) / FRAMES
    if exception is None and app.builder.format == "html" and source.is_dir():
        target = Path(app.outdir) / SITE_FRAMES
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", replace_stand_ins)
    app.connect("build-finished", copy_frames)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
