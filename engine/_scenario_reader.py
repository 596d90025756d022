"""Reading a parsed TOML document into a :class:`~engine.scenario.Scenario`, checking everything.

Plain hand-written validation (no schema library): each table is read through a :class:`_Table`
that knows its key path, so that every error names the key, finds its line in the text and says
what was expected and what was found. The public entry points are
:func:`engine.scenario.load_scenario` and :func:`engine.scenario.loads_scenario`.
"""

from __future__ import annotations

import difflib
import keyword
import math
import re
from pathlib import Path
from types import MappingProxyType

import numpy as np

from engine import autodiff as ad
from engine import data as _data
from engine import optim
from engine.errors import ExpressionError, ScenarioError, format_key, locate_key
from engine.expr import CONSTANTS, FUNCTIONS, parse_expression
from engine.losses import LOSSES
from engine.nn import INITS
from engine.scenario import (
    Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario, TrainingSpec,
    _frozen_map,
)

MAX_UNITS = 4096
MAX_LAYERS = 16
MAX_PARAMETERS = 10_000_000
MAX_STEPS = 1_000_000
MAX_COMPARE = 8

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_REQUIRED = object()
_LOSSES = tuple(LOSSES)
_INITS = tuple(INITS)
_TOP_KEYS = ("name", "description", "notes", "seed", "dtype", "objective", "model", "data",
             "loss", "optimizer", "training", "compare")


def read_document(doc: dict, text: str, shown: str, base: Path, path: Path | None) -> Scenario:
    """The scenario described by ``doc`` (``tomllib``'s output for ``text``).

    Args:
        doc: The parsed document.
        text: Its text, to find lines for errors.
        shown: How to name the file in errors.
        base: The folder relative data paths start from.
        path: Recorded as :attr:`Scenario.path`.
    """
    reader = _Reader(text, shown, base, path is not None)
    return reader.scenario(_Table(reader, doc, ()), path)


# -- reading tables -----------------------------------------------------------------------------
def _type_name(value):
    return _data._type_name(value)


def _show(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value[:40]}"' + ("..." if len(value) > 40 else "")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        # Python refuses to print integers of more than 4300 digits; TOML allows them.
        return f"{value:,}" if value.bit_length() <= 64 else "an integer too large"
    return _type_name(value)


class _Table:
    """A TOML table being read, with its key path (for errors) and the keys it allows."""

    def __init__(self, reader, values, path):
        self.reader = reader
        self.values = values
        self.path = path

    def __contains__(self, key):
        return key in self.values

    def fail(self, key, message, *, extra=()):
        path = self.path if key is None else self.path + (key,) + tuple(extra)
        return self.reader.fail(path, message)

    @property
    def title(self):
        if not self.path:
            return "the top level"
        if any(isinstance(p, int) for p in self.path):
            return format_key(self.path)  # compare[3], model.layers[0]
        return f"[{format_key(self.path)}]"

    def allow(self, allowed, *, explain=None):
        """Refuse keys outside ``allowed``; ``explain(key)`` may give a better message."""
        for key in self.values:
            if key in allowed:
                continue
            message = explain(key) if explain else None
            if message is None:
                hint = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
                hint = f"; did you mean `{hint[0]}`?" if hint else ""
                message = (f"unknown key `{key}` in {self.title}{hint} "
                           f"(expected one of: {', '.join(allowed)})")
            raise self.fail(key, message)

    def get(self, key, default, what, check):
        if key not in self.values:
            if default is _REQUIRED:
                raise self.fail(key, f"missing `{key}` in {self.title} (expected {what})")
            return default
        value = self.values[key]
        if not check(value):
            raise self.fail(key, f"expected {what}, got {_show(value)}")
        return value

    def string(self, key, default=_REQUIRED, *, choices=None, max_len=200):
        what = f"one of {', '.join(choices)}" if choices else "a string"
        value = self.get(key, default, what, lambda v: isinstance(v, str))
        if value is default:
            return value
        if choices and value not in choices:
            hint = difflib.get_close_matches(value, list(choices), n=1)
            hint = f"; did you mean `{hint[0]}`?" if hint else ""
            raise self.fail(key, f"unknown {key} `{value[:40]}`{hint} (expected one of: "
                                 f"{', '.join(choices)})")
        if len(value) > max_len:
            raise self.fail(key, f"too long ({len(value)} characters; the limit is {max_len})")
        return value

    def number(self, key, default=_REQUIRED, *, low=-math.inf, high=math.inf, low_open=False,
               high_open=False):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        what = f"a number in {interval}" if (low, high) != (-math.inf, math.inf) else "a number"
        value = self.get(key, default, what, _data._is_number)
        if value is default:
            return value
        try:
            value = float(value)
        except OverflowError:
            raise self.fail(key, f"expected {what}, got a number too large") from None
        if not math.isfinite(value) or value < low or value > high or \
                (low_open and value == low) or (high_open and value == high):
            raise self.fail(key, f"out of range (expected {what}, got {_show(value)})")
        return value

    def integer(self, key, default=_REQUIRED, *, low, high):
        what = f"a whole number in [{low:,}, {high:,}]"
        value = self.get(key, default, what, lambda v: isinstance(v, int) and not isinstance(v, bool))
        if value is default:
            return value
        if not low <= value <= high:
            raise self.fail(key, f"out of range (expected {what}, got {_show(value)})")
        return value

    def boolean(self, key, default=_REQUIRED):
        return self.get(key, default, "true or false", lambda v: isinstance(v, bool))

    def table(self, key, default=_REQUIRED):
        value = self.get(key, default, "a table", lambda v: isinstance(v, dict))
        if value is default:
            return value
        return _Table(self.reader, value, self.path + (key,))

    def tables(self, key, *, low=1, high=MAX_LAYERS):
        """A list of tables, such as ``layers = [{...}, ...]`` or ``[[compare]]`` entries."""
        what = "a list of tables"
        value = self.get(key, _REQUIRED, what, lambda v: isinstance(v, list))
        if not low <= len(value) <= high:
            raise self.fail(key, f"expected {low} to {high} entries, got {len(value)}")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(key, f"entry {i} should be a table, got {_show(item)}", extra=(i,))
            out.append(_Table(self.reader, item, self.path + (key, i)))
        return out

    def array(self, key, default=_REQUIRED, *, dtype=np.float64):
        value = self.get(key, default, "a number or a list of numbers", lambda v: True)
        if value is default:
            return value
        try:
            return _readonly(_data.numeric_array(value, dtype=dtype))
        except ScenarioError as exc:
            raise self.fail(key, exc.message) from None


def _readonly(array):
    array.flags.writeable = False
    return array


class _Reader:
    """Reads a whole document into a :class:`Scenario`."""

    def __init__(self, text, shown, base, has_file):
        self.text = text
        self.shown = shown
        self.base = base
        self.has_file = has_file

    def fail(self, path, message):
        return ScenarioError(message, file=self.shown, line=locate_key(self.text, path),
                             key=format_key(path) or None)

    # -- top level ----------------------------------------------------------------------------
    def scenario(self, top, path):
        top.allow(_TOP_KEYS, explain=_explain_top)
        name = top.string("name", max_len=64)
        if not re.fullmatch(_NAME, name):
            raise top.fail("name", f"a name may use letters, digits, `-`, `_` and `.`, starting "
                                   f"with a letter or digit (got {_show(name)})")
        description = top.string("description", "")
        if "\n" in description:
            raise top.fail("description", "the description is one line (use `notes` for more)")
        notes = top.string("notes", "", max_len=20_000)
        seed = top.integer("seed", 0, low=0, high=2**63 - 1)
        dtype = top.string("dtype", "float64", choices=("float64", "float32"))
        self.dtype = np.dtype(dtype)
        self.seed = seed

        kind, model_table = self.kind(top)
        compare = self.compare(top)
        if "optimizer" in top:
            optimizer = self.optimizer(top.table("optimizer"))
        else:
            optimizer = compare[0] if compare else OptimizerSpec()
        data = loss = None
        if kind == "objective":
            for key in ("data", "loss"):
                if key in top:
                    raise top.fail(key, f"an objective has no data and no loss: remove [{key}] "
                                        f"(or use [model] to fit data)")
            model = self.expression_model(model_table, inputs=())
        else:
            if "data" not in top:
                raise top.fail("data", f"a {kind} model needs [data] (inline x and y, a csv "
                                       f"file or a generator)")
            loss_table = top.table("loss", None)
            loss = "mse"
            if loss_table is not None:
                loss_table.allow(("kind",))
                loss = loss_table.string("kind", choices=_LOSSES)
            data = self.data(top.table("data"), loss)
            if kind == "parametric":
                if loss == "cross_entropy":
                    raise top.fail("loss", "cross_entropy needs one output per class: use a "
                                           "network ([model] with layers) for classification",
                                   extra=("kind",))
                model = self.expression_model(model_table, inputs=data.input_names, data=data)
            else:
                model = self.network(model_table)
                self.check_network_data(model, data, loss)
        training = self.training(top.table("training", None), kind, data)
        return Scenario(name=name, kind=kind, model=model, optimizer=optimizer, data=data,
                        loss=loss, training=training, description=description, notes=notes,
                        seed=seed, dtype=dtype, compare=compare, path=path)

    def kind(self, top):
        has_objective, has_model = "objective" in top, "model" in top
        if has_objective and has_model:
            raise top.fail("model", "a scenario has exactly one of [objective] and [model]; "
                                    "this file has both")
        if not (has_objective or has_model):
            raise ScenarioError("a scenario needs [objective] (minimise an expression) or "
                                "[model] (fit an expression or train a network); this file has "
                                "neither", file=self.shown)
        if has_objective:
            return "objective", top.table("objective")
        model = top.table("model")
        is_expr = "expression" in model
        is_net = "layers" in model or "inputs" in model
        if is_expr and is_net:
            raise model.fail("expression", "[model] has both `expression` (a parametric model) "
                                           "and `layers`/`inputs` (a network): choose one")
        if not (is_expr or is_net):
            raise model.fail(None, "[model] needs `expression` (a parametric model) or `inputs` "
                                   "and `layers` (a network)")
        return ("parametric" if is_expr else "network"), model

    # -- expressions ----------------------------------------------------------------------------
    def expression_model(self, table, *, inputs, data=None):
        table.allow(("expression", "params", "constants"))
        text = table.string("expression", max_len=10**9)
        params = self.named_arrays(table, "params", inputs, required=True)
        constants = self.named_arrays(table, "constants", inputs, required=False)
        for name in params:
            if name in constants:
                raise table.fail("constants", f"`{name}` is both a parameter and a constant",
                                 extra=(name,))
        try:
            expression = parse_expression(text, [*params, *constants, *inputs], dtype=self.dtype)
        except ExpressionError as exc:
            raise exc.located(file=self.shown, key=format_key(table.path + ("expression",)),
                              line=locate_key(self.text, table.path + ("expression",))) from None
        for name in params:
            if name not in expression.names:
                raise table.fail("params", f"parameter `{name}` is not used in the expression "
                                           f"(its gradient would always be 0)", extra=(name,))
        self.trial(table, expression, params, constants, inputs, data)
        return ExpressionSpec(expression=text, params=_frozen_map(params),
                              constants=_frozen_map(constants))

    def named_arrays(self, table, key, inputs, *, required):
        sub = table.table(key, _REQUIRED if required else None)
        if sub is None:
            return {}
        if required and not sub.values:
            raise table.fail(key, "no parameters (expected at least one, such as { a = 0.0 })")
        out = {}
        for name in sub.values:
            if not re.fullmatch(_IDENTIFIER, name) or keyword.iskeyword(name):
                raise sub.fail(name, f"`{name}` cannot be a name in expressions (expected letters, "
                                     f"digits and `_`, not starting with a digit)")
            if name in FUNCTIONS or name in CONSTANTS:
                raise sub.fail(name, f"`{name}` is reserved for the "
                                     f"{'function' if name in FUNCTIONS else 'constant'} "
                                     f"`{name}`: choose another name")
            if name in inputs:
                raise sub.fail(name, f"`{name}` is the name of an input column "
                                     f"(inputs: {', '.join(inputs)})")
            out[name] = sub.array(name, dtype=self.dtype)
        total = sum(a.size for a in out.values())
        if total > MAX_PARAMETERS:
            raise table.fail(key, f"too many numbers ({total:,}; the limit is {MAX_PARAMETERS:,})")
        return out

    def trial(self, table, expression, params, constants, inputs, data):
        """Evaluate the expression once at the initial values: shapes must fit, and the
        result must be one finite number (objective) or one finite prediction per row."""
        env = {k: ad.parameter(v.copy(), self.dtype, name=k) for k, v in params.items()}
        env.update({k: ad.constant(v, self.dtype) for k, v in constants.items()})
        if data is not None:
            for j, name in enumerate(inputs):
                env[name] = ad.constant(np.ascontiguousarray(data.x[:, j]), self.dtype)
        where = table.path + ("expression",)
        try:
            with np.errstate(all="ignore"):
                value = expression.build(env).data
        except ExpressionError as exc:
            raise exc.located(file=self.shown, key=format_key(where),
                              line=locate_key(self.text, where)) from None
        shape = np.shape(value)
        if data is None:
            if shape != ():
                raise self.fail(where, f"an objective must be one number, but this expression "
                                       f"has shape {shape}: wrap it in sum(...) or mean(...)")
            if not np.isfinite(value):
                raise self.fail(where, f"the objective is {value} at the initial parameters "
                                       f"(expected a finite number)")
            return
        n = len(data.x)
        if shape not in ((n,), (n, 1)):
            raise self.fail(where, f"a parametric model predicts one number per data row: "
                                   f"expected shape ({n},), got {shape} (use the inputs "
                                   f"{', '.join(inputs)} in the expression)")
        if not np.isfinite(value).all():
            raise self.fail(where, "the prediction is not finite at the initial parameters")
        y = np.asarray(data.y)
        if y.ndim == 2 and y.shape[1] != 1:
            raise self.fail(("data",), f"a parametric model predicts one number per row, but "
                                       f"the data has {y.shape[1]} target columns")

    # -- networks -------------------------------------------------------------------------------
    def network(self, table):
        table.allow(("inputs", "layers", "init", "init_std", "weights"))
        inputs = table.integer("inputs", low=1, high=MAX_UNITS)
        layer_tables = table.tables("layers", low=1, high=MAX_LAYERS)
        choices = tuple(ad.ACTIVATIONS)
        layers = []
        for i, lt in enumerate(layer_tables):
            lt.allow(("units", "activation"))
            units = lt.integer("units", low=1, high=MAX_UNITS)
            last = i == len(layer_tables) - 1
            if "activation" not in lt and not last:
                raise lt.fail("activation", f"layer {i + 1} is hidden and needs an `activation` "
                                            f"(one of: {', '.join(choices)}; only the last "
                                            f"layer defaults to identity)")
            activation = lt.string("activation", "identity", choices=choices)
            layers.append(LayerSpec(units, "identity" if activation == "linear" else activation))
        fan_in, total = inputs, 0
        for layer in layers:
            total += (fan_in + 1) * layer.units
            fan_in = layer.units
        if total > MAX_PARAMETERS:
            raise table.fail("layers", f"the network has {total:,} parameters (the limit is "
                                       f"{MAX_PARAMETERS:,})")
        init = table.string("init", "xavier_uniform", choices=_INITS)
        if "init_std" in table and init != "normal":
            raise table.fail("init_std", f"`init_std` applies only to init = \"normal\" "
                                         f"(init is \"{init}\")")
        init_std = table.number("init_std", 0.01, low=0.0, low_open=True)
        weights = None
        if "weights" in table:
            weights = self.weights(table, inputs, layers)
        return NetworkSpec(inputs=inputs, layers=tuple(layers), init=init, init_std=init_std,
                           weights=weights)

    def weights(self, table, inputs, layers):
        entries = table.tables("weights", low=0, high=MAX_LAYERS)
        if len(entries) != len(layers):
            raise table.fail("weights", f"expected one {{W, b}} table per layer ({len(layers)}), "
                                        f"got {len(entries)}")
        out = []
        fan_in = inputs
        for k, (entry, layer) in enumerate(zip(entries, layers), start=1):
            entry.allow(("W", "b"))
            W = entry.array("W", dtype=self.dtype)
            b = entry.array("b", dtype=self.dtype)
            if W.shape != (fan_in, layer.units):
                raise entry.fail("W", f"layer {k} takes {fan_in} inputs and has {layer.units} "
                                      f"units: expected W of shape ({fan_in}, {layer.units}), "
                                      f"got {W.shape}")
            if b.shape != (layer.units,):
                raise entry.fail("b", f"layer {k} has {layer.units} units: expected b of shape "
                                      f"({layer.units},), got {b.shape}")
            out.append(MappingProxyType({"W": W, "b": b}))
            fan_in = layer.units
        return tuple(out)

    def check_network_data(self, net, data, loss):
        """The data must fit the network: input columns, and targets for its outputs."""
        k = data.x.shape[1]
        if k != net.inputs:
            raise self.fail(("model", "inputs"), f"the data has {k} input column"
                                                 f"{'s' if k != 1 else ''} but the network "
                                                 f"takes inputs = {net.inputs}")
        units = net.layers[-1].units
        y = data.y
        if loss == "cross_entropy":
            if units < 2:
                raise self.fail(("model", "layers"), "cross_entropy needs at least 2 output "
                                                     "units in the last layer (one per class)")
            for labels in (y, data.y_val):
                if labels is not None and labels.size and labels.max() >= units:
                    raise self.fail(("data",), f"class label {int(labels.max())} is outside "
                                               f"[0, {units}): the last layer has {units} units, "
                                               f"one per class")
            return
        cols = 1 if y.ndim == 1 else y.shape[1]
        if cols != units:
            raise self.fail(("model", "layers"), f"the last layer has {units} unit"
                                                 f"{'s' if units != 1 else ''} but the data has "
                                                 f"{cols} target column{'s' if cols != 1 else ''}")

    # -- data -----------------------------------------------------------------------------------
    def data(self, table, loss):
        table.allow(("x", "y", "csv", "columns", "generator", "n", "noise", "seed", "classes",
                     "validation"))
        sources = [s for s in ("x", "csv", "generator") if s in table]
        if "y" in table and "x" not in table:
            sources.append("y")
        if len(sources) > 1:
            raise table.fail(sources[1], "[data] takes exactly one source: inline x and y, csv, "
                                         f"or generator (got {', '.join(sources)})")
        if not sources:
            raise table.fail(None, "[data] needs a source: inline `x` and `y`, `csv` or "
                                   "`generator`")
        for key in ("n", "noise", "classes"):
            if key in table and "generator" not in table:
                raise table.fail(key, f"`{key}` applies only to a generator")
        if "columns" in table and "csv" not in table:
            raise table.fail("columns", "`columns` applies only to a csv file")
        data_seed = table.integer("seed", self.seed, low=0, high=2**63 - 1)
        if "generator" in table:
            x, y = self.generated(table, data_seed)
        elif "csv" in table:
            x, y = self.csv(table)
        else:
            if "y" not in table:
                raise table.fail("y", "inline data needs both `x` and `y`")
            x = table.array("x", dtype=self.dtype)
            y = table.array("y")
            if x.ndim == 0 or x.ndim > 2:
                raise table.fail("x", f"expected a list of numbers (one input) or a list of rows, "
                                      f"got {x.ndim} dimensions")
            if y.ndim == 0 or y.ndim > 2:
                raise table.fail("y", f"expected a list of numbers or a list of rows, got "
                                      f"{y.ndim} dimensions")
            if x.ndim == 1:
                x = x.reshape(-1, 1)
            if len(x) != len(y):
                raise table.fail("y", f"x has {len(x)} rows but y has {len(y)}")
            if len(x) > _data.MAX_ROWS:
                raise table.fail("x", f"more than {_data.MAX_ROWS:,} rows (the limit)")
        key = next(k for k in ("y", "csv", "generator") if k in table)
        y = self.targets(table, key, y, loss)
        fraction = table.number("validation", 0.0, low=0.0, high=1.0, high_open=True)
        try:
            x, y, x_val, y_val = _data.split_validation(x, y, fraction, data_seed)
        except ScenarioError as exc:
            raise table.fail("validation", exc.message) from None
        k = x.shape[1]
        names = ("x",) if k == 1 else tuple(f"x{j}" for j in range(1, k + 1))
        arrays = [np.ascontiguousarray(a) for a in (x, y)]
        val = [None if a is None else _readonly(np.ascontiguousarray(a)) for a in (x_val, y_val)]
        return Dataset(x=_readonly(arrays[0]), y=_readonly(arrays[1]), x_val=val[0],
                       y_val=val[1], input_names=names)

    def targets(self, table, key, y, loss):
        if loss == "cross_entropy":
            if y.ndim == 2 and y.shape[1] == 1:
                y = y[:, 0]
            if y.ndim != 1:
                raise table.fail(key, "cross_entropy needs one integer class label per row "
                                      f"(got {y.shape[1]} target columns)")
            if not np.all(y == np.round(y)) or y.min() < 0:
                bad = y[(y != np.round(y)) | (y < 0)][0]
                raise table.fail(key, f"cross_entropy needs class labels 0, 1, 2, ... (got "
                                      f"{bad:g})")
            return y.astype(np.int64)
        y = np.asarray(y, dtype=self.dtype)
        if loss == "bce_logits" and (y.min() < 0 or y.max() > 1):
            bad = y[(y < 0) | (y > 1)][0]
            raise table.fail(key, f"bce_logits needs targets in [0, 1] (got {bad:g})")
        return y

    def generated(self, table, seed):
        kind = table.string("generator", choices=_data.GENERATORS)
        n = table.integer("n", 100, low=1, high=_data.MAX_ROWS)
        noise = table.number("noise", _data.DEFAULT_NOISE[kind], low=0.0)
        if "classes" in table and kind != "spiral":
            raise table.fail("classes", f"`classes` applies only to the spiral generator "
                                        f"(this one is {kind})")
        classes = table.integer("classes", 3, low=2, high=10)
        try:
            x, y = _data.generate(kind, n, noise=noise, seed=seed, classes=classes)
        except ScenarioError as exc:
            raise table.fail("n", exc.message) from None
        return x.astype(self.dtype), y

    def csv(self, table):
        name = table.string("csv", max_len=400)
        path = self.data_path(table, name)
        columns = table.table("columns", None)
        inputs = targets = None
        if columns is not None:
            columns.allow(("inputs", "targets"))
            inputs = self.column_names(columns, "inputs")
            targets = self.column_names(columns, "targets")
        # Name the CSV file as the user would reach it: beside the scenario file.
        shown = str(Path(self.shown).parent / name) if self.has_file else name
        try:
            x, y, _, _ = _data.read_csv(path, inputs=inputs, targets=targets, shown=shown)
        except ScenarioError as exc:
            raise exc.located(key=format_key(table.path + ("csv",))) from None
        return x.astype(self.dtype), y

    def column_names(self, table, key):
        if key not in table:
            return None
        value = table.values[key]
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or \
                not all(isinstance(v, str) for v in names):
            raise table.fail(key, f"expected a column name or a list of column names, got "
                                  f"{_show(value)}")
        return names

    def data_path(self, table, name):
        if not name.strip():
            raise table.fail("csv", "empty file name")
        rel = Path(name)
        if rel.is_absolute() or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise table.fail("csv", f"absolute paths are not allowed ({name}): put the file "
                                    f"in the scenario's folder and give its relative path, so "
                                    f"the scenario can be shared")
        base = self.base.resolve()
        try:
            full = (base / rel).resolve()
        except (OSError, RuntimeError):
            raise table.fail("csv", f"cannot resolve the path {name}") from None
        if not full.is_relative_to(base):
            raise table.fail("csv", f"the path {name} leaves the scenario's folder; data files "
                                    f"must sit in the scenario's folder or below it")
        if not full.is_file():
            raise table.fail("csv", f"file not found: {name} (looked in {base})")
        return full

    # -- optimizers and training ----------------------------------------------------------------
    def optimizer(self, table):
        kind = table.string("kind", choices=tuple(optim.DEFAULTS))
        defaults = optim.DEFAULTS[kind]
        own = [k for k in defaults if k != "lr"]
        every = {k for d in optim.DEFAULTS.values() for k in d}

        def explain(key):
            if key in every:
                return (f"{kind} has no hyperparameter `{key}` ({kind} takes: "
                        f"{', '.join(['lr', *own])}; plus `label`)")
            return None
        table.allow(("kind", "lr", *own, "label"), explain=explain)
        lr = table.number("lr", defaults["lr"], low=0.0, low_open=True)
        hyper = {}
        for key in own:
            if key not in table:
                continue
            if key in ("beta1", "beta2", "rho"):
                hyper[key] = table.number(key, low=0.0, high=1.0, high_open=True)
            elif key == "eps":
                hyper[key] = table.number(key, low=0.0, low_open=True)
            elif key == "momentum" and kind == "nesterov":
                hyper[key] = table.number(key, low=0.0, low_open=True)
            else:
                hyper[key] = table.number(key, low=0.0)
        label = table.string("label", None, max_len=32)
        try:
            optim.hyperparameters(kind, lr, **hyper)
        except ValueError as exc:
            raise table.fail(None, str(exc)) from None
        return OptimizerSpec(kind=kind, lr=lr, hyper=_frozen_map(hyper), label=label)

    def compare(self, top):
        if "compare" not in top:
            return ()
        if isinstance(top.values["compare"], dict):
            raise top.fail("compare", "write each racer as its own [[compare]] table (an array "
                                      "of tables), not one [compare] table")
        racers = tuple(self.optimizer(t) for t in top.tables("compare", low=1, high=MAX_COMPARE))
        seen = {}
        for i, spec in enumerate(racers):
            label = spec.label or spec.kind
            if label in seen:
                raise self.fail(("compare", i), f"two racers are called `{label}` (entries "
                                                f"{seen[label]} and {i}): give each a distinct "
                                                f"`label`")
            seen[label] = i
        return racers

    def training(self, table, kind, data):
        if table is None:
            return TrainingSpec()
        table.allow(("steps", "batch_size", "shuffle"))
        steps = table.integer("steps", 100, low=1, high=MAX_STEPS)
        batch = table.integer("batch_size", 0, low=0, high=_data.MAX_ROWS)
        shuffle = table.boolean("shuffle", True)
        if kind == "objective" and batch:
            raise table.fail("batch_size", "an objective has no data to split into batches "
                                           "(expected 0)")
        if data is not None and batch > len(data.x):
            raise table.fail("batch_size", f"larger than the {len(data.x)} training rows "
                                            f"(use 0 for full batch)")
        return TrainingSpec(steps=steps, batch_size=batch, shuffle=shuffle)


def _explain_top(key):
    if key in ("layers", "inputs", "expression", "params"):
        return f"`{key}` belongs in [model] (or [objective]), not at the top level"
    if key == "kind":
        return "`kind` belongs in a table ([optimizer], [loss] or [[compare]]), not at the top level"
    if key in ("lr", "beta1", "beta2", "eps", "momentum", "rho", "weight_decay", "lr_decay"):
        return f"`{key}` belongs in [optimizer] (or [[compare]]), not at the top level"
    if key in ("steps", "batch_size", "shuffle"):
        return f"`{key}` belongs in [training], not at the top level"
    return None
