"""Tables of the chapters, shown as tables: a Markdown table on the page, aligned text elsewhere.

A :class:`Table` displayed in a notebook gives Jupyter two forms: ``text/markdown`` (a real
table: the book renders it with the page's table style, and headers may hold TeX math) and
``text/plain`` (aligned columns, for a terminal).
Every cell is text computed from the results; nothing is typed in by hand.

* :func:`single_path_errors`: chapter 3's relative error of eq. (1) over T and ‖W_rec‖₂;
* :func:`success`: chapter 9's solved runs per model and lag, with each model's reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Table", "single_path_errors", "success"]


def _cell(c) -> tuple[str, str]:
    """(Markdown, plain text) of a cell given as a string or as such a pair."""
    if isinstance(c, str):
        return c, c
    if isinstance(c, tuple) and len(c) == 2 and all(isinstance(x, str) for x in c):
        return c
    raise ValueError(f"a table cell must be a str or a (markdown, plain text) pair of str, got {c!r}")


@dataclass(frozen=True)
class Table:
    """A table: ``header`` and ``rows`` of cells, each a string or a (Markdown, plain text)
    pair (math for the page, characters for a terminal). The first column is aligned left,
    the others right (numbers). ``title`` (optional) is set in bold above the table."""

    header: tuple
    rows: tuple
    title: str = ""

    def __post_init__(self):
        header = tuple(_cell(c) for c in self.header)
        if not header:
            raise ValueError("header must name at least one column")
        rows = tuple(tuple(_cell(c) for c in row) for row in self.rows)
        for i, row in enumerate(rows):
            if len(row) != len(header):
                raise ValueError(f"row {i} has {len(row)} cells, the header {len(header)}")
        if not isinstance(self.title, str):
            raise ValueError(f"title must be a str, got {type(self.title).__name__}")
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "rows", rows)

    def _repr_markdown_(self) -> str:
        def line(cells):
            return "| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |"

        out = [f"**{self.title}**", ""] if self.title else []
        out.append(line(md for md, _ in self.header))
        out.append("|" + "|".join([":--"] + ["--:"] * (len(self.header) - 1)) + "|")
        out += [line(md for md, _ in row) for row in self.rows]
        return "\n".join(out)

    def __str__(self) -> str:
        table = [[plain for _, plain in self.header]] + [[plain for _, plain in r] for r in self.rows]
        widths = [max(len(r[j]) for r in table) for j in range(len(self.header))]
        lines = ["  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in
                           enumerate(zip(r, widths))).rstrip() for r in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(([self.title] if self.title else []) + lines)

    __repr__ = __str__


def single_path_errors(grid, Ts, scales) -> Table:
    """Chapter 3: the median relative error of eq. (1) (``bptt.single_path_error_grid``), one
    row per ‖W_rec‖₂ in ``scales``, one column per sequence length T in ``Ts``."""
    grid = np.asarray(grid, dtype=float)
    Ts, scales = list(Ts), list(scales)
    if grid.shape != (len(scales), len(Ts)):
        raise ValueError(f"grid must be (len(scales), len(Ts)) = ({len(scales)}, {len(Ts)}), "
                         f"got {grid.shape}")
    header = [(r"$\lVert W_\mathrm{rec}\rVert_2$", "||W_rec||_2")]
    header += [(f"$T = {T}$", f"T = {T}") for T in Ts]
    rows = [[f"{s:g}"] + [f"{e:.4f}" for e in row] for s, row in zip(scales, grid)]
    return Table(tuple(header), tuple(tuple(r) for r in rows))


def success(table) -> Table:
    """Chapter 9: runs solved / runs made for each model (columns, by their readable names)
    and lag (rows), from an ``experiment.SuccessTable``; two last rows give each model's reach
    (``experiment.model_limits``): the largest lag solved by at least half the seeds and the
    smallest lag solved by none ("–": no such lag)."""
    from .experiment import SuccessTable, model_limits
    from .train import model_spec

    if not isinstance(table, SuccessTable):
        raise ValueError(f"table must be an experiment.SuccessTable, got {type(table).__name__}")
    lag = ("$T$", "T") if table.task == "adding" else ("lag", "lag")
    header = [lag] + [model_spec(m).label for m in table.models]
    rows = [[f"{int(k)}"] + [f"{table.solved[i, j]}/{table.runs[i, j]}" if table.runs[i, j] else "–"
                             for i in range(len(table.models))]
            for j, k in enumerate(table.lags)]
    limits = model_limits(table)
    for key, name in (("last_solved", ("solved by ≥ half up to", "solved by >= half up to")),
                      ("first_failed", ("solved by none from", "solved by none from"))):
        rows.append([name] + [str(limits[m][key]) if limits[m][key] is not None else "–"
                              for m in table.models])
    title = "adding problem" if table.task == "adding" else "remember the first bit"
    return Table(tuple(header), tuple(tuple(r) for r in rows), title=title)
