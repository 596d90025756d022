"""The step record: the one object that crosses from the engine to the user interface.

A :class:`StepRecord` holds flat, read-only arrays (parameters, gradients, update, optimizer
state) that nothing ever writes into again, and a :class:`ParamLayout` that cuts them into the
named parameters. Per-parameter views, the derived optimizer arrays (``V_hat``, ``S_hat``) and
the gradient norms are computed when first read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

import numpy as np

from gradstep.engine import optim
from gradstep.engine.i18n import _

__all__ = ["ParamLayout", "StepRecord"]

_reduceat = np.add.reduceat
_set = object.__setattr__  # past the frozen dataclass's __setattr__, for the constructors


def segment_norms(flat, starts):
    """The 2-norm of each segment ``flat[starts[i]:starts[i+1]]`` (the last runs to the end).

    Squares are summed directly, which is fast; when that overflows (a finite gradient above
    about 1e154 squares to infinity) each segment is scaled by its largest magnitude first, so a
    finite vector always gets its finite norm, as ``math.hypot`` would give it.
    """
    flat = np.asarray(flat)
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.sqrt(np.add.reduceat(flat * flat, starts))
        if np.isfinite(norms).all():
            return norms
        big = np.maximum.reduceat(np.abs(flat), starts)
        scale = np.where(np.isfinite(big) & (big > 0), big, 1.0)
        sizes = np.diff(np.append(np.asarray(starts), flat.size))
        scaled = flat / np.repeat(scale, sizes)
        return scale * np.sqrt(np.add.reduceat(scaled * scaled, starts))


class ParamLayout:
    """Where each named parameter sits in the flat parameter vector.

    Attributes:
        names: Parameter names in order (``layer1.W``, ... or ``a``, ``b``, ``c``).
        shapes: Each parameter's shape (``()`` for a scalar).
        slices: Each parameter's slice of the flat vector.
        size: Length of the flat vector.
        layers: For each parameter, the layer it belongs to (``layer1`` for ``layer1.W``; an
            objective's parameter is its own layer).
    """

    def __init__(self, names, shapes):
        self.names = tuple(names)
        self.shapes = tuple(tuple(s) for s in shapes)
        sizes = [int(np.prod(s)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
        self.slices = tuple(slice(int(a), int(b)) for a, b in zip(self.offsets[:-1], self.offsets[1:]))
        self.size = int(self.offsets[-1])
        self.layers = tuple(name.rsplit(".", 1)[0] if "." in name else name for name in self.names)
        self.index = {name: i for i, name in enumerate(self.names)}
        starts = [i for i, layer in enumerate(self.layers) if i == 0 or self.layers[i - 1] != layer]
        self.layer_offsets = self.offsets[starts]
        # A step's norm row: each parameter's gradient norm, then each layer of several
        # parameters (a layer of one is its parameter's column).
        sizes = np.diff(self.offsets)
        self._filled = sizes > 0
        self._layer_params = np.array(starts, dtype=np.intp)  # each layer's first parameter
        counts = np.diff(np.append(self._layer_params, len(self.names)))
        self._multi = counts > 1
        multi = iter(range(len(self.names), len(self.names) + int(self._multi.sum())))
        self.layer_columns = tuple(next(multi) if several else int(first)
                                   for first, several in zip(self._layer_params, self._multi))
        self.norm_columns = len(self.names) + int(self._multi.sum())
        self._quick_norms = bool(self._filled.all()) and len(self.names) > 0
        # the row's squares from the parameters' sums of squares: each its own, then each
        # layer of several parameters the sum of its parameters'
        self._row_of_squares = None
        if self._multi.any():
            member = np.searchsorted(self._layer_params, np.arange(len(self.names)), side="right") - 1
            layers = np.flatnonzero(self._multi)
            self._row_of_squares = np.vstack([np.eye(len(self.names)),
                                              (member[None, :] == layers[:, None]).astype(float)])
        # The usual network: every layer a weight and a bias side by side, so a layer's square
        # is row[2j] + row[2j + 1] (the same sum the matrix above makes: the zeros add nothing).
        self._pairs = (self._quick_norms and len(self.names) % 2 == 0 and bool(self._multi.all())
                       and bool((counts == 2).all()))
        self._starts = self.offsets[:-1]
        self._short_row = self.norm_columns <= 32  # summed as Python floats: quicker than NumPy
        # reduceat over the parameters' sums of squares with these starts gives the pairs' row:
        # each sum alone (a start at or after the next one takes one entry), then each layer's two
        params = len(self.names)
        self._pair_row = np.concatenate([np.arange(params), np.arange(0, params, 2)]).astype(np.intp)
        self._by_dtype = {}  # dtype -> (row of squares in it, reduceat's start index)
        self._each_scalar_own_layer = all(s == () for s in self.shapes) and len(starts) == len(self.names)
        # (name, where): an index for a scalar, a slice for a vector, (slice, shape) otherwise
        self._cuts = tuple((name, sl.start if shape == () else sl if len(shape) == 1 else (sl, shape))
                           for name, sl, shape in zip(self.names, self.slices, self.shapes))

    def __len__(self):
        return len(self.names)

    def __repr__(self):
        return f"ParamLayout({', '.join(f'{n}{list(s)}' for n, s in zip(self.names, self.shapes))})"

    def views(self, flat):
        """``{name: read-only view of flat}`` shaped like each parameter (0-d arrays for scalars)."""
        views = {}
        for name, sl, shape in zip(self.names, self.slices, self.shapes):
            view = flat[sl].reshape(shape)
            view.flags.writeable = False
            views[name] = view
        return MappingProxyType(views)

    def cut(self, flat):
        """``{name: part of flat}``, quickly and for reading only (a scalar is a NumPy scalar;
        the arrays are views, not marked read-only): what the trace writer formats."""
        out = {}
        for name, where in self._cuts:
            out[name] = flat[where[0]].reshape(where[1]) if type(where) is tuple else flat[where]
        return out

    def layer_norms(self, flat):
        """The 2-norm of ``flat`` over each layer's entries, in :meth:`layer_names` order."""
        if self._each_scalar_own_layer:  # an objective's scalars: each its own layer
            return np.abs(flat)
        return segment_norms(flat, self.layer_offsets)

    def norm_row(self, flat):
        """The gradient norms a step logs, read-only (a record keeps them), from one pass over
        ``flat``: each parameter's 2-norm (0 for an empty one), then the 2-norm of each layer of
        several parameters, derived from its parameters' (the sum of their sums of squares;
        when a square overflows, from their norms by ``hypot``). Call it within
        ``np.errstate(over="ignore", invalid="ignore")``."""
        if flat.dtype.kind != "f":
            flat = flat.astype(np.result_type(flat.dtype, np.float32))
        if self._pairs:  # a network: each parameter's sum of squares, then the row from them
            # (a layer's is the sum of its two, a + b); every step takes this path: one test
            row = _reduceat(_reduceat(flat * flat, self._starts), self._pair_row)
        elif self._each_scalar_own_layer:  # an objective's scalars: each its own layer
            row = np.abs(flat)
            row.setflags(write=False)
            return row
        elif self._quick_norms:  # every parameter filled, in as few NumPy calls as it takes
            row = _reduceat(flat * flat, self._starts)
            if self._row_of_squares is not None:
                row = self._matrix(row.dtype) @ row
        else:
            row = self._careful_row(flat)
            row.setflags(write=False)
            return row
        np.sqrt(row, out=row)
        if not math.isfinite(sum(row.tolist()) if self._short_row else np.add.reduce(row)):
            row = self._careful_row(flat)
        row.setflags(write=False)
        return row

    def _careful_row(self, flat):
        """:meth:`norm_row` when a square overflows or a parameter is empty: each parameter's
        norm scaled by its largest entry, each layer's from them by ``hypot``."""
        norms = np.zeros(len(self.names), dtype=np.result_type(flat.dtype, np.float32))
        if self._filled.all():
            norms[:] = segment_norms(flat, self.offsets[:-1])
        elif self._filled.any():
            norms[self._filled] = segment_norms(flat, self.offsets[:-1][self._filled])
        if not self._multi.any():
            return norms
        layers = np.hypot.reduceat(norms, self._layer_params)[self._multi]
        return np.concatenate((norms, layers))

    def _matrix(self, dtype):
        """The row-of-squares matrix in ``dtype``, made once per dtype."""
        matrix = self._by_dtype.get(dtype)
        if matrix is None:
            matrix = self._by_dtype[dtype] = self._row_of_squares.astype(dtype)
        return matrix

    def flat_index(self, name, index=()):
        """Where entry ``index`` of parameter ``name`` sits in the flat vector.

        Raises:
            ValueError: For an unknown name, or an index outside the parameter's shape.
        """
        if name not in self.index:
            raise ValueError(_("no parameter {name}").format(name=repr(name)))
        j = self.index[name]
        try:
            if len(tuple(index)) != len(self.shapes[j]):
                raise ValueError(index)
            at = int(np.ravel_multi_index(tuple(index), self.shapes[j])) if self.shapes[j] else 0
        except (ValueError, TypeError):
            raise ValueError(_("{name} has no entry {index}").format(name=name, index=tuple(index))) from None
        return int(self.offsets[j]) + at

    def layer_names(self):
        """The distinct layers, in order."""
        return tuple(dict.fromkeys(self.layers))


@dataclass(frozen=True, eq=False)
class StepRecord:
    """Everything about training step ``step`` (t = 1, 2, ...), frozen.

    Attributes:
        step: t.
        loss: The loss at the parameters before the t-th update.
        val_loss: The validation loss at the same parameters, or None without a split.
        optimizer: The optimizer's kind (``adam``, ``sgd``, ...).
        hyper: The hyperparameters in force at this step (``lr``, ``beta1``, ...).
        layout: How the flat vectors below are cut into named parameters.
        theta: Flat parameters after the update.
        grad: Flat raw gradient of ``loss`` (before weight decay).
        delta: Flat update, ``theta_after - theta_before`` (a step's record makes it when first
            read, see :meth:`__getattr__`).
        opt_state: The optimizer state after the update, flat arrays by the tutorial's names
            (``V``, ``S``, ``S_max``) plus the step count ``t``.
        batch: Index of the minibatch within its epoch, and the epoch, as ``(batch, epoch)``.
        norms: The step's norm row (:meth:`ParamLayout.norm_row` of ``grad``), computed once
            by the step for the history; None: computed when first read.
        clipped_norm: The 2-norm of the gradient the optimizer got after ``[training]
            clip_norm`` or ``clip_value`` (``grad`` and :attr:`grad_norm` are the raw one);
            None without clipping.
        metrics: What the step measured beside the loss (:mod:`~gradstep.engine.training.metrics`):
            ``l1``, ``l2`` (the loss's terms), ``accuracy``, ``val_accuracy``; None if nothing.
    """

    step: int
    loss: float
    val_loss: float | None
    optimizer: str
    hyper: Mapping[str, float]
    layout: ParamLayout
    theta: np.ndarray
    grad: np.ndarray
    delta: np.ndarray
    opt_state: Mapping[str, object]
    batch: tuple[int, int] = (0, 0)
    norms: np.ndarray | None = None
    clipped_norm: float | None = None
    metrics: Mapping[str, float] | None = None

    @classmethod
    def make(cls, **fields):
        """Build a record without the frozen dataclass's per-field ``__setattr__`` (the hot path)."""
        record = cls.__new__(cls)
        _set(record, "__dict__", fields)  # the keywords' dict is new: the record's own
        return record

    @classmethod
    def of(cls, fields):
        """:meth:`make` from a dict of every field, which becomes the record's own (the step's
        path: no keywords to gather, no copy)."""
        record = cls.__new__(cls)
        _set(record, "__dict__", fields)
        return record

    def __getattr__(self, name):
        """:attr:`delta` of a record the step made with ``_theta_before`` in its place (the
        parameters before the update): ``theta - _theta_before``, worked out when first read
        and kept. A step of the 784-128-10 network saves 10 to 20 µs by not making it, and a
        reader asks for it only for the step on screen. Only ever called for a missing field."""
        if name == "delta":
            fields = self.__dict__
            before = fields.get("_theta_before")
            if before is not None:
                with np.errstate(over="ignore", invalid="ignore"):
                    delta = self.theta - before
                fields["delta"] = delta
                return delta
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def lr(self):
        """The learning rate (alpha) in force at this step."""
        return self.hyper["lr"]

    @cached_property
    def params(self):
        """``{name: array}``: each parameter after the update."""
        return self.layout.views(self.theta)

    @cached_property
    def grads(self):
        """``{name: array}``: each parameter's raw gradient at this step."""
        return self.layout.views(self.grad)

    @cached_property
    def update(self):
        """``{name: array}``: ``params_after - params_before`` for each parameter."""
        return self.layout.views(self.delta)

    @cached_property
    def flat_state(self):
        """``{state name: flat array}``, the optimizer's own and derived (``V_hat``, ``S_hat``)."""
        arrays = {k: v for k, v in self.opt_state.items() if isinstance(v, np.ndarray)}
        for k, v in optim.derived_state(self.optimizer, self.opt_state, self.hyper).items():
            v.flags.writeable = False
            arrays[k] = v
        order = optim.state_names(self.optimizer, self.hyper)
        ordered = {k: arrays[k] for k in order if k in arrays}
        ordered.update((k, v) for k, v in arrays.items() if k not in ordered)
        return MappingProxyType(ordered)

    @cached_property
    def state(self):
        """``{name: {state name: array}}``: each parameter's optimizer state after the update."""
        per_state = {k: self.layout.views(v) for k, v in self.flat_state.items()}
        return MappingProxyType({name: MappingProxyType({k: views[name] for k, views in per_state.items()})
                                 for name in self.layout.names})

    @cached_property
    def effective_lr(self):
        """``{name: array}``: the step size each parameter effectively gets at this step
        (Adam: ``lr / (sqrt(S_hat) + eps)``; see :func:`gradstep.engine.optim.effective_lr`)."""
        flat = optim.effective_lr(self.optimizer, self.opt_state, self.hyper, self.layout.size, self.theta.dtype)
        flat = np.asarray(flat, dtype=self.theta.dtype)
        flat.flags.writeable = False
        return self.layout.views(flat)

    @cached_property
    def _norm_row(self):
        if self.norms is not None:
            return self.norms
        with np.errstate(over="ignore", invalid="ignore"):
            return self.layout.norm_row(self.grad)

    @cached_property
    def grad_norms(self):
        """``{name: float}``: the 2-norm of each parameter's gradient."""
        return MappingProxyType(dict(zip(self.layout.names, self._norm_row.tolist())))

    @property
    def grad_norm(self):
        """The 2-norm of the whole gradient, every parameter together."""
        return float(segment_norms(self.grad, [0])[0]) if self.grad.size else 0.0

    @cached_property
    def layer_grad_norms(self):
        """``{layer: float}``: the 2-norm over all of a layer's gradients."""
        row = self._norm_row.tolist()
        return MappingProxyType({layer: row[c] for layer, c in zip(self.layout.layer_names(),
                                                                   self.layout.layer_columns)})

    @property
    def bias_correction1(self):
        """``1 - beta1^t`` for the Adam family, else None."""
        bc = optim.bias_corrections(self.optimizer, self.opt_state, self.hyper)
        return None if bc is None else bc[0]

    @property
    def bias_correction2(self):
        """``1 - beta2^t`` for the Adam family, else None."""
        bc = optim.bias_corrections(self.optimizer, self.opt_state, self.hyper)
        return None if bc is None else bc[1]
