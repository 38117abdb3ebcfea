"""The book's figure extensions (_ext/): figures numbered per chapter, alt text from captions."""

import sys
from pathlib import Path

from docutils import nodes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import figure_alt  # noqa: E402
import figure_numbers  # noqa: E402


def test_figures_are_numbered_per_chapter_in_page_order():
    # Sphinx counts the figures of the whole book in one sequence (no numbered toctree).
    raw = {"book/getting_started": {"figure": {"fig-start": (1,)}},
           "book/ch05_lstm_cell": {"figure": {"fig-b": (7,), "fig-a": (6,)},
                                   "table": {"tab-x": (2,)}},
           "book/ch10_more": {"figure": {"fig-z": (9,)}}}
    assert figure_numbers.renumber(raw) == {
        "book/getting_started": {"figure": {"fig-start": (1,)}},
        "book/ch05_lstm_cell": {"figure": {"fig-a": (5, 1), "fig-b": (5, 2)},
                                "table": {"tab-x": (5, 1)}},
        "book/ch10_more": {"figure": {"fig-z": (10, 1)}}}
    assert figure_numbers.chapter_number("book/ch09_long_range") == 9
    assert figure_numbers.chapter_number("book/notation") is None


def _cell_with_figure(caption: str | None, metadata=None):
    cell = nodes.container(nb_element="cell_code", cell_metadata=metadata or {})
    figure = nodes.figure()
    image = nodes.image(uri="x.svg")
    figure += image
    if caption is not None:
        figure += nodes.caption("", "", nodes.Text(caption), nodes.math("", r"\lVert W\rVert"))
    cell += figure
    section = nodes.section()
    section += nodes.title("", "A section")
    section += nodes.paragraph("", "The lead-in sentence says what comes. More text.")
    section += cell
    return cell, image


def test_alt_text_is_the_first_sentence_of_the_caption():
    cell, image = _cell_with_figure("The gradient norm against the lag, shrinking. Second. ")
    assert figure_alt.describe(cell, image, "Figure") == (
        "The gradient norm against the lag, shrinking.", "caption")


def test_alt_text_from_metadata_wins_and_lead_in_is_the_fallback():
    cell, image = _cell_with_figure("A caption that is long enough to be used.",
                                    {"mystnb": {"image": {"alt": "explicit"}}})
    assert figure_alt.describe(cell, image, "Figure") == ("explicit", "metadata")
    cell, image = _cell_with_figure(None)
    alt, source = figure_alt.describe(cell, image, "Figure")
    assert source == "lead-in" and "A section" in alt and "The lead-in sentence" in alt


def test_figure_links_must_carry_the_number_of_their_figure():
    para = nodes.paragraph()
    para += nodes.reference("", "Figure 2.3", refid="fig-pulse")
    para += nodes.reference("", "Figure 2.1", refuri="ch02.html#fig-pulse")
    para += nodes.reference("", "Figure 9.9", refid="sec-intro")
    para += nodes.reference("", "a section", refid="sec-intro")
    problems = [p for _, p in figure_numbers.figure_link_problems(para, {"fig-pulse": "2.3"})]
    assert len(problems) == 2
    assert "which is Figure 2.3" in problems[0] and "no numbered figure" in problems[1]
