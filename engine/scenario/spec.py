"""A training setup as frozen dataclasses: what a scenario file describes.

:func:`~gradstep.engine.scenario.loader.load_scenario` turns a TOML file into these, with
precise error messages (the format is described in docs/scenarios.md); the engine's
:class:`~gradstep.engine.training.session.Session` only ever sees these objects, so scenarios
can also be built in code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np

from gradstep.engine.i18n import _


__all__ = [
    "KINDS", "LayerSpec", "NetworkSpec", "ExpressionSpec", "Dataset", "OptimizerSpec",
    "TrainingSpec", "ScheduleSpec", "Scenario", "frozen_map", "in_language",
]

KINDS = ("objective", "parametric", "network")
"""The three kinds of scenario: minimise an expression, fit an expression, train a network."""


def frozen_map(mapping=None):
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer.

    Attributes:
        units: Number of outputs of the layer.
        activation: Name in :data:`gradstep.engine.autodiff.ACTIVATIONS`; ``identity`` for the last layer
            unless the file says otherwise.
    """

    units: int
    activation: str = "identity"


@dataclass(frozen=True)
class NetworkSpec:
    """A fully connected network ``a_k = act_k(a_{k-1} @ W_k + b_k)``.

    Attributes:
        inputs: Number of input features.
        layers: The layers, first to last.
        init: ``xavier_uniform`` (default), ``he_normal``, ``normal`` or ``zeros``.
        init_std: Standard deviation for ``init = "normal"``.
        weights: Optional explicit initial values, one ``{"W": array, "b": array}`` per layer;
            ``W`` of shape (inputs, units), ``b`` of shape (units,).
    """

    inputs: int
    layers: tuple[LayerSpec, ...]
    init: str = "xavier_uniform"
    init_std: float = 0.01
    weights: tuple[Mapping[str, np.ndarray], ...] | None = None


@dataclass(frozen=True)
class ExpressionSpec:
    """An expression of named parameters (objective) or of inputs and parameters (parametric).

    Attributes:
        expression: The text, in the safe expression language of :mod:`gradstep.engine.model.expr`.
        params: Initial value of each parameter, scalars as 0-d arrays, in the file's order.
        constants: Named constant arrays the expression may use.
    """

    expression: str
    params: Mapping[str, np.ndarray] = field(default_factory=frozen_map)
    constants: Mapping[str, np.ndarray] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Dataset:
    """Training data (and an optional validation split), already loaded and validated.

    Attributes:
        x: Inputs, shape (n, k).
        y: Targets, shape (n,) or (n, m); integer class labels for ``cross_entropy``.
        x_val: Validation inputs, or None.
        y_val: Validation targets, or None.
        input_names: Names of the input columns in expressions (``x`` or ``x1, x2, ...``).
    """

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    input_names: tuple[str, ...] = ("x",)


@dataclass(frozen=True)
class OptimizerSpec:
    """Which optimizer, and its hyperparameters.

    Attributes:
        kind: One of :data:`gradstep.engine.optim.OPTIMIZERS`.
        lr: Learning rate (the tutorial's alpha).
        hyper: The other hyperparameters the file set (``momentum``, ``rho``, ``beta1``,
            ``beta2``, ``eps``, ``weight_decay``); the rest take PyTorch's defaults.
        label: Name shown for this optimizer in comparisons (defaults to ``kind``).
    """

    kind: str = "adam"
    lr: float = 0.001
    hyper: Mapping[str, float] = field(default_factory=frozen_map)
    label: str | None = None


@dataclass(frozen=True)
class TrainingSpec:
    """How training proceeds.

    Attributes:
        steps: Default run length (``gradstep run`` without ``--steps``).
        batch_size: 0 for full batch; otherwise minibatches of this size.
        shuffle: Shuffle the data each epoch (seeded) when using minibatches.
        clip_norm: Scale the gradient to this 2-norm at most before the optimizer's step
            (``torch.nn.utils.clip_grad_norm_``), or None.
        clip_value: Clamp each gradient entry to ``[-clip_value, clip_value]``
            (``torch.nn.utils.clip_grad_value_``), or None.
    """

    steps: int = 100
    batch_size: int = 0
    shuffle: bool = True
    clip_norm: float | None = None
    clip_value: float | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """A learning-rate schedule, as ``torch.optim.lr_scheduler`` has it.

    Attributes:
        kind: ``step``, ``exponential``, ``cosine``, ``warmup`` or ``one_cycle``.
        args: Every argument of the kind by PyTorch's name in snake case (``step_size``,
            ``gamma``, ``t_max``, ...), defaults filled in.
    """

    kind: str
    args: Mapping[str, object] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Scenario:
    """A whole training setup.

    Attributes:
        name: Short name shown in the status line.
        kind: ``objective``, ``parametric`` or ``network``.
        model: :class:`ExpressionSpec` for the first two kinds, :class:`NetworkSpec` for networks.
        optimizer: The optimizer.
        data: The data set (None for objectives).
        loss: Loss name from :data:`gradstep.engine.model.losses.LOSSES` (None for objectives).
        training: Run length and batching.
        description: One line shown in lists and in the dashboard (English).
        notes: Teaching text (English).
        description_pt: The description in Brazilian Portuguese, or "" (see
            :meth:`description_for`).
        notes_pt: The notes in Brazilian Portuguese, or "" (see :meth:`notes_for`).
        seed: Seeds weight initialisation and minibatch shuffling.
        dtype: ``float64`` or ``float32``.
        compare: Optimizers to race against each other (may be empty).
        schedule: The learning-rate schedule (:class:`ScheduleSpec`), or None for a constant
            learning rate.
        l1: ``[loss] l1``: the coefficient of the loss's L1 term ``l1 · Σ|θ|`` (0: none).
        l2: ``[loss] l2``: the coefficient of the loss's L2 term ``l2 · Σθ²`` (0: none).
        path: The file it was loaded from, if any.
        source: The text it was read from ("" when built in Python): what a save file keeps
            (:mod:`gradstep.engine.training.save_file`).
    """

    name: str
    kind: str
    model: ExpressionSpec | NetworkSpec
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    data: Dataset | None = None
    loss: str | None = None
    training: TrainingSpec = field(default_factory=TrainingSpec)
    description: str = ""
    notes: str = ""
    seed: int = 0
    dtype: str = "float64"
    compare: tuple[OptimizerSpec, ...] = ()
    path: Path | None = None
    description_pt: str = ""
    notes_pt: str = ""
    schedule: ScheduleSpec | None = None
    l1: float = 0.0
    l2: float = 0.0
    source: str = field(default="", repr=False, compare=False)

    def description_for(self, lang: str = "en") -> str:
        """The description in ``lang`` (``"en"`` or ``"pt"``); English when the file has no
        text in that language."""
        return in_language(lang, self.description, self.description_pt)

    def headline(self) -> str:
        """What this scenario trains, in a phrase (for a file without a description): the
        function it minimises, the model it fits, or its network's sizes; in the installed
        language."""
        if self.kind == "objective":
            return _("minimise {f}").format(f=self.model.expression)
        if self.kind == "parametric":
            return _("fit ŷ = {f}").format(f=self.model.expression)
        sizes = "-".join(str(n) for n in (self.model.inputs, *(layer.units for layer in self.model.layers)))
        return _("a {sizes} network").format(sizes=sizes)

    def notes_for(self, lang: str = "en") -> str:
        """The notes in ``lang`` (``"en"`` or ``"pt"``); English when the file has no text in
        that language."""
        return in_language(lang, self.notes, self.notes_pt)


def in_language(lang, english, portuguese):
    """``portuguese`` when ``lang`` is ``"pt"`` and there is such a text, else ``english``."""
    return portuguese if lang == "pt" and portuguese else english
