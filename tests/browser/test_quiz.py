"""The self-test pages in headless Chromium: clicking an option or typing a number gives
immediate feedback, from the page's own script (no kernel, no request to another host).

test_pages.py already checks these pages like every other (no JavaScript error, formulas
typeset, links); this file clicks.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from browser_support import visit

QUIZZES = ["book/quiz_part1", "book/quiz_part2"]


def _feedback(question) -> str:
    return question.locator(".quiz-feedback").inner_text().strip()


@pytest.mark.parametrize("quiz", QUIZZES)
def test_multiple_choice_feedback(page, site_url, quiz):
    record = visit(page, urljoin(site_url, f"{quiz}.html"))
    questions = page.locator('.quiz-q[data-kind="choice"]')
    assert questions.count() >= 3
    for k in range(questions.count()):
        q = questions.nth(k)
        assert _feedback(q) == ""
        wrong = q.locator('button.quiz-option[data-correct="false"]').first
        wrong.click()
        text = _feedback(q)
        assert text.startswith("Not quite. ") and len(text) > 20, text
        assert "quiz-no" in wrong.get_attribute("class")
        assert wrong.get_attribute("aria-pressed") == "true"
        right = q.locator('button.quiz-option[data-correct="true"]')
        assert right.count() == 1
        right.click()
        text = _feedback(q)
        assert text.startswith("Correct. ") and len(text) > 15, text
        assert "quiz-wrong" not in q.locator(".quiz-feedback").get_attribute("class")
        assert wrong.get_attribute("aria-pressed") == "false"       # only one choice marked
    assert not record.js_errors and not record.console_errors
    assert not record.foreign_requests(site_url)


@pytest.mark.parametrize("quiz", QUIZZES)
def test_numeric_feedback(page, site_url, quiz):
    record = visit(page, urljoin(site_url, f"{quiz}.html"))
    questions = page.locator('.quiz-q[data-kind="number"]')
    assert questions.count() >= 2
    for k in range(questions.count()):
        q = questions.nth(k)
        answer = float(q.get_attribute("data-answer"))
        field, check = q.locator("input.quiz-input"), q.locator("button.quiz-check")
        field.fill("not a number")
        check.click()
        assert "Type a number" in _feedback(q)
        field.fill(repr(answer * 10 + 10))                          # far too large
        check.click()
        assert _feedback(q) == "Not quite. " + q.get_attribute("data-high")
        field.fill(repr(answer / 10 - 10))                          # far too small
        field.press("Enter")
        assert _feedback(q) == "Not quite. " + q.get_attribute("data-low")
        shown = f"{answer:.4g}".replace(".", ",") if k == 0 else f"{answer:.4g}"  # comma too
        field.fill(shown)
        check.click()
        assert _feedback(q).startswith("Correct. "), (shown, _feedback(q))
    assert not record.js_errors and not record.console_errors


def test_question_math_is_typeset(page, site_url):
    visit(page, urljoin(site_url, "book/quiz_part1.html"))
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")
    options = page.locator("button.quiz-option .math")
    assert options.count() >= 3
    assert options.first.locator("mjx-container").count() == 1
    assert not re.search(r"\\\(|\$", page.locator("button.quiz-option").first.inner_text())
