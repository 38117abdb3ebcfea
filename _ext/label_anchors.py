"""Markdown links to a labelled section of another page: ``[the proof](ch01_deep_networks.ipynb#ch1-sigma-bound)``.

The chapters link to each other with Markdown links, which jupyterlab-myst follows in
JupyterLab (a ``{ref}`` there resolves only inside its own notebook). MyST resolves the
``#…`` part of such a link against the target page's heading anchors only, and the book
turns those off (their slugs would change with every heading's wording). This extension lets
the ``#…`` part name a label instead: after reading, every label ``(name)=`` that stands above
a heading is added to the anchors of its page, pointing to that section, so the link goes to
the section and a misspelt label still fails the strict build ("local id not found").
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


def section_labels(labels: dict) -> dict[str, dict[str, tuple]]:
    """docname -> {label: (0, section id, section title)} from the std domain's ``labels``
    (label -> (docname, id, title)); labels without a title (not on a section) are left out."""
    out: dict[str, dict[str, tuple]] = {}
    for name, (docname, node_id, title) in labels.items():
        if title:
            out.setdefault(docname, {})[name] = (0, node_id, title)
    return out


def _add_label_anchors(app: Sphinx, env: BuildEnvironment) -> list[str]:
    for docname, anchors in section_labels(env.get_domain("std").labels).items():
        if docname in env.metadata:
            slugs = env.metadata[docname].setdefault("myst_slugs", {})
            for name, value in anchors.items():
                slugs.setdefault(name, value)
    return []


def setup(app: Sphinx) -> dict:
    app.connect("env-updated", _add_label_anchors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
