"""The course's notebooks in a real JupyterLab, as a student opens them (tests/lab/conftest.py).

For each chapter below, in JupyterLab started from the project's venv with the course's settings
(tools/jupyterlab/overrides.json), the test opens ``book/<chapter>.ipynb`` and checks that:

* the kernel starts and every markdown cell is rendered by jupyterlab-myst: each ``{exercise}``
  is a box, each ``{solution}`` / ``{solution-start}`` a dropdown that is closed, each
  admonition a box; no MyST markup is left as text (``:label:``, a directive's fence, a role),
  no formula failed to typeset, and every cross-reference resolved (a reference that does
  not resolve shows its bare label with a warning sign; citations are allowed to: jupyterlab-myst
  cannot read a bibliography);
* every image of a markdown cell is shown with its alt text: the chapter's diagrams, MyST
  ``{figure}`` directives whose path (``figures/diagrams/...``) is relative to the notebook;
* opening it did not mark it modified (JupyterLab writes the running kernel's spec and
  language into the notebook's metadata: if those differ from the stored ones, the notebook is
  "dirty" at once and autosave rewrites it);
* Run > Run All Cells (the menu) finishes with no error output and no traceback;
* the explorer (the cell whose output holds an ipywidgets slider) answers its slider: ten
  arrow-key moves, each of which must change the picture. The time from the key press to the
  new picture is recorded (``_build/lab-timings.json``, and a line at the end of the run); it
  is not asserted.

Screenshots: ``_build/screenshots/lab-<chapter>.png`` (as opened) and
``lab-<chapter>-explorer.png`` (the explorer after its last move). No request leaves 127.0.0.1.
Run: ``.venv/bin/python -m pytest tests/lab`` (about a minute).
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

CHAPTERS = ["ch02_simple_rnn", "ch05_lstm_cell"]
SHOTS = Path(__file__).resolve().parents[2] / "_build" / "screenshots"
MOVES = 10
# Directives that jupyterlab-myst draws as a box (admonitions) in these notebooks.
ADMONITIONS = ("admonition", "note", "tip", "hint", "important", "warning", "caution",
               "attention", "danger", "error", "seealso")
# MyST source that must never be visible in a rendered markdown cell: a directive's options or
# fence, a role ({ref}`...`, {py:func}`...`), display math left as TeX.
RAW_MARKUP = re.compile(r":label:|:class:|:name:|`{3,}\{|:{3,}\{|\{[\w:-]+\}`|\{(exercise|solution)|\$\$")

# The notebook panel of `path` in window.jupyterapp, with its kernel idle and every markdown
# cell rendered by jupyterlab-myst.
SETTLED = """(path) => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== path || !panel.context.isReady) return false;
  if (panel.sessionContext.kernelDisplayStatus !== 'idle') return false;
  // a collapsed cell (a gated solution's prose) is not rendered until it is expanded
  const md = panel.content.widgets.filter(c => c.model.type === 'markdown' && !c.inputHidden);
  return md.length > 0 && md.every(c => c.rendered && c.node.querySelector('.myst'));
}"""

PANEL = "window.jupyterapp.shell.currentWidget"

RENDERED = """() => {
  const panel = %s;
  const out = {cells: [], unresolved: [], citations: 0, katexErrors: [], details: [],
               exercises: [], admonitions: 0, collapsed: [], standIns: 0, reprs: []};
  panel.content.widgets.forEach((c, i) => {
    if (c.inputHidden) out.collapsed.push(i);
    if (c.model.type === 'code') {
      out.standIns += c.node.querySelectorAll('.jp-OutputArea-output .rnngrad-explorer img').length;
      for (const o of c.node.querySelectorAll('.jp-OutputArea-output'))
        if (/VBox\\(|HBox\\(|Output\\(/.test(o.innerText)) out.reprs.push(i);
    }
    if (c.model.type !== 'markdown' || c.inputHidden) return;
    const m = c.node.querySelector('.myst');
    out.cells.push({index: i, text: m.innerText});
    for (const e of m.querySelectorAll('[title="Cross Reference Not Found"]'))
      out.unresolved.push({index: i, text: e.innerText});
    out.citations += m.querySelectorAll('[title="Citation Not Found"]').length;
    for (const e of m.querySelectorAll('.katex-error')) out.katexErrors.push({index: i, text: e.innerText});
    for (const d of m.querySelectorAll('details.myst-exercise'))
      out.details.push({index: i, open: d.open, summary: d.querySelector('summary').innerText});
    for (const a of m.querySelectorAll('aside.myst-exercise')) {
      const h = a.querySelector('.myst-exercise-header');
      if (h && h.innerText.trim()) out.exercises.push(h.innerText.trim());
    }
    out.admonitions += m.querySelectorAll('aside.myst-admonition').length;
  });
  return out;
}""" % PANEL

# The images of the rendered markdown cells (the diagrams of the MyST {figure} directives).
MD_IMAGES = """() => [...%s.content.node.querySelectorAll('.jp-MarkdownCell .myst img')].map(
  i => ({src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth, alt: i.alt}))""" % PANEL

# Run All is over once the kernel has been busy, no cell waits ([*]) and the kernel is idle
# (after an error, JupyterLab drops the cells still queued: their prompts lose the *).
ARM_RUN = """() => {
  const s = %s.sessionContext;
  window.__ranBusy = false;
  s.statusChanged.connect((_, status) => { if (status === 'busy') window.__ranBusy = true; });
}""" % PANEL
RUN_DONE = """() => {
  const panel = %s;
  if (!window.__ranBusy || panel.sessionContext.kernelDisplayStatus !== 'idle') return false;
  return ![...panel.content.node.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
}""" % PANEL

ERRORS = """() => {
  const found = [];
  %s.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    for (const o of c.model.outputs.toJSON()) {
      if (o.output_type === 'error') found.push({index: i, text: o.ename + ': ' + o.evalue});
      if (o.output_type === 'stream' && o.name === 'stderr' && /Traceback/.test([].concat(o.text).join('')))
        found.push({index: i, text: [].concat(o.text).join('').slice(-600)});
    }
    for (const e of c.node.querySelectorAll(
        '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'))
      if (/Traceback|Error/.test(e.innerText)) found.push({index: i, text: e.innerText.slice(-600)});
  });
  return found;
}""" % PANEL

# Before a key press: remember the picture's src and the time of the next keydown, and resolve
# window.__changed with the time the src changes.
ARM_MOVE = """(root) => {
  const img = () => root.querySelector('.jupyter-widgets img');
  const old = img() ? img().src : null;
  window.__press = null;
  document.addEventListener('keydown', e => { window.__press = e.timeStamp; },
                            {capture: true, once: true});
  window.__changed = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      const now = img() ? img().src : null;
      if (now && now !== old) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(root, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  });
  return old;
}"""
MOVED = """() => Promise.race([window.__changed,
  new Promise(resolve => setTimeout(() => resolve(null), 30000))])"""


def _directives(nb: dict, names) -> int:
    pattern = re.compile(r"^\s*(`{3,}|:{3,})\{(%s)\}" % "|".join(map(re.escape, names)), re.M)
    return sum(len(pattern.findall("".join(c["source"])))
               for c in nb["cells"] if c["cell_type"] == "markdown")


def _canonical(cell: dict) -> dict:
    """A cell as nbformat stores it and as JupyterLab's model gives it back, made comparable:
    multi-line strings joined, the model's own ``trusted`` flag dropped."""
    def text(v):
        return "".join(v).strip() if isinstance(v, list) else v.strip() if isinstance(v, str) else v

    outputs = []
    for o in cell.get("outputs", []):
        o = dict(o)
        if "text" in o:
            o["text"] = text(o["text"])
        if "data" in o:
            o["data"] = {k: text(v) for k, v in o["data"].items()}
        outputs.append(o)
    meta = {k: v for k, v in cell.get("metadata", {}).items() if k != "trusted"}
    return {"source": text(cell["source"]), "metadata": meta, "outputs": outputs}


def _model_changes(page, stored: dict) -> list[str]:
    """What JupyterLab changed in the notebook since it was read from disk."""
    model = page.evaluate(f"() => {PANEL}.context.model.toJSON()")
    changes = [f"metadata.{k}: {json.dumps(stored['metadata'].get(k))[:200]} -> "
               f"{json.dumps(model['metadata'].get(k))[:200]}"
               for k in sorted(set(stored["metadata"]) | set(model["metadata"]))
               if stored["metadata"].get(k) != model["metadata"].get(k)]
    for i, (a, b) in enumerate(zip(stored["cells"], model["cells"])):
        a, b = _canonical(a), _canonical(b)
        changes += [f"cell {i} {key}" for key in a if a[key] != b[key]]
    if len(stored["cells"]) != len(model["cells"]):
        changes.append(f"{len(stored['cells'])} cells -> {len(model['cells'])}")
    return changes


def _open(page, lab, chapter: str) -> None:
    path = f"book/{chapter}.ipynb"
    # ?reset: a fresh workspace (no tab restored from an earlier test)
    page.goto(f"{lab.url}lab/tree/{path}?reset")
    try:
        page.wait_for_function(SETTLED, arg=path, timeout=120_000, polling=250)
    except Exception as exc:  # noqa: BLE001 - say what JupyterLab showed and logged
        dialog = page.locator(".jp-Dialog").all_inner_texts()
        pytest.fail(f"{path}: the kernel did not become idle or the markdown was not rendered "
                    f"({type(exc).__name__}); dialogs: {dialog}\n"
                    f"JupyterLab log:\n{lab.log_tail()}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_in_jupyterlab(page, lab, lab_timings, chapter):
    path = lab.root / "book" / f"{chapter}.ipynb"
    stored = json.loads(path.read_text())
    mtime = path.stat().st_mtime_ns
    _open(page, lab, chapter)

    # --- MyST rendered as on the website ---------------------------------------------------
    # Cross-references resolve as the cells they point to are parsed: wait for all of them.
    try:
        page.wait_for_function(
            "() => !document.querySelector('.jp-Notebook .myst [title=\"Cross Reference Not Found\"]')",
            timeout=30_000, polling=250)
    except Exception:  # noqa: BLE001 - reported below with the labels
        pass
    r = page.evaluate(RENDERED)
    assert not r["unresolved"], f"{chapter}: references shown as bare labels: {r['unresolved']}"
    raw = [(c["index"], m.group(0)) for c in r["cells"] for m in RAW_MARKUP.finditer(c["text"])]
    assert not raw, f"{chapter}: MyST markup shown as text in rendered cells (cell, markup): {raw}"
    assert not r["katexErrors"], f"{chapter}: formulas that did not typeset: {r['katexErrors']}"
    n_ex = _directives(stored, ["exercise"])
    assert n_ex > 0, f"{chapter} has no {{exercise}}: pick a chapter with exercises"
    assert len([e for e in r["exercises"] if e.startswith("Exercise")]) == n_ex, (
        f"{chapter}: {n_ex} {{exercise}} directives, exercise boxes drawn: {r['exercises']}")
    n_sol = _directives(stored, ["solution", "solution-start"])
    assert len(r["details"]) == n_sol, (
        f"{chapter}: {n_sol} solutions, dropdowns drawn: {r['details']}")
    opened = [d for d in r["details"] if d["open"]]
    assert not opened, f"{chapter}: solutions shown open: {opened}"
    n_adm = _directives(stored, ADMONITIONS)
    assert r["admonitions"] == n_adm, (
        f"{chapter}: {n_adm} admonitions in the source, {r['admonitions']} boxes drawn")

    n_fig = _directives(stored, ["figure"])
    assert n_fig > 0, f"{chapter} has no {{figure}}: pick a chapter with a diagram"
    try:
        page.wait_for_function(f"() => ({MD_IMAGES})().every(i => i.complete)", timeout=30_000,
                               polling=250)
    except Exception:  # noqa: BLE001 - reported below with the images
        pass
    images = page.evaluate(MD_IMAGES)
    assert len(images) == n_fig, f"{chapter}: {n_fig} {{figure}} directives, images: {images}"
    unseen = [i for i in images if not i["width"] or len(i["alt"]) < 40]
    assert not unseen, f"{chapter}: figures not shown, or without alt text: {unseen}"

    hidden = [i for i, c in enumerate(stored["cells"])
              if c["metadata"].get("jupyter", {}).get("source_hidden")]
    assert hidden and r["collapsed"] == hidden, (
        f"{chapter}: cells of gated solutions {hidden}, collapsed in JupyterLab {r['collapsed']}")
    # Before the notebook runs (and in a notebook JupyterLab does not trust), each explorer
    # shows the picture of its default setting, never a widget's text repr.
    assert r["standIns"] >= 1 and not r["reprs"], (
        f"{chapter}: explorer pictures before running: {r['standIns']}; "
        f"widget reprs in cells {r['reprs']}")

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"lab-{chapter}.png")

    # --- opening did not modify the notebook -----------------------------------------------
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.jp-mod-current")
    dirty = "jp-mod-dirty" in (tab.get_attribute("class") or "")
    dirty = dirty or page.evaluate(f"() => {PANEL}.context.model.dirty")
    assert not dirty, (f"{chapter}: opening it marked it modified (autosave would rewrite it); "
                       f"JupyterLab changed: {_model_changes(page, stored)}")
    assert path.stat().st_mtime_ns == mtime, f"{chapter}: the file was rewritten on opening"

    # --- Run > Run All Cells -----------------------------------------------------------------
    page.evaluate(ARM_RUN)
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    try:
        page.wait_for_function(RUN_DONE, timeout=150_000, polling=250)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"{chapter}: Run All Cells did not finish ({type(exc).__name__}); "
                    f"errors so far: {page.evaluate(ERRORS)}")
    errors = page.evaluate(ERRORS)
    assert not errors, f"{chapter}: Run All Cells left errors (cell index, text): {errors}"

    # --- the explorer answers its slider -----------------------------------------------------
    live = page.locator(".jp-OutputArea-output:has(.jupyter-widgets .widget-slider)")
    assert live.count() >= 1, f"{chapter}: no explorer (ipywidgets slider) in any output"
    view = live.first
    view.scroll_into_view_if_needed()
    picture = view.locator(".jupyter-widgets img")
    picture.first.wait_for(state="visible", timeout=30_000)
    handle = view.locator(".widget-slider .noUi-handle").first
    label = view.locator(".widget-slider .widget-label").first.inner_text()
    root = view.element_handle()
    moves, values = [], [handle.get_attribute("aria-valuenow")]
    for k in range(MOVES):
        now, lo, hi = (float(handle.get_attribute(a)) for a in
                       ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
        key = "ArrowRight" if k < MOVES // 2 else "ArrowLeft"
        if key == "ArrowRight" and now >= hi:
            key = "ArrowLeft"
        elif key == "ArrowLeft" and now <= lo:
            key = "ArrowRight"
        old = page.evaluate(ARM_MOVE, root)
        handle.press(key)
        changed = page.evaluate(MOVED)
        values.append(handle.get_attribute("aria-valuenow"))
        assert changed is not None, (
            f"{chapter}: moving the explorer's slider {label!r} ({values[-2]} -> {values[-1]}, "
            f"{key}) did not change its picture within 30 s")
        pressed = page.evaluate("() => window.__press")
        assert picture.first.get_attribute("src") != old
        moves.append(round(changed - pressed, 1))
    view.screenshot(path=SHOTS / f"lab-{chapter}-explorer.png")
    median = statistics.median(moves)
    print(f"\n{chapter}: slider {label!r} -> new picture, median {median:.0f} ms over "
          f"{len(moves)} moves: {moves}")
    lab_timings[chapter] = {"explorer": label, "values": values, "moves_ms": moves,
                            "median_ms": median}

    assert not page.external_requests, f"requests to other hosts: {page.external_requests}"
    assert not page.page_errors, f"{chapter}: JavaScript errors: {page.page_errors}"
    # Free the kernel (two cores): the next chapter's timings should not pay for this one.
    page.evaluate(f"() => {PANEL}.sessionContext.shutdown()")
