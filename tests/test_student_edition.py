"""The student edition (tools/student_edition.py, `make student`) holds no solution.

* The stripper removes ``solution``-tagged code cells, ``{solution}`` directives and gated
  ``{solution-start}`` … ``{solution-end}`` blocks, and nothing else (unit tests).
* The book is written so that this is enough: every code cell of a gated solution carries
  the tag ``solution``, every ``solution``-tagged cell sits in a gated solution, and every
  exercise has a solution directive.
* The edition, built here into a temporary folder (about 10 s: no execution), contains no
  solution: no 6-word sequence of any solution of the full book (prose, code, outputs)
  appears in any of its files (HTML text, page sources, notebooks, search index, scripts),
  and no word that only solutions use is in its search index. The solutions are collected
  from the full book by an oracle written here, independently of the stripper. The API pages
  and their source pages show the package's own text, which is not a solution (the archive
  hands the package out), except the exercise checkers', which are left out of the edition.
* Every exercise and every "Check your answer" cell is still there, the quizzes render, the
  teachers' pages are left out, and the launch buttons open the student branch.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "code" / "rnngrad"
sys.path.insert(0, str(ROOT / "tools"))

import student_edition as se  # noqa: E402

NGRAM = 6


# --------------------------------------------------------------------------- the stripper

EXERCISE = """````{exercise} Title
:label: ex-1
Do something.
````"""


def test_strip_solution_directive_with_nested_code():
    text = EXERCISE + """

````{solution} ex-1
:class: dropdown
The secret answer.

```python
print("secret code")
```
````

After the solution."""
    kept, removed, gated = se.split_markdown(text)
    assert "Do something." in kept and "After the solution." in kept
    assert "secret" not in kept and "secret answer" in removed and "secret code" in removed
    assert not gated


def test_strip_colon_fence_solution():
    kept, _ = se.strip_markdown(":::{solution} ex-1\nSecret.\n:::\nKept.")
    assert kept == "Kept."


def test_strip_gated_solution_across_cells():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print('secret, untagged')")
    tagged = nbformat.v4.new_code_cell("x = 1")
    tagged.metadata["tags"] = ["solution"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(EXERCISE + "\n\n```{solution-start} ex-1\n:class: dropdown\n```\nSecret prose."),
        code,
        nbformat.v4.new_markdown_cell("More secret prose."),
        nbformat.v4.new_markdown_cell("Last secret words.\n\n```{solution-end}\n```\n\n" + EXERCISE.replace("ex-1", "ex-2")),
        tagged,
        nbformat.v4.new_code_cell("print('kept')"),
    ]
    student, removed = se.split_notebook(nb)
    sources = [c.source for c in student.cells]
    assert len(sources) == 3
    assert sources[0] == EXERCISE and sources[1] == EXERCISE.replace("ex-1", "ex-2")
    assert sources[2] == "print('kept')"
    assert "secret" not in "".join(sources).lower()
    assert len(removed) == 5 and nb.cells[1].source == code.source   # the input is untouched


def test_unclosed_gate_is_an_error():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("```{solution-start} ex-1\n```\nSecret.")]
    with pytest.raises(ValueError, match="never closed"):
        se.strip_notebook(nb)


def test_teachers_pages_left_out_of_the_toc():
    pages = se.toc_pages(se.student_toc())
    assert se.TEACHER_ONLY.isdisjoint(pages)
    assert "book/ch01_deep_networks" in pages and "book/quiz_part1" in pages


# --------------------------------------------------------------------------- the book


def _book_pages() -> list[Path]:
    """Sources of the pages students get (the student toc), in the full book."""
    out = []
    for page in sorted(se.toc_pages(se.student_toc())):
        for suffix in (".ipynb", ".md"):
            if (ROOT / f"{page}{suffix}").is_file():
                out.append(ROOT / f"{page}{suffix}")
    return out


def _cells(path: Path) -> list[tuple[str, str, list[str], str]]:
    """(kind, source, tags, output text) of every cell; a .md page is one markdown cell. A
    figure's caption (myst-nb cell metadata) is page text, counted with the cell's outputs."""
    if path.suffix == ".md":
        return [("markdown", path.read_text(encoding="utf-8"), [], "")]
    nb = nbformat.read(path, as_version=4)
    out = []
    for c in nb.cells:
        text = ""
        for o in c.get("outputs", []):
            text += o.get("text", "")
            for mime in ("text/plain", "text/markdown", "text/latex", "text/html"):
                text += "".join(o.get("data", {}).get(mime, ""))
        text += "\n" + c.metadata.get("mystnb", {}).get("figure", {}).get("caption", "")
        out.append((c.cell_type, c.source, list(c.metadata.get("tags", [])), text))
    return out


_DIRECTIVE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\{([\w:-]+)\}")


def solutions_and_rest(path: Path) -> tuple[str, str, list[tuple[int, bool]]]:
    """The oracle: (solution text, all other text, [(code cell index, in a gated block)]).

    Solution text: tagged code cells and their outputs, every line from a {solution-start}
    line to the end of the next {solution-end} directive (cells in between included), and
    every {solution} directive up to its closing fence.
    """
    sol, rest, code_cells = [], [], []
    gated = False
    for k, (kind, source, tags, outputs) in enumerate(_cells(path)):
        if kind != "markdown":
            code_cells.append((k, gated, "solution" in tags))
            (sol if gated or "solution" in tags else rest).append(source + "\n" + outputs)
            continue
        fence = None           # closing fence of a {solution} or gated-marker directive
        ending = False
        for line in source.split("\n"):
            m = _DIRECTIVE.match(line)
            if fence is not None:
                sol.append(line)
                if line.strip() and set(line.strip()) == {fence[0]} and len(line.strip()) >= len(fence):
                    fence = None
                    if ending:
                        gated, ending = False, False
                continue
            if m and m.group(2) in ("solution", "solution-start", "solution-end"):
                fence = m.group(1)
                sol.append(line)
                if m.group(2) == "solution-start":
                    gated = True
                ending = m.group(2) == "solution-end"
                continue
            (sol if gated else rest).append(line)
    return "\n".join(sol), "\n".join(rest), code_cells


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+", text.lower())


def _ngrams(tokens: list[str]) -> set[tuple[str, ...]]:
    grams = set()
    for i in range(len(tokens) - NGRAM + 1):
        gram = tuple(tokens[i:i + NGRAM])
        if sum(len(t) >= 3 and t.isalpha() for t in gram) >= 3:      # not just numbers
            grams.add(gram)
    return grams


@pytest.fixture(scope="module")
def oracle():
    sol, rest = [], []
    for path in _book_pages():
        s, r, _ = solutions_and_rest(path)
        sol.append(s)
        rest.append(r)
    # The data files the chapters read (book/data) are course material too: a solution that
    # names a configuration of the committed sweep is not leaked by the sweep's own table.
    rest += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "book" / "data").glob("*"))
             if p.suffix in {".csv", ".md"}]
    sol_text, rest_text = "\n".join(sol), "\n".join(rest)
    grams = _ngrams(_tokens(sol_text)) - _ngrams(_tokens(rest_text))
    # The package's text, as the API pages show it (docstrings, and the source pages of
    # viewcode): everything but the exercise checkers, whose pages students do not get.
    package_text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(PACKAGE.glob("*.py"))
                             if p.name != "exercises.py")
    return {"solution_text": sol_text, "rest_text": rest_text, "ngrams": grams,
            "package_text": package_text, "package_ngrams": _ngrams(_tokens(package_text))}


def _shows_package(rel: Path) -> bool:
    """A page of the edition's site that shows the package's text: an API page or a source
    page."""
    return rel.parts[:3] == ("html", "book", "api") or rel.parts[:2] == ("html", "_modules")


def test_solution_cells_are_tagged_and_gated():
    """Every code cell of a gated solution is tagged `solution`, and vice versa."""
    problems = []
    for path in _book_pages():
        if path.suffix != ".ipynb":
            continue
        for k, gated, tagged in solutions_and_rest(path)[2]:
            if gated != tagged:
                problems.append(f"{path.name} cell {k}: {'in' if gated else 'outside'} a gated "
                                f"solution but {'tagged' if tagged else 'not tagged'} 'solution'")
    assert not problems, "\n".join(problems)


def test_solution_cells_are_collapsed_in_jupyterlab():
    """JupyterLab (jupyterlab-myst) collapses a {solution} directive but not the cells of a
    gated solution: those carry Jupyter's own "collapsed" metadata (myst-nb ignores it)."""
    count = 0
    for path in _book_pages():
        if path.suffix != ".ipynb":
            continue
        gated = False
        for cell in nbformat.read(path, as_version=4).cells:
            hidden = cell.metadata.get("jupyter", {})
            if cell.cell_type == "markdown":
                was = gated
                kept, _, gated = se.split_markdown(cell.source, gated)
                if was and gated and not kept.strip():
                    assert hidden.get("source_hidden"), (path.name, cell.source[:80])
                    count += 1
                continue
            if gated or "solution" in cell.metadata.get("tags", []):
                assert hidden.get("source_hidden") and hidden.get("outputs_hidden"), \
                    (path.name, cell.source[:80])
                count += 1
    assert count >= 30


def test_every_exercise_has_a_solution_directive():
    missing = []
    for path in _book_pages():
        text = "\n".join(src for kind, src, _, _ in _cells(path) if kind == "markdown")
        for label in re.findall(r"\{exercise\}[^\n]*\n:label: (\S+)", text):
            if not re.search(r"\{solution(?:-start)?\}\s+" + re.escape(label) + r"\s*$", text, re.M):
                missing.append(label)
    assert not missing, f"exercises without a solution directive: {missing}"


def test_oracle_finds_the_solutions(oracle):
    """The oracle is not empty-handed: it sees prose, code and outputs of solutions."""
    assert len(oracle["ngrams"]) > 1000
    for snippet in ("def balanced_chain", "By induction", "w = 4.4: from x = 1/2"):
        assert snippet in oracle["solution_text"] and snippet not in oracle["rest_text"]


# --------------------------------------------------------------------------- the edition


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    base = tmp_path_factory.mktemp("student")
    t0 = time.monotonic()
    se.build(base / "out", base / "stage", quiet=True)
    print(f"student edition built in {time.monotonic() - t0:.1f} s")
    return base / "out"


def _text_of(path: Path) -> str | None:
    """The readable text of a file of the edition (None for binary files)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if path.suffix == ".ipynb":
        nb = json.loads(text)
        parts = []
        for c in nb.get("cells", []):
            parts.append("".join(c.get("source", "")))
            for o in c.get("outputs", []):
                parts.append("".join(o.get("text", "")))
                for value in o.get("data", {}).values():
                    if isinstance(value, (str, list)):
                        parts.append("".join(value))
        return "\n".join(parts)
    if path.suffix in (".html", ".htm"):
        text = re.sub(r"<[^>]+>", " ", text)
        return html_lib.unescape(text)
    return text


def test_no_solution_text_anywhere(edition, oracle):
    files = [p for p in edition.rglob("*") if p.is_file()]
    assert any(p.name == "searchindex.js" for p in files)
    assert any(p.suffix == ".ipynb" and "_sources" in p.parts for p in files)
    leaks = []
    for path in files:
        text = _text_of(path)
        if text is None:
            continue
        found = _ngrams(_tokens(text)) & oracle["ngrams"]
        if _shows_package(path.relative_to(edition)):
            found -= oracle["package_ngrams"]
        if found:
            leaks.append(f"{path.relative_to(edition)}: {' '.join(sorted(found)[0])!r} "
                         f"and {len(found) - 1} more")
    assert not leaks, "solution text in the student edition:\n" + "\n".join(leaks)


def test_search_index_has_no_solution_words(edition, oracle):
    from sphinx.search.en import SearchEnglish

    stem = SearchEnglish({}).stem

    def stems(text, shortest=1):
        return {stem(w) for w in re.findall(r"[a-z]{%d,}" % shortest, text.lower())}

    only_in_solutions = (stems(oracle["solution_text"], 4) - stems(oracle["rest_text"])
                         - stems(oracle["package_text"]))      # the API pages show the package
    assert len(only_in_solutions) > 20
    raw = (edition / "html" / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1:raw.rindex(")")])
    words = set(index["terms"]) | set(index.get("titleterms", {}))
    assert words & stems(oracle["rest_text"]), "the search index looks empty"
    assert not (words & only_in_solutions), sorted(words & only_in_solutions)[:20]


def test_no_solution_markup(edition):
    for path in edition.rglob("*"):
        if path.suffix in (".html", ".ipynb", ".md", ".txt", ".js"):
            text = path.read_text(encoding="utf-8")
            assert not se.leftover_solutions(text), path
            if path.suffix == ".html":
                assert 'class="solution' not in text and "solution-start" not in text, path


def test_exercises_and_check_cells_are_kept(edition):
    notebooks = edition / "notebooks"
    html = edition / "html" / "book"
    full = {p.stem: p for p in _book_pages()}
    count = 0
    for stem, path in full.items():
        text = "\n".join(src for kind, src, _, _ in _cells(path) if kind == "markdown")
        labels = re.findall(r"\{exercise\}[^\n]*\n:label: (\S+)", text)
        if not labels:
            continue
        student = (notebooks / path.name).read_text(encoding="utf-8")
        page = (html / f"{stem}.html").read_text(encoding="utf-8")
        for label in labels:
            count += 1
            assert f":label: {label}" in student, (path.name, label)
            assert f'id="{label}"' in page, (stem, label)
        full_checks = re.findall(r'exercises\.check\(\\"([\w-]+)\\", answer\)',
                                 path.read_text(encoding="utf-8"))
        student_checks = re.findall(r'exercises\.check\(\\"([\w-]+)\\", answer\)', student)
        assert set(student_checks) == set(full_checks) and "answer = None" in student
    assert count >= 30


def test_teachers_pages_are_not_in_the_edition(edition):
    assert not list(edition.rglob("instructor_guide*"))
    for page in (edition / "html").rglob("*.html"):
        assert "instructor_guide" not in page.read_text(encoding="utf-8"), page


def test_launch_buttons_open_the_student_branch(edition):
    page = (edition / "html" / "book" / "ch03_bptt.html").read_text(encoding="utf-8")
    assert "/v2/gh/rnn-gradients-course/rnn-gradients/student?urlpath=lab/tree/book/ch03_bptt.ipynb" in page
    assert "(student edition)" in page


def test_quizzes_render(edition):
    """The self-test pages have their questions, options, inputs, math and script."""
    for name in ("quiz_part1", "quiz_part2"):
        page = (edition / "html" / "book" / f"{name}.html").read_text(encoding="utf-8")
        source = (ROOT / "book" / f"{name}.md").read_text(encoding="utf-8")
        n_questions = source.count('<div class="quiz-q"')
        assert n_questions >= 5
        assert page.count('<div class="quiz-q"') == n_questions
        assert page.count('class="quiz-feedback"') == n_questions
        assert page.count('class="quiz-option"') >= 8
        assert 'class="quiz-input"' in page and 'class="quiz-check"' in page
        assert "document.querySelectorAll(\".quiz-q\")" in page
        assert '<span class="math notranslate nohighlight">' in page
        assert "**Question" not in page and "Question 1." in page


# --------------------------------------------------------------------------- edition-only text


def test_edition_text_keeps_one_edition_each():
    page = ("Both.\n<!-- full-edition -->\nFull only.\n<!-- /full-edition -->\n"
            "<!-- student-edition\nStudent only.\n-->\nBoth again.\n")
    assert se.edition_text(page) == "Both.\nStudent only.\nBoth again.\n"
    assert "Student only" not in page.replace("<!-- student-edition\nStudent only.\n-->", "")


def test_no_edition_markers_left(edition):
    for path in edition.rglob("*"):
        if path.suffix in (".ipynb", ".md", ".html"):
            text = path.read_text(encoding="utf-8")
            assert "full-edition" not in text and "student-edition" not in text, path
    # The student's introduction: the archive, not a clone of the repository (which holds the
    # solutions); no promise of worked solutions.
    intro = (edition / "notebooks" / "intro.md").read_text(encoding="utf-8")
    assert "rnn-gradients-student.zip" in intro and "make lab" in intro
    assert "Clone the repository" not in intro and "collapsed under each exercise" not in intro
    assert "Clone the repository" in (ROOT / "book" / "intro.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- what students run


def test_every_data_file_a_notebook_reads_is_in_the_edition(edition):
    data = sorted(p.name for p in (ROOT / "book" / "data").iterdir())
    assert data and sorted(p.name for p in (edition / "notebooks" / "data").iterdir()) == data


@pytest.fixture(scope="module")
def archive(edition, tmp_path_factory):
    import zipfile

    zip_path = edition / f"{se.ARCHIVE_NAME}.zip"
    dest = tmp_path_factory.mktemp("archive")
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest / se.ARCHIVE_NAME


def test_archive_is_a_project_students_can_run(archive, edition):
    import subprocess

    for name in ("Makefile", "README.md", "requirements.txt", "runtime.txt", "postBuild",
                 "tools/lab.mk", "tools/jupyterlab/install.py", "code/pyproject.toml", "code/rnngrad/__init__.py",
                 "code/rnngrad/exercises.py", "book/data/long_range_results.csv"):
        assert (archive / name).is_file(), name
    notebooks = sorted(p.name for p in (edition / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 10
    assert sorted(p.name for p in (archive / "book").glob("*.ipynb")) == notebooks
    assert (archive / "requirements.txt").read_bytes() == (ROOT / "requirements.txt").read_bytes()
    assert not list(archive.rglob("instructor_guide*")) and not list(archive.rglob("*.pyc"))
    # `make lab` in the unpacked archive: a venv, the package, the kernel, then JupyterLab
    # on lab/ (dry run: nothing is installed here).
    plan = subprocess.run(["make", "-n", "lab"], cwd=archive, capture_output=True, text=True,
                          check=True).stdout
    for step in ("-m venv .venv", "-r requirements.txt", "-e code/", "ipykernel install",
                 "tools/jupyterlab/install.py",
                 "jupyter lab --ServerApp.root_dir=lab"):
        assert step in plan, (step, plan)


def test_archive_holds_no_solution(archive, oracle):
    leaks = []
    for path in archive.rglob("*"):
        text = _text_of(path) if path.is_file() else None
        if text is None or path.suffix == ".py":   # the package's code is not a solution
            continue
        found = _ngrams(_tokens(text)) & oracle["ngrams"]
        if found:
            leaks.append(f"{path.relative_to(archive)}: {' '.join(sorted(found)[0])!r}")
    assert not leaks, leaks


def test_answer_key_has_every_solution(edition):
    key = (edition.parent / "answer_key.md").read_text(encoding="utf-8")
    for snippet in ("def balanced_chain", "By induction", "w = 4.4: from x = 1/2"):
        assert snippet in key, snippet
    labels = set()
    for path in _book_pages():
        text = "\n".join(src for kind, src, _, _ in _cells(path) if kind == "markdown")
        labels |= set(re.findall(r"\{solution(?:-start)?\}[ \t]+([\w-]+)", text))
    assert len(labels) >= 30
    missing = [label for label in sorted(labels) if label not in key]
    assert not missing, missing


@pytest.mark.slow
def test_every_student_notebook_runs(edition):
    """The student notebooks executed in a fresh kernel each, as a student's Run All: no
    cell may fail (a solution cell removed while a later cell needs its result, a data file
    left out of the edition, a check cell that raises on the unanswered ``answer = None``)."""
    import nbclient

    failures = []
    folder = edition / "notebooks"
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                         resources={"metadata": {"path": str(folder)}})
        try:
            client.execute()
        except Exception as err:       # CellExecutionError, timeouts, dead kernels
            failures.append(f"{path.name}: {type(err).__name__}: {str(err)[-800:]}")
            continue
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        if errors:
            failures.append(f"{path.name}: {errors[0].ename}: {errors[0].evalue}")
    assert not failures, "\n\n".join(failures)
