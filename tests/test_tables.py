"""rnngrad.tables: chapter 3's and chapter 9's results as real tables (Markdown on the page,
aligned text in a terminal), every cell computed from the results."""

from pathlib import Path

import numpy as np
import pytest

from rnngrad import bptt, experiment, tables, train

CSV = Path(__file__).resolve().parents[1] / "book" / "data" / "long_range_results.csv"


def test_table_renders_markdown_and_text():
    t = tables.Table((("$x$", "x"), "y"), (("1", "2.5"), ("10", "0.25")), title="demo")
    md = t._repr_markdown_().splitlines()
    assert md[0] == "**demo**" and md[2] == "| $x$ | y |" and md[3] == "|:--|--:|"
    assert md[4:] == ["| 1 | 2.5 |", "| 10 | 0.25 |"]
    text = str(t).splitlines()
    assert text[0] == "demo" and text[1].split() == ["x", "y"] and text[3] == "1    2.5"
    assert repr(t) == str(t)


def test_table_escapes_pipes_in_markdown():
    t = tables.Table(("a",), (("x | y",),))
    assert r"x \| y" in t._repr_markdown_()


@pytest.mark.parametrize("header, rows, match", [
    ((), (), "at least one column"),
    (("a", "b"), (("1",),), "row 0 has 1 cells"),
    (("a",), ((3,),), "a str or"),
    ((("a", "b", "c"),), (), "a str or"),
])
def test_table_validates(header, rows, match):
    with pytest.raises(ValueError, match=match):
        tables.Table(header, rows)


def test_table_validates_its_title():
    with pytest.raises(ValueError, match="title"):
        tables.Table(("a",), (), title=3)


def test_single_path_errors_holds_the_grid():
    Ts, scales = [1, 2, 5], [0.5, 2.0]
    grid = bptt.single_path_error_grid(Ts, scales, n=4, m=1, activation="sigmoid", draws=3, seed=0)
    t = tables.single_path_errors(grid, Ts, scales)
    assert [h[1] for h in t.header] == ["||W_rec||_2", "T = 1", "T = 2", "T = 5"]
    assert [[float(c[1]) for c in row[1:]] for row in t.rows] == pytest.approx(grid, abs=5e-5)
    assert [row[0][1] for row in t.rows] == ["0.5", "2"]
    with pytest.raises(ValueError, match="grid must be"):
        tables.single_path_errors(grid, Ts, [1.0])


def test_success_table_counts_the_committed_runs():
    rows = experiment.read_results(CSV)
    st = experiment.success_table(rows, "first_bit")
    t = tables.success(st)
    assert t.title == "remember the first bit"
    assert t.header[1][0] == "sigmoid RNN" and t.header[-1][0] == "GRU, update bias 2"
    assert [h[0] for h in t.header[1:]] == [train.model_spec(m).label for m in st.models]
    lag_rows = t.rows[:len(st.lags)]
    assert [int(r[0][0]) for r in lag_rows] == list(st.lags)
    solved = np.array([[int(c[0].split("/")[0]) for c in r[1:]] for r in lag_rows])
    assert np.array_equal(solved, st.solved.T)
    limits = experiment.model_limits(st)
    assert t.rows[-2][1:] == tuple((str(limits[m]["last_solved"]),) * 2 for m in st.models)
    assert tables.success(experiment.success_table(rows, "adding")).header[0][0] == "$T$"
    with pytest.raises(ValueError, match="SuccessTable"):
        tables.success(rows)
