"""Step records as plain data: JSON-lines objects and CSV rows.

One format serves ``gradstep run`` and the history export, so a trace written by either reads
the same. Numbers are written with Python's shortest round-trip ``repr``, so a value read back
is bit for bit the value the engine held.
"""

from __future__ import annotations

import json

import numpy as np

from gradstep.engine.i18n import _
from gradstep.engine.training.atomic_file import AtomicFile, ExportError

__all__ = ["record_to_dict", "record_to_json", "csv_header", "csv_row", "write_records", "write_trace", "AtomicFile", "ExportError"]


def record_to_dict(record, full=False):
    """The record as a JSON-ready dict.

    Brief: ``{"step", "loss", "val_loss"?, "lr", "grad_norm"}``. Full adds ``params``, ``grads``,
    ``update`` (``{name: value}``, nested lists for arrays) and ``state``
    (``{name: {"V": ..., "S": ..., ...}}``).
    """
    out = {"step": record.step, "loss": record.loss}
    if record.val_loss is not None:
        out["val_loss"] = record.val_loss
    out["lr"] = record.lr
    out["grad_norm"] = record.grad_norm
    if full:
        out["params"] = {k: v.tolist() for k, v in record.params.items()}
        out["grads"] = {k: v.tolist() for k, v in record.grads.items()}
        out["update"] = {k: v.tolist() for k, v in record.update.items()}
        out["state"] = {name: {k: v.tolist() for k, v in states.items()}
                        for name, states in record.state.items()}
    return out


def record_to_json(record, full=False):
    """One line of JSON (no trailing newline)."""
    return json.dumps(record_to_dict(record, full), allow_nan=False)


def _entry_labels(layout):
    labels = []
    for name, shape in zip(layout.names, layout.shapes):
        if shape == ():
            labels.append(name)
        else:
            labels.extend(f"{name}[{','.join(map(str, idx))}]" for idx in np.ndindex(*shape))
    return labels


def csv_header(layout, state_names, full=False, has_val=False):
    """Column names: ``step, loss[, val_loss], lr, grad_norm`` then, with ``full``,
    ``param:NAME[i,j]``, ``grad:...``, ``update:...`` and ``V:...``, ``S:...`` per entry."""
    cols = ["step", "loss"] + (["val_loss"] if has_val else []) + ["lr", "grad_norm"]
    if full:
        labels = _entry_labels(layout)
        for prefix in ("param", "grad", "update", *state_names):
            cols.extend(f"{prefix}:{label}" for label in labels)
    return cols


def csv_row(record, state_names, full=False, has_val=False):
    """The record's values in :func:`csv_header` order, as strings."""
    row = [str(record.step), repr(record.loss)]
    if has_val:
        row.append(repr(record.val_loss))
    row += [repr(record.lr), repr(record.grad_norm)]
    if full:
        flats = [record.theta, record.grad, record.delta] + [record.flat_state[k] for k in state_names]
        for flat in flats:
            row.extend(repr(float(v)) for v in flat)
    return row


def write_records(stream, records, layout, format="jsonl", full=True, has_val=False):
    """Write each of ``records`` to the text ``stream`` as it comes: JSON lines, or CSV with a
    header row (written even when there is no record, so the file always says its columns)."""
    import csv

    if format == "jsonl":
        for record in records:
            stream.write(record_to_json(record, full) + "\n")
        return
    writer = csv.writer(stream, lineterminator="\n")
    names = None
    for record in records:
        if names is None:
            names = tuple(record.flat_state)
            writer.writerow(csv_header(layout, names, full, has_val))
        writer.writerow(csv_row(record, names, full, has_val))
    if names is None:
        writer.writerow(csv_header(layout, (), full, has_val))


def write_trace(path, records, layout, format="jsonl", full=True, has_val=False):
    """Write ``records`` (an iterable of StepRecords) to ``path`` atomically.

    Raises:
        ExportError: The folder is missing or read-only, the disk is full, ... (any earlier
            file at ``path`` is left as it was).
    """
    if format not in ("jsonl", "csv"):
        raise ValueError(_("unknown trace format {format} (expected jsonl or csv)")
                         .format(format=repr(format)))
    with AtomicFile(path) as out:
        write_records(out.stream, records, layout, format, full, has_val)
