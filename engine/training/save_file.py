"""Save files: a session written to a ``.gradstep`` file and resumed from it (issue 18).

A save file is a zip archive, like NumPy's ``.npz``: ``session.json`` says what to rebuild (the
scenario's whole text and its path, the step, the furthest step of the branch, every change of
course on the branch with the step it applies after, the seed), and ``.npy`` arrays hold the
parameters and the optimizer state at the saved step. Resuming rebuilds the session from the
scenario's text, replays the changes (the engine is deterministic: every record comes out bit
for bit as it was), and checks the replayed parameters and state against the saved arrays bit
for bit: a mismatch (a save from another version, a data file that changed) is an error, never
a session that silently differs. ``docs/save-files.md`` describes the format.

Nothing is pickled: JSON and ``np.load(..., allow_pickle=False)`` only, every size bounded
(:mod:`gradstep.engine.training.save_reader`).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from gradstep.engine import optim
from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _
from gradstep.engine.training.save_reader import Archive, SaveFileError

__all__ = ["FORMAT", "VERSION", "SUFFIX", "SaveFileError", "save", "dumps", "load", "data_digest", "normalized",
           "lr_changes", "suggested_name", "is_save_file"]

FORMAT = "gradstep-save"
VERSION = 1
SUFFIX = ".gradstep"
SESSION = "session.json"
THETA = "theta.npy"
MAX_CHANGES = 100_000
"""The most changes of course a save file may list."""

def _state_member(name):
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


def _state_at(session):
    """The optimizer state the session stands with (the record's; fresh at step 0)."""
    if session.record is not None:
        return session.record.opt_state
    return optim.init_state(session.optimizer_kind, session.theta, session.hyper)


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


def lr_changes(session):
    """``[(step, old lr, new lr), ...]``: where the learning rate changed on the session's branch
    (the dashboard marks them on the loss chart)."""
    course = normalized(session.course)
    return [(t, before[2]["lr"], hyper["lr"]) for before, (t, _kind, hyper, _fresh) in zip(course, course[1:])
            if hyper["lr"] != before[2]["lr"]]


def _course_changes(session):
    """The session's changes of course as JSON objects (the scenario's own first entry left
    out)."""
    changes = []
    for i, (t, kind, hyper, fresh) in enumerate(normalized(session.course)):
        if i == 0 and not fresh:
            continue  # the scenario's optimizer: its text says it
        changes.append({"type": "course", "step": int(t), "optimizer": kind,
                        "hyper": {k: float(v) for k, v in hyper.items()}, "fresh_state": bool(fresh)})
    return changes


def dumps(session):
    """The save file of ``session`` as bytes (it must stand on the branch it was trained on).

    Raises:
        ValueError: The session's scenario has no text to save (built in Python).
    """
    scenario = session.scenario
    if not scenario.source:
        raise ValueError(_("this scenario was not read from a file or a text: it cannot be saved"))
    state = _state_at(session)
    arrays = {THETA: np.asarray(session.theta)}
    scalars = {}
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            arrays[_state_member(name)] = value
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
def load(path, history_options=None):
    """The session saved in the file at ``path``, rebuilt and standing at the saved step.

    Args:
        history_options: As for :class:`~gradstep.engine.training.session.Session`.

    Raises:
        SaveFileError: A damaged, truncated, hostile or foreign file, a scenario that no longer
            reads, or a replay that does not give the saved numbers bit for bit: one line,
            ``FILE: key: message``.
        gradstep.engine.memory.MemoryBudgetError: The session would not fit the memory budget.
    """
    with Archive(path) as archive:
        return _Resume(archive, history_options).session()


class _Resume:
    def __init__(self, archive, history_options):
        self.archive, self.history_options = archive, history_options
        self.doc = archive.read_json(SESSION)

    def fail(self, key, message):
        return self.archive.error(f"{SESSION}: {key}" if key else SESSION, message)

    def field(self, obj, key, kind, where):
        """``obj[key]``, which must be of type ``kind`` (a bool is no integer)."""
        shown = f"{where}.{key}" if where else key
        if not isinstance(obj, dict) or key not in obj:
            raise self.fail(shown, _("missing"))
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            raise self.fail(shown, _("expected {kind}, got {value}").format(
                kind=" or ".join(k.__name__ for k in _tuple(kind)), value=_short(value)))
        return value

    def count(self, obj, key, where="", low=0):
        value = self.field(obj, key, int, where)
        if value < low:
            raise self.fail(f"{where}.{key}" if where else key,
                            _("expected a whole number >= {low}, got {value}").format(low=low, value=value))
        return value

    def session(self):
        doc = self.doc
        if doc.get("format") != FORMAT:
            raise self.fail("format", _("not a gradstep save file (expected {expected}, got {got})")
                            .format(expected=repr(FORMAT), got=_short(doc.get("format"))))
        version = self.count(doc, "version", low=1)
        if version > VERSION:
            raise self.fail("version", _("written by a newer gradstep (format {version}; this one "
                                         "reads {ours}): update gradstep").format(version=version, ours=VERSION))
        scenario = self.scenario()
        t, furthest = self.count(doc, "step"), self.count(doc, "furthest")
        if t > furthest:
            raise self.fail("step", _("step {step} is after the furthest step {furthest}")
                            .format(step=t, furthest=furthest))
        changes = self.changes(furthest)
        from gradstep.engine.training.session import Session

        session = Session(scenario, self.history_options)
        self.replay(session, changes, furthest)
        if normalized(session.course) != normalized(self.expected_course(session, changes)):
            raise self.fail("changes", _("the replayed changes of course differ from the saved ones "
                                         "(a save from another version of gradstep?)"))
        session.goto(t)
        self.verify(session)
        return session

    def scenario(self):
        from gradstep.engine.scenario import loads_scenario

        spec = self.field(self.doc, "scenario", dict, "")
        text = self.field(spec, "text", str, "scenario")
        original = spec.get("path")
        if original is not None and not isinstance(original, str):
            raise self.fail("scenario.path", _("expected a path or null"))
        saved_at = Path(self.archive.path).resolve()
        # Relative data paths are read from the scenario's own folder; from the save's folder when
        # that is gone (a save copied to another computer beside its data).
        if original is None or "\0" in original:
            anchor = saved_at.with_name("scenario.toml")
        else:
            anchor = Path(original)
            if not anchor.parent.is_dir():
                anchor = saved_at.with_name(anchor.name or "scenario.toml")
        try:
            scenario = loads_scenario(text, anchor)
        except ScenarioError as exc:
            if isinstance(exc, SaveFileError):
                raise
            from gradstep.engine.memory import MemoryBudgetError

            if isinstance(exc, MemoryBudgetError):
                raise
            raise self.fail("scenario.text", str(exc)) from None
        if self.count(spec, "seed", "scenario", low=-(1 << 63)) != scenario.seed:
            raise self.fail("scenario.seed", _("does not match the scenario's seed {seed}").format(seed=scenario.seed))
        if self.field(spec, "dtype", str, "scenario") != scenario.dtype:
            raise self.fail("scenario.dtype", _("does not match the scenario's dtype {dtype}")
                            .format(dtype=scenario.dtype))
        if self.field(spec, "data_sha256", str, "scenario") != data_digest(scenario):
            raise self.fail("scenario.data_sha256", _(
                "the scenario's data are not those the session was saved with (its data file "
                "changed since?)"))
        return scenario

    def changes(self, furthest):
        items = self.field(self.doc, "changes", list, "")
        if len(items) > MAX_CHANGES:
            raise self.fail("changes", _("{count} changes; a save file holds at most {limit}")
                            .format(count=len(items), limit=MAX_CHANGES))
        out, last = [], -1
        for i, item in enumerate(items):
            where = f"changes[{i}]"
            kind = self.field(item, "type", str, where)
            if kind != "course":
                raise self.fail(f"{where}.type", _("unknown change {kind} (a save from a newer gradstep?)")
                                .format(kind=_short(kind)))
            step = self.count(item, "step", where)
            if step <= last or step > furthest:
                raise self.fail(f"{where}.step", _("expected steps in increasing order, from 0 to the "
                                                   "furthest step {furthest}, got {step}")
                                .format(furthest=furthest, step=step))
            last = step
            name = self.field(item, "optimizer", str, where)
            if name not in optim.OPTIMIZERS:
                raise self.fail(f"{where}.optimizer", _("unknown optimizer {name}").format(name=_short(name)))
            values = self.field(item, "hyper", dict, where)
            for key, value in values.items():
                if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                    raise self.fail(f"{where}.hyper.{_name(key)}", _("expected a finite number, got {value}")
                                    .format(value=_short(value)))
            try:
                hyper = optim.hyperparameters(name, values.get("lr"),
                                              **{k: v for k, v in values.items() if k != "lr"})
            except (ValueError, TypeError) as exc:
                raise self.fail(f"{where}.hyper", str(exc)) from None
            fresh = self.field(item, "fresh_state", bool, where)
            out.append((step, name, hyper, fresh))
        return out

    def replay(self, session, changes, furthest):
        from gradstep.engine.training.session import Diverged

        try:
            for step, kind, hyper, fresh in changes:
                session.run(step - session.t)
                if fresh:
                    session.set_optimizer(kind, hyper["lr"], **{k: v for k, v in hyper.items() if k != "lr"})
                else:
                    if kind != session.optimizer_kind:
                        raise self.fail("changes", _("a change to {kind} without fresh state").format(kind=kind))
                    session.set_hyper(**hyper)
            session.run(furthest - session.t)
        except Diverged as exc:
            raise self.fail("furthest", _("the replay diverged at step {step}, which the saved run "
                                          "did not (a save from another version of gradstep?)")
                            .format(step=exc.step)) from None
        except ValueError as exc:
            raise self.fail("changes", str(exc)) from None

    def expected_course(self, session, changes):
        """The course the replay must have made: the scenario's entry unless a change at 0
        replaced it, then the changes."""
        first = session.scenario.optimizer
        head = [] if changes and changes[0][0] == 0 else [
            (0, first.kind, optim.hyperparameters(first.kind, first.lr, **dict(first.hyper)), False)]
        return head + list(changes)

    def verify(self, session):
        """The replayed parameters and state against the saved arrays, bit for bit."""
        archive, dtype = self.archive, session.dtype
        mismatch = _("differs from the replayed session (a save from another version of gradstep, "
                     "or a damaged file)")
        theta = archive.read_array(THETA, session.theta.shape, dtype)
        if theta.tobytes() != np.ascontiguousarray(session.theta).tobytes():
            raise archive.error(THETA, mismatch)
        state = _state_at(session)
        spec = self.field(self.doc, "state", dict, "")
        names = self.field(spec, "arrays", list, "state")
        ours = sorted(n for n, v in state.items() if isinstance(v, np.ndarray))
        if names != ours:
            raise self.fail("state.arrays", _("expected {ours}, got {names}").format(
                ours=", ".join(ours) or "[]", names=_short(names)))
        for name in ours:
            saved = archive.read_array(_state_member(name), state[name].shape, state[name].dtype)
            if saved.tobytes() != np.ascontiguousarray(state[name]).tobytes():
                raise archive.error(_state_member(name), mismatch)
        scalars = self.field(spec, "scalars", dict, "state")
        replayed = {n: (v.item() if isinstance(v, np.generic) else v) for n, v in state.items()
                    if not isinstance(v, np.ndarray)}
        if scalars != replayed:
            raise self.fail("state.scalars", mismatch)
        expected = {SESSION, THETA, *(_state_member(n) for n in ours)}
        extra = sorted(set(archive.members) - expected)
        if extra:
            raise archive.error(_name(extra[0]), _("an unexpected member of the archive"))


def _name(key):
    """A key of ``session.json`` as an error message shows it (escaped, at most 40 characters)."""
    from gradstep.engine.scenario.text import printable

    return printable(str(key))[:40]


def _tuple(kind):
    return kind if isinstance(kind, tuple) else (kind,)


def _short(value, limit=60):
    """``value`` quoted for an error message, cut short and with control characters escaped."""
    from gradstep.engine.scenario.text import printable

    text = printable(repr(value))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def suggested_name(session):
    """``NAME-stepN.gradstep``: the scenario's file name (or its name) and the step."""
    scenario = session.scenario
    stem = Path(scenario.path).stem if scenario.path is not None else scenario.name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "gradstep"
    return f"{stem}-step{session.t}{SUFFIX}"


def is_save_file(path):
    """Whether ``path`` names a save file (by its suffix)."""
    return os.fspath(path).lower().endswith(SUFFIX)
