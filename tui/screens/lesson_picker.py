"""The dialog ``L`` opens: the tutorial's lessons, or the scenario's notes.

It offers the bundled lessons in the interface's language (a teacher's own lesson file opens
with ``gradstep learn FILE``; a served dashboard offers nothing else, so nothing here reads a
path a student types). Dismisses with a loaded :class:`~gradstep.engine.scenario.lesson.Lesson`,
``"notes"``, or None.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import _, language, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["LessonPicker"]


class LessonPicker(ContainsErrors, ModalScreen):
    """The tutorial's chapters, and this scenario's notes."""

    CSS_PATH = "open_scenario.tcss"
    DEFAULT_CSS = """
    LessonPicker {
        align: center middle;
        background: $background 60%;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        from gradstep.engine.scenario.lesson import bundled_lessons, load_lesson

        options = [Option(_("this scenario's notes"), id="notes")]
        self._lessons = {}
        for name, path in bundled_lessons(language()):
            lesson = load_lesson(path)
            self._lessons[name] = lesson
            options.append(Option(_("lesson {chapter} · {title}").format(chapter=lesson.chapter,
                                                                          title=lesson.title), id=name))
        with Vertical(id="dialog"):
            yield Label(_("the tutorial, chapter by chapter, beside the dashboard:"))
            yield translated(OptionList(*options, id="choices"))

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _("lessons")
        self.query_one("#choices", OptionList).focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        self.dismiss("notes" if choice == "notes" else self._lessons[choice])

    def action_cancel(self) -> None:
        self.dismiss(None)
