"""The loss surface: the loss over a grid of two parameter entries, the others held fixed.

For an objective of exactly two scalar parameters this is the whole function f(x, y). For
anything else it is a slice: two scalar entries of the parameters (by default the two with the
largest gradient magnitude at the current step) vary around their current values while every
other entry keeps its current value. The loss is always the full-batch loss, computed by the
engine's own graph.

Objectives whose parameters are all scalars are evaluated in one pass: each parameter node
holds the whole grid, so the graph's elementwise operations compute every point at once.
A network's slice is evaluated in batches: every point of the grid through one vectorised forward
pass over the data (:meth:`~gradstep.engine.training.session.Session.losses_along`, in chunks
checked against the memory budget), equal to the point-by-point loss to about 1e-15. Everything
else (array parameters of an expression, reductions such as ``sum``) is evaluated point by point
with :meth:`~gradstep.engine.training.session.Session.loss_at`.

``Z[i, j]`` is the loss at ``(xs[j], ys[i])``: rows follow y, columns follow x, as in
``numpy.meshgrid``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.engine.analysis.local_derivatives import ELEMENTWISE

__all__ = ["Surface", "surface", "loss_grid", "pick_entries", "entry_label", "flat_position", "window"]


@dataclass(frozen=True)
class Surface:
    """The loss over a grid.

    Attributes:
        xs: The x values, shape (nx,), increasing.
        ys: The y values, shape (ny,), increasing.
        Z: ``Z[i, j]`` = loss at ``(xs[j], ys[i])``, shape (ny, nx); NaN where it is not finite.
        x: The x entry as text (``x``, ``layer1.W[0, 3]``).
        y: The y entry as text.
        x_entry: ``(name, index)`` of the x entry.
        y_entry: ``(name, index)`` of the y entry.
        point: The entries' current values ``(x, y)``.
        loss: The full-batch loss at the current parameters.
        sliced: True when other parameters exist and are held at their current values.
    """

    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray
    x: str
    y: str
    x_entry: tuple
    y_entry: tuple
    point: tuple[float, float]
    loss: float
    sliced: bool


def entry_label(name, index):
    """``name`` for a scalar, ``name[i, j]`` for an entry of an array."""
    return name if not index else f"{name}[{', '.join(map(str, index))}]"


def flat_position(layout, entry):
    """Position in the flat parameter vector of ``(name, index)`` (or of a flat position)."""
    if isinstance(entry, (int, np.integer)):
        if not 0 <= entry < layout.size:
            raise IndexError(f"flat position {entry} is outside 0 ... {layout.size - 1}")
        return int(entry)
    name, index = entry
    if name not in layout.index:
        raise KeyError(f"no parameter named {name!r} (parameters: {', '.join(layout.names)})")
    k = layout.index[name]
    shape = layout.shapes[k]
    index = (index,) if isinstance(index, (int, np.integer)) else tuple(index or ())
    return layout.slices[k].start + (int(np.ravel_multi_index(index, shape)) if shape else 0)


def _entry(layout, flat):
    k = int(np.searchsorted(layout.offsets, flat, side="right") - 1)
    shape = layout.shapes[k]
    local = flat - int(layout.offsets[k])
    index = tuple(int(i) for i in np.unravel_index(local, shape)) if shape else ()
    return layout.names[k], index


def pick_entries(session, grad=None):
    """The two entries a surface shows by default, as ``((name, index), (name, index))`` in
    parameter order: an objective's only two parameters, else the two entries with the largest
    |gradient| (``grad``, by default the current record's, or the gradient at the start).

    Raises:
        ValueError: When the parameters have fewer than two entries.
    """
    layout = session.layout
    if layout.size < 2:
        raise ValueError("a surface needs two parameter entries; this scenario has "
                         f"{layout.size}")
    if layout.size == 2:
        return _entry(layout, 0), _entry(layout, 1)
    if grad is None:
        grad = session.record.grad if session.record is not None else session.gradient_at(session.theta)[1]
    magnitude = np.nan_to_num(np.abs(np.asarray(grad, dtype=np.float64)), nan=0.0, posinf=np.inf)
    top = np.argsort(-magnitude, kind="stable")[:2]
    first, second = sorted(int(i) for i in top)
    return _entry(layout, first), _entry(layout, second)


def loss_grid(session, xs, ys, x=None, y=None, theta=None):
    """The full-batch loss over the grid ``xs`` x ``ys`` of two entries.

    Args:
        session: The session (its scenario and data).
        xs: Values of the x entry, shape (nx,).
        ys: Values of the y entry, shape (ny,).
        x: The x entry, ``(name, index)`` or a flat position; with ``y``, defaults to
            :func:`pick_entries`.
        y: The y entry.
        theta: Where the other entries stay (the current parameters by default).

    Returns:
        ``Z`` of shape (ny, nx), ``Z[i, j]`` the loss at ``(xs[j], ys[i])``; NaN where it is
        not finite.
    """
    layout = session.layout
    if x is None or y is None:
        x, y = pick_entries(session)
    fx, fy = flat_position(layout, x), flat_position(layout, y)
    if fx == fy:
        raise ValueError("the two entries of a surface must differ")
    theta = np.asarray(session.theta if theta is None else theta)
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = _at_once(session, theta, fx, fy, X, Y)
        if Z is None:
            Z = _in_batches(session, theta, fx, fy, X, Y)
        if Z is None:
            Z = _point_by_point(session, theta, fx, fy, X, Y)
        Z = np.where(np.isfinite(Z), Z, np.nan)
    Z.flags.writeable = False
    return Z


def _at_once(session, theta, fx, fy, X, Y):
    """Every point in one graph, when every parameter is a scalar of an objective and every
    operation is elementwise; None otherwise."""
    if session.scenario.kind != "objective" or any(session.layout.shapes):
        return None
    grid = np.empty((theta.size,) + X.shape, dtype=session.dtype)
    grid[:] = theta.reshape((-1, 1, 1))
    grid[fx], grid[fy] = X, Y
    loss, _ = session.graph_at(grid, backward=False)
    if np.shape(loss.data) != X.shape:
        return None
    if any(node._op and node._op not in ELEMENTWISE for node in loss.topological_order()):
        return None
    return np.asarray(loss.data, dtype=np.float64)


def _in_batches(session, theta, fx, fy, X, Y):
    """Every point through the session's batched path (a network's forward pass for many
    points at once, in chunks the memory budget allows); None when it has none."""
    losses = session.losses_along(theta, [(fx, X.ravel()), (fy, Y.ravel())])
    return None if losses is None else losses.reshape(X.shape)


def _point_by_point(session, theta, fx, fy, X, Y):
    buffer = np.array(theta, dtype=session.dtype)
    Z = np.empty(X.shape)
    for cell in np.ndindex(X.shape):
        buffer[fx], buffer[fy] = X[cell], Y[cell]
        Z[cell] = session.loss_at(buffer)
    return Z


def window(points, margin=0.1, radius=None):
    """``((x0, x1), (y0, y1))`` holding every finite point, widened by ``margin`` of its span
    on each side. A side of zero span (a single point) gets half-width ``radius`` (default
    ``max(0.5, |value| / 2)``)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    points = points[np.all(np.isfinite(points), axis=1)]
    if not len(points):
        raise ValueError("no finite point to frame")
    sides = []
    for values in points.T:
        lo, hi = float(values.min()), float(values.max())
        span = hi - lo
        if span > 1e-12 * max(1.0, abs(hi)):
            pad = margin * span
        else:
            pad = radius if radius is not None else max(0.5, abs(hi) / 2)
        sides.append((lo - pad, hi + pad))
    return tuple(sides)


def surface(session, trajectory=None, x=None, y=None, shape=(40, 80), margin=0.1, bounds=None,
            theta=None):
    """The loss surface around the current point (and the path so far).

    Args:
        session: The session.
        trajectory: Points ``(x, y)`` of the path so far, shape (k, 2); the window holds them all.
        x: The x entry, ``(name, index)`` or a flat position (default: :func:`pick_entries`).
        y: The y entry.
        shape: Grid size ``(ny, nx)``: rows, columns.
        margin: Fraction of the path's span added on each side of the window.
        bounds: ``((x0, x1), (y0, y1))`` to use instead of a window fitted to the points.
        theta: The parameters the surface is centred on (the current ones by default).
    """
    layout = session.layout
    if x is None or y is None:
        x, y = pick_entries(session)
    fx, fy = flat_position(layout, x), flat_position(layout, y)
    theta = np.asarray(session.theta if theta is None else theta)
    point = (float(theta[fx]), float(theta[fy]))
    if bounds is None:
        points = [point] if trajectory is None else np.vstack([np.reshape(trajectory, (-1, 2)), [point]])
        bounds = window(points, margin)
    (x0, x1), (y0, y1) = bounds
    ny, nx = shape
    xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
    xs.flags.writeable = ys.flags.writeable = False
    Z = loss_grid(session, xs, ys, fx, fy, theta)
    with np.errstate(all="ignore"):
        loss = session.loss_at(theta)
    x_entry, y_entry = _entry(layout, fx), _entry(layout, fy)
    return Surface(xs, ys, Z, entry_label(*x_entry), entry_label(*y_entry), x_entry, y_entry, point,
                   loss, layout.size > 2)
