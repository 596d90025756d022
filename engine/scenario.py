"""A training setup as frozen dataclasses: what a scenario file describes.

:func:`load_scenario` turns a TOML file into these, with precise error messages (the checking
itself lives in :mod:`gradstep.engine._scenario_reader`; the format is described in docs/scenarios.md);
the engine's :class:`~gradstep.engine.session.Session` only ever sees these objects, so scenarios can
also be built in code.
"""

from __future__ import annotations

import difflib
import importlib.resources
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np

from gradstep.engine._toml_messages import translate_toml_message
from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _

__all__ = [
    "KINDS", "LayerSpec", "NetworkSpec", "ExpressionSpec", "Dataset", "OptimizerSpec",
    "TrainingSpec", "Scenario", "load_scenario", "loads_scenario", "bundled_scenarios",
    "resolve_scenario", "DEFAULT_SCENARIO", "ScenarioError",
]

KINDS = ("objective", "parametric", "network")
"""The three kinds of scenario: minimise an expression, fit an expression, train a network."""


def _frozen_map(mapping=None):
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
        expression: The text, in the safe expression language of :mod:`gradstep.engine.expr`.
        params: Initial value of each parameter, scalars as 0-d arrays, in the file's order.
        constants: Named constant arrays the expression may use.
    """

    expression: str
    params: Mapping[str, np.ndarray] = field(default_factory=_frozen_map)
    constants: Mapping[str, np.ndarray] = field(default_factory=_frozen_map)


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
    hyper: Mapping[str, float] = field(default_factory=_frozen_map)
    label: str | None = None


@dataclass(frozen=True)
class TrainingSpec:
    """How training proceeds.

    Attributes:
        steps: Default run length (``gradstep run`` without ``--steps``).
        batch_size: 0 for full batch; otherwise minibatches of this size.
        shuffle: Shuffle the data each epoch (seeded) when using minibatches.
    """

    steps: int = 100
    batch_size: int = 0
    shuffle: bool = True


@dataclass(frozen=True)
class Scenario:
    """A whole training setup.

    Attributes:
        name: Short name shown in the status line.
        kind: ``objective``, ``parametric`` or ``network``.
        model: :class:`ExpressionSpec` for the first two kinds, :class:`NetworkSpec` for networks.
        optimizer: The optimizer.
        data: The data set (None for objectives).
        loss: Loss name from :data:`gradstep.engine.losses.LOSSES` (None for objectives).
        training: Run length and batching.
        description: One line shown in lists and in the dashboard (English).
        notes: Teaching text (English).
        description_pt: The description in Brazilian Portuguese, or "" (see
            :meth:`description_for`).
        notes_pt: The notes in Brazilian Portuguese, or "" (see :meth:`notes_for`).
        seed: Seeds weight initialisation and minibatch shuffling.
        dtype: ``float64`` or ``float32``.
        compare: Optimizers to race against each other (may be empty).
        path: The file it was loaded from, if any.
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

    def description_for(self, lang: str = "en") -> str:
        """The description in ``lang`` (``"en"`` or ``"pt"``); English when the file has no
        text in that language."""
        return _in_language(lang, self.description, self.description_pt)

    def notes_for(self, lang: str = "en") -> str:
        """The notes in ``lang`` (``"en"`` or ``"pt"``); English when the file has no text in
        that language."""
        return _in_language(lang, self.notes, self.notes_pt)


def _in_language(lang, english, portuguese):
    return portuguese if lang == "pt" and portuguese else english


# == loading scenario files ====================================================================
# Validation is plain hand-written code in engine/_scenario_reader.py (top level, data, optimizers,
# training), engine/_scenario_model.py (expressions, networks) and engine/_scenario_table.py (one
# table's values); these are the entry points.

DEFAULT_SCENARIO = "adam-fabc"
"""The bundled scenario the dashboard opens when given none."""

MAX_FILE_BYTES = 5_000_000
"""Largest scenario file read."""


def load_scenario(path) -> Scenario:
    """Read and validate the scenario file at ``path``.

    Raises:
        ScenarioError: For a missing or unreadable file and for anything invalid in it; the
            message names the file, line and key.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(_("file not found"), file=path) from None
    except IsADirectoryError:
        raise ScenarioError(_("is a folder, not a scenario file"), file=path) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ScenarioError(_("cannot read the file ({reason})")
                            .format(reason=getattr(exc, "strerror", None) or exc),
                            file=path) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(_("the file is larger than {limit} bytes (the limit)")
                            .format(limit=f"{MAX_FILE_BYTES:,}"), file=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError(_("not UTF-8 text"), file=path, line=line) from None
    return loads_scenario(text, path)


def loads_scenario(text: str, path=None) -> Scenario:
    """Validate scenario ``text``; ``path`` names it in errors and anchors relative data paths
    (the current folder when None).

    Raises:
        ScenarioError: For anything invalid, naming the line and key.
    """
    shown = str(path) if path is not None else "<text>"
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(_("the text is longer than {limit} characters (the limit)")
                            .format(limit=f"{MAX_FILE_BYTES:,}"), file=shown)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, shown) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ScenarioError(_("invalid TOML: {problem}").format(problem=exc), file=shown) from None
    except RecursionError:
        raise ScenarioError(_("invalid TOML: {problem}")
                            .format(problem=_("arrays or tables nested too deeply")),
                            file=shown) from None
    from gradstep.engine._scenario_reader import read_document

    base = Path(path).parent if path is not None else Path.cwd()
    return read_document(doc, text, shown, base, Path(path) if path is not None else None)


def _syntax_error(exc, shown):
    message = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    line = column = None
    if m:
        line, column = int(m.group(1)), int(m.group(2))
        message = (_("{problem} (column {column})")
                   .format(problem=translate_toml_message(message[:m.start()]), column=column))
    elif message.endswith(" (at end of document)"):
        problem = message[:-len(" (at end of document)")]
        message = (_("{problem} at the end of the file")
                   .format(problem=translate_toml_message(problem)))
    else:
        message = translate_toml_message(message)
    return ScenarioError(_("invalid TOML: {problem}").format(problem=message), file=shown,
                         line=line, column=column)


def bundled_scenarios(lang: str = "en") -> list[tuple[str, str, Path]]:
    """``[(name, description, path), ...]`` of the scenarios shipped in the ``scenarios``
    package, sorted by name. Reads each file's TOML only (no validation).

    Args:
        lang: The language of the descriptions, ``"en"`` or ``"pt"`` (``description_pt``,
            falling back to ``description`` when a file has none).
    """
    out = []
    root = importlib.resources.files("gradstep.scenarios")
    for entry in root.iterdir():
        if not entry.name.endswith(".toml"):
            continue
        path = Path(str(entry))
        stem = entry.name[:-len(".toml")]
        try:
            doc = tomllib.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {}
        name = doc.get("name") if isinstance(doc.get("name"), str) else stem
        english, portuguese = (doc.get(key) if isinstance(doc.get(key), str) else ""
                               for key in ("description", "description_pt"))
        out.append((name, _in_language(lang, english, portuguese), path))
    return sorted(out)


def resolve_scenario(path_or_name) -> Path:
    """The file meant by a command-line argument: an existing path, or a bundled name.

    Raises:
        ScenarioError: When it is neither, listing the bundled names (with a suggestion).
    """
    candidate = Path(path_or_name)
    if candidate.is_file():
        return candidate
    text = str(path_or_name)
    bundled = {name: path for name, _description, path in bundled_scenarios()}
    if text in bundled:
        return bundled[text]
    if text.endswith(".toml") or "/" in text or "\\" in text:
        raise ScenarioError(_("file not found"), file=text)
    hint = difflib.get_close_matches(text, list(bundled), n=1)
    hint = _("; did you mean `{name}`?").format(name=hint[0]) if hint else ""
    raise ScenarioError(_("no scenario file or bundled scenario named `{name}`{hint} (bundled: "
                          "{names})")
                        .format(name=text, hint=hint, names=", ".join(sorted(bundled))))
