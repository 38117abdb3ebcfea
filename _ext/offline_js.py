"""Serve the JavaScript the pages need from the site itself, so the book reads offline.

By default the built pages load MathJax 3 (the formulas) from a CDN. This extension points
the pages at a local copy under ``_static/vendored/`` and copies it there when the build
finishes: ``tex-chtml.js``, its lazily loaded components and its woff fonts, from the PyPI
package ``sphinx-mathjax-offline`` (pinned in requirements.txt). (The pages load no widget
JavaScript: their explorers are kernel-free, see ``_ext/explorers.py``.)

Without ``sphinx-mathjax-offline`` the pages fall back to the CDN, with a notice in the
build log (a notice, not a warning: the strict build ``-W`` still passes, and the browser
tests, which forbid requests to other hosts, report the fallback as a failure).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Output folder, under the site's ``_static/`` (not ``vendor/``: the theme uses that one).
VENDOR_URL = "vendored"
#: Course stylesheets (copied to _static/ as they are).
STATIC = Path(__file__).parent / "static"
#: The one MathJax bundle used (TeX in, CommonHTML out); other top-level bundles are skipped.
MATHJAX_ENTRY = "tex-chtml.js"


def _mathjax_dir() -> Path | None:
    """MathJax 3's ``es5`` folder shipped by the PyPI package sphinx-mathjax-offline."""
    try:
        spec = importlib.util.find_spec("sphinx-mathjax-offline")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location, "static", "mathjax")
        if (candidate / MATHJAX_ENTRY).is_file():
            return candidate
    return None


def _notice(what: str, why: str) -> None:
    logger.info(f"[offline_js] NOTICE: {what} will load from a CDN ({why}); "
                "the pages then need the internet.", color="yellow")


def configure(app: Sphinx, config: Config) -> None:
    """Point mathjax_path at the local copy, if present."""
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))
    app.offline_js_sources = {}  # output folder under _static/vendored -> source

    mathjax = _mathjax_dir()
    if mathjax is None:
        _notice("MathJax", "the PyPI package sphinx-mathjax-offline is not installed")
    else:
        config.mathjax_path = f"{VENDOR_URL}/mathjax/{MATHJAX_ENTRY}"
        app.offline_js_sources["mathjax"] = mathjax
        logger.info(f"[offline_js] MathJax from {mathjax}")


def _copy_mathjax(src: Path, dest: Path) -> None:
    for item in src.iterdir():
        if item.is_dir():
            shutil.copytree(item, dest / item.name, dirs_exist_ok=True)
    shutil.copy2(src / MATHJAX_ENTRY, dest / MATHJAX_ENTRY)


def copy_files(app: Sphinx, exc: Exception | None) -> None:
    """Copy the vendored files into _static/vendored/ of an HTML build."""
    if exc is not None or app.builder.format != "html":
        return
    out = Path(app.outdir, "_static", VENDOR_URL)
    sources = getattr(app, "offline_js_sources", {})
    if "mathjax" in sources:
        _copy_mathjax(sources["mathjax"], out / "mathjax")


def setup(app: Sphinx) -> dict:
    # After the extensions' own defaults (myst-nb, sphinx.ext.mathjax) are registered.
    app.connect("config-inited", configure, priority=900)
    app.connect("build-finished", copy_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
