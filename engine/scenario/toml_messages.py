"""The syntax errors of Python's ``tomllib``, in the installed language.

``tomllib`` writes its messages in English, without a catalog of its own. Each one it can give
(CPython 3.11 to 3.13, ``Lib/tomllib/_parser.py``) is matched here and looked up in ours; a
message it gives that is not listed (a later Python's new wording) is shown as it is.
"""

from __future__ import annotations

import re

from gradstep.engine.i18n import N_, _

__all__ = ["translate_toml_message"]

# (pattern of tomllib's message, the same message as a template of the pattern's groups)
_MESSAGES = [(re.compile(pattern), template) for pattern, template in (
    (r"Invalid statement", N_("Invalid statement")),
    (r"Expected newline or end of document after a statement",
     N_("Expected newline or end of document after a statement")),
    (r"Found invalid character (?P<char>.+)", N_("Found invalid character {char}")),
    (r"Cannot declare (?P<key>.+) twice", N_("Cannot declare {key} twice")),
    (r"Cannot overwrite a value", N_("Cannot overwrite a value")),
    (r"Expected '\]' at the end of a table declaration",
     N_("Expected ']' at the end of a table declaration")),
    (r"Cannot mutate immutable namespace (?P<key>.+)",
     N_("Cannot mutate immutable namespace {key}")),
    (r"Expected '\]\]' at the end of an array declaration",
     N_("Expected ']]' at the end of an array declaration")),
    (r"Cannot redefine namespace (?P<key>.+)", N_("Cannot redefine namespace {key}")),
    (r"Expected '=' after a key in a key/value pair",
     N_("Expected '=' after a key in a key/value pair")),
    (r"Invalid initial character for a key part", N_("Invalid initial character for a key part")),
    (r"Unclosed array", N_("Unclosed array")),
    (r"Duplicate inline table key (?P<key>.+)", N_("Duplicate inline table key {key}")),
    (r"Unclosed inline table", N_("Unclosed inline table")),
    (r"Unescaped '\\' in a string", N_("Unescaped '\\' in a string")),
    (r"Invalid hex value", N_("Invalid hex value")),
    (r"Escaped character is not a Unicode scalar value",
     N_("Escaped character is not a Unicode scalar value")),
    (r"Unterminated string", N_("Unterminated string")),
    (r"Illegal character (?P<char>.+)", N_("Illegal character {char}")),
    (r"Invalid date or datetime", N_("Invalid date or datetime")),
    (r"Invalid value", N_("Invalid value")),
    (r"Expected (?P<text>'.*')", N_("Expected {text}")),
)]


def translate_toml_message(message: str) -> str:
    """``message`` (a ``tomllib`` syntax error without its position) in the installed language."""
    for pattern, template in _MESSAGES:
        m = pattern.fullmatch(message)
        if m:
            return _(template).format(**m.groupdict())
    return message
