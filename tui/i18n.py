"""The interface's language: English or Brazilian Portuguese, with the standard gettext catalogs.

The catalog is ``tui/locale/pt_BR/LC_MESSAGES/gradstep.po`` (compiled beside it to ``.mo``); see
``tui/locale/README.md`` for how to extract, merge and compile it. One translation is active at a
time, for the engine's messages (:mod:`gradstep.engine.i18n`) and the interface's alike; :func:`install`
chooses it, once, before the first screen or message.

The language comes from ``--lang pt|en``, else from the environment (``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``, the first one set): any ``pt`` locale (``pt_BR.UTF-8``, ``pt_PT``) gives
Portuguese, anything else English.

Textual reads a binding's description when it draws the footer, so bindings are declared with
English text and :func:`translate_bindings` rewrites an app's or screen's own copy of them when it
is created.
"""

from __future__ import annotations

import argparse
import dataclasses
import gettext
import os
from pathlib import Path
from typing import Mapping

from gradstep.engine import i18n as _engine_i18n
from gradstep.engine.i18n import N_, _, ngettext

__all__ = ["LANGUAGES", "LOCALE_DIR", "DOMAIN", "choose_language", "install", "language",
           "translate_bindings", "_", "N_", "ngettext"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "gradstep"
LANGUAGES = {"en": None, "pt": "pt_BR"}
"""The languages of ``--lang``, each with its catalog's locale (None: the source text)."""

_ENV_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_language = "en"


def choose_language(requested: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``"pt"`` or ``"en"``: ``requested`` when given, else what the environment asks for."""
    if requested:
        return requested
    environ = os.environ if environ is None else environ
    for var in _ENV_VARS:
        value = environ.get(var, "")
        if value:
            first = value.split(":")[0].strip().lower()
            return "pt" if first.startswith("pt") else "en"
    return "en"


def install(lang: str = "en") -> None:
    """Make ``lang`` (``"en"`` or ``"pt"``) the language of every later message.

    Also translates argparse's own words (``usage:``, ``options``), which it looks up with the
    ``gettext`` module's functions at the moment it prints them.
    """
    global _language
    locale = LANGUAGES[lang]
    if locale is None:
        translation = gettext.NullTranslations()
    else:
        translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale])
    _engine_i18n.install(translation)
    argparse._ = translation.gettext  # type: ignore[attr-defined]
    argparse.ngettext = translation.ngettext  # type: ignore[attr-defined]
    _language = lang


def language() -> str:
    """The language installed: ``"en"`` or ``"pt"``."""
    return _language


def translate_bindings(node) -> None:
    """Translate the descriptions and tooltips of ``node``'s bindings (an App, Screen or Widget).

    Textual gives each node its own copy of the class's bindings in ``__init__``; call this right
    after ``super().__init__()``. English needs no work, so the bindings are left as they are.
    """
    if _language == "en":
        return
    bindings = node._bindings
    groups: dict[int, object] = {}

    def group(g):
        if g is None:
            return None
        if id(g) not in groups:  # one new group per old one: the footer groups by identity
            groups[id(g)] = dataclasses.replace(g, description=_(g.description))
        return groups[id(g)]

    bindings.key_to_bindings = {
        key: [dataclasses.replace(b, description=_(b.description) if b.description else "",
                                  tooltip=_(b.tooltip) if b.tooltip else "", group=group(b.group))
              for b in entries]
        for key, entries in bindings.key_to_bindings.items()
    }
