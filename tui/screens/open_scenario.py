"""The dialog that picks a scenario: a bundled one, one in ./scenarios, or a typed path."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from gradstep.tui.faults import ContainsErrors
from gradstep.tui.classroom import served
from gradstep.tui.i18n import _, language, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["OpenScenarioScreen", "scenario_choices"]


def scenario_choices(folder: Path | None = None) -> list[tuple[str, str]]:
    """``(label, path)`` of the bundled scenarios (described in the interface's language), then
    of ``folder/scenarios/*.toml``.

    Args:
        folder: The working folder (the current one by default).
    """
    from gradstep.engine.scenario import bundled_scenarios

    choices: list[tuple[str, str]] = []
    seen = set()
    for name, description, path in bundled_scenarios(language()):
        seen.add(Path(path).resolve())
        choices.append((f"{name}  {description}".rstrip(), str(path)))
    local = (folder or Path.cwd()) / "scenarios"
    if local.is_dir():
        for path in sorted(local.glob("*.toml")):
            if path.resolve() not in seen:
                choices.append((f"./scenarios/{path.name}", str(path)))
    return choices


def matches(label: str, text: str) -> bool:
    """Whether a choice's ``label`` holds every word of the typed ``text`` (any case, any order):
    ``moon`` finds ``moons``, ``net sine`` finds ``sine-net``."""
    label = label.casefold()
    return all(word in label for word in text.casefold().split())


class OpenScenarioScreen(ContainsErrors, ModalScreen[str | None]):
    """Dismisses with the chosen path (or None when cancelled); the caller loads it.

    Typing filters the list as you go (a letter typed on the list goes to the box below it):
    enter opens the highlighted choice, or the typed path when no choice holds the text or the
    text names a file (``./my.toml``). Down moves from the box to the list.
    """

    CSS_PATH = "open_scenario.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel"),
                Binding("down", "to_list", "choices", show=False)]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._choices = served.choices() if served.active() else scenario_choices()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("bundled, and the scenarios of {folder}:").format(folder=served.folder().name)
                        if served.active() else _("bundled, and ./scenarios of the working folder:"))
            yield translated(OptionList(*self._options(""), id="choices"))
            yield Label(_("type to filter the list, or type a path, and press enter:"))
            yield translated(Input(placeholder=_("path/to/scenario.toml"), id="path", select_on_focus=False))

    def _options(self, text: str) -> list[Option]:
        return [Option(label, id=path) for label, path in self._choices if matches(label, text)]

    def on_key(self, event) -> None:
        """A letter typed on the list starts the filter in the box below it."""
        box = self.query_one("#path", Input)
        if self.focused is self.query_one("#choices", OptionList) and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            box.focus()
            box.insert_text_at_cursor(event.character)

    @on(Input.Changed, "#path")
    def _filter(self, event: Input.Changed) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.set_options(self._options(event.value))
        if choices.option_count:
            choices.highlighted = 0

    def action_to_list(self) -> None:
        choices = self.query_one("#choices", OptionList)
        if choices.option_count:
            choices.focus()

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _("open a scenario")
        self.query_one("#choices", OptionList).focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#path")
    def _typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        choices = self.query_one("#choices", OptionList)
        names_a_file = "/" in text or "\\" in text or text.endswith(".toml")
        if text and not names_a_file and choices.highlighted is not None:
            self.dismiss(choices.get_option_at_index(choices.highlighted).id)
        elif text and served.active():  # a classroom's dashboard: only what the list offers
            try:
                self.dismiss(str(served.confine(text)))
            except ValueError as exc:
                self.app.notify(str(exc), severity="error", markup=False)
        elif text:
            self.dismiss(str(Path(text).expanduser()))

    def action_cancel(self) -> None:
        self.dismiss(None)
