"""Every page of the built book, opened in headless Chromium the way a reader opens it.

For each page of _toc.yml (plus search and the index) the test checks that:

* the page and every file it loads answer 200, all from the test server: a request to any
  other host fails the test (the pages must work offline, without CDNs);
* no JavaScript error is thrown and nothing is logged to the console as an error;
* MathJax typeset every formula (each ``.math`` element holds an ``mjx-container``), with no
  TeX error (``mjx-merror``, ``data-mjx-error``), no raw TeX left in the prose, and no display
  equation cut off at the edge of the text column;
* every embedded ipywidget view (explorer) was drawn by the widget manager, not left blank;
* every image loaded (naturalWidth > 0) and has alt text that says something (not empty,
  not a file name or a hash);
* on notebook pages, the Binder and Colab buttons open this page's own notebook
  (``book/<name>.ipynb``; Binder with ``urlpath=lab/tree/book/<name>.ipynb``);
* every local link answers 200 and every ``#anchor`` exists on its target page, and local
  URLs are relative (so the site works under any sub-path).

A full-page screenshot of each page goes to ``_build/screenshots/<page>.png``.
Separate tests open the landing page, the site served under a sub-path, and the 404 page.
"""

from __future__ import annotations

import html.parser
import posixpath
import re
import urllib.error
import urllib.request
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import pytest

from browser_support import HTML, ROOT, SHOTS, book_config, site_prefix, toc_files, visit

PAGES = toc_files()
EXTRA_PAGES = ["search", "genindex"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def is_notebook(page: str) -> bool:
    return (ROOT / f"{page}.ipynb").is_file()


# --------------------------------------------------------------------------- in the page

WAIT_FOR_MATHJAX = """async () => {
  if (!document.querySelector('.math')) return 'no math';
  const t0 = Date.now();
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    if (Date.now() - t0 > 30000) return 'MathJax did not load';
    await new Promise(r => setTimeout(r, 100));
  }
  await MathJax.startup.promise;
  return 'ok';
}"""

MATH_REPORT = r"""() => {
  const math = [...document.querySelectorAll('.math')];
  const untypeset = math.filter(el => !el.querySelector('mjx-container'))
                        .map(el => el.textContent.trim().slice(0, 100));
  const errors = [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
      .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 100));
  const stray = [];
  const tex = /\\\(|\\\[|\$\$|\$\\[A-Za-z]|\\begin\{/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('pre, code, script, style, textarea, mjx-container, .highlight'))
      continue;
    if (tex.test(node.textContent)) stray.push(node.textContent.trim().slice(0, 100));
  }
  const cut = [...document.querySelectorAll('div.math')].filter(div => {
    const box = div.getBoundingClientRect(), eq = div.querySelector('mjx-container');
    if (!eq || box.width === 0) return false;
    const r = eq.getBoundingClientRect();
    return r.left < box.left - 1 || r.right > box.right + 1;
  }).map(div => div.textContent.trim().slice(0, 100));
  return {math: math.length, containers: document.querySelectorAll('mjx-container').length,
          untypeset, errors, stray, cut};
}"""

WIDGETS_DRAWN = """(sel) => [...document.querySelectorAll(sel)].every(tag => {
  const area = tag.parentElement.querySelector('.widget-subarea');
  if (!area || !area.querySelector('.jupyter-widgets')) return false;
  const box = area.getBoundingClientRect();
  return box.width > 50 && box.height > 50;
})"""

WIDGET_REPORT = """(sel) => [...document.querySelectorAll(sel)].map(tag => {
  const area = tag.parentElement.querySelector('.widget-subarea');
  const box = area ? area.getBoundingClientRect() : {width: 0, height: 0};
  return {drawn: !!area && !!area.querySelector('.jupyter-widgets'),
          width: Math.round(box.width), height: Math.round(box.height),
          controls: area ? area.querySelectorAll('.widget-slider, .widget-dropdown, '
              + '.widget-toggle-buttons, .widget-checkbox, .widget-radio-box').length : 0};
})"""

IMAGES = """async () => {
  const imgs = [...document.images];
  const settle = img => img.complete ? null : new Promise(r => {
    img.addEventListener('load', r); img.addEventListener('error', r); setTimeout(r, 15000); });
  await Promise.all(imgs.map(settle));
  return imgs.map(img => ({src: img.currentSrc || img.src, alt: img.getAttribute('alt'),
                           width: img.naturalWidth}));
}"""

URL_ATTRIBUTES = """() => {
  const out = [];
  for (const [sel, attr] of [['a[href]', 'href'], ['link[href]', 'href'],
                             ['script[src]', 'src'], ['img[src]', 'src']]) {
    for (const el of document.querySelectorAll(sel))
      out.push({attr: el.getAttribute(attr), resolved: el[attr], tag: el.tagName.toLowerCase()});
  }
  return out;
}"""


# --------------------------------------------------------------------------- outside the page

class _Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" or (tag == "a" and key == "name"):
                self.ids.add(value or "")


_FETCHED: dict[str, tuple[int, set[str]]] = {}


def fetch(url: str) -> tuple[int, set[str]]:
    """(status, ids of the elements) of a local URL, cached for the session."""
    if url not in _FETCHED:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                status, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, b"", ""
        anchors = _Anchors()
        if "html" in ctype:
            anchors.feed(body.decode("utf-8", "replace"))
        _FETCHED[url] = (status, anchors.ids)
    return _FETCHED[url]


def bad_alt(alt: str | None, src: str) -> str | None:
    """Why an alt text says nothing, or None if it is fine."""
    if alt is None:
        return "no alt attribute"
    text = alt.strip()
    if not text:
        return "empty alt"
    if urlsplit(src).scheme in ("http", "https"):
        name = posixpath.basename(urlsplit(src).path)
        if name and name in text:
            return "alt is the file name"
    if re.fullmatch(r"\S*\.(png|jpe?g|gif|svg|webp)", text, re.I):
        return "alt is a file name"
    if re.search(r"\b[0-9a-f]{24,}\b", text):
        return "alt is a hash"
    if len(text) < 8:
        return "alt too short to describe anything"
    return None


def launch_urls(page_path: str) -> tuple[str, str]:
    """The Binder and Colab addresses that open this page's notebook (from _config.yml)."""
    cfg = book_config()
    repo = cfg["repository"]["url"].rstrip("/")
    org_repo = urlsplit(repo).path.strip("/")
    branch = cfg["repository"].get("branch", "main")
    book_path = (cfg["repository"].get("path_to_book") or "").strip("/")
    notebook = posixpath.join(book_path, f"{page_path}.ipynb") if book_path else f"{page_path}.ipynb"
    launch = cfg["launch_buttons"]
    ui = "lab/tree" if launch.get("notebook_interface", "classic") == "jupyterlab" else "tree"
    binder = f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{org_repo}/{branch}?urlpath={ui}/{notebook}"
    colab = f"{launch['colab_url'].rstrip('/')}/github/{org_repo}/blob/{branch}/{notebook}"
    return binder, colab


def check_page(page, url: str, origin: str, *, page_path: str | None = None,
               status: int = 200, relative_urls: bool = True,
               screenshot: str | None = None) -> list[str]:
    """Open ``url`` and return every problem a reader would meet (empty list: all good)."""
    problems: list[str] = []
    record = visit(page, url)
    if record.status != status:
        problems.append(f"page answered {record.status}, expected {status}")
    for foreign in record.foreign_requests(origin):
        problems.append(f"request to another host (the page needs the internet): {foreign}")
    for u, s in record.bad_responses():
        if not (u == record.url and s == status):
            problems.append(f"HTTP {s} for {u}")
    problems += [f"request failed: {f}" for f in record.failed]
    problems += [f"JavaScript error: {e}" for e in record.js_errors]
    problems += [f"console error: {e}" for e in record.console_errors
                 if not (status != 200 and f"status of {status}" in e and record.url in e)]

    # Formulas.
    state = page.evaluate(WAIT_FOR_MATHJAX)
    if state not in ("ok", "no math"):
        problems.append(state)
    math = page.evaluate(MATH_REPORT)
    problems += [f"formula not typeset by MathJax: {t!r}" for t in math["untypeset"]]
    problems += [f"MathJax error: {e!r}" for e in math["errors"]]
    problems += [f"raw TeX left in the text: {t!r}" for t in math["stray"]]
    problems += [f"display equation cut off (wider than its box): {t!r}" for t in math["cut"]]
    if math["containers"] < math["math"]:
        problems.append(f"{math['math']} formulas but only {math['containers']} typeset")

    # Explorers (ipywidget views stored in the page).
    selector = f'script[type="{WIDGET_VIEW}"]'
    n_views = page.locator(selector).count()
    if n_views:
        try:
            page.wait_for_function(WIDGETS_DRAWN, arg=selector, timeout=30_000)
        except Exception:  # noqa: BLE001 - reported below with the details
            pass
        for i, view in enumerate(page.evaluate(WIDGET_REPORT, selector)):
            if not (view["drawn"] and view["width"] > 50 and view["height"] > 50):
                problems.append(f"widget view {i} not drawn (blank): {view}")
        body = page.inner_text("body")
        for message in ("Error displaying widget", "Failed to load model class",
                        "Could not create a view"):
            if message in body:
                problems.append(f"widget manager says: {message}")

    # Images (after the widgets, which draw images of their own).
    for img in page.evaluate(IMAGES):
        short = img["src"][:100]
        if img["width"] == 0:
            problems.append(f"image did not load: {short}")
        why = bad_alt(img["alt"], img["src"])
        if why:
            problems.append(f"image without meaningful alt text ({why}): {short} alt={img['alt']!r}")

    # Launch buttons (the header's launch menu; links in the text may name these sites).
    if page_path is not None:
        binder_links = page.eval_on_selector_all(
            '.dropdown-launch-buttons a[href*="mybinder.org"], .dropdown-launch-buttons '
            'a[href*="/v2/gh/"]', "els => els.map(e => e.href)")
        colab_links = page.eval_on_selector_all(
            '.dropdown-launch-buttons a[href*="colab.research.google.com"]',
            "els => els.map(e => e.href)")
        if is_notebook(page_path):
            binder, colab = launch_urls(page_path)
            if binder_links != [binder]:
                problems.append(f"Binder button {binder_links}, expected [{binder}]")
            if colab_links != [colab]:
                problems.append(f"Colab button {colab_links}, expected [{colab}]")
        elif binder_links or colab_links:
            problems.append(f"launch buttons on a page that is no notebook: "
                            f"{binder_links + colab_links}")

    # Links and local URLs.
    for item in page.evaluate(URL_ATTRIBUTES):
        raw, resolved = item["attr"] or "", item["resolved"] or ""
        if not resolved.startswith(origin):
            continue
        if relative_urls and (raw.startswith("/") or raw.startswith(origin)):
            problems.append(f"root-absolute local URL (breaks under a sub-path): "
                            f"<{item['tag']}> {raw}")
        if item["tag"] != "a":
            continue  # loaded resources are checked through the responses above
        parts = urlsplit(resolved)
        target = urlunsplit(parts._replace(fragment=""))
        if target == urlunsplit(urlsplit(page.url)._replace(fragment="")):
            code = status  # this very page: its anchors are looked up in the live page
            ids = set(page.eval_on_selector_all("[id], a[name]",
                                                "els => els.map(e => e.id || e.name)"))
        else:
            code, ids = fetch(target)
        if code != (status if target == page.url.split("#")[0] else 200):
            problems.append(f"broken link ({code}): {raw}")
        elif parts.fragment and unquote(parts.fragment) not in ids:
            problems.append(f"link to a missing anchor: {raw}")

    if screenshot:
        SHOTS.joinpath(screenshot).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / screenshot), full_page=True)
    return sorted(set(problems), key=problems.index)


def _report(problems: list[str]) -> str:
    return "\n".join(["", *problems])


# --------------------------------------------------------------------------- tests


def test_every_toc_page_is_built(built_site):
    missing = [p for p in PAGES if not (built_site / f"{p}.html").is_file()]
    assert not missing, f"in _toc.yml but not built: {missing}"


@pytest.mark.parametrize("page_path", PAGES + EXTRA_PAGES)
def test_page(page, site_url, page_path):
    problems = check_page(page, urljoin(site_url, f"{page_path}.html"), site_url,
                          page_path=page_path if page_path in PAGES else None,
                          screenshot=f"{page_path}.png")
    assert not problems, _report(problems)


def test_pages_load_their_javascript_from_the_site():
    """MathJax is served from _static/vendored/; no page carries a live widget (its saved
    state or the widget manager): the website's explorers are kernel-free."""
    math_pages = [p for p in PAGES if 'class="math' in (HTML / f"{p}.html").read_text("utf-8")]
    explorer_pages = [p for p in PAGES
                      if "rnngrad-static-explorer" in (HTML / f"{p}.html").read_text("utf-8")]
    assert math_pages and len(explorer_pages) >= 10
    hint = "check that sphinx-mathjax-offline is installed"
    for p in math_pages:
        text = (HTML / f"{p}.html").read_text("utf-8")
        assert "_static/vendored/mathjax/tex-chtml.js" in text, f"{p}: MathJax not local; {hint}"
    for p in PAGES:
        text = (HTML / f"{p}.html").read_text("utf-8")
        assert WIDGET_VIEW not in text and "widget-state+json" not in text, \
            f"{p}: a live widget (or its saved state) is on the page"
        assert "embed-amd.js" not in text, f"{p}: the widget manager is loaded for nothing"
        assert "thebe" not in text.lower(), f"{p}: Thebe is loaded again (see _ext/thebe_off.py)"


def test_landing_page_opens_the_introduction(page, site_url):
    record = visit(page, site_url)
    page.wait_for_url(f"{site_url}{PAGES[0]}.html", timeout=10_000)
    assert page.locator("h1").count() >= 1
    assert not record.foreign_requests(site_url) and not record.js_errors


def test_site_works_under_a_subpath(page, subpath_url):
    """The site copied under /<prefix>/: a chapter with formulas and an explorer still works."""
    origin = subpath_url
    chapter = next(p for p in PAGES
                   if "rnngrad-static-explorer" in (HTML / f"{p}.html").read_text("utf-8"))
    problems = check_page(page, urljoin(subpath_url, f"{chapter}.html"), origin,
                          page_path=chapter)
    assert not problems, _report(problems)
    visit(page, subpath_url)
    page.wait_for_url(f"{subpath_url}{PAGES[0]}.html", timeout=10_000)


def test_404_page(page, subpath_url):
    """A missing address gets the course's 404 page, with its styles and working links."""
    assert book_config()["sphinx"]["config"]["notfound_urls_prefix"] == site_prefix(), \
        "notfound_urls_prefix must be the path of html.baseurl"
    origin = subpath_url.split(site_prefix())[0] + "/"
    problems = check_page(page, urljoin(subpath_url, "book/no/such/page.html"), origin,
                          status=404, relative_urls=False, screenshot="404.png")
    assert not problems, _report(problems)
    assert "not found" in page.inner_text("main, body").lower()
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert urljoin(subpath_url, f"{PAGES[0]}.html") in links, "no link to the course's start"
