"""The hook through which the engine's messages are translated.

The engine stays free of any interface: it writes its messages in English and marks each with
``_()`` (or ``N_()`` where the text is kept as data and translated when shown). The front end
installs a :class:`gettext.GNUTranslations` with :func:`install`; until then ``_`` returns the
English text unchanged. Messages with values are written as templates and filled after the
lookup, ``_("expected {what}, got {got}").format(what=..., got=...)``, so that a translator sees
one entry per message, not one per value.
"""

from __future__ import annotations

import gettext

__all__ = ["install", "active", "_", "ngettext", "N_"]

_active: gettext.NullTranslations = gettext.NullTranslations()


def install(translation: gettext.NullTranslations | None) -> None:
    """Make ``translation`` the one every later ``_()`` call reads (None: English)."""
    global _active
    _active = translation if translation is not None else gettext.NullTranslations()


def active() -> gettext.NullTranslations:
    """The translation in use."""
    return _active


def _(message: str) -> str:
    """``message`` in the installed language (English when none is installed)."""
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the installed language."""
    return _active.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (it is translated when shown)."""
    return message
