"""What the dashboard does with an error nobody expected: say it, keep the session, go on.

A bug of ours or of a dependency (an exception in a key's action, a message handler, a timer,
the training worker, a widget's drawing), or the computer running out of memory, must not end
the app and take the learner's training with it. Textual ends the app on any unhandled
exception (``App._handle_exception``), and the message loop that met it stops for good. So:

- :class:`ContainsErrors`, a base of the app, of our screens and of our widgets, catches what a
  message handler raises before it stops that object's message loop, and hands it to the app;
- the app (:class:`gradstep.tui.app.GradstepApp`) turns what reaches ``_handle_exception``
  (its own loop's errors, a worker's, a widget's drawing) into a dialog over the dashboard;
- :func:`guarded` makes a widget that cannot draw its numbers say so in its place instead of
  failing every frame (a failing widget would keep the whole screen, the dialog included, from
  being drawn).

:func:`describe` words an error as the dialog shows it: one line, and where it happened. Every
contained error is also logged (logger ``gradstep.tui.faults``, level ERROR, with its traceback),
which is where the tests look for them.
"""

from __future__ import annotations

import functools
import logging
import traceback
from dataclasses import dataclass
from pathlib import Path

from gradstep.engine import memory
from gradstep.engine.errors import ScenarioError
from gradstep.tui.i18n import _

__all__ = ["Fault", "describe", "unwrapped", "memory_message", "where", "ContainsErrors", "guarded", "logger"]

logger = logging.getLogger("gradstep.tui.faults")
"""Every contained error, with its traceback, at level ERROR."""

_GRADSTEP_ROOT = Path(__file__).resolve().parent.parent  # the folder holding tui/ (and engine/)


@dataclass(frozen=True)
class Fault:
    """An error as the dialog tells it.

    Attributes:
        title: The dialog's title (``not enough memory``, ``something went wrong``).
        text: One line: what went wrong.
        where: ``file:line function()`` of the innermost frame (and of the innermost frame of
            gradstep, when that is another), or ``""``.
    """

    title: str
    text: str
    where: str


def memory_message(error: MemoryError) -> str:
    """A :class:`MemoryError` in the words of the memory budget's message: how much, for what.

    NumPy's (``numpy._core._exceptions._ArrayMemoryError``) carries the array's shape and type;
    a bare one says only that the memory ran out.
    """
    shape, dtype = getattr(error, "shape", None), getattr(error, "dtype", None)
    try:
        needed = memory.array_bytes(shape, dtype.itemsize)
    except (TypeError, ValueError, AttributeError):
        return _("the computer ran out of memory (memory budget {limit})").format(
            limit=memory.human(memory.limit()))
    dims = "×".join(str(int(n)) for n in shape) or "1"
    return _("this needs about {size} of memory for an array of {shape} numbers, more than the computer "
             "could give (memory budget {limit})").format(
        size=memory.human(needed), shape=dims, limit=memory.human(memory.limit()))


def unwrapped(error: BaseException) -> BaseException:
    """A worker's ``WorkerFailed`` is told as the error the worker raised."""
    inner = getattr(error, "error", None)
    return inner if type(error).__name__ == "WorkerFailed" and isinstance(inner, BaseException) else error


def _short_path(filename: str) -> str:
    """``gradstep/tui/widgets/loss_chart.py``, ``textual/widgets/_option_list.py``: a path from
    its package, as a bug report needs it."""
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:  # first: a virtual environment may sit inside the repository
        return "/".join(parts[len(parts) - parts[::-1].index("site-packages"):])
    try:
        return "gradstep/" + path.resolve().relative_to(_GRADSTEP_ROOT).as_posix()
    except ValueError:
        return path.name


def where(error: BaseException) -> str:
    """``file:line function()`` where ``error`` was raised (and, after ``←``, when that is
    outside gradstep, the innermost gradstep frame it went through); ``""`` without a
    traceback. Names only, in every language."""
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    if not frames:
        return ""
    spots = [frames[-1]]
    ours = [f for f in frames if _short_path(f.filename).startswith("gradstep/")
            and Path(f.filename).resolve() != Path(__file__).resolve()]
    if ours and ours[-1] is not frames[-1]:
        spots.append(ours[-1])
    return " ← ".join(f"{_short_path(f.filename)}:{f.lineno} {f.name}()" for f in spots)


def describe(error: BaseException) -> Fault:
    """The dialog's title, line and place for ``error`` (a worker's failure is told as the
    error it wraps)."""
    error = unwrapped(error)
    if isinstance(error, MemoryError):
        return Fault(_("not enough memory"), memory_message(error), where(error))
    if isinstance(error, ScenarioError):  # the memory budget's, or a file's problem met late
        return Fault(_("cannot go on"), str(error), where(error))
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    line = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return Fault(_("something went wrong"), line, where(error))


class ContainsErrors:
    """A base (first among the bases) for the app, a screen or a widget: an exception raised
    while it handles a message (an event, a key's action, a timer, a callback) goes to the
    app's ``contain_error`` instead of stopping this object's message loop.

    Outside an app that contains errors (a widget tested in a bare ``App``), Textual's own
    handling is kept: the error propagates.
    """

    async def _dispatch_message(self, message) -> None:
        try:
            await super()._dispatch_message(message)
        except Exception as error:
            contain = getattr(self.app, "contain_error", None)
            if contain is None or not contain(error):
                raise


def guarded(draw):
    """Decorate a widget's ``render`` (or ``render_line``): when drawing raises, the widget
    shows a one-line note in its place and the app is told once (until it draws again).

    Outside an app that contains errors the error propagates, as it did before.
    """

    @functools.wraps(draw)
    def guarded_draw(self, *args, **kwargs):
        try:
            drawn = draw(self, *args, **kwargs)
        except Exception as error:
            contain = getattr(self.app, "contain_error", None)
            if contain is None:
                raise
            if not getattr(self, "_draw_failed", False):
                if not contain(error):  # not containable (the app is closing, or flooded)
                    raise
                self._draw_failed = True
            return _note(draw.__name__, self, args)
        self._draw_failed = False
        return drawn

    return guarded_draw


def _note(kind: str, widget, args: tuple):
    """What a widget that cannot draw shows: a note (on its first line, for ``render_line``)."""
    from rich.text import Text

    note = Text(_("(this panel cannot be drawn: see the message)"), style="dim")
    if kind != "render_line":
        return note
    from textual.strip import Strip

    if args and args[0] != 0:
        return Strip.blank(widget.size.width)
    return Strip(list(note.render(widget.app.console)), note.cell_len).crop_extend(0, widget.size.width, None)
