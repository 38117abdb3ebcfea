"""Interactive without a kernel: every chapter's main explorer has a static version whose
slider, moved in a real browser, shows another precomputed picture."""

from __future__ import annotations

import re

import pytest

from browser_support import ROOT, toc_files, visit

CHAPTERS = [p for p in toc_files() if re.match(r"book/ch\d\d_", p)]


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_static_explorer_slider_changes_the_picture(page, site_url, page_path):
    assert (ROOT / f"{page_path}.ipynb").is_file()
    visit(page, f"{site_url}{page_path}.html")
    explorers = page.locator(".rnngrad-static-explorer")
    assert explorers.count() >= 1, f"{page_path}: no static explorer on the page"
    for k in range(explorers.count()):
        root = explorers.nth(k)
        visible = root.locator(".frames img:not([hidden])")
        assert visible.count() == 1
        before_alt, before_label = visible.get_attribute("alt"), root.locator("output").inner_text()
        last = int(root.locator("input").get_attribute("max"))
        start = int(root.locator("input").get_attribute("value"))
        target = 0 if start == last else last
        root.locator("input").evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", target)
        visible = root.locator(".frames img:not([hidden])")
        assert visible.count() == 1
        assert visible.get_attribute("alt") != before_alt
        assert root.locator("output").inner_text() != before_label
        assert visible.evaluate("img => img.naturalWidth") > 0
