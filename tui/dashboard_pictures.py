"""The ``p`` key: what is on screen as pictures for slides.

``p`` saves the screen as SVG (Textual's screenshot) and the loss curve as PNG, and, where a loss
surface is in view, the surface with the path(s) as PNG. What is drawn follows the screen:

- the race view: every racer's loss, and their paths over the surface (two parameters);
- the surface view: its surface (the same entries and window) with the path so far;
- the dashboard (or another view over it): the loss curve as the chart draws it (the abandoned
  branch dimmed, learning-rate changes, the step shown, the ``g`` log scale) and, for a scenario
  of two parameters, the surface with the path.

The files go where ``e`` suggests writing the trace (the working folder), named from the
scenario and the step: ``adam-fabc-step120-screen.svg``, ``...-loss.png``, ``...-surface.png``;
an existing picture is never replaced (``-2``, ``-3``, ... are added). The screenshot is taken at
once; the PNGs are drawn in a thread worker (importing matplotlib takes a moment, a network's
surface seconds), so the training is never held up, and a notification lists what was written
or says what went wrong.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from gradstep.tui.i18n import _

__all__ = ["save_pictures", "GROUP"]

GROUP = "pictures"
"""The worker group of the drawing (one at a time)."""


def save_pictures(app) -> None:
    """Take the pictures of what ``app`` shows (over its dashboard) and write them."""
    from gradstep.tui.pictures import free_stem
    from gradstep.tui.screens.dashboard import DashboardScreen
    from gradstep.tui.screens.export_dialog import suggested_path

    dashboard = next((s for s in reversed(app.screen_stack) if isinstance(s, DashboardScreen)), None)
    if dashboard is None:
        return
    if any(w.group == GROUP and not w.is_finished for w in app.workers):
        app.notify(_("still drawing the last pictures"), timeout=3)
        return
    svg = app.export_screenshot()
    loss, surface, step = _plan(app.screen, dashboard)
    trace = Path(suggested_path(dashboard.scenario.name))
    folder = trace.parent
    try:
        folder = folder.resolve()  # messages then say where, whatever the working folder
    except OSError:  # the working folder was deleted: writing will say so
        pass
    stem = free_stem(folder, f"{trace.name.removesuffix('-trace.jsonl')}-step{step}")
    app.run_worker(partial(_draw, app, svg, loss, surface, stem), thread=True, group=GROUP,
                   exit_on_error=False)


def _plan(screen, dashboard):
    """``(loss picture, surface picture maker or None, step)`` for what ``screen`` shows, read
    now (under the training controller's lock); the surface's grid is left to the worker."""
    from gradstep.engine.analysis.surface import pick_entries
    from gradstep.tui import picture_data as data
    from gradstep.tui.screens.race_view import RaceView
    from gradstep.tui.screens.surface_view import ParameterPath, SurfaceView
    from gradstep.tui.widgets.loss_chart import LossChart
    from gradstep.tui.widgets.race_chart import RaceChart

    if isinstance(screen, RaceView):
        with screen.racing.reading() as race:  # the race may be stepping in its own worker
            state = data.race_state(race)
        loss = data.race_loss_picture(state, log=screen.query_one(RaceChart).log_scale)
        return loss, partial(data.race_surface_picture, state), state.t
    training = dashboard.training
    session = training.session  # its layout and evaluations at theta serve the worker below
    log = dashboard.query_one(LossChart).log_scale
    with training.reading():
        t, theta = session.t, session.theta
        current = t if t < session.furthest else None
        loss = data.loss_picture(session, log=log, marks=training.lr_marks(), current=current)
    if isinstance(screen, SurfaceView) and screen.entries is not None:
        entries, bounds, path = screen.entries, screen.bounds, screen.path  # path None on a slice
    elif session.layout.size == 2:
        entries, bounds = pick_entries(session), None
        path = ParameterPath(session.scenario, (0, 1))
    else:
        return loss, None, t

    def surface():
        points = path.upto(session, t, theta)[0] if path is not None else None
        return data.surface_picture(session, entries, points, bounds, theta, t)

    return loss, surface, t


def _draw(app, svg, loss, surface, stem) -> None:
    """Write the pictures (on a worker thread) and report on the screen's thread."""
    from gradstep.engine.training.trace import ExportError
    from gradstep.tui.pictures import (SUFFIXES, PicturesUnavailable, loss_figure, require_matplotlib,
                              surface_figure, write_png, write_text)

    written, problem, severity = [], None, "error"
    files = {kind: stem.with_name(stem.name + suffix) for kind, suffix in SUFFIXES.items()}
    try:
        write_text(svg, files["screen"])
        written.append(files["screen"])
        require_matplotlib()
        if not loss.empty:
            write_png(loss_figure(loss), files["loss"])
            written.append(files["loss"])
        picture = surface() if surface is not None else None
        if picture is not None:
            write_png(surface_figure(picture), files["surface"])
            written.append(files["surface"])
    except PicturesUnavailable as exc:
        problem, severity = str(exc), "warning"
    except ExportError as exc:
        problem = str(exc)
    except Exception as exc:  # noqa: BLE001  a picture must never take the dashboard down
        problem = _("could not draw the pictures: {reason}").format(reason=exc)
    app.call_from_thread(_report, app, written, problem, severity)


def _report(app, written, problem, severity) -> None:
    from gradstep.tui.classroom import served

    if written and served.active():  # a classroom's dashboard: downloads, no folder of the server
        app.notify("\n".join(p.name for p in written), title=_("pictures sent to your browser"), timeout=6,
                   markup=False)
    elif written:
        folder = written[0].parent
        app.notify("\n".join([_("in {folder}:").format(folder=folder), *(p.name for p in written)]),
                   title=_("pictures saved"), timeout=6, markup=False)
    if problem:
        # Plain text: `pip install 'gradstep[plot]'` and a folder's name are not markup.
        app.notify(problem, title=_("pictures"), severity=severity, timeout=8, markup=False)
