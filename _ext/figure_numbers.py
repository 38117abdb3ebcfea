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

The prose refers to a plotting cell's figure with a Markdown link, ``[Figure 5.2](#fig-ch5-gates)``,
not with ``{numref}``: jupyterlab-myst, which renders the notebooks' Markdown in JupyterLab,
sees only Markdown cells, so a ``{numref}`` to a label in a code cell's metadata would show
there as a bare label with a warning sign, while a link shows its text. The text is written by
hand, so the build checks it: a link whose text is "Figure N.k" must point to the figure that
has that number (a warning otherwise, which fails the strict build). Captions, which only the
book shows, may use ``{numref}``.
"""

from __future__ import annotations

import copy
import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

CHAPTER = re.compile(r"(?:^|/)ch0*(\d+)_[^/]*$")
FIGURE_TEXT = re.compile(r"^Figure (\d+(?:\.\d+)*)$")


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


def figure_link_problems(doctree: nodes.Node, numbers: dict[str, str]) -> list[tuple[nodes.Node, str]]:
    """(link, problem) for every link in ``doctree`` whose text is "Figure N.k" but that does
    not point to the figure numbered N.k; ``numbers`` maps figure ids to their numbers."""
    problems = []
    for ref in doctree.findall(nodes.reference):
        m = FIGURE_TEXT.match(ref.astext().strip())
        if not m:
            continue
        anchor = ref.get("refid") or ref.get("refuri", "").rpartition("#")[2]
        if anchor not in numbers:
            problems.append((ref, f"link '{ref.astext()}' points to '#{anchor}', which is no "
                                  "numbered figure"))
        elif numbers[anchor] != m.group(1):
            problems.append((ref, f"link '{ref.astext()}' points to #{anchor}, which is Figure "
                                  f"{numbers[anchor]}: write that number (JupyterLab shows the "
                                  "link's text as written)"))
    return problems


def _check_figure_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    numbers = {fid: ".".join(map(str, number)) for kinds in app.env.toc_fignumbers.values()
               for fid, number in kinds.get("figure", {}).items()}
    for ref, problem in figure_link_problems(doctree, numbers):
        logger.warning(problem, location=ref)


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
    app.connect("doctree-resolved", _check_figure_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
