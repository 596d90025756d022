"""Text from a scenario file on its way to a screen: refused if it could drive the terminal,
escaped when an error message quotes it.

A scenario file is shared between people (a teacher's file projected to a class, a file from the
internet), and what it says is printed on a terminal: a description holding ``ESC ] 0 ; ... BEL``
would retitle the terminal, ``ESC [ 2 J`` clear it, a right-to-left override make a formula read
backwards. The reader refuses such characters in every string that reaches the screen
(:func:`control_message`): the file is wrong, and showing escapes such as ``\\u001b`` to a class
would be garbage either way. Error messages, which must be able to quote anything, quote through
:func:`printable`.
"""

from __future__ import annotations

import re

from gradstep.engine.i18n import _

__all__ = ["printable", "unsafe_character", "control_message"]

_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def printable(text: str) -> str:
    """``text`` with every character that is not printable (a newline, a terminal's escape
    character, a line separator) written as its escape, so that a message stays on one line and
    cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _ESCAPES.get(ch) or
                   (f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}") for ch in text)


# What text shown on a terminal may not hold: C0 controls (tab and newline are allowed where a
# key says so), DEL and C1 controls (ESC and CSI start escape sequences that retitle, clear or
# reprogram a terminal), the line and paragraph separators, a byte-order mark inside text, and
# the bidirectional formatting characters (overrides, embeddings, isolates, marks), which make
# text read differently from what it holds.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def unsafe_character(text: str, allow: str = ""):
    """``(index, character)`` of the first character of ``text`` that may not reach the screen
    (see ``_UNSAFE``), skipping those in ``allow``; None when there is none."""
    for match in _UNSAFE.finditer(text):
        if match.group() not in allow:
            return match.start(), match.group()
    return None


def control_message(text: str, allow: str = ""):
    """The message refusing ``text`` for its first unsafe character, or None when it has none."""
    found = unsafe_character(text, allow)
    if found is None:
        return None
    index, ch = found
    return (_("character {position} is the control character U+{code:04X}: text shown on the "
              "screen may not hold control characters or text-direction overrides")
            .format(position=index + 1, code=ord(ch)))
