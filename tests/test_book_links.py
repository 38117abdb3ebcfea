"""The book links to the code, and the code back to the book.

* **API pages.** Every public module of rnngrad has an ``automodule`` on a page of book/api/
  (listed in _toc.yml), and every public function and class (the module's ``__all__``, which
  autodoc follows) has a docstring, without which autodoc would leave it out. Once the book is
  built, each of them has its entry on those pages.
* **Docstrings link back.** Every public function of the core modules names, with
  ``:ref:`label```, the section of the book where its equation is derived (or its experiment
  is run), and that label exists in the book.
* **Chapters show their code.** Chapters 2–6 and the GRU chapter each have one cell
  ``plots.show_source(...)`` with the functions that implement their equation, in the section
  that derives it, hidden on the website (``remove-input``: the page shows the code, not the
  call), and its stored output is the code of those functions as it is now.
* **Prose links to the API.** A function, class or module of the package named in the prose
  of a chapter or page (```rnn.forward```) is a link to its entry in the API reference.
* The two helpers behind this: ``_ext/api_docstrings.py`` (plain-text docstrings on the API
  pages) and ``plots.show_source``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
import sys
from pathlib import Path

import pytest
import yaml

import rnngrad
from rnngrad import lstm, plots, rnn

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
API = BOOK / "api"
HTML_API = ROOT / "_build" / "html" / "book" / "api"

CORE = ["rnn", "bptt", "lstm", "gradients", "lag_curves", "deepnet", "activations", "symbolic",
        "exploding", "dynamics", "cell", "survival", "gru", "gru_survival", "gru_variants"]

# Chapter -> (the functions whose code it shows, the section that shows them).
SHOWN = {
    "ch02_simple_rnn": (["rnn.forward"], "ch2-forward"),
    "ch03_bptt": (["rnn._backprop_dz", "rnn.backward"], "ch3-recursion"),
    "ch04_rnn_jacobian": (["rnn.step_jacobian"], "ch4-matrix-form"),
    "ch05_lstm_cell": (["lstm.forward"], "ch5-forward"),
    "ch06_cell_state_gradient": (["lstm.cell_jacobian_terms", "lstm._cell_terms_at"],
                                 "ch6-four-terms"),
    "ch10_gru": (["gru.step_jacobian_terms", "gru._terms_at"], "gru-jacobian"),
}

TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$", re.M)
REF = re.compile(r":ref:`(?:[^`<]*<)?(?P<label>[^`<>]+)>?`")
API_LINK = re.compile(r"\]\(#(?P<target>rnngrad\.[\w.]+)\)")
MODULES = sorted(m.name for m in pkgutil.iter_modules(rnngrad.__path__) if not m.name.startswith("_"))
# An inline-code mention of a package name that is not the text of a link.
MENTION = re.compile(r"(?<!\[)`(?:rnngrad\.)?(?P<mod>%s)(?:\.(?P<name>\w+))?\b[^`\n]*`(?!\]\()"
                     % "|".join(MODULES))


def module(name):
    return importlib.import_module(f"rnngrad.{name}")


def public(mod_name, kinds=(inspect.isfunction, inspect.isclass)):
    mod = module(mod_name)
    return [n for n in mod.__all__ if any(k(getattr(mod, n)) for k in kinds)]


def notebooks():
    return sorted(BOOK.glob("*.ipynb"))


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def text(cell):
    return "".join(cell["source"])


def prose():
    """(where, text) of every markdown cell of the chapters and every page of book/."""
    for nb in notebooks():
        for k, c in enumerate(cells(nb)):
            if c["cell_type"] == "markdown":
                yield f"{nb.name}, cell {k}", text(c)
    for page in sorted(BOOK.glob("*.md")):
        yield page.name, page.read_text(encoding="utf-8")


def book_labels():
    """Every ``(label)=`` target of the book's chapters and pages."""
    return {m["label"] for _, t in prose() for m in TARGET.finditer(t)}


def automodules():
    """module name -> API page, from the (uncommented) automodule directives of book/api/."""
    found = {}
    for page in sorted(API.glob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\.\. automodule:: rnngrad\.(\w+)\s*$", line)
            if m:
                assert m[1] not in found, f"rnngrad.{m[1]} documented twice"
                found[m[1]] = page
    return found


# --------------------------------------------------------------------------- API pages


def test_every_public_module_has_its_api_page():
    documented = automodules()
    assert sorted(documented) == MODULES, (
        f"missing from book/api/: {sorted(set(MODULES) - set(documented))}; "
        f"not modules of rnngrad: {sorted(set(documented) - set(MODULES))}")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    listed = set(re.findall(r"book/api/\w+", json.dumps(toc)))
    pages = {f"book/api/{p.stem}" for p in API.glob("*.md")}
    assert pages == listed, f"API pages not in _toc.yml: {sorted(pages - listed)}"


def test_autodoc_lists_members_and_skips_none():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]
    assert {"sphinx.ext.autodoc", "sphinx.ext.viewcode"} <= set(sphinx["extra_extensions"])
    assert sphinx["config"]["autodoc_default_options"]["members"] is True
    for page in API.glob("*.md"):
        body = page.read_text(encoding="utf-8")
        for option in (":exclude-members:", ":no-members:", ":ignore-module-all:"):
            assert option not in body, f"{page.name} uses {option}"


@pytest.mark.parametrize("mod_name", MODULES)
def test_every_public_function_and_class_has_a_docstring(mod_name):
    mod = module(mod_name)
    assert mod.__doc__ and mod.__doc__.strip(), f"rnngrad.{mod_name} has no module docstring"
    for name in public(mod_name):
        doc = getattr(mod, name).__doc__ or ""
        generated = doc.startswith(f"{name}(")        # what @dataclass writes when there is none
        assert doc.strip() and not generated, f"rnngrad.{mod_name}.{name} has no docstring"


def _api_html():
    pages = sorted(HTML_API.glob("*.html"))
    if not pages:
        pytest.skip("the book is not built (make book)")
    built = min(p.stat().st_mtime for p in pages)
    sources = Path(rnngrad.__file__).parent.glob("*.py")
    if any(s.stat().st_mtime > built for s in sources):
        pytest.skip("the built API pages are older than code/rnngrad (make book)")
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def test_built_api_pages_hold_every_public_function_and_class():
    html = _api_html()
    missing = [f"rnngrad.{m}.{n}" for m in MODULES for n in public(m)
               if f'id="rnngrad.{m}.{n}"' not in html]
    assert not missing, f"not on the built API pages: {missing}"
    assert 'class="viewcode-link"' in html, "no [source] links (sphinx.ext.viewcode)"


# --------------------------------------------------------------------------- docstrings → book


@pytest.mark.parametrize("mod_name", CORE)
def test_core_docstrings_link_to_a_section_of_the_book(mod_name):
    labels = book_labels()
    mod = module(mod_name)
    for name in public(mod_name, kinds=(inspect.isfunction,)):
        refs = [m["label"] for m in REF.finditer(getattr(mod, name).__doc__ or "")]
        assert refs, f"{mod_name}.{name}: its docstring names no section (:ref:`label`)"
        unknown = [r for r in refs if r not in labels]
        assert not unknown, f"{mod_name}.{name}: no such label in the book: {unknown}"


# --------------------------------------------------------------------------- chapters → code


def _section_labels(path):
    """For each cell, the label of the section it is in (the last target above a heading)."""
    label, out = None, []
    for c in cells(path):
        if c["cell_type"] == "markdown":
            lines = text(c).splitlines()
            for i, line in enumerate(lines):
                if re.match(r"#{1,3} ", line):
                    m = TARGET.match(lines[i - 1]) if i else None
                    label = m["label"] if m else None
        out.append(label)
    return out


def _show_source_calls(path):
    """(cell index, cell, [names]) of every cell whose code calls plots.show_source."""
    found = []
    for k, c in enumerate(cells(path)):
        if c["cell_type"] != "code" or "show_source" not in text(c):
            continue
        for node in ast.walk(ast.parse(text(c))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "plots.show_source":
                found.append((k, c, [ast.unparse(a) for a in node.args]))
    return found


def _obj(dotted):
    mod_name, name = dotted.split(".")
    return getattr(module(mod_name), name)


@pytest.mark.parametrize("chapter", sorted(SHOWN))
def test_chapter_shows_the_code_of_its_equation(chapter):
    path = BOOK / f"{chapter}.ipynb"
    names, section = SHOWN[chapter]
    calls = _show_source_calls(path)
    assert len(calls) == 1, f"{chapter}: expected one plots.show_source cell, found {len(calls)}"
    k, cell, shown = calls[0]
    assert shown == names, f"{chapter}, cell {k}: shows {shown}, expected {names}"
    assert _section_labels(path)[k] == section, f"{chapter}, cell {k}: not in section {section}"
    assert "remove-input" in cell["metadata"].get("tags", []), f"{chapter}, cell {k}: not tagged"
    outputs = [o for o in cell["outputs"] if "text/markdown" in o.get("data", {})]
    assert len(outputs) == 1, f"{chapter}, cell {k}: no stored code output (make notebooks)"
    stored = "".join(outputs[0]["data"]["text/markdown"])
    assert stored == plots.show_source(*map(_obj, names)).data, (
        f"{chapter}, cell {k}: the stored code is not the package's current code: re-run the "
        "notebook (make notebooks)")


def test_show_source_is_the_package_code():
    shown = plots.show_source(rnn._backprop_dz, rnn.backward).data
    assert shown.startswith("```python\n") and shown.endswith("\n```")
    body = shown[len("```python\n"):-len("\n```")]
    assert body == (inspect.getsource(rnn._backprop_dz).rstrip("\n") + "\n\n\n"
                    + inspect.getsource(rnn.backward).rstrip("\n"))
    assert "c[t] = f[t] * c_prev + i[t] * c_tilde[t]" in plots.show_source(lstm.forward).data


def test_show_source_fence_is_longer_than_any_backticks_in_the_code(tmp_path, monkeypatch):
    (tmp_path / "fenced_demo.py").write_text('def f():\n    """```` four ````"""\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    import fenced_demo

    shown = plots.show_source(fenced_demo.f).data
    assert shown.startswith("`````python\n") and shown.endswith("\n`````")
    sys.modules.pop("fenced_demo", None)


@pytest.mark.parametrize("bad, message", [
    ((), r"at least one"),
    ((1,), r"function or class"),
    ((len,), r"function or class"),
    ((rnn.forward, "rnn.forward"), r"function or class"),
])
def test_show_source_rejects_what_has_no_source(bad, message):
    with pytest.raises(ValueError, match=message):
        plots.show_source(*bad)


# --------------------------------------------------------------------------- prose → API


def test_prose_names_of_package_functions_link_to_the_api():
    unlinked = []
    for where, t in prose():
        for m in MENTION.finditer(t):
            mod_name, name = m["mod"], m["name"]
            if name is None:
                if m[0].strip("`") in (mod_name, f"rnngrad.{mod_name}"):
                    unlinked.append(f"{where}: {m[0]}")       # the module itself
                continue
            if name in module(mod_name).__all__:
                unlinked.append(f"{where}: {m[0]}")
    assert not unlinked, "package names in the prose without a link to the API reference " \
                         "([`rnn.forward`](#rnngrad.rnn.forward)):\n" + "\n".join(unlinked)


def test_api_links_in_the_prose_name_public_objects():
    wrong = []
    for where, t in prose():
        for m in API_LINK.finditer(t):
            parts = m["target"].split(".")[1:]
            if len(parts) == 1:
                ok = parts[0] in MODULES
            else:
                ok = parts[0] in MODULES and parts[1] in module(parts[0]).__all__
            if not ok or len(parts) > 2:
                wrong.append(f"{where}: {m['target']}")
    assert not wrong, f"links to names the API reference does not have: {wrong}"


def test_chapters_link_to_the_api():
    for chapter in ["ch01_deep_networks", *SHOWN, "ch07_why_gradient_survives",
                    "ch08_where_lstms_struggle", "ch09_long_range"]:
        md = "".join(text(c) for c in cells(BOOK / f"{chapter}.ipynb")
                     if c["cell_type"] == "markdown")
        assert API_LINK.search(md), f"{chapter} does not link to the API reference"


# --------------------------------------------------------------------------- _ext/api_docstrings


@pytest.fixture(scope="module")
def api_docstrings():
    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        import api_docstrings
    finally:
        sys.path.remove(str(ROOT / "_ext"))
    return api_docstrings


def test_indented_equations_become_literal_blocks(api_docstrings):
    lines = ["Run the cell. For t = 0 … T-1:", "", "    f_t = σ(z_f)", "      c_t = f_t ⊙ c_{t-1}",
             "", "Returns |c_t| and more."]
    assert api_docstrings.plain_text_to_rst(lines) == [
        "Run the cell. For t = 0 … T-1:", "", "::", "", "    f_t = σ(z_f)",
        "      c_t = f_t ⊙ c_{t-1}", "", r"Returns \|c_t\| and more."]


def test_existing_literal_blocks_lists_and_inline_code_are_kept(api_docstrings):
    lines = ["Blocks ordered [h; c]::", "", "    [[A, B],", "     [C, D]]", "",
             "* item one, with ``|x|`` in code", "  continued |y|", "", "  more of item one"]
    assert api_docstrings.plain_text_to_rst(lines) == [
        "Blocks ordered [h; c]::", "", "    [[A, B],", "     [C, D]]", "",
        "* item one, with ``|x|`` in code", r"  continued \|y\|", "", "  more of item one"]


def test_notebook_references_without_text_stay_inside_their_notebook():
    """jupyterlab-myst resolves {ref} and {numref} only to labels of the same notebook; a bare
    reference to another chapter shows as its raw label in JupyterLab (use a Markdown link to
    the chapter, or give the reference its own text)."""
    bare = re.compile(r"\{(?:ref|numref)\}`([^`<>]+)`")
    target = re.compile(r"^\((\S+)\)=|:(?:label|name): (\S+)", re.M)
    found = []
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
        own = {a or b for t in text for a, b in target.findall(t)}
        found += [f"{path.name}: {m[0]}" for t in text for m in bare.finditer(t)
                  if m[1] not in own]
    assert not found, "references to another notebook's label:\n" + "\n".join(found)
