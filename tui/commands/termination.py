"""How a headless command ends when it is told to stop, or when its reader goes away.

``SIGTERM`` (``kill``), ``SIGHUP`` (the terminal closed) and ``SIGINT`` (Ctrl+C) each become an
exception in the main thread, so the command unwinds as from an error: the ``--out`` file being
written is abandoned (its temporary file removed, an earlier file left as it was) and the
process exits ``128 + the signal's number`` (143, 129, 130), as a shell reports a process the
signal ended. Ctrl+C is Python's own :class:`KeyboardInterrupt`; the other two are
:class:`Stopped`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

__all__ = ["Stopped", "stopping_on_signals", "stopping_like_ctrl_c", "exit_status", "quiet_stdout", "say"]

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(BaseException):
    """The process received ``signum`` (a BaseException, like KeyboardInterrupt: no
    ``except Exception`` swallows it)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum, frame):
    raise Stopped(signum)


@contextlib.contextmanager
def stopping_on_signals():
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread (elsewhere,
    or where signals cannot be set, the block runs as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_stopped) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def stopping_like_ctrl_c():
    """For the dashboard: within the block, SIGTERM and SIGHUP do what SIGINT does (a
    KeyboardInterrupt, which Textual answers by closing the app and giving the terminal back as
    it found it, instead of dying in the alternate screen with mouse reporting on). Yields a
    list that holds the signal's number once one came, SIGINT included (Textual may swallow the
    KeyboardInterrupt and return normally: the caller still knows). Ctrl+C typed on the
    dashboard is a key, not a signal: Textual asks whether to quit."""
    caught = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def interrupt(signum, frame):
        caught.append(signum)
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in (*_SIGNALS, signal.SIGINT)}
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def exit_status(signum):
    """The status a shell gives a process ended by ``signum``: 128 + its number."""
    return 128 + int(signum)


def quiet_stdout():
    """After a BrokenPipeError on stdout (``gradstep list | head -3``): point stdout at the null
    device, so the interpreter's last flush at exit does not fail again (the recipe of Python's
    documentation, "Note on SIGPIPE"). Does nothing where stdout has no file descriptor."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def say(line):
    """``line`` on stderr. A terminal that is gone (closed: EIO) or a pipe nobody reads cannot be
    told anything, and that ends neither the command nor its output file."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
