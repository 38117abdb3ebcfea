"""rnngrad's docstrings on the API pages (book/api/) as students read them with ``help()``.

The docstrings are plain text with Unicode maths, written for ``help()`` in JupyterLab.
autodoc parses them as reStructuredText, where two habits of that plain text mean something
else:

* an equation set off by indentation under a sentence would become a block quote whose lines
  run together into one paragraph. Every such block becomes a literal block, so it keeps its
  lines and its alignment, as in ``help()`` (a block after a line ending in ``::`` already is one);
* ``|z|``, an absolute value, would be a substitution reference (an error). Bars outside
  literal text are escaped.

An equation block wraps at the width of the text column (``_ext/static/api-docstrings.css``).

A class that inherits its ``__new__`` from another package (an ipywidgets box: traitlets'
``(*args, **kwargs)``) shows the parameters of its own ``__init__``.

A cross-reference to ``module.name`` (``:func:`gradients.lag_jacobians```), the way a student
who ran ``from rnngrad import gradients`` writes it, resolves to ``rnngrad.module.name``.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

PACKAGE = "rnngrad"
STATIC = Path(__file__).parent / "static"
_BULLET = re.compile(r"([-*+•]|\d+[.)]|\(\d+\))\s+")
_INLINE_LITERAL = re.compile(r"(``.+?``)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _text_indent(line: str) -> int:
    """Where the text of a line starts: after a list bullet, if it has one."""
    stripped = line.lstrip()
    bullet = _BULLET.match(stripped)
    return _indent(line) + (bullet.end() if bullet else 0)


def _escape_bars(line: str) -> str:
    parts = _INLINE_LITERAL.split(line)
    return "".join(p if i % 2 else p.replace("|", r"\|") for i, p in enumerate(parts))


def plain_text_to_rst(lines: list[str]) -> list[str]:
    """The docstring's lines with indented blocks made literal and bars escaped."""
    out: list[str] = []
    literal_above = None          # indent of the paragraph a literal block belongs to
    last_text = ""                # the last non-blank line outside a literal block
    blank_before = True
    for line in lines:
        if not line.strip():
            out.append(line)
            blank_before = True
            continue
        if literal_above is not None and _indent(line) > literal_above:
            out.append(line)                                  # inside a literal block
            blank_before = False
            continue
        literal_above = None
        starts_block = (blank_before and last_text and _indent(line) > _text_indent(last_text)
                        and not last_text.lstrip().startswith(".."))
        if starts_block:
            literal_above = _indent(last_text)
            if not last_text.rstrip().endswith("::"):
                out += [" " * literal_above + "::", ""]       # "::" alone: not shown
            out.append(line)
        else:
            out.append(line if line.lstrip().startswith("..") else _escape_bars(line))
            last_text = line
        blank_before = False
    return out


def process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    if name == PACKAGE or name.startswith(PACKAGE + "."):
        lines[:] = plain_text_to_rst(lines)


def own_init_signature(app, what, name, obj, options, signature, return_annotation):
    if (what != "class" or not name.startswith(PACKAGE + ".") or "__init__" not in vars(obj)
            or obj.__new__ is object.__new__
            or getattr(obj.__new__, "__module__", "").startswith(PACKAGE)):
        return None
    init = inspect.signature(obj.__init__, eval_str=True)
    params = list(init.parameters.values())[1:]                 # without self
    return str(init.replace(parameters=params, return_annotation=inspect.Signature.empty)), None


def resolve_short_name(app: Sphinx, env, node, contnode):
    """``module.name`` → ``rnngrad.module.name`` for Python cross-references."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or "." not in target or target.startswith(PACKAGE + "."):
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                               f"{PACKAGE}.{target}", node, contnode)


def add_static(app: Sphinx, config: Config) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", add_static)
    app.add_css_file("api-docstrings.css")
    app.connect("autodoc-process-docstring", process_docstring)
    app.connect("autodoc-process-signature", own_init_signature)
    app.connect("missing-reference", resolve_short_name)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
