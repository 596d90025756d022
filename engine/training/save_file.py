"""Save files: a session written to a ``.gradstep`` file and resumed from it (issue 18).

A save file is a zip archive, like NumPy's ``.npz``: ``session.json`` says what to rebuild (the
scenario's whole text and its path, the step, the furthest step of the branch, every change of
course on the branch with the step it applies after, the seed), and ``.npy`` arrays hold the
parameters and the optimizer state at the saved step. Resuming rebuilds the session from the
scenario's text, replays the changes (the engine is deterministic: every record comes out bit
for bit as it was), and checks the replayed parameters and state against the saved arrays bit
for bit: a mismatch (a save from another version, a data file that changed) is an error, never
a session that silently differs. ``docs/save-files.md`` describes the format.

This module writes (:func:`save`, :func:`dumps`) and is the one to import; resuming is
:mod:`~gradstep.engine.training.save_resume`'s (:func:`load`, re-exported here), the names and
what both sides compute :mod:`~gradstep.engine.training.save_format`'s, and reading the archive
with every size bounded :mod:`~gradstep.engine.training.save_reader`'s. Nothing is pickled: JSON
and ``np.load(..., allow_pickle=False)`` only.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from gradstep.engine.i18n import _
from gradstep.engine.training.save_format import (FORMAT, SESSION, SUFFIX, THETA, VERSION, course_of,
                                                  data_digest, normalized, state_at, state_member)
from gradstep.engine.training.save_reader import SaveFileError
from gradstep.engine.training.save_resume import load

__all__ = ["FORMAT", "VERSION", "SUFFIX", "SaveFileError", "save", "dumps", "load", "data_digest", "normalized",
           "lr_changes", "suggested_name", "is_save_file"]


def lr_changes(session):
    """``[(step, old lr, new lr), ...]``: where the learning rate changed on the session's branch
    (the dashboard marks them on the loss chart)."""
    course = normalized(course_of(session)[0])
    return [(t, before[2]["lr"], hyper["lr"]) for before, (t, _kind, hyper, _fresh) in zip(course, course[1:])
            if hyper["lr"] != before[2]["lr"]]



def _course_changes(session):
    """The session's changes as JSON objects, by step (at one step, the course first): changes
    of course (the scenario's own first entry left out) and parameter entries set by hand."""
    changes = []
    for i, (t, kind, hyper, fresh) in enumerate(normalized(course_of(session)[0])):
        if i == 0 and not fresh:
            continue  # the scenario's optimizer: its text says it
        changes.append({"type": "course", "step": int(t), "optimizer": kind,
                        "hyper": {k: float(v) for k, v in hyper.items()}, "fresh_state": bool(fresh)})
    layout = session.layout
    for t, flat, value in course_of(session)[1]:
        j = int(np.searchsorted(layout.offsets, flat, side="right")) - 1
        index = np.unravel_index(int(flat) - int(layout.offsets[j]), layout.shapes[j]) if layout.shapes[j] else ()
        changes.append({"type": "value", "step": int(t), "parameter": layout.names[j],
                        "index": [int(k) for k in index], "value": float(value)})
    return sorted(changes, key=lambda change: (change["step"], change["type"] != "course"))



def dumps(session):
    """The save file of ``session`` as bytes (it must stand on the branch it was trained on).

    Raises:
        ValueError: The session's scenario has no text to save (built in Python).
    """
    scenario = session.scenario
    if not scenario.source:
        raise ValueError(_("this scenario was not read from a file or a text: it cannot be saved"))
    state = state_at(session)
    arrays = {THETA: np.asarray(session.theta)}
    scalars = {}
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            arrays[state_member(name)] = value
        else:
            scalars[name] = value.item() if isinstance(value, np.generic) else value
    description = {
        "format": FORMAT, "version": VERSION,
        "scenario": {"text": scenario.source,
                     "path": None if scenario.path is None else str(Path(scenario.path).resolve()),
                     "seed": int(scenario.seed), "dtype": str(session.dtype),
                     "data_sha256": data_digest(scenario)},
        "step": int(session.t), "furthest": int(session.furthest),
        "changes": _course_changes(session),
        "optimizer": {"kind": session.optimizer_kind,
                      "hyper": {k: float(v) for k, v in session.hyper.items()}},
        "state": {"arrays": sorted(n for n, v in state.items() if isinstance(v, np.ndarray)),
                  "scalars": scalars},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(SESSION, json.dumps(description, ensure_ascii=False, allow_nan=False,
                                             indent=1).encode("utf-8"))
        for name, array in arrays.items():
            out = io.BytesIO()
            np.lib.format.write_array(out, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(name, out.getvalue())
    return buffer.getvalue()


def save(session, target):
    """Write ``session``'s save file to ``target``: a path (atomically, through
    :class:`~gradstep.engine.training.atomic_file.AtomicFile`: never a partial file) or a
    binary stream. Returns the number of bytes written.

    Raises:
        gradstep.engine.training.atomic_file.ExportError: The file cannot be written.
    """
    data = dumps(session)
    if hasattr(target, "write"):
        target.write(data)
        return len(data)
    from gradstep.engine.training.atomic_file import AtomicFile

    with AtomicFile(target) as out:
        out.stream.buffer.write(data)
    return len(data)


# -- resuming ------------------------------------------------------------------------------

def suggested_name(session):
    """``NAME-stepN.gradstep``: the scenario's file name (or its name) and the step."""
    scenario = session.scenario
    stem = Path(scenario.path).stem if scenario.path is not None else scenario.name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "gradstep"
    return f"{stem}-step{session.t}{SUFFIX}"


def is_save_file(path):
    """Whether ``path`` names a save file (by its suffix)."""
    return os.fspath(path).lower().endswith(SUFFIX)

