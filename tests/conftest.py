"""Every test starts in English, whatever the machine's locale, and leaves English behind.

The command line chooses its language from LANGUAGE / LC_ALL / LC_MESSAGES / LANG; a developer
whose LANG is pt_BR would otherwise see the English expectations fail. Tests of Portuguese ask
for it explicitly (``--lang pt``, or ``gradstep.tui.i18n.install("pt")``).
"""

from __future__ import annotations

import pytest

from gradstep.tui import i18n


@pytest.fixture(autouse=True)
def english(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    i18n.install("en")
    yield
    i18n.install("en")
