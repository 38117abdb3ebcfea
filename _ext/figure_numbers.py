"""Figures numbered by chapter: the second figure of chapter 5 is "Figure 5.2".

Every figure with a caption is numbered (``numfig``): the chapters' plotting cells through
myst-nb's cell metadata ``"mystnb": {"figure": {"caption": ..., "name": "fig-..."}}``, and
``{figure}`` directives. Sphinx numbers figures by section when the toctree is numbered; the
book's is not (its parts would restart the count, and its headings carry no numbers), so
Sphinx counts the figures of the whole book in one sequence ("Figure 17" in chapter 5). This
extension renumbers them per page, in page order, with the chapter's number in front for the
chapters (``book/chNN_*``: "Figure 5.2"); other pages count from 1 ("Figure 1"). The same
holds for every other numbered kind (sphinx-exercise's exercises: "Exercise 5.4", the fourth
of chapter 5). ``{numref}`` and the captions both show the new numbers (``numfig_format`` in
``_config.yml`` says "Figure %s").

Sphinx compares each build's numbers with the last build's to decide which pages to write
again; it is shown its own numbers, so an unchanged page is not rewritten.
"""

from __future__ import annotations

import copy
import re

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

CHAPTER = re.compile(r"(?:^|/)ch0*(\d+)_[^/]*$")


def chapter_number(docname: str) -> int | None:
    """5 for 'book/ch05_lstm_cell', None for a page that is no chapter."""
    m = CHAPTER.search(docname)
    return int(m.group(1)) if m else None


def renumber(fignumbers: dict) -> dict:
    """Per page, in the order Sphinx counted them: (chapter, k) on a chapter, (k,) elsewhere."""
    out = {}
    for docname, kinds in fignumbers.items():
        chapter = chapter_number(docname)
        prefix = () if chapter is None else (chapter,)
        out[docname] = {
            figtype: {fid: (*prefix, rank) for rank, fid in
                      enumerate(sorted(numbers, key=lambda f: numbers[f]), start=1)}
            for figtype, numbers in kinds.items()}
    return out


def _show_sphinx_its_numbers(app: Sphinx, env: BuildEnvironment) -> list[str]:
    raw = getattr(env, "rnngrad_raw_fignumbers", None)
    if raw is not None:
        env.toc_fignumbers = copy.deepcopy(raw)
    return []


def _number_by_chapter(app: Sphinx, env: BuildEnvironment) -> list[str]:
    env.rnngrad_raw_fignumbers = copy.deepcopy(env.toc_fignumbers)
    env.toc_fignumbers = renumber(env.toc_fignumbers)
    return []


def setup(app: Sphinx) -> dict:
    # Sphinx assigns the numbers in an env-get-updated handler of priority 500.
    app.connect("env-get-updated", _show_sphinx_its_numbers, priority=400)
    app.connect("env-get-updated", _number_by_chapter, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
