"""Data sets for scenarios: inline arrays and seeded generators (CSV files: :mod:`~gradstep.engine.scenario.csv_reader`).

Everything here returns plain NumPy arrays and raises :class:`~gradstep.engine.errors.ScenarioError`
for bad input; the scenario loader adds the file, line and key of the scenario that asked for
the data. The same seed always gives the same data (``numpy.random.default_rng(seed)``).

Generators (``x`` has shape (n, 1) for regression and (n, 2) for classification, whose ``y``
holds integer class labels):

| name        | data                                                                     |
| ----------- | ------------------------------------------------------------------------ |
| ``linear``    | x ~ U(-1, 1), y = 3 x - 0.5 + noise N(0, 1)                            |
| ``quadratic`` | x ~ U(-2, 2), y = 0.5 x^2 - x + 1 + noise N(0, 1)                      |
| ``sine``      | x ~ U(-pi, pi), y = sin(x) + noise N(0, 1)                             |
| ``xor``       | x ~ U(-1, 1)^2, label 1 where the signs of x1, x2 differ; x jittered   |
| ``circles``   | label 0 on the unit circle, 1 on the circle of radius 0.5              |
| ``moons``     | two interleaved half circles (scikit-learn's ``make_moons``)           |
| ``spiral``    | ``classes`` (default 3) interleaved spiral arms (CS231n)               |
"""

from __future__ import annotations

import math

import numpy as np

from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _

__all__ = [
    "GENERATORS", "REGRESSION", "CLASSIFICATION", "DEFAULT_NOISE", "MAX_ROWS", "MAX_ELEMENTS",
    "generate", "split_validation", "numeric_array", "check_finite",
]

MAX_ROWS = 1_000_000
"""Most data rows accepted from any source."""

MAX_ELEMENTS = 10_000_000
"""Most numbers accepted in one array (data, parameters, constants)."""

MAX_DIMS = 8
"""Most dimensions of an array written in a scenario file."""

REGRESSION = ("linear", "quadratic", "sine")
CLASSIFICATION = ("xor", "circles", "moons", "spiral")
GENERATORS = REGRESSION + CLASSIFICATION
"""Generator names a scenario's ``[data] generator`` may use."""

DEFAULT_NOISE = {"linear": 0.1, "quadratic": 0.1, "sine": 0.1, "xor": 0.05, "circles": 0.05,
                 "moons": 0.1, "spiral": 0.2}
"""Each generator's noise when the file gives none."""


# -- arrays written in a file -------------------------------------------------------------------
def _type_name(value):
    if isinstance(value, bool):
        return "true/false"  # TOML's own words: the same in every language
    if isinstance(value, int):
        return _("an integer")
    if isinstance(value, float):
        return _("a number")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a table")
    return _("a {type}").format(type=type(value).__name__)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numeric_array(value, *, dtype=np.float64) -> np.ndarray:
    """A number or a nested list of numbers as an array, checking it is rectangular and finite.

    Raises:
        ScenarioError: For ragged lists, empty lists, non-numbers, NaN or infinities, more
            than :data:`MAX_DIMS` dimensions or :data:`MAX_ELEMENTS` numbers. The message says
            where (``row 2``, ``[1, 3]``).
    """
    if _is_number(value):
        try:
            out = np.array(float(value), dtype=dtype)
        except OverflowError:
            raise ScenarioError(_("the number is too large")) from None
        check_finite(out, _("the value"))
        return out
    if not isinstance(value, list):
        raise ScenarioError(_("expected a number or a list of numbers, got {got}")
                            .format(got=_type_name(value)))
    shape = []
    level = [value]
    while True:
        lists = [isinstance(v, list) for v in level]
        if all(lists):
            lengths = [len(v) for v in level]
            length = lengths[0]
            if length == 0:
                raise ScenarioError(_("empty list (expected at least one number)"))
            for i, other in enumerate(lengths):
                if other != length:
                    where = _where(i, shape)
                    raise ScenarioError(_("ragged array: {where} has {count} entries, the first "
                                          "has {length} (every row must have the same length)")
                                        .format(where=where, count=other, length=length))
            shape.append(length)
            if len(shape) > MAX_DIMS:
                raise ScenarioError(_("too many dimensions (more than {limit})")
                                    .format(limit=MAX_DIMS))
            if math.prod(shape) > MAX_ELEMENTS:
                raise ScenarioError(_("too many numbers (more than {limit})")
                                    .format(limit=f"{MAX_ELEMENTS:,}"))
            level = [item for v in level for item in v]
            continue
        if any(lists):
            i = lists.index(not lists[0])
            raise ScenarioError(_("ragged array: {where} mixes numbers and lists")
                                .format(where=_where(i, shape)))
        for i, v in enumerate(level):
            if not _is_number(v):
                raise ScenarioError(_("expected numbers, got {got} at {where}")
                                    .format(got=_type_name(v), where=_where(i, shape)))
        break
    try:
        out = np.array(level, dtype=dtype).reshape(shape)
    except OverflowError:
        raise ScenarioError(_("a number is too large")) from None
    check_finite(out, _("the array"))
    return out


def _where(flat_index, shape):
    if not shape:
        return _("the value")
    index = np.unravel_index(flat_index, shape) if shape else ()
    inner = ", ".join(str(int(i)) for i in index)
    return _("row {index}").format(index=inner) if len(shape) == 1 else f"[{inner}]"


def check_finite(array, what=None):
    """Raise when ``array`` holds NaN or an infinity, naming the first offending place.

    Args:
        array: The numbers.
        what: What they are, in words (already translated); "the data" by default.
    """
    finite = np.isfinite(array)
    if finite.all():
        return
    first = np.argwhere(~finite)[0] if np.ndim(array) else ()
    value = array[tuple(first)] if np.ndim(array) else array
    what = _("the data") if what is None else what
    if np.ndim(array):
        place = ", ".join(str(int(i)) for i in first)
        raise ScenarioError(_("{what} contains {value} at [{place}] (expected finite numbers)")
                            .format(what=what, value=value, place=place))
    raise ScenarioError(_("{what} contains {value} (expected finite numbers)")
                        .format(what=what, value=value))


# -- generators ---------------------------------------------------------------------------------
def generate(kind: str, n: int, *, noise: float | None = None, seed: int = 0,
             classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from the named generator: float64 ``x`` of shape (n, 1) or (n, 2), and
    float64 targets of shape (n,) (regression) or int64 labels of shape (n,) (classification).

    Args:
        kind: One of :data:`GENERATORS`.
        n: Number of rows, 1 to :data:`MAX_ROWS` (at least one per class).
        noise: Standard deviation of the noise; :data:`DEFAULT_NOISE` when None.
        seed: Seed of the ``numpy.random.Generator``.
        classes: Number of spiral arms (``spiral`` only), 2 to 10.
    """
    if kind not in GENERATORS:
        raise ScenarioError(_("unknown generator `{name}` (expected one of {choices})")
                            .format(name=kind, choices=", ".join(GENERATORS)))
    if not 1 <= n <= MAX_ROWS:
        raise ScenarioError(_("n must lie in [1, {limit}] (got {n})")
                            .format(limit=f"{MAX_ROWS:,}", n=n))
    noise = DEFAULT_NOISE[kind] if noise is None else float(noise)
    rng = np.random.default_rng(seed)
    if kind in REGRESSION:
        low, high, f = {
            "linear": (-1.0, 1.0, lambda x: 3.0 * x - 0.5),
            "quadratic": (-2.0, 2.0, lambda x: 0.5 * x * x - x + 1.0),
            "sine": (-np.pi, np.pi, np.sin),
        }[kind]
        x = rng.uniform(low, high, size=n)
        y = f(x) + noise * rng.standard_normal(n)
        return x.reshape(n, 1), y
    if kind == "xor":
        x = rng.uniform(-1.0, 1.0, size=(n, 2))
        y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64)
        return x + noise * rng.standard_normal((n, 2)), y
    k = classes if kind == "spiral" else 2
    if n < k:
        raise ScenarioError(_("n = {n} is fewer than one point per class ({classes} classes)")
                            .format(n=n, classes=k))
    sizes = [n // k + (1 if j < n % k else 0) for j in range(k)]
    parts = []
    for j, m in enumerate(sizes):
        if kind == "circles":
            t = np.linspace(0.0, 2.0 * np.pi, m, endpoint=False)
            radius = 1.0 if j == 0 else 0.5
            pts = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)
        elif kind == "moons":
            t = np.linspace(0.0, np.pi, m)
            if j == 0:
                pts = np.stack([np.cos(t), np.sin(t)], axis=1)
            else:
                pts = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
        else:  # spiral: radius grows along the arm, the angle winds with noise
            r = np.linspace(0.0, 1.0, m)
            t = np.linspace(j * 4.0, (j + 1) * 4.0, m) + noise * rng.standard_normal(m)
            pts = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        parts.append((pts, np.full(m, j, dtype=np.int64)))
    x = np.concatenate([points for points, _labels in parts])
    y = np.concatenate([labels for _points, labels in parts])
    if kind != "spiral":
        x = x + noise * rng.standard_normal(x.shape)
    order = rng.permutation(n)  # mixed classes, so that minibatches see both
    return x[order], y[order]


# -- validation split ---------------------------------------------------------------------------
def split_validation(x, y, fraction: float, seed: int):
    """``(x_train, y_train, x_val, y_val)``: a seeded random ``fraction`` of rows held out.

    Both parts keep the rows' original order. ``fraction`` 0 gives ``x_val = y_val = None``.

    Raises:
        ScenarioError: When either part would be empty.
    """
    n = len(x)
    if fraction <= 0:
        return x, y, None, None
    n_val = int(round(n * fraction))
    if n_val < 1 or n - n_val < 1:
        raise ScenarioError(_("a validation split of {fraction} of {n} rows leaves {train} for "
                              "training and {val} for validation (each needs at least one)")
                            .format(fraction=f"{fraction:g}", n=n, train=n - n_val, val=n_val))
    perm = np.random.default_rng([seed, 2]).permutation(n)
    val = np.sort(perm[:n_val])
    train = np.sort(perm[n_val:])
    return x[train], y[train], x[val], y[val]
