"""A training setup as frozen dataclasses: what a scenario file describes.

:func:`load_scenario` turns a TOML file into these, with precise error messages (the checking
itself lives in :mod:`engine._scenario_reader`; the format is described in docs/scenarios.md);
the engine's :class:`~engine.session.Session` only ever sees these objects, so scenarios can
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

from engine.errors import ScenarioError

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
        activation: Name in :data:`engine.autodiff.ACTIVATIONS`; ``identity`` for the last layer
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
        expression: The text, in the safe expression language of :mod:`engine.expr`.
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
        kind: One of :data:`engine.optim.OPTIMIZERS`.
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
        loss: Loss name from :data:`engine.losses.LOSSES` (None for objectives).
        training: Run length and batching.
        description: One line shown in lists and in the dashboard.
        notes: Teaching text.
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


# == loading scenario files ====================================================================
# Validation is plain hand-written code in engine/_scenario_reader.py; these are the entry points.

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
        raise ScenarioError("file not found", file=path) from None
    except IsADirectoryError:
        raise ScenarioError("is a folder, not a scenario file", file=path) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ScenarioError(f"cannot read the file ({getattr(exc, 'strerror', None) or exc})",
                            file=path) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"the file is larger than {MAX_FILE_BYTES:,} bytes (the limit)",
                            file=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError("not UTF-8 text", file=path, line=line) from None
    return loads_scenario(text, path)


def loads_scenario(text: str, path=None) -> Scenario:
    """Validate scenario ``text``; ``path`` names it in errors and anchors relative data paths
    (the current folder when None).

    Raises:
        ScenarioError: For anything invalid, naming the line and key.
    """
    shown = str(path) if path is not None else "<text>"
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(f"the text is longer than {MAX_FILE_BYTES:,} characters (the limit)",
                            file=shown)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, shown) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ScenarioError(f"invalid TOML: {exc}", file=shown) from None
    except RecursionError:
        raise ScenarioError("invalid TOML: arrays or tables nested too deeply", file=shown) from None
    from engine._scenario_reader import read_document

    base = Path(path).parent if path is not None else Path.cwd()
    return read_document(doc, text, shown, base, Path(path) if path is not None else None)


def _syntax_error(exc, shown):
    message = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    line = column = None
    if m:
        line, column = int(m.group(1)), int(m.group(2))
        message = f"{message[:m.start()]} (column {column})"
    elif message.endswith("(at end of document)"):
        message = message.replace(" (at end of document)", " at the end of the file")
    return ScenarioError(f"invalid TOML: {message}", file=shown, line=line, column=column)


def bundled_scenarios() -> list[tuple[str, str, Path]]:
    """``[(name, description, path), ...]`` of the scenarios shipped in the ``scenarios``
    package, sorted by name. Reads each file's TOML only (no validation)."""
    out = []
    root = importlib.resources.files("scenarios")
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
        description = doc.get("description") if isinstance(doc.get("description"), str) else ""
        out.append((name, description, path))
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
    bundled = {name: path for name, _, path in bundled_scenarios()}
    if text in bundled:
        return bundled[text]
    if text.endswith(".toml") or "/" in text or "\\" in text:
        raise ScenarioError("file not found", file=text)
    hint = difflib.get_close_matches(text, list(bundled), n=1)
    hint = f"; did you mean `{hint[0]}`?" if hint else ""
    raise ScenarioError(f"no scenario file or bundled scenario named `{text}`{hint} "
                        f"(bundled: {', '.join(sorted(bundled))})")
