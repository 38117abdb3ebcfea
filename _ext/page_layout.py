"""The course's page layout: nothing scrolls sideways on a desktop page.

Adds ``_ext/static/page-layout.css``: on a desktop-wide window, code and printed output wrap
at the width of the text column (a soft wrap: copying a line copies it whole) instead of
needing a sideways scrollbar; on a phone they keep their own scroll box, so short lines are
not broken into fragments. It also lays out the errata page's entries (``erratum`` blocks).
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

STATIC = Path(__file__).parent / "static"


def add_static(app: Sphinx, config: Config) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", add_static)
    app.add_css_file("page-layout.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
