"""Build the student edition of the course: the book without its solutions.

    .venv/bin/python tools/student_edition.py            # what `make student` runs

writes

* ``_build/student/notebooks/``: the book's sources (notebooks, pages, bibliography, figures,
  data) with every solution removed: each code cell tagged ``solution``, each sphinx-exercise
  ``{solution}`` directive, and each gated block ``{solution-start}`` … ``{solution-end}``
  with every cell between (markdown and code). A markdown cell left empty is dropped.
  This is what students get (hand it out, or publish it on the branch the Binder links use).
* ``_build/student/html/``: the site built with Jupyter Book from those notebooks, strictly
  (``-W -n``), with stored outputs (no execution: the outputs are committed, and the
  stripped cells take theirs with them) and sphinx-exercise's ``hide_solutions`` on as a
  second lock. Its launch buttons open the notebooks on the ``student`` branch of the course
  repository (``--branch``; ``--repository`` for another repository); its title says
  "student edition".

* ``_build/student/rnn-gradients-student.zip``: the archive to hand out. Unpacked, it is a
  small project of its own: ``book/`` (the student notebooks and the data they read),
  ``code/`` (the package ``rnngrad``), ``requirements.txt``, ``runtime.txt`` and ``postBuild``
  (so the folder also works as a Binder repository), and a ``Makefile`` whose ``make lab``
  creates a virtual environment and opens JupyterLab on a working copy of the notebooks, as
  the course's own ``make lab`` does (``tools/lab.mk``); its README says how.
* ``_build/answer_key.md`` (outside the edition: it is for the teacher): every removed
  solution, page by page, in the order of the book.

Pages may hold text for one edition only, between HTML comments (invisible in both):
``<!-- full-edition -->`` … ``<!-- /full-edition -->`` is removed from the student edition,
and ``<!-- student-edition`` … ``-->`` is uncommented in it.

The staging copy (``_build/student-src/``: stripped sources, a generated ``_config.yml``
and ``_toc.yml``, a link to ``_ext/``) is built in place and is
not part of the edition. Pages for teachers (``TEACHER_ONLY``) are left out of the edition.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = "book"
#: Pages of the full edition that students do not get: the guide discusses the exercises, and
#: the API page of the exercise checkers (with its source page) shows how each reference
#: answer is computed.
TEACHER_ONLY = {"book/instructor_guide", "book/api/exercises"}
#: Cell tag of solution code cells.
SOLUTION_TAG = "solution"

# A MyST directive opening: ```{name} args  or  :::{name} args (any fence length >= 3).
_OPEN = re.compile(r"^\s*(?P<fence>`{3,}|~{3,}|:{3,})\{(?P<name>[A-Za-z0-9_:-]+)\}(?P<args>.*)$")


def _closes(line: str, fence: str) -> bool:
    """Does ``line`` close a directive opened with ``fence`` (same character, at least as long)?"""
    text = line.strip()
    return (len(text) >= len(fence) and set(text) == {fence[0]})


def split_markdown(text: str, gated: bool = False) -> tuple[str, str, bool]:
    """Split MyST markdown into what students keep and the solutions.

    ``gated`` says whether the text starts inside a gated solution (a ``{solution-start}``
    opened in an earlier cell). Returns (text without solutions, the removed solution text,
    whether the text ends inside a gated solution). Removed: every ``{solution}`` directive,
    and everything from a ``{solution-start}`` directive to the end of the next
    ``{solution-end}`` directive.
    """
    kept: list[str] = []
    removed: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        name = m.group("name") if m else None
        if gated and name != "solution-end":
            removed.append(lines[i])
            i += 1
            continue
        if name in ("solution", "solution-start", "solution-end"):
            fence = m.group("fence")
            removed.append(lines[i])
            i += 1
            while i < len(lines) and not _closes(lines[i], fence):
                removed.append(lines[i])
                i += 1
            removed.extend(lines[i:i + 1])         # the closing fence itself
            i += 1
            if name == "solution-start":
                gated = True
            elif name == "solution-end":
                gated = False
            continue
        kept.append(lines[i])
        i += 1
    stripped = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    return stripped, "\n".join(removed), gated


def strip_markdown(text: str, gated: bool = False) -> tuple[str, bool]:
    """``split_markdown`` without the removed text: (text without solutions, ends gated?)."""
    kept, _, gated = split_markdown(text, gated)
    return kept, gated


def split_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list]:
    """(a copy of ``nb`` without solutions, the removed parts).

    Removed: code cells tagged ``solution``, every cell inside a gated solution, and the
    solution directives of markdown cells. The removed parts are whole cells, or markdown
    cells holding only the removed text of a cell that keeps the rest.
    """
    nb = copy.deepcopy(nb)
    cells, removed = [], []
    gated = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text, gone, gated = split_markdown(cell.source, gated)
            if gone.strip():
                removed.append(nbformat.v4.new_markdown_cell(gone))
            if text.strip():
                cell.source = text
                cells.append(cell)
            continue
        if gated or SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            removed.append(cell)
            continue
        cells.append(cell)
    if gated:
        raise ValueError("a {solution-start} block is never closed by {solution-end}")
    nb.cells = cells
    return nb, removed


def strip_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solution cells, solution directives and gated solutions."""
    return split_notebook(nb)[0]


def leftover_solutions(text: str) -> list[str]:
    """Solution markup still present in a text (should be empty after stripping)."""
    return re.findall(r"\{solution(?:-start|-end)?\}", text)


_FULL_ONLY = re.compile(r"<!-- full-edition -->.*?<!-- /full-edition -->\n?", re.S)
_STUDENT_ONLY = re.compile(r"<!-- student-edition\n(.*?)-->\n?", re.S)


def edition_text(text: str) -> str:
    """The student edition's version of a page: full-edition blocks removed, student-edition
    blocks uncommented."""
    return _STUDENT_ONLY.sub(r"\1", _FULL_ONLY.sub("", text))


def _strip_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix == ".ipynb":
        nb = strip_notebook(nbformat.read(src, as_version=4))
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = edition_text(cell.source)
        text = "".join(c.source for c in nb.cells)
        if leftover_solutions(text):
            raise ValueError(f"{src}: solution markup left after stripping")
        nbformat.write(nb, dst)
    elif src.suffix == ".md":
        text, gated = strip_markdown(edition_text(src.read_text(encoding="utf-8")))
        if gated or leftover_solutions(text):
            raise ValueError(f"{src}: unbalanced or leftover solution markup")
        dst.write_text(text + "\n", encoding="utf-8")
    else:
        shutil.copy2(src, dst)


def _skip(rel: Path, pages: set[str]) -> bool:
    """Leave out checkpoints, caches, and pages (.ipynb, .md in book/ or book/api/) that the
    student toc lacks. Files in book's other subfolders (data, figures) are never pages: kept."""
    parts = set(rel.parts)
    if ".ipynb_checkpoints" in parts or "__pycache__" in parts or "_build" in parts:
        return True
    is_page = rel.suffix in (".ipynb", ".md") and rel.parent in (Path(BOOK), Path(BOOK) / "api")
    return is_page and str(rel.with_suffix("")) not in pages


def toc_pages(toc: dict) -> set[str]:
    """Every document of a toc, without extension (root, parts, chapters, sections)."""
    return set(toc_order(toc))


def stage_sources(dest: Path) -> list[Path]:
    """Copy book/ into ``dest``/book, stripped: the pages of the student toc (a page still
    being written and not yet in _toc.yml stays out) and every other file (bibliography,
    figures, data). Returns the files written."""
    pages = toc_pages(student_toc())
    written = []
    for src in sorted((ROOT / BOOK).rglob("*")):
        rel = src.relative_to(ROOT)
        if src.is_dir() or _skip(rel, pages):
            continue
        _strip_file(src, dest / rel)
        written.append(dest / rel)
    return written


def answer_key(pages: list[str]) -> str:
    """Markdown: every solution removed from the student edition, page by page (``pages``
    without extension, in the order of the book)."""
    out = ["# Answer key\n",
           "Every solution removed from the student edition (tools/student_edition.py), "
           "page by page. For the teacher: do not hand this out.\n"]
    for page in pages:
        src = next((ROOT / f"{page}{s}" for s in (".ipynb", ".md")
                    if (ROOT / f"{page}{s}").is_file()), None)
        if src is None:
            continue
        if src.suffix == ".ipynb":
            removed = split_notebook(nbformat.read(src, as_version=4))[1]
        else:
            gone = split_markdown(src.read_text(encoding="utf-8"))[1]
            removed = [nbformat.v4.new_markdown_cell(gone)] if gone.strip() else []
        if not removed:
            continue
        out.append(f"## {src.relative_to(ROOT)}\n")
        for cell in removed:
            if cell.cell_type == "markdown":
                out.append(cell.source.strip() + "\n")
            else:
                out.append("```python\n" + cell.source.strip() + "\n```\n")
                text = "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                               for o in cell.get("outputs", []))
                if text.strip():
                    out.append("Output:\n\n```text\n" + text.strip() + "\n```\n")
    return "\n".join(out)


def toc_order(toc: dict) -> list[str]:
    """The documents of a toc in reading order, without extension."""
    order = [str(Path(toc["root"]).with_suffix(""))]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                order.append(str(Path(entry["file"]).with_suffix("")))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return order


#: What the archive holds besides the notebooks: (source in the repository, name in the archive).
ARCHIVE_FILES = [("requirements.txt", "requirements.txt"), ("runtime.txt", "runtime.txt"),
                 ("postBuild", "postBuild"), ("tools/lab.mk", "tools/lab.mk"),
                 ("tools/jupyterlab/overrides.json", "tools/jupyterlab/overrides.json"),
                 ("tools/jupyterlab/install.py", "tools/jupyterlab/install.py"),
                 ("tools/student/Makefile", "Makefile"), ("tools/student/README.md", "README.md"),
                 ("code/pyproject.toml", "code/pyproject.toml")]
ARCHIVE_NAME = "rnn-gradients-student"


def write_archive(notebooks: Path, zip_path: Path) -> list[str]:
    """The archive to hand out (see the module's docstring). Returns the names it holds."""
    files = [(ROOT / src, name) for src, name in ARCHIVE_FILES]
    files += [(p, str(Path("code") / p.relative_to(ROOT / "code")))
              for p in sorted((ROOT / "code" / "rnngrad").rglob("*.py"))]
    files += [(p, str(Path(BOOK) / p.relative_to(notebooks)))
              for p in sorted(notebooks.rglob("*")) if p.is_file()]
    names = []
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for src, name in files:
            arcname = f"{ARCHIVE_NAME}/{name}"
            info = zipfile.ZipInfo(arcname, date_time=time.localtime()[:6])
            info.external_attr = (0o755 if src.name == "postBuild" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, src.read_bytes())
            names.append(arcname)
    return names


def student_toc() -> dict:
    """_toc.yml without the teachers' pages (and without parts left empty)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))

    def keep(entries):
        kept = []
        for entry in entries or []:
            if str(Path(entry.get("file", "")).with_suffix("")) in TEACHER_ONLY:
                continue
            entry = dict(entry)
            for key in ("sections", "chapters"):
                if key in entry:
                    entry[key] = keep(entry[key])
            kept.append(entry)
        return kept

    if "chapters" in toc:
        toc["chapters"] = keep(toc["chapters"])
    if "parts" in toc:
        toc["parts"] = [dict(p, chapters=keep(p.get("chapters")))
                        for p in toc["parts"] if keep(p.get("chapters"))]
    return toc


def student_config(branch: str, repository: str | None = None) -> dict:
    """_config.yml with execution off, solutions hidden, and launch buttons on ``branch``
    (of ``repository``, by default the course's own)."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    cfg["title"] = f"{cfg.get('title', 'Course')} (student edition)"
    cfg.setdefault("execute", {})["execute_notebooks"] = "off"
    cfg.setdefault("repository", {})["branch"] = branch
    if repository:
        cfg["repository"]["url"] = repository
    sphinx = cfg.setdefault("sphinx", {})
    sphinx.setdefault("config", {})["hide_solutions"] = True
    return cfg


def stage(stage_dir: Path, branch: str, repository: str | None = None) -> None:
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    stage_dir.mkdir(parents=True)
    stage_sources(stage_dir)
    (stage_dir / "_toc.yml").write_text(yaml.safe_dump(student_toc(), sort_keys=False),
                                        encoding="utf-8")
    (stage_dir / "_config.yml").write_text(
        "# Generated by tools/student_edition.py from ../../_config.yml: do not edit.\n"
        + yaml.safe_dump(student_config(branch, repository), sort_keys=False, allow_unicode=True),
        encoding="utf-8")
    # The course's Sphinx extensions, used in place.
    (stage_dir / "_ext").symlink_to(ROOT / "_ext", target_is_directory=True)


def build(out: Path, stage_dir: Path, branch: str = "student", quiet: bool = False,
          repository: str | None = None) -> None:
    t0 = time.monotonic()
    stage(stage_dir, branch, repository)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(stage_dir), "-W", "-n", "--keep-going", "--all"]
    result = subprocess.run(cmd, cwd=stage_dir, capture_output=quiet, text=True)
    if result.returncode != 0:
        if quiet:
            sys.stderr.write(result.stdout[-5000:] + result.stderr[-5000:])
        raise SystemExit(f"the student edition did not build (exit {result.returncode})")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(stage_dir / "_build" / "html", out / "html")
    shutil.copytree(stage_dir / BOOK, out / "notebooks")
    write_archive(out / "notebooks", out / f"{ARCHIVE_NAME}.zip")
    key = out.parent / "answer_key.md"
    key.write_text(answer_key(toc_order(student_toc())), encoding="utf-8")
    (out / "README.txt").write_text(
        "Student edition of the course, without solutions (tools/student_edition.py).\n"
        "html/       the site: open html/index.html or publish the folder.\n"
        "notebooks/  the notebooks to hand out; for Binder, publish them as book/ on the\n"
        f"            branch '{branch}' of the course repository (see the instructor guide).\n"
        f"{ARCHIVE_NAME}.zip  the notebooks with the package and a `make lab`, to hand out\n"
        "            (students unpack it and follow its README).\n",
        encoding="utf-8")
    if not quiet:
        print(f"student edition in {out} ({time.monotonic() - t0:.0f} s): html/, notebooks/ "
              f"and {ARCHIVE_NAME}.zip; the answer key (for the teacher) is {key}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "student",
                        help="output folder (default: _build/student)")
    parser.add_argument("--stage", type=Path, default=ROOT / "_build" / "student-src",
                        help="staging folder for the stripped sources (default: _build/student-src)")
    parser.add_argument("--branch", default="student",
                        help="git branch the launch buttons open (default: student)")
    parser.add_argument("--repository", default=None,
                        help="repository URL the launch buttons open (default: _config.yml's)")
    parser.add_argument("--quiet", action="store_true", help="print the build log only on failure")
    args = parser.parse_args(argv)
    build(args.out.resolve(), args.stage.resolve(), args.branch, args.quiet, args.repository)


if __name__ == "__main__":
    main()
