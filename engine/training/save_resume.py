"""Resuming a save file: the session rebuilt from the scenario's text, its changes replayed,
and the replayed parameters and optimizer state checked bit for bit against the saved arrays
(:func:`load`). Every key of ``session.json`` is checked and named in errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gradstep.engine import optim
from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _
from gradstep.engine.training.save_format import (FORMAT, MAX_CHANGES, SESSION, THETA, VERSION, course_of,
                                                  data_digest, key_name, normalized, printed, state_at,
                                                  state_member)
from gradstep.engine.training.save_reader import Archive, SaveFileError

__all__ = ["load"]


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
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
            raise self.fail(shown, _("expected {kind}, got {value}").format(
                kind=" or ".join(k.__name__ for k in _kinds(kind)), value=printed(value)))
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
                            .format(expected=repr(FORMAT), got=printed(doc.get("format"))))
        version = self.count(doc, "version", low=1)
        if version > VERSION:
            raise self.fail("version", _("written by a newer gradstep (format {version}; this one "
                                         "reads {ours}): update gradstep").format(version=version, ours=VERSION))
        scenario = self.scenario()
        t, furthest = self.count(doc, "step"), self.count(doc, "furthest")
        if t > furthest:
            raise self.fail("step", _("step {step} is after the furthest step {furthest}")
                            .format(step=t, furthest=furthest))
        from gradstep.engine.training.session import Session

        session = Session(scenario, self.history_options)
        self.layout = session.layout
        changes = self.changes(furthest)
        self.replay(session, changes, furthest)
        values = [(step, where[2], value) for step, kind, where, value in changes if kind == "="]
        courses = [change for change in changes if change[1] != "="]
        if normalized(course_of(session)[0]) != normalized(self.expected_course(session, courses)) \
                or list(course_of(session)[1]) != values:
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
        out, last, last_course = [], 0, -1
        for i, item in enumerate(items):
            where = f"changes[{i}]"
            kind = self.field(item, "type", str, where)
            if kind not in ("course", "value"):
                raise self.fail(f"{where}.type", _("unknown change {kind} (a save from a newer gradstep?)")
                                .format(kind=printed(kind)))
            step = self.count(item, "step", where)
            if step < last or step > furthest or kind == "course" and step <= last_course:
                raise self.fail(f"{where}.step", _("expected steps in increasing order, from 0 to the "
                                                   "furthest step {furthest}, got {step}")
                                .format(furthest=furthest, step=step))
            last = step
            if kind == "value":
                out.append(self.value_change(item, where, step))
                continue
            last_course = step
            name = self.field(item, "optimizer", str, where)
            if name not in optim.OPTIMIZERS:
                raise self.fail(f"{where}.optimizer", _("unknown optimizer {name}").format(name=printed(name)))
            values = self.field(item, "hyper", dict, where)
            for key, value in values.items():
                if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                    raise self.fail(f"{where}.hyper.{key_name(key)}", _("expected a finite number, got {value}")
                                    .format(value=printed(value)))
            try:
                hyper = optim.hyperparameters(name, values.get("lr"),
                                              **{k: v for k, v in values.items() if k != "lr"})
            except (ValueError, TypeError) as exc:
                raise self.fail(f"{where}.hyper", str(exc)) from None
            fresh = self.field(item, "fresh_state", bool, where)
            out.append((step, name, hyper, fresh))
        return out

    def value_change(self, item, where, step):
        """``(step, "=", (parameter, index), value)``: a parameter entry set by hand after ``step``."""
        layout = self.layout
        name = self.field(item, "parameter", str, where)
        if name not in layout.index:
            raise self.fail(f"{where}.parameter", _("there is no parameter called {name}").format(name=printed(name)))
        index = self.field(item, "index", list, where)
        shape = layout.shapes[layout.index[name]]
        if len(index) != len(shape) or not all(
                isinstance(k, int) and not isinstance(k, bool) and 0 <= k < n for k, n in zip(index, shape)):
            raise self.fail(f"{where}.index", _("{name} has no entry at {index}").format(name=name, index=printed(index)))
        value = self.field(item, "value", (int, float), where)
        if not math.isfinite(value):
            raise self.fail(f"{where}.value", _("expected a finite number, got {value}").format(value=printed(value)))
        flat = int(layout.offsets[layout.index[name]]) + (
            int(np.ravel_multi_index(tuple(index), shape)) if shape else 0)
        return (step, "=", (name, tuple(index), flat), float(value))

    def replay(self, session, changes, furthest):
        from gradstep.engine.training.session import Diverged

        try:
            for change in changes:
                session.run(change[0] - session.t)
                if change[1] == "=":  # a parameter entry set by hand: (name, index, flat), value
                    _step, _kind, (name, index, _flat), value = change
                    setter = getattr(session, "set_value", None)  # the travel log of live switching
                    if setter is None:
                        raise self.fail("changes", _("parameters set by hand (=) need a newer gradstep"))
                    setter(name, index, value)
                    continue
                _step, kind, hyper, fresh = change
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
        state = state_at(session)
        spec = self.field(self.doc, "state", dict, "")
        names = self.field(spec, "arrays", list, "state")
        ours = sorted(n for n, v in state.items() if isinstance(v, np.ndarray))
        if names != ours:
            raise self.fail("state.arrays", _("expected {ours}, got {names}").format(
                ours=", ".join(ours) or "[]", names=printed(names)))
        for name in ours:
            saved = archive.read_array(state_member(name), state[name].shape, state[name].dtype)
            if saved.tobytes() != np.ascontiguousarray(state[name]).tobytes():
                raise archive.error(state_member(name), mismatch)
        scalars = self.field(spec, "scalars", dict, "state")
        replayed = {n: (v.item() if isinstance(v, np.generic) else v) for n, v in state.items()
                    if not isinstance(v, np.ndarray)}
        if scalars != replayed:
            raise self.fail("state.scalars", mismatch)
        expected = {SESSION, THETA, *(state_member(n) for n in ours)}
        extra = sorted(set(archive.members) - expected)
        if extra:
            raise archive.error(key_name(extra[0]), _("an unexpected member of the archive"))




def _kinds(kind):
    return kind if isinstance(kind, tuple) else (kind,)
