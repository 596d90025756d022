"""``gradstep run``: train without a screen, one record per step (never imports Textual)."""

from __future__ import annotations

import sys
import time

from engine.scenario import load_scenario, resolve_scenario
from engine.session import Diverged, Session
from engine.trace import AtomicFile, ExportError, write_records

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


def _steps(session, steps, progress, diverged):
    """Step ``session`` up to ``steps`` times, yielding each record; a divergence ends the
    run and is left in ``diverged``."""
    for _ in range(steps):
        try:
            record = session.step()
        except Diverged as exc:
            diverged.append(exc)
            return
        progress.update(session.t, record.loss, force=session.t == steps)
        yield record


def run_scenario(args):
    """Run ``args.scenario`` for ``args.steps`` steps; see ``gradstep run --help``."""
    scenario = load_scenario(resolve_scenario(args.scenario))
    session = Session(scenario)
    steps = scenario.training.steps if args.steps is None else args.steps
    emit = not args.quiet or args.out is not None
    try:
        stream, finish, abandon = _open_output(args.out)
    except ExportError as exc:
        print(f"gradstep: {exc}", file=sys.stderr)
        return 2
    progress = _Progress(steps, not args.quiet and sys.stderr.isatty())
    has_val = scenario.data is not None and scenario.data.x_val is not None and len(scenario.data.x_val) > 0
    diverged = []
    started = time.perf_counter()
    records = _steps(session, steps, progress, diverged)
    try:
        if emit:
            write_records(stream, records, session.layout, args.format, args.full, has_val)
        else:
            for _ in records:
                pass
        finish()
    except BaseException:
        abandon()
        raise
    progress.close()
    status = EXIT_OK
    if diverged:
        print(f"gradstep: {diverged[0].message}", file=sys.stderr)
        status = EXIT_DIVERGED
    elapsed = time.perf_counter() - started
    if args.quiet or args.out is not None:
        rate = session.t / elapsed if elapsed > 0 else float("inf")
        last = f"loss {session.record.loss:.6g}" if session.record else "no steps"
        print(f"{scenario.name}: {session.t} steps, {last}, {rate:,.0f} steps/s", file=sys.stderr)
    return status
