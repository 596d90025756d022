"""The syntax errors of Python's ``tomllib``, in the installed language.

``tomllib`` writes its messages in English, without a catalog of its own. Each one it can give
(CPython 3.11 to 3.13, ``Lib/tomllib/_parser.py``) is matched here and looked up in ours; a
message it gives that is not listed (a later Python's new wording) is shown as it is.
"""

from __future__ import annotations

import re

from gradstep.engine.i18n import N_, _

__all__ = ["translate_toml_message"]

# tomllib's messages, as templates: each placeholder stands for the part of the message that
# varies. The pattern that recognises a message is derived from its template.
_TEMPLATES = (
    N_('Invalid statement'),
    N_('Expected newline or end of document after a statement'),
    N_('Found invalid character {char}'),
    N_('Cannot declare {key} twice'),
    N_('Cannot overwrite a value'),
    N_("Expected ']' at the end of a table declaration"),
    N_('Cannot mutate immutable namespace {key}'),
    N_("Expected ']]' at the end of an array declaration"),
    N_('Cannot redefine namespace {key}'),
    N_("Expected '=' after a key in a key/value pair"),
    N_('Invalid initial character for a key part'),
    N_('Unclosed array'),
    N_('Duplicate inline table key {key}'),
    N_('Unclosed inline table'),
    N_("Unescaped '\\' in a string"),
    N_('Invalid hex value'),
    N_('Escaped character is not a Unicode scalar value'),
    N_('Unterminated string'),
    N_('Illegal character {char}'),
    N_('Invalid date or datetime'),
    N_('Invalid value'),
    N_('Expected {text}'),
)

_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")
"""A ``{name}`` placeholder as ``re.escape`` writes it."""

_VARIES = {"text": "'.*'"}
"""What a placeholder matches when it is not ``.+``: tomllib's catch-all ``Expected '...'`` names
a quoted string, so that a later Python's new wording that starts with "Expected" is shown as it
is rather than half translated."""


def _pattern(template: str) -> re.Pattern:
    return re.compile(_PLACEHOLDER.sub(lambda m: f"(?P<{m.group(1)}>{_VARIES.get(m.group(1), '.+')})",
                                       re.escape(template)))


# Listed most specific first: "Expected {text}" comes last, after the messages it would also match.
_MESSAGES = [(_pattern(template), template) for template in _TEMPLATES]


def translate_toml_message(message: str) -> str:
    """``message`` (a ``tomllib`` syntax error without its position) in the installed language."""
    for pattern, template in _MESSAGES:
        m = pattern.fullmatch(message)
        if m:
            return _(template).format(**m.groupdict())
    return message
