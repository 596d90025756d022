"""What a save file (``.gradstep``) is made of: its names, and what both its writer
(:mod:`~gradstep.engine.training.save_file`) and its reader
(:mod:`~gradstep.engine.training.save_resume`) compute from a session. ``docs/save-files.md``
describes the format."""

from __future__ import annotations

import hashlib

import numpy as np

from gradstep.engine import optim
from gradstep.engine.scenario.text import printable

__all__ = ["FORMAT", "VERSION", "SUFFIX", "SESSION", "THETA", "MAX_CHANGES", "state_member", "data_digest",
           "state_at", "course_of", "normalized", "printed", "key_name"]

FORMAT = "gradstep-save"
VERSION = 1
SUFFIX = ".gradstep"
SESSION = "session.json"
THETA = "theta.npy"
MAX_CHANGES = 100_000
"""The most changes a save file may list."""


def state_member(name):
    """The archive's member holding optimizer state array ``name``."""
    return f"state/{name}.npy"


def data_digest(scenario):
    """SHA-256 of the scenario's data (inputs, targets, validation split), as hex; "" for an
    objective. It tells a data file that changed since the save from a save of another version."""
    data = scenario.data
    if data is None:
        return ""
    digest = hashlib.sha256()
    for array in (data.x, data.y, data.x_val, data.y_val):
        if array is None:
            digest.update(b"none;")
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        digest.update(array.data)
    return digest.hexdigest()


def state_at(session):
    """The optimizer state the session stands with (the record's; fresh at step 0)."""
    if session.record is not None:
        return session.record.opt_state
    return optim.init_state(session.optimizer_kind, session.theta, session.hyper)


def course_of(session):
    """``(course, values)`` of the session's branch, oldest first: its changes of course ``((t,
    kind, hyper, fresh_state), ...)`` and the parameter entries set by hand ``((t, flat index,
    value), ...)``, set after step t (none where the travel log keeps no such changes)."""
    log = session.course_log
    return log.entries, tuple(getattr(log, "values", ()))


def normalized(course):
    """``course`` (entries ``(t, kind, hyper, fresh_state)``) with plain dicts, without the
    entries that change nothing (a rate doubled then halved at one step leaves one)."""
    out = []
    for t, kind, hyper, fresh in course:
        hyper = {k: float(v) for k, v in hyper.items()}
        if out and not fresh and (kind, hyper) == out[-1][1:3]:
            continue
        out.append((int(t), kind, hyper, bool(fresh)))
    return out


def key_name(key):
    """A key of ``session.json`` as an error message shows it (escaped, at most 40 characters)."""
    return printable(str(key))[:40]


def printed(value, limit=60):
    """``value`` quoted for an error message, cut short and with control characters escaped."""
    text = printable(repr(value))
    return text if len(text) <= limit else text[:limit - 1] + "…"
