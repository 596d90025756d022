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
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gradstep.engine.errors import ScenarioError, format_key, locate_key
from gradstep.engine.i18n import _
from gradstep.engine.scenario.loader import MAX_FILE_BYTES, _syntax_error, bundled_scenarios
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

    def holds(self, *, step: int, loss: float | None, lr: float, view: str, diverged: bool) -> bool:
        """Whether every condition given holds for that state (``loss`` None: not known yet,
        as at step 0 before any step; a loss condition then does not hold)."""
        if self.step is not None and step < self.step:
            return False
        if self.loss_below is not None and not (loss is not None and loss < self.loss_below):
            return False
        if self.loss_above is not None and not (loss is not None and loss > self.loss_above):
            return False
        if self.lr_below is not None and not lr < self.lr_below:
            return False
        if self.lr_above is not None and not lr > self.lr_above:
            return False
        if self.view is not None and view != self.view:
            return False
        return self.diverged is None or diverged == self.diverged


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
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(_("the text is longer than {limit} characters (the limit)")
                            .format(limit=f"{MAX_FILE_BYTES:,}"), file=shown)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, shown) from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioError(_("invalid TOML: {problem}").format(problem=printable(str(exc)[:80])),
                            file=shown) from None
    base = Path(path).parent if path is not None else None
    reader = _LessonReader(text, shown, base)
    return reader.lesson(_Table(reader, doc, ()), Path(path) if path is not None else None)


def load_lesson(path) -> Lesson:
    """Read and validate the lesson file at ``path`` (the same file checks as a scenario's).

    Raises:
        ScenarioError: For a missing, unreadable or invalid file.
    """
    from gradstep.engine.scenario.loader import _NotRegular, _read_regular_file

    path = Path(path)
    shown = printable(str(path))
    try:
        raw = _read_regular_file(path, MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(_("file not found"), file=shown) from None
    except IsADirectoryError:
        raise ScenarioError(_("is a folder, not a lesson file"), file=shown) from None
    except _NotRegular:
        raise ScenarioError(_("is not a regular file (a named pipe, a device or a socket), not a "
                              "lesson file"), file=shown) from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(_("cannot read the file ({reason})")
                            .format(reason=getattr(exc, "strerror", None) or exc), file=shown) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(_("the file is larger than {limit} bytes (the limit)")
                            .format(limit=f"{MAX_FILE_BYTES:,}"), file=shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(_("not UTF-8 text"), file=shown, line=raw[:exc.start].count(b"\n") + 1) from None
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
