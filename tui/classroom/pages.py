"""The classroom server's pages, from templates of our own (``templates/``).

The dashboard's page loads textual-serve's script, style sheet and font from this server (the
font by an ``@font-face`` rule, where textual-serve's own page asks Google Fonts): an offline
classroom sees the right font, and no third party hears of the class. The other pages say, in
the server's language, why there is no dashboard: the class is full, the link lacks its token,
the address is not this server's.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from gradstep.tui.i18n import LANGUAGES, _, language

__all__ = ["dashboard_page", "message_page", "full_page", "forbidden_page"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _lang() -> str:
    return (LANGUAGES.get(language()) or "en").replace("_", "-")


def dashboard_page(title: str, websocket_url: str, static_url: str, font_size: int = 16) -> str:
    """The page that shows one dashboard (its terminal relayed through ``websocket_url``)."""
    escape = html.escape
    return _template("dashboard.html").substitute(
        lang=_lang(), title=escape(title), static=escape(static_url.rstrip("/")),
        websocket=escape(websocket_url), font_size=int(font_size),
        start=escape(_("Start")), ended=escape(_("Session ended.")), restart=escape(_("Restart")))


def message_page(kind: str, heading: str, text: str) -> str:
    """A page with one message and no dashboard; ``kind`` is the id tests and scripts read."""
    escape = html.escape
    return _template("message.html").substitute(lang=_lang(), kind=escape(kind), title=escape(heading),
                                                heading=escape(heading), text=escape(text))


def full_page(limit: int) -> str:
    """What the visitor past ``--max-sessions`` reads (no dashboard was started for them)."""
    return message_page("class-full", _("The class is full"),
                        _("This server runs at most {count} dashboards at once, and all of them are "
                          "open. Try again when someone closes their tab, or ask the teacher.")
                        .format(count=limit))


def forbidden_page(reason: str) -> str:
    """What a request without the right token, or for another server's name, reads."""
    return message_page("forbidden", _("Not allowed"), reason)
