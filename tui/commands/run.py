"""``gradstep run``: train without a screen, one record per step (never imports Textual).

With ``--plot FILE.png`` it also draws the pictures the dashboard's ``p`` saves
(:mod:`gradstep.tui.pictures`): the loss curve, and the loss surface with the path for a scenario of two
parameters; for a scenario with ``[[compare]]`` optimizers, the race's curves and paths.
"""

from __future__ import annotations

import sys
import time

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Diverged, Session
from gradstep.engine.training.trace import AtomicFile, ExportError, write_records
from gradstep.tui.i18n import _
from gradstep.tui.trace_json import ENCODER

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
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}  "
                         + _("loss {loss}").format(loss=f"{loss:.6g}"))
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
    for _count in range(steps):
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
    plot = getattr(args, "plot", None)
    if plot is not None:
        problem = _plot_problem(plot)
        if problem:  # before training: a long run should not end in this message
            print(f"gradstep: {problem}", file=sys.stderr)
            return 2
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
    path = None
    if plot is not None and session.layout.size == 2 and not scenario.compare:
        path = [session.theta]
        records = _tracing(records, path)
    try:
        if emit:
            write_records(stream, records, session.layout, args.format, args.full, has_val, ENCODER)
        else:
            for _record in records:
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
        last = (_("loss {loss}").format(loss=f"{session.record.loss:.6g}") if session.record
                else _("no steps"))
        print(_("{name}: {steps} steps, {last}, {rate} steps/s").format(
            name=scenario.name, steps=session.t, last=last, rate=f"{rate:,.0f}"), file=sys.stderr)
    if plot is not None:
        written = _draw(session, path, steps, plot)
        if not written:
            print("gradstep: " + _("no steps taken: no loss curve to draw"), file=sys.stderr)
            return 2
        if not args.quiet:
            print("gradstep: " + _("pictures: {paths}").format(paths=", ".join(map(str, written))),
                  file=sys.stderr)
    return status


def _tracing(records, path):
    """Pass ``records`` on, appending each one's parameters (two of them) to ``path``."""
    for record in records:
        path.append(record.theta)
        yield record


def _plot_problem(plot):
    """Why ``--plot plot`` cannot be drawn (not a .png, no such folder, no matplotlib), or None."""
    from gradstep.tui.pictures import PicturesUnavailable, require_matplotlib

    if plot.suffix.lower() != ".png":
        return _("the picture's name must end in .png, not {suffix}").format(suffix=repr(plot.suffix or ""))
    folder = plot.parent
    if not folder.is_dir():
        return _("cannot write {path}: there is no folder {folder}").format(path=plot, folder=folder)
    try:
        require_matplotlib()
    except PicturesUnavailable as exc:
        return str(exc)
    return None


def _draw(session, path, steps, plot):
    """Draw the run's pictures: the loss to ``plot``, the surface (where there is one) beside it
    as ``<stem>-surface.png``. A scenario with ``[[compare]]`` optimizers is raced for
    ``steps`` steps and drawn as the race. Returns the paths written ([] with no step to draw).

    Raises:
        gradstep.engine.training.trace.ExportError: A file cannot be written.
    """
    from gradstep.engine.analysis.surface import pick_entries
    from gradstep.tui import picture_data as data
    from gradstep.tui import pictures

    if session.scenario.compare:
        from gradstep.engine.analysis.race import Race

        race = Race(session.scenario)
        race.run(steps)
        state = data.race_state(race)
        loss, surface = data.race_loss_picture(state), data.race_surface_picture(state)
    else:
        loss = data.loss_picture(session)
        surface = None
        if path is not None:
            surface = data.surface_picture(session, pick_entries(session), path)
    if loss.empty:
        return []
    pictures.write_png(pictures.loss_figure(loss), plot)
    written = [plot]
    if surface is not None:
        beside = plot.with_name(plot.stem + "-surface.png")
        pictures.write_png(pictures.surface_figure(surface), beside)
        written.append(beside)
    return written
