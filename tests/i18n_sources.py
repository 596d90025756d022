"""The messages our sources mark for translation, found by reading them with :mod:`ast`.

``xgettext`` is not installed on CI machines, so the tests extract what it would: every call of
``_``, ``N_`` or ``ngettext`` whose first argument is a string literal (adjacent literals are one
string to the parser, as to xgettext). :func:`misuses` finds the calls that break the rules of
issue 8 (an f-string, ``%`` or ``.format()`` inside the call, positional ``{}`` fields), and
:func:`untranslated` and :func:`placeholder_mismatches` compare the messages with the compiled
catalog. Shared by the engine's and the interface's tests::

    messages = marked_messages(["engine"])
    assert not untranslated(messages, load_catalog())
"""

from __future__ import annotations

import ast
import gettext
import string
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "tui" / "locale" / "pt_BR" / "LC_MESSAGES" / "gradstep.mo"
MARKERS = ("_", "N_", "ngettext")


@dataclass(frozen=True)
class Marked:
    """One marked message.

    Attributes:
        msgid: The English text (the singular for ``ngettext``).
        plural: The English plural for ``ngettext``, else None.
        path: The source file, relative to the repository.
        line: The line of the call.
    """

    msgid: str
    plural: str | None
    path: str
    line: int


def _sources(directories):
    for directory in directories:
        base = Path(directory)
        base = base if base.is_absolute() else ROOT / base
        yield from sorted(base.rglob("*.py"))


def _calls(directories):
    """``(path, call node)`` for every call of a marker in the sources."""
    for path in _sources(directories):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        shown = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        calls = [node for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                 and node.func.id in MARKERS and node.args]
        for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
            yield shown, node


def _literal(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def marked_messages(directories) -> list[Marked]:
    """Every message marked in the Python files under ``directories`` (paths relative to the
    repository, or absolute), in file and line order."""
    out = []
    for path, call in _calls(directories):
        msgid = _literal(call.args[0])
        if msgid is None:
            continue  # _(variable): the text is marked where it is written (N_)
        plural = None
        if call.func.id == "ngettext" and len(call.args) > 1:
            plural = _literal(call.args[1])
        out.append(Marked(msgid, plural, path, call.lineno))
    return out


def _fields(text):
    """The replacement fields of a ``str.format`` template, e.g. ``{"name", "got"}``."""
    parsed = string.Formatter().parse(text)
    return {name for _text, name, _spec, _conv in parsed if name is not None}


def misuses(directories) -> list[str]:
    """``"path:line: problem"`` for each marked call that breaks the rules: the text must be
    looked up before values are put in (no f-string, ``%`` or ``.format()`` inside the call),
    and placeholders are named."""
    problems = []
    for path, call in _calls(directories):
        first = call.args[0]
        where = f"{path}:{call.lineno}"
        if isinstance(first, ast.JoinedStr):
            problems.append(f"{where}: an f-string inside {call.func.id}()")
        elif isinstance(first, ast.BinOp):
            problems.append(f"{where}: an expression (% or +) inside {call.func.id}()")
        elif isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) \
                and first.func.attr == "format":
            problems.append(f"{where}: .format() inside {call.func.id}(); format the result")
        for arg in call.args[:2 if call.func.id == "ngettext" else 1]:
            text = _literal(arg)
            if text is None:
                continue
            try:
                fields = _fields(text)
            except ValueError as exc:
                problems.append(f"{where}: not a valid template ({exc})")
                continue
            if any(name == "" or name.isdigit() for name in fields):
                problems.append(f"{where}: positional placeholder in {text!r}")
    return problems


def load_catalog(path=CATALOG) -> gettext.GNUTranslations:
    """The compiled Portuguese catalog."""
    with open(path, "rb") as handle:
        return gettext.GNUTranslations(handle)


def _translations(message, catalog):
    """The catalog's texts for ``message`` (one, or one per plural form); [] when absent."""
    entries = catalog._catalog  # msgfmt leaves untranslated and fuzzy entries out
    if message.plural is None:
        text = entries.get(message.msgid)
        return [text] if text else []
    forms = [entries.get((message.msgid, i)) for i in range(2)]
    return forms if all(forms) else []


def untranslated(messages, catalog, allow_same=()) -> list[Marked]:
    """The messages with no translation in ``catalog``, or whose translation is the English
    text itself (a copied msgid) unless listed in ``allow_same``."""
    out = []
    for message in messages:
        texts = _translations(message, catalog)
        if not texts or (texts[0] == message.msgid and message.msgid not in allow_same):
            out.append(message)
    return out


def placeholder_mismatches(messages, catalog) -> list[str]:
    """Messages whose translation does not use exactly the English placeholders.

    A plural message's singular form may leave the count out ("a outra entrada", like English
    "the other entry"); it may use no field that the English does not have.
    """
    out = []
    for message in messages:
        wanted = _fields(message.msgid) | _fields(message.plural or "")
        for form, text in enumerate(_translations(message, catalog)):
            fields = _fields(text)
            singular = message.plural is not None and form == 0
            if (not fields <= wanted) if singular else fields != wanted:
                out.append(f"{message.path}:{message.line}: {message.msgid!r} -> {text!r}")
    return out
