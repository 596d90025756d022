"""Reading a scenario's CSV data source: the file's path, its columns, the file itself.

The part of the scenario reader that checks ``[data] csv`` and ``columns``: a path that stays in
the scenario's folder and names a regular file (never opened when it is a pipe or a device), and
the columns to read (:mod:`gradstep.engine.scenario.csv_reader` reads them). Mixed into
:class:`gradstep.engine.scenario.reader._Reader`, which supplies ``fail``, ``shown``, ``base``,
``has_file`` and ``dtype``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from gradstep.engine.errors import ScenarioError, format_key
from gradstep.engine.i18n import _
from gradstep.engine.scenario.csv_reader import read_csv
from gradstep.engine.scenario.table import _show
from gradstep.engine.scenario.text import control_message, printable


class _CsvSourceReader:
    """Reads ``[data] csv`` and ``columns`` (mixed into the scenario reader)."""

    def csv(self, table):
        if "\0" in str(table.values["csv"]):  # before the control-character check: its own words
            raise table.fail("csv", _("the file name contains a NUL character (\\0)"))
        name = table.string("csv", max_len=400)
        path = self.data_path(table, name)
        columns = table.table("columns", None)
        inputs = targets = None
        if columns is not None:
            columns.allow(("inputs", "targets"))
            inputs = self.column_names(columns, "inputs")
            targets = self.column_names(columns, "targets")
        # Name the CSV file as the user would reach it: beside the scenario file.
        shown = str(Path(self.shown).parent / name) if self.has_file else name
        try:
            x, y, _inputs, _targets = read_csv(path, inputs=inputs, targets=targets, shown=shown)
        except ScenarioError as exc:
            raise exc.located(key=format_key(table.path + ("csv",))) from None
        return x.astype(self.dtype), y

    def column_names(self, table, key):
        if key not in table:
            return None
        value = table.values[key]
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or \
                not all(isinstance(v, str) for v in names):
            raise table.fail(key, _("expected a column name or a list of column names, got "
                                    "{got}").format(got=_show(value)))
        for name in names:
            message = control_message(name)
            if message:
                raise table.fail(key, message)
        return names

    def data_path(self, table, name):
        if not name.strip():
            raise table.fail("csv", _("empty file name"))
        rel = Path(name)
        if rel.is_absolute() or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise table.fail("csv", _("absolute paths are not allowed ({path}): put the file in "
                                      "the scenario's folder and give its relative path, so the "
                                      "scenario can be shared").format(path=name))
        base = self.base.resolve()
        try:
            full = (base / rel).resolve()
        except (OSError, RuntimeError):
            raise table.fail("csv", _("cannot resolve the path {path}").format(path=name)) from None
        if not full.is_relative_to(base):
            raise table.fail("csv", _("the path {path} leaves the scenario's folder; data files "
                                      "must sit in the scenario's folder or below it")
                             .format(path=name))
        try:
            mode = os.stat(full).st_mode  # stat, never open: opening a FIFO would wait for a writer
        except OSError:
            raise table.fail("csv", _("file not found: {path} (looked in {folder})")
                             .format(path=name, folder=printable(str(base)))) from None
        if stat.S_ISDIR(mode):
            raise table.fail("csv", _("{path} is a folder, not a CSV file").format(path=name))
        if stat.S_ISFIFO(mode):
            raise table.fail("csv", _("{path} is a named pipe (FIFO), not a CSV file")
                             .format(path=name))
        if not stat.S_ISREG(mode):
            raise table.fail("csv", _("{path} is not a regular file (a device or a socket?), not "
                                      "a CSV file").format(path=name))
        return full
