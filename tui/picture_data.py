"""What the pictures for slides show, read from the engine: loss curves and loss surfaces.

A :class:`LossPicture` holds the loss of every step (for a long run, each column's lowest and
highest loss) of a :class:`~gradstep.engine.training.session.Session`'s history (with the validation loss and the
abandoned branch where it has them) or of each runner of a :class:`~gradstep.engine.analysis.race.Race`; a
:class:`SurfacePicture` holds the grid of :func:`gradstep.engine.analysis.surface.surface` with the path (or the
race's paths) over it. :mod:`gradstep.tui.pictures` draws them. Reading a picture is cheap and is done
where the engine may not move (under the dashboard's or the race's lock); a surface's grid takes
up to seconds (networks are evaluated point by point) and is computed away from the screen's
thread.

No Textual and no matplotlib here: ``gradstep run --plot`` uses this without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.engine.analysis.surface import Surface, surface, window
from gradstep.engine.optim import optimizer_title
from gradstep.tui.format import short
from gradstep.tui.i18n import _, ngettext

__all__ = ["Curve", "LossPicture", "SurfacePicture", "RaceState", "loss_picture", "race_state",
           "race_loss_picture", "surface_picture", "race_surface_picture", "grid_shape"]

TRAIN, VALIDATION, GHOST = "#1f77b4", "#ff7f0e", "#9ca3af"
RACERS = ("#0891b2", "#ea580c", "#c026d3", "#16a34a", "#ca8a04", "#dc2626")
"""The race view's runner colours (cyan, orange, magenta, green, yellow, red), darker for paper."""

FAST_GRID = (240, 320)
"""Grid (rows, columns) of a surface evaluated in one pass (an objective of scalars)."""

SLOW_POINTS = 4000
"""Most grid points of a surface evaluated one by one (data, networks); contours smooth them."""

PICTURE_COLUMNS = 1600
"""Columns a loss picture's curves are downsampled to (the picture is 1600 pixels wide)."""

POSITIVE = float(np.nextafter(0.0, 1.0))
"""The least positive float: a log scale's floor (it leaves out zero and negative losses)."""


@dataclass(frozen=True)
class Curve:
    """One line of a loss picture.

    Attributes:
        label: Its legend entry.
        steps: Step numbers (x).
        values: The loss at each step (y).
        colour: A matplotlib colour.
        dimmed: Drawn thin and dashed (an abandoned branch).
    """

    label: str
    steps: np.ndarray
    values: np.ndarray
    colour: str
    dimmed: bool = False


@dataclass(frozen=True)
class LossPicture:
    """A loss curve (or several) against the step.

    Attributes:
        title: The figure's title.
        curves: What to draw, in drawing order (a ghost first, under the current branch).
        marks: Steps at which the learning rate was changed (vertical lines).
        current: The step the screen stands at, marked when it is not the latest; or None.
        log: A logarithmic loss axis; None chooses one when the loss spans two decades or more.
    """

    title: str
    curves: tuple[Curve, ...]
    marks: tuple[int, ...] = ()
    current: int | None = None
    log: bool | None = None

    @property
    def empty(self) -> bool:
        """No curve has a point (no step taken yet)."""
        return not any(len(c.values) for c in self.curves)


@dataclass(frozen=True)
class SurfacePicture:
    """The loss over two parameter entries, with the path (or paths) training took.

    Attributes:
        title: The figure's title.
        note: A second line under the title (what a slice holds fixed), or "".
        surface: The grid, from :func:`gradstep.engine.analysis.surface.surface`.
        paths: ``(label, points (k, 2), colour)`` for each path, from step 0.
        race: Several optimizers' paths, each ending at its own last step (else one path that
            ends at the surface's current point).
        step: The step whose parameters θₜ the current point is (its loss is labelled
            ``L(θₜ)``, the loss after that step's update).
    """

    title: str
    note: str
    surface: Surface
    paths: tuple[tuple[str, np.ndarray, str], ...]
    race: bool = False
    step: int = 0


@dataclass(frozen=True)
class RaceState:
    """A race at one moment (copies of what its pictures need, read under its lock).

    Attributes:
        name: The scenario's name.
        session: The first runner's session (its scenario gives the surface).
        traced: The two traced entries, ``((name, index), (name, index))``.
        t: Steps the race has taken.
        labels: Each runner's label (with where it diverged).
        losses: Each runner's loss at steps 1, 2, ...
        paths: Each runner's path through the traced entries, from step 0, shape (k, 2).
        diverged: Whether each runner diverged.
    """

    name: str
    session: object
    traced: tuple
    t: int
    labels: tuple[str, ...]
    losses: tuple[np.ndarray, ...]
    paths: tuple[np.ndarray, ...]
    diverged: tuple[bool, ...]


def loss_picture(session, log=None, marks=(), current=None) -> LossPicture:
    """The loss of every step of ``session``'s current branch (and the validation loss, and the
    abandoned branch's loss, where it has them), read from its history: every step of a run up
    to ``2 * PICTURE_COLUMNS`` steps, else each of :data:`PICTURE_COLUMNS` columns' lowest and
    highest loss (what the picture can show at its width).

    Args:
        session: The session (take its lock while it may be stepping).
        log: See :attr:`LossPicture.log`.
        marks: Steps at which the learning rate was changed.
        current: The step to mark as the one shown, or None.
    """
    history = session.history
    low = POSITIVE if log else None  # a log scale leaves out what is not positive
    n = len(history.scalars)
    steps, losses = history.envelope("loss", PICTURE_COLUMNS, low, stop=n)
    curves = []
    ghost = history.envelope("ghost", PICTURE_COLUMNS, low)
    if ghost is not None:
        curves.append(Curve(_("abandoned branch"), *ghost, GHOST, dimmed=True))
    val = history.envelope("val", PICTURE_COLUMNS, low, stop=n) if history.has_val else None
    curves.append(Curve(_("training") if val is not None else _("loss"), steps, losses, TRAIN))
    if val is not None:
        curves.append(Curve(_("validation"), *val, VALIDATION))
    title = _("{scenario}: {optimizer}, learning rate α = {lr}").format(
        scenario=session.scenario.name, optimizer=optimizer_title(session.optimizer_kind),
        lr=short(session.hyper["lr"]))
    return LossPicture(title, tuple(curves), tuple(marks), current, log)


def race_state(race) -> RaceState:
    """Copy what the pictures of ``race`` need (take the race's lock while it may be stepping)."""
    paths = race.trajectories()
    labels = tuple(r.label if r.diverged_at is None else
                   _("{label} (diverged at step {step})").format(label=r.label, step=r.diverged_at)
                   for r in race.runners)
    return RaceState(race.scenario.name, race.runners[0].session, race.traced, race.t, labels,
                     tuple(np.array(r.losses, dtype=float) for r in race.runners),
                     tuple(paths[r.label] for r in race.runners),
                     tuple(r.diverged for r in race.runners))


def race_loss_picture(state: RaceState, log=None) -> LossPicture:
    """Each runner's loss at every step it took, in the race view's colours."""
    curves = tuple(Curve(label, np.arange(1, len(losses) + 1, dtype=float), losses, RACERS[i % len(RACERS)])
                   for i, (label, losses) in enumerate(zip(state.labels, state.losses)))
    title = _("{scenario}: optimizer race to step {step}").format(scenario=state.name, step=state.t)
    return LossPicture(title, curves, log=log)


def grid_shape(session) -> tuple[int, int]:
    """Rows and columns of a surface's grid: fine where the engine evaluates it in one pass."""
    if session.scenario.kind == "objective" and not any(session.layout.shapes):
        return FAST_GRID
    rows = int(np.sqrt(SLOW_POINTS * 3 / 4))
    return rows, SLOW_POINTS // rows


def surface_picture(session, entries, path=None, bounds=None, theta=None, step=None) -> SurfacePicture:
    """The loss surface over ``entries`` with ``path`` drawn on it (computes the grid: up to
    seconds for a network, so away from the screen's thread).

    Args:
        session: The session (only its scenario and data are read, besides ``theta``).
        entries: ``((name, index), (name, index))``: the x and y entries.
        path: The entries' values from step 0 to ``step``, shape (k, 2), or None (a slice:
            only the current point is drawn).
        bounds: ``((x0, x1), (y0, y1))``, the window; by default one holding the path.
        theta: The parameters the surface is centred on (the current ones by default).
        step: The step the picture shows (the session's by default).
    """
    step = session.t if step is None else step
    x, y = entries
    grid = surface(session, trajectory=path, x=x, y=y, shape=grid_shape(session), bounds=bounds, theta=theta)
    name = session.scenario.name
    if grid.sliced:
        title = _("{scenario}: a slice of the loss surface, L over ({x}, {y})").format(
            scenario=name, x=grid.x, y=grid.y)
        others = session.layout.size - 2
        note = ngettext("the other entry stays at its step-{step} value",
                        "the other {count} entries stay at their step-{step} values", others).format(
            count=others, step=step)
    else:
        title = _("{scenario}: the loss surface L({x}, {y})").format(scenario=name, x=grid.x, y=grid.y)
        note = ""
    paths = () if path is None else ((_("path from step 0 to step {step}").format(step=step),
                                      np.asarray(path, dtype=float), "white"),)
    return SurfacePicture(title, note, grid, paths, step=step)


def race_surface_picture(state: RaceState) -> SurfacePicture | None:
    """Every runner's path over the loss surface (computes the grid); None unless the scenario
    has exactly two parameter entries (as in the race view) and some point is finite."""
    if state.session.layout.size != 2:
        return None
    going = [p for p, gone in zip(state.paths, state.diverged) if not gone] or list(state.paths)
    points = np.vstack(going)
    points = points[np.all(np.isfinite(points), axis=1)]
    if not len(points):
        return None
    x, y = state.traced
    grid = surface(state.session, x=x, y=y, shape=grid_shape(state.session), bounds=window(points))
    title = _("{scenario}: optimizer race, the paths over L({x}, {y})").format(
        scenario=state.name, x=grid.x, y=grid.y)
    note = _("step 0 to step {step}").format(step=state.t)
    drawn = tuple((label, path, RACERS[i % len(RACERS)])
                  for i, (label, path) in enumerate(zip(state.labels, state.paths)))
    return SurfacePicture(title, note, grid, drawn, race=True)
