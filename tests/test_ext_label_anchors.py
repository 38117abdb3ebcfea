"""Markdown links to a labelled section of another page (_ext/label_anchors.py)."""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
sys.path.insert(0, str(ROOT / "_ext"))
import label_anchors  # noqa: E402

LINK = re.compile(r"\]\((?P<page>[\w./-]+\.(?:ipynb|md))#(?P<label>[^)\s]+)\)")
TARGET = re.compile(r"^\((\S+)\)=\s*$", re.M)


def test_section_labels_become_anchors_of_their_page():
    labels = {"ch1-sigma-bound": ("book/ch01_deep_networks", "ch1-sigma-bound",
                                  "Why the sigmoid's derivative is at most 1/4"),
              "la-products": ("book/linear_algebra", "la-products", "Products"),
              "fig-la-svd": ("book/linear_algebra", "fig-la-svd", "")}   # no section
    assert label_anchors.section_labels(labels) == {
        "book/ch01_deep_networks": {"ch1-sigma-bound": (0, "ch1-sigma-bound",
                                    "Why the sigmoid's derivative is at most 1/4")},
        "book/linear_algebra": {"la-products": (0, "la-products", "Products")}}


def _prose(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_every_link_to_a_section_names_a_label_of_that_page():
    pages = sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md"))
    links = [(p.name, m["page"], m["label"]) for p in pages for m in LINK.finditer(_prose(p))]
    assert len(links) >= 10
    wrong = [f"{where}: {page}#{label}" for where, page, label in links
             if label not in TARGET.findall(_prose(BOOK / page))]
    assert not wrong, wrong
