"""Loading scenario files: the entry points from a path, a text, or a bundled name.

Validation is plain hand-written code in :mod:`~gradstep.engine.scenario.reader` (top level,
data, optimizers, training), :mod:`~gradstep.engine.scenario.model_reader` (expressions,
networks) and :mod:`~gradstep.engine.scenario.table` (one table's values); TOML's own syntax
errors are put in the learner's words by :mod:`~gradstep.engine.scenario.toml_messages`.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.resources
import os
import re
import stat
import tomllib
from pathlib import Path

from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _
from gradstep.engine.scenario.reader import read_document
from gradstep.engine.scenario.spec import Scenario, in_language
from gradstep.engine.scenario.text import printable
from gradstep.engine.scenario.toml_messages import translate_toml_message

__all__ = [
    "load_scenario", "loads_scenario", "bundled_scenarios", "resolve_scenario", "read_text_file",
    "parse_toml", "DEFAULT_SCENARIO", "MAX_FILE_BYTES",
]

DEFAULT_SCENARIO = "adam-fabc"
"""The bundled scenario the dashboard opens when given none."""

MAX_FILE_BYTES = 5_000_000
"""Largest scenario file read."""


def load_scenario(path) -> Scenario:
    """Read and validate the scenario file at ``path``.

    Raises:
        ScenarioError: For a missing or unreadable file and for anything invalid in it; the
            message names the file, line and key.
    """
    return loads_scenario(read_text_file(
        path, _("is a folder, not a scenario file"),
        _("is not a regular file (a named pipe, a device or a socket), not a scenario file")), path)


def read_text_file(path, folder: str, irregular: str) -> str:
    """The UTF-8 text of the regular file at ``path`` (at most :data:`MAX_FILE_BYTES`), for a
    scenario or a lesson; ``folder`` and ``irregular`` say what the file was meant to be when
    it is a folder, or a named pipe, a device or a socket.

    Raises:
        ScenarioError: For a missing, unreadable, too large or not UTF-8 file.
    """
    path = Path(path)
    shown = printable(str(path))  # a file's own name may hold an escape sequence too
    try:
        raw = _read_regular_file(path, MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(_("file not found"), file=shown) from None
    except IsADirectoryError:
        raise ScenarioError(folder, file=shown) from None
    except _NotRegular:
        raise ScenarioError(irregular, file=shown) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ScenarioError(_("cannot read the file ({reason})")
                            .format(reason=getattr(exc, "strerror", None) or exc),
                            file=shown) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(_("the file is larger than {limit} bytes (the limit)")
                            .format(limit=f"{MAX_FILE_BYTES:,}"), file=shown)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError(_("not UTF-8 text"), file=shown, line=line) from None


class _NotRegular(Exception):
    pass


def _read_regular_file(path, limit):
    """At most ``limit`` bytes of the regular file at ``path``. Opened without blocking, and
    checked before reading: a named pipe would otherwise wait for a writer forever."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            raise _NotRegular(path)
        return handle.read(limit)


def loads_scenario(text: str, path=None) -> Scenario:
    """Validate scenario ``text``; ``path`` names it in errors and anchors relative data paths
    (the current folder when None).

    Raises:
        ScenarioError: For anything invalid, naming the line and key.
    """
    shown = printable(str(path)) if path is not None else "<text>"
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write: not TOML
    doc = parse_toml(text, shown)
    base = Path(path).parent if path is not None else Path.cwd()
    scenario = read_document(doc, text, shown, base, Path(path) if path is not None else None)
    return dataclasses.replace(scenario, source=text)  # what a save file keeps


def parse_toml(text: str, shown: str) -> dict:
    """``tomllib``'s document for ``text`` (a byte-order mark already dropped: the caller keeps
    that text to find lines for errors), its errors in the learner's words naming ``shown``.

    Raises:
        ScenarioError: For text too long, or not TOML.
    """
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(_("the text is longer than {limit} characters (the limit)")
                            .format(limit=f"{MAX_FILE_BYTES:,}"), file=shown)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, shown) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ScenarioError(_("invalid TOML: {problem}").format(problem=printable(str(exc))),
                            file=shown) from None
    except RecursionError:
        raise ScenarioError(_("invalid TOML: {problem}")
                            .format(problem=_("arrays or tables nested too deeply")),
                            file=shown) from None


def _syntax_error(exc, shown):
    message = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    line = column = None
    if m:
        line, column = int(m.group(1)), int(m.group(2))
        message = (_("{problem} (column {column})")
                   .format(problem=translate_toml_message(message[:m.start()]), column=column))
    elif message.endswith(" (at end of document)"):
        problem = message[:-len(" (at end of document)")]
        message = (_("{problem} at the end of the file")
                   .format(problem=translate_toml_message(problem)))
    else:
        message = translate_toml_message(message)
    return ScenarioError(_("invalid TOML: {problem}").format(problem=printable(message)), file=shown,
                         line=line, column=column)


def bundled_scenarios(lang: str = "en") -> list[tuple[str, str, Path]]:
    """``[(name, description, path), ...]`` of the scenarios shipped in the ``scenarios``
    package, sorted by name. Reads each file's TOML only (no validation).

    Args:
        lang: The language of the descriptions, ``"en"`` or ``"pt"`` (``description_pt``,
            falling back to ``description`` when a file has none).
    """
    out = []
    root = importlib.resources.files("gradstep.scenarios")
    for entry in root.iterdir():
        if not entry.name.endswith(".toml"):
            continue
        path = Path(str(entry))
        stem = entry.name[:-len(".toml")]
        try:
            doc = tomllib.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {}
        name = doc.get("name") if isinstance(doc.get("name"), str) else stem
        english, portuguese = (doc.get(key) if isinstance(doc.get(key), str) else ""
                               for key in ("description", "description_pt"))
        out.append((name, in_language(lang, english, portuguese), path))
    return sorted(out)


def resolve_scenario(path_or_name) -> Path:
    """The file meant by a command-line argument: an existing path, or a bundled name.

    Raises:
        ScenarioError: When it is neither, listing the bundled names (with a suggestion).
    """
    candidate = Path(path_or_name)
    try:
        exists = candidate.is_file() or (candidate.exists() and not candidate.is_dir())
    except (OSError, ValueError):  # a NUL in the name
        exists = False
    if exists:  # a named pipe or a device too: load_scenario says what it is, without opening it
        return candidate
    text = str(path_or_name)
    bundled = {name: path for name, _description, path in bundled_scenarios()}
    if text in bundled:
        return bundled[text]
    if text.endswith(".toml") or "/" in text or "\\" in text:
        raise ScenarioError(_("file not found"), file=printable(text))
    hint = difflib.get_close_matches(text, list(bundled), n=1)
    hint = _("; did you mean `{name}`?").format(name=hint[0]) if hint else ""
    raise ScenarioError(_("no scenario file or bundled scenario named `{name}`{hint} (bundled: "
                          "{names})")
                        .format(name=printable(text), hint=hint, names=", ".join(sorted(bundled))))
