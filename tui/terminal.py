"""The terminal the dashboard draws on, and what happens when it goes away.

A terminal can close under a running dashboard without a signal: an ssh connection drops, a
terminal emulator or tmux server dies, a test's pseudo-terminal is closed. Textual's own driver
then blocks for ever: its writer thread dies on the first failed write (``EIO``), the queue of
writes fills, and the next write waits on the full queue in the event loop's thread, so the app
never ends; the training thread goes on with nobody to show it to.

:class:`TerminalDriver` is Textual's Linux driver with an output thread that notices a terminal
that is gone: from then on every write is dropped at once, and the app is asked to end as on a
hang-up (``SIGHUP``, exit status 129). A paused dashboard writes nothing, and Textual's input
thread takes the end of a terminal's input for a pipe's and goes on: a watch thread waits for the
terminal to hang up (``POLLHUP``) and does the same.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import threading
from typing import Callable

from textual.drivers.linux_driver import LinuxDriver

__all__ = ["TerminalDriver", "Output", "HANGUP_STATUS", "QUEUED_WRITES"]

HANGUP_STATUS = 129
"""The exit status when the terminal went away: 128 + SIGHUP, as a shell reports a hang-up."""

QUEUED_WRITES = 30
"""Writes waiting for the terminal before the drawing thread waits too (Textual's figure)."""


class Output(threading.Thread):
    """Writes what the app draws to ``file`` on a thread of its own, as Textual's writer does,
    until a write fails: then it calls ``gone()`` once and drops every later write at once.

    Args:
        file: The terminal's text stream.
        gone: Called (on this thread) when the terminal has gone away.
    """

    def __init__(self, file, gone: Callable[[], None]) -> None:
        super().__init__(daemon=True, name="gradstep-output")
        self._file = file
        self._gone = gone
        self._queue: queue.Queue[str | None] = queue.Queue(QUEUED_WRITES)
        self.lost = threading.Event()

    def write(self, text: str | None) -> None:
        """Queue ``text`` (None ends the thread); waits while the queue is full, unless the
        terminal is gone."""
        while not self.lost.is_set():
            try:
                self._queue.put(text, timeout=0.1)
                return
            except queue.Full:
                continue

    def run(self) -> None:
        write, flush = self._file.write, self._file.flush
        try:
            while (text := self._queue.get()) is not None:
                write(text)
                if self._queue.empty():
                    flush()
            flush()
        except (OSError, ValueError):  # EIO, EPIPE, ENXIO; ValueError: the stream was closed
            self.lost.set()
            self._gone()

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued, then end the thread (at once when the terminal is gone: the
        thread is a daemon, and nothing more can be written)."""
        if self.lost.is_set():
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
            return
        self.write(None)
        self.join(timeout)


class TerminalDriver(LinuxDriver):
    """Textual's Linux driver, ending the app when its terminal goes away instead of hanging.

    The app must have a ``terminal_gone()`` method; it is called on the event loop's thread.
    """

    def __init__(self, app, **kwargs) -> None:
        super().__init__(app, **kwargs)
        self._output: Output | None = None
        self._lost = threading.Lock()
        self._told = False
        self._closing = threading.Event()

    def start_application_mode(self) -> None:
        self._output = Output(self._file, self._terminal_gone)
        self._output.start()
        super().start_application_mode()
        if hasattr(select, "poll") and os.isatty(self.fileno):
            threading.Thread(target=self._watch, name="gradstep-hangup", daemon=True).start()

    def _watch(self) -> None:
        """Wait for the terminal to hang up, half a second at a time until the app closes."""
        poller = select.poll()
        poller.register(self.fileno, 0)  # no events asked: poll still reports a hang-up
        while not self._closing.is_set():
            if any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL)
                   for _fd, mask in poller.poll(500)):
                self._terminal_gone()
                return

    def write(self, data: str) -> None:
        if self._output is not None:
            self._output.write(data)

    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        except OSError:  # the terminal is gone (EIO), or was closed under us
            self._terminal_gone()

    def close(self) -> None:
        self._closing.set()
        super().close()
        if self._output is not None:
            self._output.stop()

    def _terminal_gone(self) -> None:
        """From the output or the input thread: ask the app, on its loop, to end (once)."""
        with self._lost:
            if self._told:
                return
            self._told = True
        if self._output is not None:
            self._output.lost.set()
        loop = getattr(self._app, "_loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._app.terminal_gone)
