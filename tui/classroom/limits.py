"""How much of the teacher's computer a classroom may take.

Every browser tab is a dashboard process of its own. Measured on the default scenario
(``benchmarks/classroom.py``, see ``docs/classroom.md``), one served dashboard holds about
:data:`BASE_FOOTPRINT` of resident memory; a scenario with a large data set holds more, about
:data:`DATA_COPIES` times its arrays. ``--max-sessions`` defaults to the number of such
dashboards that fit in the memory the machine has available (``MemAvailable`` of
``/proc/meminfo``), keeping :data:`HEADROOM` of it for everything else.
"""

from __future__ import annotations

import math
from pathlib import Path

__all__ = ["BASE_FOOTPRINT", "DATA_COPIES", "HEADROOM", "MAX_COLUMNS", "MAX_ROWS", "available_memory",
           "footprint", "default_max_sessions", "cap_size"]

BASE_FOOTPRINT = 150 * 2**20
"""Resident memory of one served dashboard of a bundled scenario that a student runs all class
long: 67 MiB after 30 s of running (``benchmarks/classroom.py``), levelling off at 115-140 MiB
after 10 minutes flat out (``benchmarks/soak.py``; the history is bounded by bytes), with some
room."""

DATA_COPIES = 4
"""How many copies of a scenario's data arrays a session keeps about (data, batches, views)."""

HEADROOM = 0.25
"""The part of the available memory left to everything else."""

MAX_COLUMNS, MAX_ROWS = 300, 100
"""The largest terminal a page may ask for (a 4K screen at a small font is about 300 x 100)."""

MIN_COLUMNS, MIN_ROWS = 10, 5


def available_memory(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """``MemAvailable`` in bytes, or None where the system does not say (not Linux)."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def footprint(scenario) -> int:
    """The memory one dashboard of ``scenario`` is expected to hold, in bytes."""
    data = 0
    dataset = getattr(scenario, "data", None)
    for name in ("x", "y", "x_val", "y_val"):
        array = getattr(dataset, name, None)
        data += int(getattr(array, "nbytes", 0) or 0)
    return BASE_FOOTPRINT + DATA_COPIES * data


def default_max_sessions(per_session: int, available: int | None) -> int:
    """How many dashboards fit in ``available`` bytes (at least 1; 8 when it is unknown)."""
    if available is None:
        return 8
    return max(1, math.floor(available * (1 - HEADROOM) / per_session))


def cap_size(width: object, height: object, default: tuple[int, int] = (80, 24)) -> tuple[int, int]:
    """The terminal size a page asks for (``?width=&height=``, a resize), kept within
    :data:`MAX_COLUMNS` x :data:`MAX_ROWS` (and at least 10 x 5); anything not a number gets
    ``default``."""
    def number(value, fallback):
        try:
            return int(str(value))
        except ValueError:
            return fallback

    columns = min(max(number(width, default[0]), MIN_COLUMNS), MAX_COLUMNS)
    rows = min(max(number(height, default[1]), MIN_ROWS), MAX_ROWS)
    return columns, rows
