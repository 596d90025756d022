"""Step records as plain data: JSON-lines objects and CSV rows.

One format serves ``gradstep run`` and the history export, so a trace written by either reads
the same. Numbers are written shortest round-trip (the digits of Python's ``repr`` of the
float64 value), so a value read back is bit for bit the value the engine held.

Whole arrays are handed to an encoder at once, never number by number: :class:`JsonEncoder`
(the standard library's ``json``, ``repr``'s exact text) by default; the interface passes a
faster one with the same numbers (``gradstep.tui.trace_json``: ``1e-05`` may read ``0.00001``
there, the same float). A long export reports its progress, and can be stopped, through the
``progress`` callback of :func:`write_records`.
"""

from __future__ import annotations

import json

import numpy as np

from gradstep.engine.i18n import _
from gradstep.engine.training.atomic_file import AtomicFile, ExportError

__all__ = ["record_to_dict", "record_to_json", "csv_header", "csv_row", "write_records", "write_trace",
           "AtomicFile", "ExportError", "JsonEncoder", "check_format"]


def _as_double(flat):
    """``flat`` as float64 (a float32 session's numbers are written as their float64 values)."""
    return flat if flat.dtype == np.float64 else flat.astype(np.float64)


def _state_names(record):
    return tuple(record.flat_state)


def _record_object(record, full):
    """The record as a dict whose arrays are NumPy float64 arrays (views of the flat vectors;
    a scalar parameter's value is a NumPy float64)."""
    out = {"step": record.step, "loss": record.loss}
    if record.val_loss is not None:
        out["val_loss"] = record.val_loss
    out["lr"] = record.lr
    out["grad_norm"] = record.grad_norm
    out.update(_extras(record))
    if full:
        cut = record.layout.cut
        out["params"] = cut(_as_double(record.theta))
        out["grads"] = cut(_as_double(record.grad))
        out["update"] = cut(_as_double(record.delta))
        per_state = {k: cut(_as_double(v)) for k, v in record.flat_state.items()}
        out["state"] = {name: {k: per[name] for k, per in per_state.items()} for name in record.layout.names}
    return out


def _extras(record):
    """``[(name, value)]``: what a record holds only for some scenarios, after ``grad_norm``: the
    clipped gradient's norm (``[training] clip_norm`` / ``clip_value``), the loss's L1 and L2
    terms and the accuracy (:mod:`~gradstep.engine.training.metrics`)."""
    extras = [] if record.clipped_norm is None else [("clipped_norm", record.clipped_norm)]
    return extras + list((record.metrics or {}).items())


class _Frames:
    """The whole-array part of records, for a writer that encodes each record before it asks
    for the next: the record's flat vectors are copied (as float64) into one buffer, whose
    per-parameter views, and the dicts that hold them, are made once per layout and state
    names instead of cut again for every record. The dicts are the same objects every time,
    so they must be encoded before the next record is filled in."""

    _FIELDS = ("params", "grads", "update")

    def __init__(self, layout):
        self._layout = layout
        self._state_names = None

    def _build(self, state_names):
        layout = self._layout
        self._state_names = state_names
        rows = len(self._FIELDS) + len(state_names)
        self._buffer = np.empty((rows, layout.size), np.float64)
        self._flat = self._buffer.reshape(-1)
        self._scalars = []  # (dict, name, row, index): NumPy scalars, taken again each record
        fields = []
        for i in range(rows):
            field = {}
            for name, sl, shape in zip(layout.names, layout.slices, layout.shapes):
                if shape == ():
                    self._scalars.append((field, name, i, sl.start))
                    field[name] = None
                else:
                    field[name] = self._buffer[i, sl].reshape(shape)
            fields.append(field)
        self._fields = fields[:len(self._FIELDS)]
        self._state = {name: {k: fields[len(self._FIELDS) + j][name] for j, k in enumerate(state_names)}
                       for name in layout.names}
        self._state_cells = [(self._state[name], k, fields[len(self._FIELDS) + j], name)
                             for name in layout.names if layout.shapes[layout.index[name]] == ()
                             for j, k in enumerate(state_names)]

    def fill(self, out, record):
        """Put ``record``'s parameters, gradients, update and state into ``out``."""
        flat_state = record.flat_state
        names = tuple(flat_state)
        if names != self._state_names:
            self._build(names)
        np.concatenate((record.theta, record.grad, record.delta, *flat_state.values()), out=self._flat)
        if self._scalars:
            buffer = self._buffer
            for field, name, row, index in self._scalars:
                field[name] = buffer[row, index]
            for cell, k, field, name in self._state_cells:
                cell[k] = field[name]
        for key, field in zip(self._FIELDS, self._fields):
            out[key] = field
        out["state"] = self._state
        return out


def _record_lines(records, layout, full):
    """Each record as :func:`_record_object` makes it, the arrays through :class:`_Frames`
    (valid until the next one is asked for)."""
    if not full:
        for record in records:
            yield _record_object(record, False)
        return
    frames = _Frames(layout)
    for record in records:
        yield frames.fill(_record_object(record, False), record)


def _tolist(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class JsonEncoder:
    """Text of a trace with the standard library: ``json.dumps``'s objects, ``repr``'s numbers.

    An encoder has two methods: :meth:`line`, a JSON object (nested dicts whose leaves are
    numbers and float64 arrays) as one line of text ending in a newline; :meth:`numbers`, a flat
    float64 array as comma-separated numbers (a CSV row's tail). It may also have
    ``line_bytes``, the same line as ASCII bytes, which :func:`write_records` writes to a
    binary file's buffer directly.
    """

    def line(self, obj):
        return json.dumps(obj, allow_nan=False, default=_tolist) + "\n"

    def numbers(self, flat):
        return ",".join(map(repr, flat.tolist()))


STDLIB = JsonEncoder()


def record_to_dict(record, full=False):
    """The record as a JSON-ready dict.

    Brief: ``{"step", "loss", "val_loss"?, "lr", "grad_norm"}``, and ``clipped_norm``, ``l1``,
    ``l2``, ``accuracy``, ``val_accuracy`` when the scenario's records hold them. Full adds ``params``, ``grads``,
    ``update`` (``{name: value}``, nested lists for arrays) and ``state``
    (``{name: {"V": ..., "S": ..., ...}}``).
    """
    out = _record_object(record, full)
    if full:
        for key in ("params", "grads", "update"):
            out[key] = {k: v.tolist() for k, v in out[key].items()}
        out["state"] = {name: {k: v.tolist() for k, v in states.items()} for name, states in out["state"].items()}
    return out


def record_to_json(record, full=False, encoder=None):
    """One line of JSON (no trailing newline), written by ``encoder`` (:class:`JsonEncoder`
    by default)."""
    return (encoder or STDLIB).line(_record_object(record, full))[:-1]


def _entry_labels(layout):
    labels = []
    for name, shape in zip(layout.names, layout.shapes):
        if shape == ():
            labels.append(name)
        else:
            labels.extend(f"{name}[{','.join(map(str, idx))}]" for idx in np.ndindex(*shape))
    return labels


def csv_header(layout, state_names, full=False, has_val=False, extras=()):
    """Column names: ``step, loss[, val_loss], lr, grad_norm``, the ``extras`` (``clipped_norm``,
    ``l1``, ``l2``, ``accuracy``, ``val_accuracy``: what the scenario's records hold) then, with
    ``full``, ``param:NAME[i,j]``, ``grad:...``, ``update:...`` and ``V:...``, ``S:...`` per entry."""
    cols = ["step", "loss"] + (["val_loss"] if has_val else []) + ["lr", "grad_norm", *extras]
    if full:
        labels = _entry_labels(layout)
        for prefix in ("param", "grad", "update", *state_names):
            cols.extend(f"{prefix}:{label}" for label in labels)
    return cols


def csv_row(record, state_names, full=False, has_val=False, encoder=None):
    """The record's values in :func:`csv_header` order, as one line of text (no newline): numbers
    need no quoting, so the row is the CSV writer's own."""
    row = [str(record.step), repr(record.loss)]
    if has_val:
        row.append(repr(record.val_loss))
    row += [repr(record.lr), repr(record.grad_norm)]
    row += [repr(value) for _name, value in _extras(record)]
    if full and record.layout.size:
        numbers = (encoder or STDLIB).numbers
        flat_state = record.flat_state
        flats = [record.theta, record.grad, record.delta] + [flat_state[k] for k in state_names]
        row.append(numbers(_as_double(np.concatenate(flats))))
    return ",".join(row)


def write_records(stream, records, layout, format="jsonl", full=True, has_val=False, encoder=None,
                  progress=None):
    """Write each of ``records`` to the text ``stream`` as it comes: JSON lines, or CSV with a
    header row (written even when there is no record, so the file always says its columns).

    Args:
        encoder: What writes objects and arrays (:class:`JsonEncoder` by default).
        progress: Called with the number of records written so far after each one; it may raise
            to stop the writing (the caller then abandons the file).

    Returns:
        The number of records written.
    """
    import csv

    encoder = encoder or STDLIB
    written = 0
    if format == "jsonl":
        # An encoder that makes bytes writes them under a text file's encoding layer.
        raw = getattr(stream, "buffer", None) if hasattr(encoder, "line_bytes") else None
        if raw is not None:
            stream.flush()
            write, line = raw.write, encoder.line_bytes
        else:
            write, line = stream.write, encoder.line
        for obj in _record_lines(records, layout, full):
            write(line(obj))
            written += 1
            if progress is not None:
                progress(written)
        return written
    header = csv.writer(stream, lineterminator="\n")
    names = None
    for record in records:
        if names is None:
            names = _state_names(record)
            header.writerow(csv_header(layout, names, full, has_val, [n for n, _v in _extras(record)]))
        stream.write(csv_row(record, names, full, has_val, encoder) + "\n")
        written += 1
        if progress is not None:
            progress(written)
    if names is None:
        header.writerow(csv_header(layout, (), full, has_val))
    return written


def check_format(format):
    """Raise ValueError unless ``format`` is ``jsonl`` or ``csv``."""
    if format not in ("jsonl", "csv"):
        raise ValueError(_("unknown trace format {format} (expected jsonl or csv)")
                         .format(format=repr(format)))


def write_trace(path, records, layout, format="jsonl", full=True, has_val=False, encoder=None, progress=None):
    """Write ``records`` (an iterable of StepRecords) to ``path`` atomically; returns how many
    (see :func:`write_records`).

    Raises:
        ExportError: The folder is missing or read-only, the disk is full, ... (any earlier
            file at ``path`` is left as it was).
    """
    check_format(format)
    with AtomicFile(path) as out:
        return write_records(out.stream, records, layout, format, full, has_val, encoder, progress)
