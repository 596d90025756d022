"""``gradstep run``: train without a screen, one record per step (never imports Textual)."""

from __future__ import annotations

import csv
import sys
import time

from engine.scenario import load_scenario, resolve_scenario
from engine.session import Diverged, Session
from engine.trace import AtomicFile, ExportError, csv_header, csv_row, record_to_json

EXIT_OK, EXIT_DIVERGED = 0, 3


class _Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, total, enabled):
        self.total = total
        self.enabled = enabled and total > 0
        self._last = 0.0

    def update(self, done, loss, force=False):
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 0.1):
            return
        self._last = now
        width = 30
        filled = int(width * done / self.total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}  loss {loss:.6g}")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _open_output(out_path):
    """(stream, finish, abandon) for stdout or an atomically written file."""
    if out_path is None:
        return sys.stdout, sys.stdout.flush, lambda: None
    out = AtomicFile(out_path)
    return out.stream, out.commit, out.abandon


def run_scenario(args):
    """Run ``args.scenario`` for ``args.steps`` steps; see ``gradstep run --help``."""
    scenario = load_scenario(resolve_scenario(args.scenario))
    session = Session(scenario)
    steps = scenario.training.steps if args.steps is None else args.steps
    write_records = not args.quiet or args.out is not None
    try:
        stream, finish, abandon = _open_output(args.out)
    except ExportError as exc:
        print(f"gradstep: {exc}", file=sys.stderr)
        return 2
    progress = _Progress(steps, not args.quiet and sys.stderr.isatty())
    has_val = scenario.data is not None and scenario.data.x_val is not None and len(scenario.data.x_val) > 0
    writer = None
    state_names = ()
    status = EXIT_OK
    started = time.perf_counter()
    try:
        for _ in range(steps):
            try:
                record = session.step()
            except Diverged as exc:
                progress.close()
                print(f"gradstep: {exc.message}", file=sys.stderr)
                status = EXIT_DIVERGED
                break
            if write_records:
                if args.format == "jsonl":
                    stream.write(record_to_json(record, args.full) + "\n")
                else:
                    if writer is None:
                        state_names = tuple(record.flat_state)
                        writer = csv.writer(stream, lineterminator="\n")
                        writer.writerow(csv_header(session.layout, state_names, args.full, has_val))
                    writer.writerow(csv_row(record, state_names, args.full, has_val))
            progress.update(session.t, record.loss)
        else:
            if session.record is not None:
                progress.update(session.t, session.record.loss, force=True)
            progress.close()
        if write_records and args.format == "csv" and writer is None:
            csv.writer(stream, lineterminator="\n").writerow(
                csv_header(session.layout, (), args.full, has_val))
        finish()
    except BaseException:
        abandon()
        raise
    elapsed = time.perf_counter() - started
    if args.quiet or args.out is not None:
        rate = session.t / elapsed if elapsed > 0 else float("inf")
        last = f"loss {session.record.loss:.6g}" if session.record else "no steps"
        print(f"{scenario.name}: {session.t} steps, {last}, {rate:,.0f} steps/s", file=sys.stderr)
    return status
