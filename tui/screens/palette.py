"""Textual's own words, in the interface's language: the command palette, the system commands
and the app's notices; and the palette's keys made safe.

Textual writes its command palette (placeholder, "No matches found", the palette's keys), its
system commands (Theme, Quit, Keys, Screenshot, ...) and a few notices in English. gradstep shows
them, so the app (through :class:`TranslatedTextualApp`) opens :class:`TranslatedPalette` instead
of Textual's (in every language: it also works around Textual's ``pagedown`` bug) and passes
each system command through :func:`translated_command`; the English texts
are Textual 8.2.8's (pinned in the test extra).
"""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.app import SystemCommand
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import N_, _, translate_bindings

__all__ = ["TranslatedPalette", "TranslatedTextualApp", "translated_command", "translated", "TEXTUAL_TEXTS"]

TEXTUAL_TEXTS = (
    N_("Search for commands…"), N_("Search for themes…"), N_("No matches found"),
    N_("Theme"), N_("Change the current theme"),
    N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Keys"), N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"),
    N_("Maximize"), N_("Maximize the focused widget"),
    N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen"),
    N_("Go to bottom"), N_("Go to top"), N_("Next command"), N_("Exit the command palette"),
    N_("Next page"), N_("Previous page"), N_("Previous command"),
    N_("Saved screenshot"), N_("Failed to save screenshot"),
)
"""The English texts of Textual that gradstep shows, for the catalog (translated where shown)."""


def translated(widget):
    """``widget`` (one of Textual's: an Input, a DataTable, ...) with its keys' descriptions
    translated, as the keys panel shows them; returns it, to be yielded in ``compose``."""
    translate_bindings(widget)
    return widget


def translated_command(command: SystemCommand) -> SystemCommand:
    """``command`` with its title and help in the installed language."""
    return command._replace(title=_(command.title), help=_(command.help))


class TranslatedPalette(ContainsErrors, CommandPalette):
    """Textual's command palette with its placeholder, its keys and "No matches found" translated.

    Args:
        placeholder: The English placeholder (translated here).
        **kwargs: As for :class:`textual.command.CommandPalette`.
    """

    def __init__(self, *args, placeholder: str = "Search for commands…", **kwargs) -> None:
        super().__init__(*args, placeholder=_(placeholder), **kwargs)
        translate_bindings(self)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual 8.2.8's method with its one sentence translated: the text is built inside it.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(_("No matches found"), style="not bold")), disabled=True,
                           id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)

    def _action_command_list(self, action: str) -> None:
        """Pass an action on to the list of commands; ``pageup`` / ``pagedown`` pressed before
        the list is first laid out page once it is.

        Textual 8.2.8's ``OptionList._move_page`` reads the line of the highlighted option from
        a table filled only when the list has a size: ``ctrl+p`` then ``pagedown`` at once
        raised ``KeyError: 0`` there and ended the app.
        """
        if action not in ("page_up", "page_down"):
            super()._action_command_list(action)
            return
        self._page(action, retries=3)

    def _page(self, action: str, retries: int) -> None:
        if not self.is_current:  # closed (or covered) since the key was pressed
            return
        try:
            super()._action_command_list(action)
        except (KeyError, IndexError):  # not laid out yet: again after the next refresh
            if retries > 0:
                self.call_after_refresh(self._page, action, retries - 1)


class TranslatedTextualApp:
    """What an App (this class first among its bases) overrides of Textual's to speak the
    installed language: the palette it opens (with the workaround above) and the notices it
    gives."""

    def action_command_palette(self) -> None:
        # Ours in English too: it carries the workaround for Textual's pagedown bug.
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(TranslatedPalette(id="--command-palette"))

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(TranslatedPalette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def action_help_quit(self) -> None:
        """ctrl+c: say which key quits (as Textual does)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(_("Press [b]{key}[/b] to quit the app").format(key=key),
                            title=_("Do you want to quit?"))
                return

    def on_delivery_complete(self, event) -> None:
        if event.name == "screenshot":
            event.prevent_default()  # App's own handler would say it in English
            text = (_("Saved screenshot") if event.path is None else
                    _("Saved screenshot to [$text-success]{path}").format(path=repr(str(event.path))))
            self.notify(text, title=_("Screenshot"))

    def on_delivery_failed(self, event) -> None:
        if event.name == "screenshot":
            event.prevent_default()
            self.notify(_("Failed to save screenshot"), title=_("Screenshot"), severity="error")
