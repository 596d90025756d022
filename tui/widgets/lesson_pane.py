"""The pane beside the dashboard that shows the lesson's page, or the scenario's notes.

With a lesson open (:class:`~gradstep.tui.lesson.LessonRun`): the chapter and title, the page
number, its text, the instruction, and what the lesson waits for (or a check mark once the
session got there). Without one, ``L`` can show the scenario's own ``notes`` here instead.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from gradstep.tui.i18n import _
from gradstep.tui.lesson import waiting_for

__all__ = ["LessonPane", "reflow"]


def reflow(text: str) -> str:
    """A lesson's text for a pane of any width: the lines of a paragraph joined (the file wraps
    them at its own width), indented lines (formulas, code) and blank lines kept as they are."""
    out: list[str] = []
    for line in text.strip("\n").splitlines():
        joinable = line and not line[0].isspace()
        if joinable and out and out[-1] and not out[-1][0].isspace():
            out[-1] += " " + line.strip()
        else:
            out.append(line.rstrip())
    return "\n".join(out)


class LessonPane(VerticalScroll):
    """A scrolling pane of text: a lesson's page, or a scenario's notes."""

    DEFAULT_CSS = """
    LessonPane {
        border: round $accent 60%;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        padding: 0 1;
    }
    """

    def compose(self):
        yield Static(id="lesson-text")

    def show_lesson(self, run, state: dict | None) -> None:
        lesson, page = run.lesson, run.page
        self.border_title = _("lesson {chapter} · {title}").format(chapter=lesson.chapter, title=lesson.title)
        self.border_subtitle = _("page {n} of {total}  < >").format(n=run.index + 1, total=len(lesson.pages))
        text = Text(reflow(page.text) + "\n")
        if page.do:
            text.append("\n▶ " + page.do + "\n", style="bold")
        if page.until is None:
            if run.last:
                text.append("\n" + _("The end of this lesson."), style="dim")
            else:
                text.append("\n" + _("Press > for the next page."), style="dim")
        elif run.held:
            text.append("\n✓ " + (_("Done: the lesson is complete.") if run.last
                                  else _("Done: the next page follows.")), style="bold green")
        elif state is not None:
            text.append("\n" + _("Waiting for: {what}").format(what="; ".join(waiting_for(page, state))),
                        style="yellow")
        self._update(text)

    def _update(self, text: Text) -> None:
        """Update the text only when it changed (the app looks four times a second)."""
        if getattr(self, "_shown", None) != text.markup:
            self._shown = text.markup
            self.query_one("#lesson-text", Static).update(text)

    def show_notes(self, name: str, notes: str) -> None:
        self.border_title = _("notes · {scenario}").format(scenario=name)
        self.border_subtitle = _("L hides")
        body = reflow(notes) or _("This scenario has no notes.")
        self._update(Text(body))
