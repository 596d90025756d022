"""``gradstep run``: train without a screen, one record per step (never imports Textual).

With ``--plot FILE.png`` it also draws the pictures the dashboard's ``p`` saves
(:mod:`gradstep.tui.pictures`): the loss curve, and the loss surface with the path for a scenario of two
parameters; for a scenario with ``[[compare]]`` optimizers, the race's curves and paths.
"""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from types import SimpleNamespace

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Diverged, Session
from gradstep.engine.training.trace import AtomicFile, write_records
from gradstep.tui.commands.termination import say
from gradstep.tui.format import loss_at
from gradstep.tui.i18n import _
from gradstep.tui.trace_json import ENCODER

EXIT_OK, EXIT_INVALID, EXIT_DIVERGED = 0, 2, 3

FORMAT_OF_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl"}


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
        self._write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}  "
                    + _("loss {L} = {loss}").format(L=loss_at(done - 1), loss=f"{loss:.6g}"))  # step `done`'s loss, before its update

    def close(self):
        if self.enabled:
            self._write("\n")

    def _write(self, text):
        # A terminal that is gone (closed: EIO) ends the bar, never the run or its --out file.
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except (OSError, ValueError):
            self.enabled = False


def output_format(asked, out_path):
    """The format of the records: ``--format`` when given, else the one the ``--out`` name's
    suffix says (``.csv``; ``.jsonl`` or ``.json``), else jsonl.

    Raises:
        ValueError: ``--format`` and the name's suffix disagree (``--format jsonl --out x.csv``).
    """
    suffix = out_path.suffix if out_path is not None else ""
    implied = FORMAT_OF_SUFFIX.get(suffix.lower())
    if asked is not None and implied is not None and asked != implied:
        raise ValueError(_("--format {format} does not match --out {path}, whose name says {implied}: "
                           "leave out --format or make them agree").format(
            format=asked, path=out_path, implied=implied))
    return asked or implied or "jsonl"


def _output(out_path):
    """Where the records go, as a context manager with a ``stream``: an :class:`AtomicFile`
    for ``--out`` (committed when the block ends, abandoned, its temporary file removed, when it
    raises, a failed write made an ExportError), else stdout."""
    if out_path is None:
        return nullcontext(SimpleNamespace(stream=sys.stdout))
    return AtomicFile(out_path)


def _steps(session, steps, progress, diverged):
    """Step ``session`` up to ``steps`` times, yielding each record; a divergence ends the
    run and is left in ``diverged``."""
    for done in range(1, steps + 1):
        try:
            record = session.step()
        except Diverged as exc:
            diverged.append(exc)
            return
        progress.update(done, record.loss, force=done == steps)
        yield record


def run_scenario(args):
    """Run ``args.scenario`` for ``args.steps`` steps; see ``gradstep run --help``.

    Raises:
        gradstep.engine.errors.ScenarioError: The scenario is invalid.
        gradstep.engine.training.trace.ExportError: ``--out`` cannot be written (the run stops;
            an earlier file there is left as it was).
    """
    try:
        record_format = output_format(getattr(args, "format", None), args.out)
    except ValueError as exc:
        say(f"gradstep: {exc}")
        return EXIT_INVALID
    resume = getattr(args, "resume", None)  # the command line makes sure there is one or the other
    if resume is not None:
        from gradstep.engine.training.save_file import load

        session = load(resume)  # a damaged file: one line, exit 2
        scenario = session.scenario
        left = max(0, scenario.training.steps - session.t)
    else:
        scenario = load_scenario(resolve_scenario(args.scenario))
        session = Session(scenario)
        left = scenario.training.steps
    steps = left if args.steps is None else args.steps
    plot = getattr(args, "plot", None)
    if plot is not None:
        problem = _plot_problem(plot)
        if problem:  # before training: a long run should not end in this message
            say(f"gradstep: {problem}")
            return EXIT_INVALID
    emit = not args.quiet or args.out is not None
    progress = _Progress(steps, not args.quiet and sys.stderr.isatty())
    has_val = scenario.data is not None and scenario.data.x_val is not None and len(scenario.data.x_val) > 0
    diverged = []
    first = session.t  # 0, or the step a resumed session stands at
    started = time.perf_counter()
    records = _steps(session, steps, progress, diverged)
    path = None
    if plot is not None and session.layout.size == 2 and not scenario.compare:
        path = [session.theta]
        records = _tracing(records, path)
    with _output(args.out) as out:
        if emit:
            write_records(out.stream, records, session.layout, record_format, args.full, has_val,
                          ENCODER)
        else:
            for _record in records:
                pass
    progress.close()
    status = EXIT_OK
    if diverged:
        say(f"gradstep: {diverged[0].message}")
        status = EXIT_DIVERGED
    elapsed = time.perf_counter() - started
    if args.quiet or args.out is not None:
        rate = (session.t - first) / elapsed if elapsed > 0 else float("inf")
        last = (_("loss {L} = {loss}").format(L=loss_at(session.t - 1), loss=f"{session.record.loss:.6g}") if session.record
                else _("no steps"))
        say(_("{name}: {steps} steps, {last}, {rate} steps/s").format(
            name=scenario.name, steps=session.t - first, last=last, rate=f"{rate:,.0f}"))
    if plot is not None:
        written = _draw(session, path, steps, plot)
        if not written:
            say("gradstep: " + _("no steps taken: no loss curve to draw"))
            return EXIT_INVALID
        if not args.quiet:
            say("gradstep: " + _("pictures: {paths}").format(paths=", ".join(map(str, written))))
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
