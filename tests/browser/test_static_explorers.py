"""Interactive without a kernel: every chapter's explorers on the website respond to each of
their controls. In a real browser, moving any control (slider or menu) to another value shows
another precomputed picture (a new file, loaded), updates the control's label and the
picture's alt text."""

from __future__ import annotations

import re

import pytest

from browser_support import ROOT, toc_files, visit

CHAPTERS = [p for p in toc_files() if re.match(r"book/ch\d\d_", p)]

LOADED = "img => img.complete && img.naturalWidth > 0"


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_every_control_of_every_static_explorer_changes_the_picture(page, site_url, page_path):
    assert (ROOT / f"{page_path}.ipynb").is_file()
    visit(page, f"{site_url}{page_path}.html")
    explorers = page.locator(".rnngrad-static-explorer")
    assert explorers.count() >= 1, f"{page_path}: no static explorer on the page"
    for e in range(explorers.count()):
        root = explorers.nth(e)
        img = root.locator(".frames img")
        assert img.count() == 1
        controls = root.locator("[data-control]")
        assert controls.count() >= 2, f"explorer {e}: fewer than two controls on the website"
        for c in range(controls.count()):
            control = controls.nth(c)
            before = (img.get_attribute("src"), img.get_attribute("alt"))
            if control.evaluate("el => el.tagName") == "SELECT":
                n = control.locator("option").count()
                value = int(control.input_value())
                target = (value + 1) % n
            else:
                value, last = int(control.input_value()), int(control.get_attribute("max"))
                target = 0 if value == last else last
                label = control.locator("xpath=following-sibling::output")
                shown = label.inner_text()
            control.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
                             str(target))
            after = (img.get_attribute("src"), img.get_attribute("alt"))
            assert after[0] != before[0] and after[1] != before[1], \
                f"explorer {e}, control {c}: the picture did not change"
            if control.evaluate("el => el.tagName") != "SELECT":
                assert label.inner_text() != shown, f"explorer {e}, control {c}: label unchanged"
            page.wait_for_function(f"() => {{ const img = document.querySelectorAll("
                                   f"'.rnngrad-static-explorer')[{e}].querySelector('.frames img');"
                                   f" return {LOADED.split('=> ')[1]}; }}", timeout=10_000)
