"""What a reader sees on every page, at a desktop width (1366 px) and a phone width (390 px).

* At 1366 px nothing scrolls sideways: no code block, output, table or equation is wider than
  its box (each such block is named with its first characters).
* At 390 px the page itself is never wider than the screen (a long equation or code line may
  scroll inside its own box).
* No raw markup reaches the reader at either width: no TeX command or ``$``, no MyST role or
  directive text, no bibliography key, in the text of the page, its navigation and its
  contents list (code blocks and typeset formulas excepted).

Screenshots of the phone view go to ``_build/screenshots/phone/<page>.png``.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from browser_support import ROOT, SHOTS, toc_files, visit

PAGES = toc_files()
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# Everything in the article that would need a sideways scrollbar at desktop width: a box
# that scrolls (overflow-x auto or scroll) with more content than width, or a block that
# sticks out of the article's text column.
OVERFLOWING_BLOCKS = r"""() => {
  const article = document.querySelector('main article') || document.querySelector('main');
  const column = article.getBoundingClientRect();
  const insideScroller = el => {
    for (let p = el.parentElement; p && p !== article; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true;
    }
    return false;
  };
  const out = [];
  for (const el of article.querySelectorAll('*')) {
    if (el.closest('details:not([open]), .toggle-hidden, [hidden], mjx-assistive-mml')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const ox = getComputedStyle(el).overflowX;
    const scrolls = (ox === 'auto' || ox === 'scroll') && el.scrollWidth > el.clientWidth + 1;
    const parent = el.parentElement.getBoundingClientRect();
    const sticksOut = box.right > column.right + 1 && parent.right <= column.right + 1
                      && !el.closest('.margin, aside') && !insideScroller(el);
    if (scrolls || (sticksOut && getComputedStyle(el).display !== 'inline')) {
      out.push(`${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 2).join('.')}: `
               + (scrolls ? `${el.scrollWidth} > ${el.clientWidth} px: `
                          : `right edge ${Math.round(box.right)} > ${Math.round(column.right)}: `)
               + el.textContent.trim().replace(/\s+/g, ' ').slice(0, 70));
    }
  }
  // One line per box: a scrolling box's children are not reported again.
  return out.filter((line, i) => out.indexOf(line) === i);
}"""

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"

# Visible text outside code and typeset math, including the navigation and contents list.
VISIBLE_TEXT = r"""() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('pre, code, script, style, textarea, mjx-container, .highlight, '
                          + 'mjx-assistive-mml, .MathJax, [hidden], noscript'))
      continue;
    const text = node.textContent.trim();
    if (text) parts.push(text);
  }
  // Whole paragraphs too: a reference's text next to the word before it ("exercise Exercise
  // 29") spans two text nodes.
  for (const el of document.querySelectorAll('main p, main li, main figcaption'))
    parts.push(el.innerText.replace(/\s+/g, ' '));
  // Link titles and image alt texts are read too (tooltips, screen readers).
  for (const el of document.querySelectorAll('a[title], img[alt]'))
    parts.push(el.getAttribute('title') || el.getAttribute('alt'));
  return parts;
}"""


def _bib_keys() -> list[str]:
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    return re.findall(r"^@\w+\{([^,\s]+),", text, flags=re.M)


RAW = [
    (re.compile(r"\\[A-Za-z]{2,}"), "TeX command"),
    (re.compile(r"\$(?=[^\s\d$])"), "dollar sign of TeX"),
    (re.compile(r"\{(cite|ref|numref|doc|eq|py:\w+|term|math|download)(:\w+)?\}"), "MyST role"),
    (re.compile(r"```|:::|^\{[a-z-]+\}", re.M), "MyST directive"),
    (re.compile(r"\b(exercise|Exercise|figure|Figure) (Exercise|Figure)\b"), "doubled reference text"),
    (re.compile(r"\b(" + "|".join(map(re.escape, _bib_keys())) + r")\b"), "bibliography key"),
]


def raw_markup(parts: list[str]) -> list[str]:
    found = []
    for text in parts:
        for pattern, what in RAW:
            m = pattern.search(text)
            if m:
                start = max(0, m.start() - 30)
                found.append(f"{what}: …{text[start:m.end() + 30]}…")
    return sorted(set(found))


@pytest.fixture
def sized_page(browser, request):
    context = browser.new_context(viewport=request.param)
    page = context.new_page()
    yield page
    context.close()


def test_raw_markup_patterns_catch_what_they_should():
    caught = raw_markup(["not \\partial c_k", "see {cite:p}`x`", "arbel2018lstm", "$x$",
                         ":::{note}", "(exercise Exercise 30)"])
    assert len(caught) == 6, caught
    assert raw_markup(["costs $5 per run", "σ′ ≤ 1/4", "W_rec = 1.5"]) == []


@pytest.mark.parametrize("sized_page", [DESKTOP], indirect=True, ids=["1366"])
@pytest.mark.parametrize("page_path", PAGES)
def test_nothing_scrolls_sideways_on_a_desktop(sized_page, site_url, page_path):
    visit(sized_page, urljoin(site_url, f"{page_path}.html"))
    problems = sized_page.evaluate(OVERFLOWING_BLOCKS)
    problems += [f"raw markup, {m}" for m in raw_markup(sized_page.evaluate(VISIBLE_TEXT))]
    assert not problems, "\n" + "\n".join(problems)


@pytest.mark.parametrize("sized_page", [PHONE], indirect=True, ids=["390"])
@pytest.mark.parametrize("page_path", PAGES)
def test_page_fits_a_phone(sized_page, site_url, page_path):
    visit(sized_page, urljoin(site_url, f"{page_path}.html"))
    width, screen = sized_page.evaluate(PAGE_WIDTH)
    shot = SHOTS / "phone" / f"{page_path}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    sized_page.screenshot(path=str(shot), full_page=True)
    problems = [f"page is {width} px wide on a {screen} px screen"] if width > screen else []
    problems += [f"raw markup, {m}" for m in raw_markup(sized_page.evaluate(VISIBLE_TEXT))]
    assert not problems, "\n" + "\n".join(problems)
