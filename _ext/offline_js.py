"""Serve the JavaScript the pages need from the site itself, so the book reads offline.

By default the built pages load three things from CDNs: MathJax 3 (the formulas),
require.js and the ipywidgets HTML manager ``@jupyter-widgets/html-manager`` (the static
snapshots of the explorers). This extension points the pages at local copies under
``_static/vendored/`` and copies them there when the build finishes:

* MathJax 3 (``tex-chtml.js``, its lazily loaded components and its woff fonts) from the
  PyPI package ``sphinx-mathjax-offline`` (pinned in requirements.txt);
* require.js and ``embed-amd.js`` (with the Font Awesome fonts it loads) from the npm
  packages pinned in ``tools/vendor/package-lock.json``, installed by ``make vendor``
  (``npm ci``) into ``tools/vendor/node_modules``.

On pages with explorers it also loads ``_ext/static/widgets-setup.js`` between require.js
and the widget manager (in both cases): it tells require.js where the manager's files are
(its icon fonts) and lets the manager's MathJax 2 calls reach MathJax 3.

Whatever is missing (no ``sphinx-mathjax-offline``, or no ``npm`` so ``make vendor`` could not
install the npm packages) falls back to the CDN defaults, with a notice in the build log
(a notice, not a warning: the strict build ``-W`` still passes, and the browser tests, which
forbid requests to other hosts, report the fallback as a failure).
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
#: npm packages installed by ``make vendor`` (relative to the book's root).
NODE_MODULES = Path("tools", "vendor", "node_modules")
REQUIREJS = NODE_MODULES / "requirejs" / "require.js"
HTML_MANAGER_DIST = NODE_MODULES / "@jupyter-widgets" / "html-manager" / "dist"
#: Files of the html-manager's dist/ the pages need: the AMD bundle and the fonts it loads.
WIDGET_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")
#: Course JavaScript (copied to _static/ as it is).
STATIC = Path(__file__).parent / "static"
SETUP_JS = "widgets-setup.js"
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
    """Point mathjax_path and myst-nb's widget scripts at the local copies, if present."""
    root = Path(app.confdir)
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

    embed = root / HTML_MANAGER_DIST / "embed-amd.js"
    requirejs = root / REQUIREJS
    if not (embed.is_file() and requirejs.is_file()):
        _notice("require.js and the ipywidgets HTML manager",
                f"{NODE_MODULES}/ is not installed: run `make vendor` (needs npm)")
        cdn = dict(config.nb_ipywidgets_js)
        embed_url = next(url for url in cdn if url.endswith("embed-amd.js"))
        config.nb_ipywidgets_js = {
            **{url: attrs for url, attrs in cdn.items() if url != embed_url},
            SETUP_JS: {"data-html-manager-dist": embed_url.rsplit("/", 1)[0] + "/"},
            embed_url: cdn[embed_url],
        }
    else:
        # myst-nb adds these scripts (URL -> attributes) on pages with widgets; a relative
        # URL is resolved under _static/ and written relative to each page.
        config.nb_ipywidgets_js = {
            f"{VENDOR_URL}/widgets/require.js": {},
            SETUP_JS: {"data-html-manager-dist": f"{VENDOR_URL}/widgets/"},
            f"{VENDOR_URL}/widgets/embed-amd.js": {},
        }
        app.offline_js_sources["widgets/require.js"] = requirejs
        app.offline_js_sources["widgets"] = root / HTML_MANAGER_DIST
        logger.info(f"[offline_js] require.js and embed-amd.js from {root / NODE_MODULES}")


def _copy_mathjax(src: Path, dest: Path) -> None:
    for item in src.iterdir():
        if item.is_dir():
            shutil.copytree(item, dest / item.name, dirs_exist_ok=True)
    shutil.copy2(src / MATHJAX_ENTRY, dest / MATHJAX_ENTRY)


def _copy_widgets(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "embed-amd.js", dest / "embed-amd.js")
    for item in src.iterdir():
        if item.suffix in WIDGET_SUFFIXES:
            shutil.copy2(item, dest / item.name)


def copy_files(app: Sphinx, exc: Exception | None) -> None:
    """Copy the vendored files into _static/vendored/ of an HTML build."""
    if exc is not None or app.builder.format != "html":
        return
    out = Path(app.outdir, "_static", VENDOR_URL)
    sources = getattr(app, "offline_js_sources", {})
    if "mathjax" in sources:
        _copy_mathjax(sources["mathjax"], out / "mathjax")
    if "widgets" in sources:
        _copy_widgets(sources["widgets"], out / "widgets")
        shutil.copy2(sources["widgets/require.js"], out / "widgets" / "require.js")


def setup(app: Sphinx) -> dict:
    # After the extensions' own defaults (myst-nb, sphinx.ext.mathjax) are registered.
    app.connect("config-inited", configure, priority=900)
    app.connect("build-finished", copy_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
