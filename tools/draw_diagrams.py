"""Write the book's diagrams, book/figures/diagrams/<name>.svg, from rnngrad.diagrams.

    .venv/bin/python tools/draw_diagrams.py           # rewrite every diagram (make diagrams)
    .venv/bin/python tools/draw_diagrams.py --check   # exit 1 if a file differs from this script

The chapters show these files in MyST figures (markdown cells, no code), so the pictures do
not depend on executing the notebooks. The output is deterministic: matplotlib's default
style, no date in the metadata, a fixed salt for the SVG ids, and text stored as paths (the
files render without the fonts). tests/test_diagrams.py redraws each one and compares bytes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from rnngrad import diagrams  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "figures" / "diagrams"

#: file name (without .svg) -> (diagram function, keyword arguments); chapter in the comment.
FIGURES = {
    "feedforward_chain": (diagrams.feedforward_chain, {}),                     # ch. 1
    "unrolled_rnn": (diagrams.unrolled_rnn, {"T": 3}),                         # ch. 2
    "unrolled_rnn_path": (diagrams.unrolled_rnn, {"T": 3, "highlight_path": 1}),  # ch. 3
    "unrolled_rnn_product": (diagrams.unrolled_rnn, {"T": 3, "product": (0, 2)}),  # ch. 4
    "lstm_cell": (diagrams.lstm_cell, {}),                                     # ch. 5
    "constant_error_carousel_1997": (diagrams.constant_error_carousel,         # ch. 5
                                     {"forget_gate": False}),
    "lstm_backward_paths": (diagrams.lstm_backward_paths, {}),                 # ch. 6
    "constant_error_carousel": (diagrams.constant_error_carousel, {}),         # ch. 7
    "gru_cell": (diagrams.gru_cell, {}),                                       # the GRU chapter
}

#: Settings that make the SVG bytes reproducible (on top of matplotlib's default style).
SVG_RC = {"svg.hashsalt": "rnngrad-diagrams", "svg.fonttype": "path"}


def draw(name: str, out_dir: Path = OUT) -> Path:
    """Write the diagram ``name`` of FIGURES to ``out_dir``/<name>.svg and return the path."""
    if name not in FIGURES:
        raise ValueError(f"unknown diagram {name!r}; the diagrams are {sorted(FIGURES)}")
    func, kwargs = FIGURES[name]
    path = Path(out_dir) / f"{name}.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.style.context("default"), matplotlib.rc_context(SVG_RC):
        fig = func(**kwargs).figure
        try:
            fig.savefig(path, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed files instead of writing them")
    args = parser.parse_args(argv)
    if not args.check:
        for name in FIGURES:
            print(draw(name).relative_to(ROOT))
        return 0
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in FIGURES:
            fresh, committed = draw(name, Path(tmp)), OUT / f"{name}.svg"
            if not committed.exists() or committed.read_bytes() != fresh.read_bytes():
                stale.append(committed.relative_to(ROOT))
    for path in stale:
        print(f"{path} differs from tools/draw_diagrams.py: run `make diagrams`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
