"""The loss's curvature at a step: the largest eigenvalue of its Hessian, and the learning rate
it allows.

Plain gradient descent on a quadratic with Hessian H moves each eigendirection by the factor
``1 - alpha * lambda``: it converges exactly when ``0 < alpha < 2 / lambda_max``, oscillates
(and still converges) when ``1 / lambda_max < alpha < 2 / lambda_max``, and diverges beyond. Near
a minimum every smooth loss looks like its quadratic, so ``2 / lambda_max`` is the quantitative
form of the tutorial's "too large a rate oscillates or diverges".

The Hessian is never formed from the model's formulas: a Hessian-vector product is a central
difference of the engine's own gradient, ``H v ~ (g(theta + h v) - g(theta - h v)) / 2h``
(exact for a quadratic, error O(h^2) otherwise). A model with few parameters has its whole
Hessian built that way, column by column, and its eigenvalues taken exactly
(``numpy.linalg.eigvalsh``); a larger one uses power iteration on the products.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["Curvature", "Stopped", "curvature", "hessian_vector", "hessian", "EXACT_UP_TO"]

EXACT_UP_TO = 64
"""Models with at most this many parameters get their whole Hessian (2 gradients a column)."""

ITERATIONS = 300
"""Power iteration's largest number of products (each two gradients)."""

TOLERANCE = 1e-7
"""Power iteration stops when the residual ``|H v - lambda v|`` is below this times
``|lambda|``: the eigenvalue is then right to about its square, the vector to about this."""


@dataclass(frozen=True)
class Curvature:
    """The Hessian's largest eigenvalue at one point.

    Attributes:
        lambda_max: The largest eigenvalue (the most positive; negative or zero when the loss
            curves nowhere upwards there, as at a maximum).
        vector: A unit eigenvector for it, over the flat parameters.
        exact: True when the whole Hessian was built and solved; False for power iteration.
        iterations: Hessian-vector products taken (the columns when exact).
        converged: False when power iteration stopped at :data:`ITERATIONS` still moving.
    """

    lambda_max: float
    vector: np.ndarray
    exact: bool
    iterations: int
    converged: bool = True

    @property
    def stable_lr(self) -> float:
        """``2 / lambda_max``: gradient descent with a smaller rate converges near here; inf
        when no direction curves upwards."""
        return 2.0 / self.lambda_max if self.lambda_max > 0 else float("inf")


class Stopped(Exception):
    """The whole Hessian was not finished: ``stop()`` said so between two columns."""


def _step_size(theta, v) -> float:
    """The difference step for direction ``v``: the cube root of float64's epsilon (the best
    balance of truncation and rounding for a central difference), scaled by the parameters."""
    scale = max(1.0, float(np.max(np.abs(theta)))) if theta.size else 1.0
    return float(np.finfo(np.float64).eps ** (1 / 3)) * scale / max(float(np.linalg.norm(v)), 1e-300)


def hessian_vector(session, theta, v, batch=None) -> np.ndarray:
    """``H v`` at flat parameters ``theta`` by a central difference of the session's gradient,
    in float64."""
    theta = np.asarray(theta, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    h = _step_size(theta, v)
    _, up = session.gradient_at(theta + h * v, batch)
    _, down = session.gradient_at(theta - h * v, batch)
    return (np.asarray(up, dtype=np.float64) - np.asarray(down, dtype=np.float64)) / (2 * h)


def hessian(session, theta, batch=None, stop=None) -> np.ndarray:
    """The whole Hessian at ``theta``, column by column from :func:`hessian_vector`, made
    symmetric (the differences' rounding is not). Raises :class:`Stopped` when ``stop()`` turns
    true between two columns."""
    theta = np.asarray(theta, dtype=np.float64)
    n = theta.size
    columns = np.empty((n, n))
    for i in range(n):
        if stop is not None and stop():
            raise Stopped()
        e = np.zeros(n)
        e[i] = 1.0
        columns[:, i] = hessian_vector(session, theta, e, batch)
    return (columns + columns.T) / 2


def _power(product, n, rng, shift=0.0, iterations=ITERATIONS, stop=None):
    """Power iteration on ``product(v) - shift v``: ``(Rayleigh quotient, vector, products,
    converged)`` for its eigenvalue of largest magnitude; unconverged when ``stop()`` turns true
    (checked before each product after the first)."""
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    quotient = 0.0
    for k in range(1, iterations + 1):
        if k > 1 and stop is not None and stop():
            return quotient, v, k - 1, False
        w = product(v) - shift * v
        quotient = float(v @ w)
        norm = float(np.linalg.norm(w))
        if norm == 0.0:  # v lies in the null space: the eigenvalue is 0
            return 0.0, v, k, True
        residual = float(np.linalg.norm(w - quotient * v))
        v = w / norm
        if residual <= TOLERANCE * abs(quotient):
            return quotient, v, k, True
    return quotient, v, iterations, False


def curvature(session, theta=None, batch=None, seed=0, iterations=ITERATIONS, stop=None) -> Curvature:
    """The largest eigenvalue of the loss's Hessian at ``theta`` (the session's parameters by
    default) on ``batch`` (the full training set by default).

    Power iteration finds the eigenvalue of largest magnitude, which may be negative (a saddle
    curves down more steeply than up); it then runs again on ``H - mu I``, whose dominant
    eigenvalue is ``lambda_max - mu``. Each product costs two gradients over ``batch``: on a
    large network and data set, bound ``iterations`` (or pass a smaller batch) and read
    :attr:`Curvature.converged`.

    ``stop`` (a function of no arguments) bounds the work from outside, e.g. by a clock: power
    iteration then ends with its estimate so far (``converged`` False); the whole Hessian, which
    has no estimate before its last column, raises :class:`Stopped`.
    """
    theta = np.array(session.theta if theta is None else theta, dtype=np.float64)
    if session.dtype != np.float64:  # differences of a float32 gradient are mostly rounding
        from gradstep.engine.training.session import Session

        session = Session(replace(session.scenario, dtype="float64"))
    n = theta.size
    if n <= EXACT_UP_TO:
        values, vectors = np.linalg.eigh(hessian(session, theta, batch, stop))
        return Curvature(float(values[-1]), vectors[:, -1], exact=True, iterations=n)
    rng = np.random.default_rng(seed)

    def product(v):
        return hessian_vector(session, theta, v, batch)

    mu, v, taken, converged = _power(product, n, rng, iterations=iterations, stop=stop)
    if mu < 0:
        shifted, v, more, again = _power(product, n, rng, shift=mu, iterations=iterations, stop=stop)
        mu, taken, converged = shifted + mu, taken + more, converged and again
    return Curvature(mu, v, exact=False, iterations=taken, converged=converged)
