"""The one error a scenario file can cause, and how to find the line it is about.

Every problem with a scenario file (TOML syntax, an unknown key, a value out of range, a ragged
array, a missing CSV file, an expression that does not parse) raises :class:`ScenarioError`,
whose text reads like a compiler's::

    adam.toml:7: optimizer.rho: adam has no hyperparameter `rho` (expected one of lr, beta1, ...)

``tomllib`` reports lines only for syntax errors, so :func:`locate_key` finds the line of a key
path (``("compare", 1, "lr")``) by reading the text: good enough for errors, never needed for
anything else.
"""

from __future__ import annotations

import re

__all__ = ["ScenarioError", "ExpressionError", "format_key", "locate_key"]


class ScenarioError(Exception):
    """A scenario file (or a piece of one) is invalid.

    Attributes:
        file: The file the problem is in (a scenario or a CSV file), or None for text.
        line: 1-based line number, or None when unknown.
        key: Dotted key path the problem is about (``optimizer.beta1``,
            ``model.layers[0].units``), or None.
        message: What is wrong, usually ending ``(expected ..., got ...)``.
        column: 1-based column for syntax and expression errors, else None.
    """

    def __init__(self, message: str, *, file=None, line: int | None = None,
                 key: str | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = None if file is None else str(file)
        self.line = line
        self.key = key
        self.column = column

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{where or '<text>'}:{self.line}"
        parts = [p for p in (where, self.key) if p]
        return ": ".join([*parts, self.message])

    def located(self, *, file=None, line=None, key=None) -> "ScenarioError":
        """A copy with the location parts that are missing filled in."""
        cls = type(self)
        err = cls.__new__(cls)
        ScenarioError.__init__(err, self.message, file=self.file or file,
                               line=self.line if self.line is not None else line,
                               key=self.key or key, column=self.column)
        for name, value in vars(self).items():  # a subclass's own attributes
            err.__dict__.setdefault(name, value)
        return err


class ExpressionError(ScenarioError):
    """An expression that does not parse, uses an unknown name, or does not fit its shapes.

    ``column`` (1-based) points at the offending piece; the message names it too. ``define``
    names the ``[objective] define`` entry the problem is in (None for the expression itself).
    """

    define: str | None = None


def format_key(path) -> str:
    """``("model", "layers", 0, "units")`` -> ``model.layers[0].units``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# -- finding the line of a key -----------------------------------------------------------------
# A table header alone on its line; the key charset keeps rows of multi-line arrays out.
_HEADER = r"^\s*(\[\[?)\s*([A-Za-z0-9_\-. \t\"']+?)\s*\]\]?\s*(?:#.*)?$"


def _header_parts(text):
    parts = []
    for piece in text.split("."):
        piece = piece.strip().strip("\"'")
        parts.append(piece)
    return tuple(parts)


def _sections(lines):
    """``[(path, first_line_index), ...]`` for the root and every table header.

    Arrays of tables get an index: the second ``[[compare]]`` is ``("compare", 1)``, and a
    table below one (``[page.until]`` after the first ``[[page]]``) belongs to its latest
    element: ``("page", 0, "until")``.
    """
    sections = [((), 0)]
    counts: dict[tuple, int] = {}
    for i, line in enumerate(lines):
        m = re.match(_HEADER, line)
        if not m:
            continue
        path = _header_parts(m.group(2))
        for j in range(len(path) - 1, 0, -1):  # the longest prefix that is an array of tables
            if path[:j] in counts:
                path = path[:j] + (counts[path[:j]] - 1,) + path[j:]
                break
        if m.group(1) == "[[":
            k = counts.get(path, 0)
            counts[path] = k + 1
            path = path + (k,)
        sections.append((path, i))
    return sections


def _key_pattern(name):
    # ``name =``, or ``name.`` as the head of a dotted key (``optimizer.kind = ...``).
    return r"(?:^|[\s{,.])[\"']?" + re.escape(name) + r"[\"']?\s*[=.]"


def locate_key(text: str | None, path) -> int | None:
    """The 1-based line where the key ``path`` is written in TOML ``text``, best effort.

    Finds the table header that holds the longest prefix of ``path`` (``[optimizer]``,
    ``[[compare]]`` number k), then looks for the remaining keys in order within that table.
    Returns the line of the deepest piece found, the header's line when no key is found, or
    None when even the table is absent.
    """
    if not text or not path:
        return None
    lines = text.splitlines()
    sections = _sections(lines)
    path = tuple(path)
    best = None
    for k, (sec_path, start) in enumerate(sections):
        n = len(sec_path)
        if sec_path == path[:n] and (best is None or n > len(best[0])):
            end = sections[k + 1][1] if k + 1 < len(sections) else len(lines)
            # A header [a.b] lies inside [a] in the text only if it follows it; keep the
            # section bounds of the header we chose, not of its parent.
            best = (sec_path, start, end)
    if best is None:
        return None
    sec_path, start, end = best
    rest = [p for p in path[len(sec_path):] if isinstance(p, str)]
    found = start + 1 if sec_path else None
    pos = start + 1 if sec_path else 0
    for name in rest:
        pattern = _key_pattern(name)
        for i in range(pos, end):
            line = lines[i]
            if "#" in line and '"' not in line and "'" not in line:
                line = line.split("#", 1)[0]
            if re.search(pattern, line):
                found = i + 1
                pos = i
                break
        else:
            break
    if found is None:
        return None
    return found
