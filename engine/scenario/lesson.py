"""Lesson files: the tutorial, chapter by chapter, as data beside a live dashboard.

A lesson is a TOML file: a title, its chapter, the scenario it opens, and pages. Each page has
its text, perhaps an instruction (``do``), perhaps another scenario to open, and perhaps an
``[page.until]`` table: the state the session must reach before the lesson moves on (every
condition given must hold). A page without one waits for the learner to go on. Nothing in a
lesson is executed: the conditions are a fixed vocabulary of numbers and names::

    title = "The loss"
    chapter = 1
    scenario = "mse-3x5"

    [[page]]
    text = "..."
    do = "Press space once and watch the gradient."
    [page.until]
    step = 1

The bundled lessons live in ``gradstep.scenarios`` under ``lessons/<language>/``; a teacher's
file is read the same way, and a bad one gets the scenario loader's one-line error naming the
file, line and key. ``docs/lessons.md`` documents the format.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

from gradstep.engine.errors import ScenarioError, format_key, locate_key
from gradstep.engine.i18n import _
from gradstep.engine.scenario.loader import bundled_scenarios, parse_toml, read_text_file
from gradstep.engine.scenario.table import _Table
from gradstep.engine.scenario.text import printable

__all__ = ["Lesson", "Page", "Until", "load_lesson", "loads_lesson", "bundled_lessons",
           "resolve_lesson", "VIEWS", "MAX_PAGES", "MAX_TEXT"]

VIEWS = ("dashboard", "chain", "gradcheck", "fit", "surface", "race", "lab")
"""The screens a page may ask to be open (``until.view``)."""

MAX_PAGES = 100
MAX_TEXT = 4000
"""Characters of a page's text (a screenful)."""

_LANGUAGES = {"en": "en", "pt": "pt_BR", "pt_BR": "pt_BR"}


@dataclass(frozen=True)
class Until:
    """What the session must reach before a page is done; None means "not asked".

    Attributes:
        step: The dashboard at this step or later.
        loss_below, loss_above: The loss at the step shown, below or above this.
        lr_below, lr_above: The learning rate α now, below or above this.
        view: The screen open (one of :data:`VIEWS`).
        diverged: Whether the run has diverged.
    """

    step: int | None = None
    loss_below: float | None = None
    loss_above: float | None = None
    lr_below: float | None = None
    lr_above: float | None = None
    view: str | None = None
    diverged: bool | None = None

    def unmet(self, *, step: int, loss: float | None, lr: float, view: str, diverged: bool) -> list[str]:
        """The names of the conditions given that do not hold for that state, in field order
        (``loss`` None: not known yet, as at step 0 before any step; a loss condition then
        does not hold)."""
        met = {
            "step": lambda: step >= self.step,
            "loss_below": lambda: loss is not None and loss < self.loss_below,
            "loss_above": lambda: loss is not None and loss > self.loss_above,
            "lr_below": lambda: lr < self.lr_below,
            "lr_above": lambda: lr > self.lr_above,
            "view": lambda: view == self.view,
            "diverged": lambda: diverged == self.diverged,
        }
        return [name for name, holds in met.items() if getattr(self, name) is not None and not holds()]

    def holds(self, **state) -> bool:
        """Whether every condition given holds for that state (see :meth:`unmet`)."""
        return not self.unmet(**state)


@dataclass(frozen=True)
class Page:
    """One page of a lesson.

    Attributes:
        text: What the learner reads (plain text with line breaks).
        do: The instruction, one line ("press space three times and watch V"), or "".
        scenario: A scenario this page opens (a path), or None to stay on the current one.
        until: What moves the lesson on by itself, or None (the learner goes on).
    """

    text: str
    do: str = ""
    scenario: Path | None = None
    until: Until | None = None


@dataclass(frozen=True)
class Lesson:
    """A lesson file.

    Attributes:
        title: The lesson's title.
        chapter: Its place in the tutorial's order (1 the loss ... 4 Adam).
        scenario: The scenario it opens first (a path).
        pages: Its pages, in order.
        path: The file, or None for text.
    """

    title: str
    chapter: int
    scenario: Path
    pages: tuple[Page, ...]
    path: Path | None = None


class _LessonReader:
    """What :class:`_Table` needs of a reader: errors that name the file, line and key."""

    def __init__(self, text, shown, base):
        self.text = text
        self.shown = shown
        self.base = base

    def fail(self, path, message):
        return ScenarioError(message, file=self.shown, line=locate_key(self.text, path),
                             key=printable(format_key(path)) or None)

    def scenario(self, table, key):
        """A bundled scenario's name, or a path relative to the lesson's folder."""
        value = table.string(key, max_len=300)
        bundled = {name: path for name, _description, path in bundled_scenarios()}
        if value in bundled:
            return bundled[value]
        candidate = (self.base / value) if self.base is not None else Path(value)
        if not value.endswith(".toml") or not candidate.is_file():
            raise table.fail(key, _("no bundled scenario named `{name}` and no scenario file there "
                                    "(a path is relative to the lesson's folder)")
                             .format(name=printable(value[:60])))
        return candidate

    def lesson(self, top, path):
        top.allow(("title", "chapter", "scenario", "page"))
        title = top.one_line("title", "page", max_len=80)
        chapter = top.integer("chapter", low=0, high=99)
        scenario = self.scenario(top, "scenario")
        pages = tuple(self.page(table) for table in top.tables("page", low=1, high=MAX_PAGES))
        return Lesson(title, chapter, scenario, pages, path)

    def page(self, table):
        table.allow(("text", "do", "scenario", "until"))
        text = table.string("text", max_len=MAX_TEXT, allow="\n\t")
        do = table.one_line("do", "text", max_len=200)
        scenario = self.scenario(table, "scenario") if "scenario" in table else None
        until = None
        if "until" in table:
            until = self.until(table.table("until"))
        return Page(text, do, scenario, until)

    def until(self, table):
        table.allow(("step", "loss_below", "loss_above", "lr_below", "lr_above", "view", "diverged"))
        if not table.values:
            raise table.fail(None, _("an empty [page.until] never holds: give a condition, or leave "
                                     "the table out"))
        return Until(
            step=table.integer("step", None, low=0, high=10**6),
            loss_below=table.number("loss_below", None),
            loss_above=table.number("loss_above", None),
            lr_below=table.number("lr_below", None, low=0, low_open=True),
            lr_above=table.number("lr_above", None, low=0),
            view=table.string("view", None, choices=VIEWS),
            diverged=table.boolean("diverged", None),
        )


def loads_lesson(text: str, path=None) -> Lesson:
    """Validate lesson ``text``; ``path`` names it in errors and anchors relative scenario paths.

    Raises:
        ScenarioError: For anything invalid, naming the line and key.
    """
    shown = printable(str(path)) if path is not None else "<text>"
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write: not TOML
    doc = parse_toml(text, shown)
    base = Path(path).parent if path is not None else None
    reader = _LessonReader(text, shown, base)
    return reader.lesson(_Table(reader, doc, ()), Path(path) if path is not None else None)


def load_lesson(path) -> Lesson:
    """Read and validate the lesson file at ``path`` (the same file checks as a scenario's).

    Raises:
        ScenarioError: For a missing, unreadable or invalid file.
    """
    text = read_text_file(
        path, _("is a folder, not a lesson file"),
        _("is not a regular file (a named pipe, a device or a socket), not a lesson file"))
    return loads_lesson(text, path)


def bundled_lessons(lang: str = "en") -> list[tuple[str, Path]]:
    """``[(name, path), ...]`` of the lessons shipped for ``lang`` (``en`` or ``pt``), in the
    tutorial's order (their file names start with the chapter's number)."""
    folder = importlib.resources.files("gradstep.scenarios") / "lessons" / _LANGUAGES.get(lang, "en")
    if not folder.is_dir():
        return []
    return sorted((entry.name[:-len(".toml")], Path(str(entry))) for entry in folder.iterdir()
                  if entry.name.endswith(".toml"))


def resolve_lesson(path_or_name: str | None, lang: str = "en") -> Path:
    """The lesson meant by ``gradstep learn [LESSON]``: an existing file, a bundled lesson's name
    (``1-loss``) or number (``1``), or the first chapter when None.

    Raises:
        ScenarioError: When it is none of those, listing the bundled lessons.
    """
    lessons = bundled_lessons(lang)
    if path_or_name is None:
        return lessons[0][1]
    candidate = Path(path_or_name)
    try:
        if candidate.is_file():
            return candidate
    except (OSError, ValueError):
        pass
    for name, path in lessons:
        if path_or_name in (name, name.split("-", 1)[0]):
            return path
    raise ScenarioError(_("no lesson file or bundled lesson named `{name}` (bundled: {names})")
                        .format(name=printable(str(path_or_name)[:60]),
                                names=", ".join(name for name, _path in lessons)))
