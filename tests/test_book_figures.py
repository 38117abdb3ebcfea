"""Every figure of the book's chapters, as the notebooks store it: a numbered figure with one
caption style, sized for the text column, and no warning printed beside it.

(How each figure is drawn is checked in test_figure_style.py; this reads the stored notebooks.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rnngrad import style

BOOK = Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
IMAGES = ("image/svg+xml", "image/png", "image/jpeg")


def cells_with_figures(path: Path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        images = [o["data"] for o in cell.get("outputs", [])
                  if any(k in o.get("data", {}) for k in IMAGES)]
        if images:
            yield i, cell, images


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_is_numbered_and_captioned(path):
    for i, cell, images in cells_with_figures(path):
        figure = cell["metadata"].get("mystnb", {}).get("figure", {})
        assert figure.get("name", "").startswith("fig-"), f"cell {i}: no figure name"
        caption = figure.get("caption", "")
        assert len(caption) > 40 and caption.rstrip().endswith("."), f"cell {i}: caption {caption!r}"
        assert not caption.startswith(("*", "Figure")), f"cell {i}: the number is added by the book"
        assert len(images) == 1, f"cell {i}: {len(images)} images in one numbered figure"


def test_figure_names_are_unique():
    names = [cell["metadata"]["mystnb"]["figure"]["name"] for path in NOTEBOOKS
             for _, cell, _ in cells_with_figures(path)]
    assert names and len(names) == len(set(names))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_figures_are_svg_and_fit_the_column(path):
    for i, _, images in cells_with_figures(path):
        svg = "".join(images[0].get("image/svg+xml", ""))
        assert svg, f"cell {i}: stored as {sorted(images[0])}, not SVG (style.use() missing?)"
        width_pt = float(re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', svg).group(1))
        assert width_pt / 72 <= style.COLUMN_WIDTH, f"cell {i}: {width_pt / 72:.2f} in wide"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_warning_is_printed_in_the_book(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", ""))
            assert not re.search(r"\w+Warning:", text), f"cell {i}: {text[:200]}"


def test_prose_links_to_cell_figures_instead_of_numref():
    """jupyterlab-myst sees only Markdown cells: a {numref} to a figure named in a code cell's
    metadata shows there as a bare label. The prose links to it, [Figure 5.2](#fig-ch5-gates)
    (the book's build checks the number; _ext/figure_numbers.py)."""
    names = {cell["metadata"]["mystnb"]["figure"]["name"] for path in NOTEBOOKS
             for _, cell, _ in cells_with_figures(path)}
    for path in NOTEBOOKS:
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "markdown":
                refs = re.findall(r"\{numref\}`(?:[^`<]*<)?([\w-]+)>?`", "".join(cell["source"]))
                assert not names & set(refs), f"{path.stem} cell {i}: {{numref}} to {names & set(refs)}"
