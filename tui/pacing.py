"""How a run shares the computer: how often it hands a frame to the UI, and the engine's part of
the time.

A dashboard in a terminal draws ten frames a second and runs the engine as fast as it goes
(:data:`gradstep.tui.training.FRAME`). A dashboard served to a classroom (``gradstep serve``) is
one of perhaps 30 on a teacher's two cores, where what matters is that each answers its
student's keys within a second, not the engine's speed: it keeps to :data:`SERVED`.
:meth:`gradstep.tui.training.Controller.run` asks :func:`served` which.
"""

from __future__ import annotations

import os
import random
import sys
import threading
from dataclasses import dataclass

__all__ = ["Pace", "SERVED", "BURST", "served", "lower_thread_priority"]


@dataclass(frozen=True)
class Pace:
    """How a run shares the computer.

    Attributes:
        frame: The least time between two frames (seconds).
        draw_wait: The longest the training thread waits for a frame to be drawn.
        frame_factor: When not 0, frames are also at least this many times the time the last
            one took to be drawn apart (at most ``frame_most``): a dashboard that gets little of
            the processor draws less often, and leaves more of it to the others.
        frame_most: The longest time between two frames (``frame`` when None).
        duty: The part of the time the engine computes (1: all it can); it rests the rest,
            holding neither the processor nor the interpreter, in slices of :data:`BURST`.
        niceness: When not 0, the nice value the training thread takes (Linux): the processor
            then prefers every dashboard's UI thread (keys, frames) to any engine.
        frame_at_once: Whether a run hands its first step over at once; when not, the first
            frame comes ``frame`` after the run starts, and the key that started it is answered
            (the status line says ``running``) without waiting for a whole frame to be drawn.
        paused_redraw: Seconds between a run's end and the redraw of every panel at the step it
            stopped at (the status line says ``paused`` at once); a key that starts another run
            meanwhile skips it. Thirty served dashboards paused together would otherwise all
            redraw everything at the same moment, and the next key would wait behind them.
        paused_spread: Up to this many seconds more, drawn at random for each pause
            (:meth:`redraw_delay`): a class told to pause pauses within a second, and its
            dashboards' full redraws are then spread over this time instead of coming together.
        charts: While running, the least time (seconds) between two redraws of the charts (the
            loss curve, the up-close chart, the sparklines): the costliest widgets to draw, two
            thirds of a frame's drawing on the default scenario. The other panels follow every
            frame.
    """

    frame: float
    draw_wait: float
    frame_factor: float = 0.0
    frame_most: float | None = None
    duty: float = 1.0
    niceness: int = 0
    frame_at_once: bool = True
    paused_redraw: float = 0.0
    paused_spread: float = 0.0
    charts: float = 0.4

    def next_frame(self, drawing: float) -> float:
        """The least time before the next frame, the last one having taken ``drawing`` seconds
        from being handed over to being on screen."""
        if not self.frame_factor:
            return self.frame
        most = self.frame if self.frame_most is None else self.frame_most
        return min(max(self.frame, self.frame_factor * drawing), most)

    def redraw_delay(self) -> float:
        """Seconds from a run's end to the full redraw at the step it stopped at: at least
        :attr:`paused_redraw`, plus a random part of :attr:`paused_spread`."""
        return self.paused_redraw + random.uniform(0.0, self.paused_spread)

    def rest(self, computed: float) -> float:
        """How long the engine rests after computing for ``computed`` seconds."""
        return computed * (1 - self.duty) / self.duty if self.duty < 1 else 0.0


SERVED = Pace(frame=0.5, draw_wait=2.0, frame_factor=8.0, frame_most=4.0, duty=0.5, niceness=19,
              frame_at_once=False, paused_redraw=0.3, paused_spread=0.7, charts=2.0)
"""A dashboard served to a classroom. Measured with ``benchmarks/classroom.py`` (30 sessions running
on 2 cores, ``docs/classroom.md``), a key waited on the UI threads: drawing ten frames a second
each, they took 1.47 of the 1.66 cores the 30 dashboards got, the engines 0.19 and the server
relaying the frames 0.01. So a served dashboard draws two frames a second at most, fewer when its
frames take long to reach the screen (8 times that time apart, at most 4 s); its engine computes
half of the time at most, leaving the interpreter free in between for a key; and its training
thread runs at the lowest priority, so that the processor serves the UI threads first. The key that
starts a run is answered before the run's first frame is drawn (and, on every dashboard, before its
training thread starts). Its charts follow a run every 2 s rather than at every frame: drawn at
every frame, they kept the 30 UI threads busy 1.45 of the 1.96 cores the dashboards got, and a key
pressed as the class paused together waited up to 0.9 s. A pause's full redraw comes 0.3 to 1 s
after the key, at random, so that a class pausing together does not redraw all at once."""

BURST = 0.01
"""An engine whose :attr:`Pace.duty` is below 1 computes this long (seconds) before it rests."""


def served() -> bool:
    """Whether this dashboard is served to a classroom (``gradstep serve`` started it)."""
    from gradstep.tui.classroom.served import active

    return active()


def lower_thread_priority(niceness: int) -> None:
    """Give the calling thread the nice value ``niceness`` when that lowers its priority.

    Only on Linux, where a nice value belongs to a thread: the UI thread keeps its own. A thread
    cannot raise its priority back without privileges, so the thread keeps it (a served
    dashboard's worker threads all do background work). Elsewhere nothing is done.
    """
    if not niceness or not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, thread) < niceness:
            os.setpriority(os.PRIO_PROCESS, thread, niceness)
    except OSError:
        pass
