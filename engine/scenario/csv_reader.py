"""CSV data files, read in one bounded pass.

A CSV file comes from anywhere, so every size is checked while it is read, before memory is
spent on it: the file's size (from ``stat``), each line's length (a line is read only up to
:data:`MAX_LINE_CHARS`, so a file without newlines fails at once), the number of columns, of rows
and of numbers (:data:`~gradstep.engine.scenario.data.MAX_ELEMENTS`, as for inline data), and
the memory budget. Duplicate header names are found with a set; the numbers go straight into a
packed array of doubles. A byte-order mark at the start is skipped.
"""

from __future__ import annotations

import array
import csv
import os
import re
import stat
from pathlib import Path

import numpy as np

from gradstep.engine import memory
from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _
from gradstep.engine.scenario import data as _data
from gradstep.engine.scenario.text import control_message, printable

__all__ = ["MAX_CSV_BYTES", "MAX_LINE_CHARS", "MAX_COLUMNS", "read_csv"]

MAX_CSV_BYTES = 200_000_000
"""Largest CSV file read (10 million numbers of up to 19 characters and their commas)."""

MAX_LINE_CHARS = 1_000_000
"""Longest line of a CSV file, in characters: a line is read whole only up to this length."""

MAX_COLUMNS = 10_000
"""Most columns in a CSV file (a network takes at most 4096 inputs)."""

_CSV_NUMBER = r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*"
_NUMBER = re.compile(_CSV_NUMBER)
# A row's used fields joined by NUL (which \s does not match): one regex call checks them all.
_ROW = re.compile(f"(?:{_CSV_NUMBER})(?:\x00(?:{_CSV_NUMBER}))*")


def read_csv(path: Path, *, inputs=None, targets=None, shown=None):
    """Read a CSV file with a header row into ``(x, y, input_columns, target_columns)``.

    The file is streamed line by line with every size checked on the way (file size, line
    length, columns, rows, numbers), so a hostile file fails fast in little memory. A byte-order
    mark at its start is skipped.

    Args:
        path: The file.
        inputs: Column names of the inputs; by default every column not in ``targets``.
        targets: Column names of the targets; by default the last column.
        shown: How to name the file in messages (default: ``path``).

    Returns:
        float64 ``x`` of shape (n, k), float64 ``y`` of shape (n,) for one target column or
        (n, m) for several, and the column names used.

    Raises:
        ScenarioError: With the file and line: unreadable file or not a regular file, a file
            over :data:`MAX_CSV_BYTES`, a line over :data:`MAX_LINE_CHARS`, more than
            :data:`MAX_COLUMNS` columns, missing, duplicate or unprintable header names, unknown
            columns, a row of the wrong length, a field that is not a finite number, no rows,
            more than :data:`~gradstep.engine.scenario.data.MAX_ROWS` rows or
            :data:`~gradstep.engine.scenario.data.MAX_ELEMENTS` numbers.
        MemoryBudgetError: When the numbers would not fit the memory budget.
    """
    shown = str(path) if shown is None else shown
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
    except (OSError, ValueError) as exc:
        raise ScenarioError(_("cannot read the CSV file ({reason})")
                            .format(reason=getattr(exc, "strerror", None) or exc),
                            file=shown) from None
    with open(fd, newline="", encoding="utf-8-sig") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(_("not a regular file (a folder, a named pipe or a device)"),
                                file=shown)
        if info.st_size > MAX_CSV_BYTES:
            raise ScenarioError(_("the CSV file has {size} bytes (the limit is {limit})")
                                .format(size=f"{info.st_size:,}", limit=f"{MAX_CSV_BYTES:,}"),
                                file=shown)
        lines = _bounded_lines(handle, shown)
        reader = csv.reader(lines, strict=True)
        try:
            return _read_rows(reader, inputs, targets, shown)
        except csv.Error as exc:
            raise ScenarioError(_("not a valid CSV file ({reason})")
                                .format(reason=printable(str(exc))), file=shown,
                                line=reader.line_num) from None
        except UnicodeDecodeError:
            raise ScenarioError(_("not UTF-8 text"), file=shown, line=reader.line_num + 1) from None


def _bounded_lines(handle, shown):
    """The file's lines, refusing one longer than :data:`MAX_LINE_CHARS` before reading more."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise ScenarioError(_("line {number} is longer than {limit} characters (the limit)")
                                .format(number=number, limit=f"{MAX_LINE_CHARS:,}"),
                                file=shown, line=number)
        yield line


def _header(reader, shown):
    header = next(reader, None)
    if header is None:
        raise ScenarioError(_("the CSV file is empty (expected a header row of column names)"),
                            file=shown, line=1)
    if len(header) > MAX_COLUMNS:
        raise ScenarioError(_("the header has {count} columns (the limit is {limit})")
                            .format(count=f"{len(header):,}", limit=f"{MAX_COLUMNS:,}"),
                            file=shown, line=1)
    header = [h.strip() for h in header]
    seen = set()
    for i, name in enumerate(header):
        if not name:
            raise ScenarioError(_("column {number} of the header has no name").format(number=i + 1),
                                file=shown, line=1)
        problem = control_message(name)
        if problem:
            raise ScenarioError(_("column {number} of the header: {problem}")
                                .format(number=i + 1, problem=problem), file=shown, line=1)
        if name in seen:
            raise ScenarioError(_("the header names column `{name}` twice").format(name=name),
                                file=shown, line=1)
        seen.add(name)
    return header


def _read_rows(reader, inputs, targets, shown):
    header = _header(reader, shown)
    targets = [header[-1]] if targets is None else list(targets)
    if inputs is None:
        inputs = [h for h in header if h not in targets]
    inputs = list(inputs)
    index = {name: j for j, name in enumerate(header)}
    for name in (*inputs, *targets):
        if name not in index:
            columns = ", ".join(header)
            columns = columns if len(columns) <= 200 else columns[:200] + "..."
            raise ScenarioError(_("no column named `{name}` (the header has: {columns})")
                                .format(name=printable(name), columns=columns),
                                file=shown, line=1)
    if not inputs:
        raise ScenarioError(_("no input columns (every column is a target)"), file=shown, line=1)
    overlap = set(inputs) & set(targets)
    if overlap:
        raise ScenarioError(_("column `{name}` is both an input and a target")
                            .format(name=sorted(overlap)[0]), file=shown, line=1)
    width = len(header)
    used = [index[name] for name in (*inputs, *targets)]
    numbers = array.array("d")
    rows = 0
    budget = memory.limit()
    for fields in reader:
        if not fields or all(not f.strip() for f in fields):
            continue
        line = reader.line_num
        if len(fields) != width:
            raise ScenarioError(_("this row has {count} fields, the header has {width}")
                                .format(count=len(fields), width=width), file=shown, line=line)
        if rows >= _data.MAX_ROWS:
            raise ScenarioError(_("more than {limit} rows (the limit)")
                                .format(limit=f"{_data.MAX_ROWS:,}"), file=shown, line=line)
        if len(numbers) + len(used) > _data.MAX_ELEMENTS:
            raise ScenarioError(_("more than {limit} numbers in the columns used (the limit)")
                                .format(limit=f"{_data.MAX_ELEMENTS:,}"), file=shown, line=line)
        # 8 bytes a number, twice: growing, the array may be copied once
        if 16 * (len(numbers) + len(used)) > budget:
            memory.check(16 * (len(numbers) + len(used)),
                         _("the numbers of the CSV file: use fewer rows or columns"))
        texts = [fields[j] for j in used]
        try:
            if not _ROW.fullmatch("\x00".join(texts)):
                raise ValueError
            numbers.extend(map(float, texts))
        except ValueError:
            for j, text in zip(used, texts):
                if not _NUMBER.fullmatch(text):
                    raise ScenarioError(_("column `{name}`: {text} is not a finite number")
                                        .format(name=header[j], text=repr(text.strip()[:40])),
                                        file=shown, line=line) from None
            raise
        rows += 1
    if not rows:
        raise ScenarioError(_("the CSV file has a header but no rows"), file=shown,
                            line=reader.line_num)
    table = np.frombuffer(numbers, dtype=np.float64).reshape(rows, len(used))
    if not np.isfinite(table).all():  # 1e999 is well formed but overflows
        r, c = np.argwhere(~np.isfinite(table))[0]
        raise ScenarioError(_("column `{name}` of row {row} overflows to infinity")
                            .format(name=header[used[c]], row=r + 1), file=shown)
    k = len(inputs)
    x = table[:, :k]
    y = table[:, k] if len(targets) == 1 else table[:, k:]
    return x, y, tuple(inputs), tuple(targets)
