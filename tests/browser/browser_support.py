"""Helpers shared by the browser tests (plain functions; the fixtures are in conftest.py).

* ``toc_files()``: every document of _toc.yml; ``book_config()``: _config.yml;
  ``site_prefix()``: the path the site is published under.
* ``visit(page, url)``: open a page and record what a reader's browser did: every request
  and response, failed requests, JavaScript errors and console errors.

Imported as ``from browser_support import ...`` (pytest puts tests/browser/ on sys.path).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"


@functools.cache
def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def toc_files() -> list[str]:
    """Every document of _toc.yml (root, chapters, sections), without extension, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [str(Path(f).with_suffix("")) for f in files]


def site_prefix() -> str:
    """The path the site is published under: the path of html.baseurl (/course/ if unset)."""
    base = (book_config().get("html") or {}).get("baseurl") or ""
    path = urlsplit(base).path.strip("/")
    return f"/{path}/" if path else "/course/"


@dataclasses.dataclass
class Visit:
    """What the browser did while a page loaded."""

    url: str
    status: int | None = None
    responses: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    requests: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)
    js_errors: list[str] = dataclasses.field(default_factory=list)
    console_errors: list[str] = dataclasses.field(default_factory=list)

    def foreign_requests(self, origin: str) -> list[str]:
        """Requests over the network to anything but the test server."""
        return [u for u in self.requests
                if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                and not u.startswith(origin)]

    def bad_responses(self, allowed=(200,)) -> list[tuple[str, int]]:
        return [(u, s) for u, s in self.responses
                if urlsplit(u).scheme in ("http", "https") and s not in allowed]


def visit(page, url: str, *, wait: str = "networkidle") -> Visit:
    """Open ``url`` in ``page`` and record requests, responses and errors until it settles."""
    record = Visit(url)
    page.on("request", lambda r: record.requests.append(r.url))
    page.on("response", lambda r: record.responses.append((r.url, r.status)))
    page.on("requestfailed", lambda r: record.failed.append(f"{r.url}: {r.failure}"))
    page.on("pageerror", lambda e: record.js_errors.append(str(e)))
    page.on("console", lambda m: record.console_errors.append(f"{m.text} ({m.location})")
            if m.type == "error" else None)
    response = page.goto(url, wait_until=wait, timeout=60_000)
    record.status = response.status if response is not None else None
    return record
