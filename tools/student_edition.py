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

The staging copy (``_build/student-src/``: stripped sources, a generated ``_config.yml``
and ``_toc.yml``, links to ``_ext/`` and the vendored JavaScript) is built in place and is
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
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = "book"
#: Pages of the full edition that students do not get (they discuss the exercises).
TEACHER_ONLY = {"book/instructor_guide"}
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


def _strip_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix == ".ipynb":
        nb = strip_notebook(nbformat.read(src, as_version=4))
        text = "".join(c.source for c in nb.cells)
        if leftover_solutions(text):
            raise ValueError(f"{src}: solution markup left after stripping")
        nbformat.write(nb, dst)
    elif src.suffix == ".md":
        text, gated = strip_markdown(src.read_text(encoding="utf-8"))
        if gated or leftover_solutions(text):
            raise ValueError(f"{src}: unbalanced or leftover solution markup")
        dst.write_text(text + "\n", encoding="utf-8")
    else:
        shutil.copy2(src, dst)


def _skip(rel: Path, pages: set[str]) -> bool:
    """Leave out checkpoints, caches, and pages (.ipynb, .md) that the student toc lacks."""
    parts = set(rel.parts)
    if ".ipynb_checkpoints" in parts or "__pycache__" in parts or "_build" in parts:
        return True
    return rel.suffix in (".ipynb", ".md") and str(rel.with_suffix("")) not in pages


def toc_pages(toc: dict) -> set[str]:
    """Every document of a toc, without extension (root, parts, chapters, sections)."""
    pages = {str(Path(toc["root"]).with_suffix(""))}

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.add(str(Path(entry["file"]).with_suffix("")))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return pages


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
    # The course's Sphinx extensions and the JavaScript they serve, used in place.
    (stage_dir / "_ext").symlink_to(ROOT / "_ext", target_is_directory=True)
    node_modules = ROOT / "tools" / "vendor" / "node_modules"
    if node_modules.is_dir():
        (stage_dir / "tools" / "vendor").mkdir(parents=True)
        (stage_dir / "tools" / "vendor" / "node_modules").symlink_to(node_modules,
                                                                   target_is_directory=True)


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
    (out / "README.txt").write_text(
        "Student edition of the course, without solutions (tools/student_edition.py).\n"
        "html/       the site: open html/index.html or publish the folder.\n"
        "notebooks/  the notebooks to hand out; for Binder, publish them as book/ on the\n"
        f"            branch '{branch}' of the course repository (see the instructor guide).\n",
        encoding="utf-8")
    if not quiet:
        print(f"student edition in {out} ({time.monotonic() - t0:.0f} s): html/ and notebooks/")


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
