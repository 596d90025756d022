"""Reading a parsed TOML document into a :class:`~gradstep.engine.scenario.Scenario`, checking everything.

Plain hand-written validation (no schema library): each table is read through a
:class:`~gradstep.engine.scenario.table._Table` that knows its key path, so that every error names the
key, finds its line in the text and says what was expected and what was found. This module
reads the top level, ``[data]``, ``[loss]``, ``[optimizer]``, ``[[compare]]`` and
``[training]``; :mod:`gradstep.engine.scenario.model_reader` reads ``[objective]`` and ``[model]``. The public
entry points are :func:`gradstep.engine.scenario.load_scenario` and :func:`gradstep.engine.scenario.loads_scenario`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gradstep.engine.scenario import data as _data
from gradstep.engine import optim
from gradstep.engine.scenario.model_reader import _ModelReader
from gradstep.engine.scenario.csv_source import _CsvSourceReader
from gradstep.engine.scenario.schedule_reader import check_cycled, read_schedule
from gradstep.engine.scenario import budget
from gradstep.engine.scenario.table import MAX_COMPARE, MAX_STEPS, MAX_UNITS, _readonly, _show, _Table
from gradstep.engine.scenario.text import printable
from gradstep.engine.errors import ScenarioError, format_key, locate_key
from gradstep.engine.i18n import _
from gradstep.engine.model.losses import LOSSES
from gradstep.engine.scenario.spec import Dataset, OptimizerSpec, Scenario, TrainingSpec, frozen_map

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_LOSSES = tuple(LOSSES)
_TOP_KEYS = ("name", "description", "notes", "description_pt", "notes_pt", "seed", "dtype",
             "objective", "model", "data", "loss", "optimizer", "training", "compare", "schedule")
MAX_NOTES = 20_000


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


class _Reader(_ModelReader, _CsvSourceReader):
    """Reads a whole document into a :class:`Scenario`."""

    def __init__(self, text, shown, base, has_file):
        self.text = text
        self.shown = shown
        self.base = base
        self.has_file = has_file

    def fail(self, path, message):
        return ScenarioError(message, file=self.shown, line=locate_key(self.text, path),
                             key=printable(format_key(path)) or None)

    # -- top level ----------------------------------------------------------------------------
    def scenario(self, top, path):
        top.allow(_TOP_KEYS, explain=_explain_top)
        name = top.string("name", max_len=64)
        if not re.fullmatch(_NAME, name):
            raise top.fail("name", _("a name may use letters, digits, `-`, `_` and `.`, starting "
                                     "with a letter or digit (got {got})").format(got=_show(name)))
        description = top.one_line("description", "notes")
        notes = top.string("notes", "", max_len=MAX_NOTES, allow="\n\t")
        description_pt = top.one_line("description_pt", "notes_pt")
        notes_pt = top.string("notes_pt", "", max_len=MAX_NOTES, allow="\n\t")
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
        schedule = None
        if "schedule" in top:
            schedule = read_schedule(top.table("schedule"))
            check_cycled(top.table("schedule"), schedule, (optimizer, *compare))
        data = loss = None
        l1 = l2 = 0.0
        if kind == "objective":
            for key in ("data", "loss"):
                if key in top:
                    raise top.fail(key, _("an objective has no data and no loss: remove [{table}] "
                                          "(or use [model] to fit data)").format(table=key))
            model = self.expression_model(model_table, inputs=())
        else:
            if "data" not in top:
                if kind == "parametric":
                    message = _("a parametric model needs [data] (inline x and y, a csv file or "
                                "a generator)")
                else:
                    message = _("a network model needs [data] (inline x and y, a csv file or a "
                                "generator)")
                raise top.fail("data", message)
            loss_table = top.table("loss", None)
            loss = "mse"
            if loss_table is not None:
                loss_table.allow(("kind", "l1", "l2"))
                loss = loss_table.string("kind", choices=_LOSSES)
                l1 = loss_table.number("l1", 0.0, low=0.0)
                l2 = loss_table.number("l2", 0.0, low=0.0)
            data = self.data(top.table("data"), loss)
            if kind == "parametric":
                if loss == "cross_entropy":
                    raise top.fail("loss", _("cross_entropy needs one output per class: use a "
                                             "network ([model] with layers) for classification"),
                                   extra=("kind",))
                model = self.expression_model(model_table, inputs=data.input_names, data=data)
            else:
                model = self.network(model_table)
                self.check_network_data(model, data, loss)
        training = self.training(top.table("training", None), kind, data)
        return Scenario(name=name, kind=kind, model=model, optimizer=optimizer, data=data,
                        loss=loss, training=training, description=description, notes=notes,
                        description_pt=description_pt, notes_pt=notes_pt, seed=seed,
                        dtype=dtype, compare=compare, path=path, schedule=schedule, l1=l1, l2=l2)

    def kind(self, top):
        has_objective, has_model = "objective" in top, "model" in top
        if has_objective and has_model:
            raise top.fail("model", _("a scenario has exactly one of [objective] and [model]; "
                                      "this file has both"))
        if not (has_objective or has_model):
            raise ScenarioError(_("a scenario needs [objective] (minimise an expression) or "
                                  "[model] (fit an expression or train a network); this file "
                                  "has neither"), file=self.shown)
        if has_objective:
            return "objective", top.table("objective")
        model = top.table("model")
        is_expr = "expression" in model
        is_net = "layers" in model or "inputs" in model
        if is_expr and is_net:
            raise model.fail("expression", _("[model] has both `expression` (a parametric model) "
                                             "and `layers`/`inputs` (a network): choose one"))
        if not (is_expr or is_net):
            raise model.fail(None, _("[model] needs `expression` (a parametric model) or "
                                     "`inputs` and `layers` (a network)"))
        return ("parametric" if is_expr else "network"), model

    # -- data -----------------------------------------------------------------------------------
    def data(self, table, loss):
        table.allow(("x", "y", "csv", "columns", "generator", "n", "noise", "seed", "classes",
                     "validation"))
        sources = [s for s in ("x", "csv", "generator") if s in table]
        if "y" in table and "x" not in table:
            sources.append("y")
        if len(sources) > 1:
            raise table.fail(sources[1], _("[data] takes exactly one source: inline x and y, "
                                           "csv, or generator (got {sources})")
                             .format(sources=", ".join(sources)))
        if not sources:
            raise table.fail(None, _("[data] needs a source: inline `x` and `y`, `csv` or "
                                     "`generator`"))
        for key in ("n", "noise", "classes"):
            if key in table and "generator" not in table:
                raise table.fail(key, _("`{key}` applies only to a generator").format(key=key))
        if "columns" in table and "csv" not in table:
            raise table.fail("columns", _("`columns` applies only to a csv file"))
        data_seed = table.integer("seed", self.seed, low=0, high=2**63 - 1)
        if "generator" in table:
            x, y = self.generated(table, data_seed)
        elif "csv" in table:
            x, y = self.csv(table)
        else:
            x, y = self.inline(table)
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

    def inline(self, table):
        if "y" not in table:
            raise table.fail("y", _("inline data needs both `x` and `y`"))
        x = table.array("x", dtype=self.dtype)
        y = table.array("y")
        if x.ndim == 0 or x.ndim > 2:
            raise table.fail("x", _("expected a list of numbers (one input) or a list of rows, "
                                    "got {count} dimensions").format(count=x.ndim))
        if y.ndim == 0 or y.ndim > 2:
            raise table.fail("y", _("expected a list of numbers or a list of rows, got {count} "
                                    "dimensions").format(count=y.ndim))
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if len(x) != len(y):
            raise table.fail("y", _("x has {x_rows} rows but y has {y_rows}")
                             .format(x_rows=len(x), y_rows=len(y)))
        if len(x) > _data.MAX_ROWS:
            raise table.fail("x", _("more than {limit} rows (the limit)")
                             .format(limit=f"{_data.MAX_ROWS:,}"))
        return x, y

    def targets(self, table, key, y, loss):
        if loss == "cross_entropy":
            if y.ndim == 2 and y.shape[1] == 1:
                y = y[:, 0]
            if y.ndim != 1:
                raise table.fail(key, _("cross_entropy needs one integer class label per row "
                                        "(got {count} target columns)").format(count=y.shape[1]))
            if not np.all(y == np.round(y)) or y.min() < 0:
                bad = y[(y != np.round(y)) | (y < 0)][0]
                raise table.fail(key, _("cross_entropy needs class labels 0, 1, 2, ... (got "
                                        "{got})").format(got=f"{bad:g}"))
            # Checked before the cast: 1e19 would wrap to a negative int64.
            if y.max() >= MAX_UNITS:
                raise table.fail(key, _("class label {label} is too large (a network has at most "
                                        "{limit} output units, one per class)")
                                 .format(label=f"{y.max():g}", limit=f"{MAX_UNITS:,}"))
            return y.astype(np.int64)
        y = np.asarray(y, dtype=self.dtype)
        if loss == "bce_logits" and (y.min() < 0 or y.max() > 1):
            bad = y[(y < 0) | (y > 1)][0]
            raise table.fail(key, _("bce_logits needs targets in [0, 1] (got {got})")
                             .format(got=f"{bad:g}"))
        return y

    def generated(self, table, seed):
        kind = table.string("generator", choices=_data.GENERATORS)
        n = table.integer("n", 100, low=1, high=_data.MAX_ROWS)
        noise = table.number("noise", _data.DEFAULT_NOISE[kind], low=0.0)
        if "classes" in table and kind != "spiral":
            raise table.fail("classes", _("`classes` applies only to the spiral generator "
                                          "(this one is {kind})").format(kind=kind))
        classes = table.integer("classes", 3, low=2, high=10)
        self.within_budget(budget.data_need(n, 3, self.dtype.itemsize), table.path + ("n",))
        try:
            x, y = _data.generate(kind, n, noise=noise, seed=seed, classes=classes)
        except ScenarioError as exc:
            raise table.fail("n", exc.message) from None
        return x.astype(self.dtype), y

    # -- optimizers and training ----------------------------------------------------------------
    def optimizer(self, table):
        kind = table.string("kind", choices=tuple(optim.DEFAULTS))
        defaults = optim.DEFAULTS[kind]
        own = [k for k in defaults if k != "lr"]
        every = {k for d in optim.DEFAULTS.values() for k in d}

        def explain(key):
            if key in every:
                return (_("{kind} has no hyperparameter `{key}` ({kind} takes: {keys}; plus "
                          "`label`)").format(kind=kind, key=key, keys=", ".join(["lr", *own])))
            return None
        table.allow(("kind", "lr", *own, "label"), explain=explain)
        lr = table.number("lr", defaults["lr"], low=0.0, low_open=True)
        hyper = {}
        for key in own:
            if key not in table:
                continue
            if optim.HYPERPARAMETERS[key].flag:  # NAdam's, RAdam's decoupled_weight_decay
                hyper[key] = 1.0 if table.boolean(key) else 0.0
            elif key in ("beta1", "beta2", "rho"):
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
        return OptimizerSpec(kind=kind, lr=lr, hyper=frozen_map(hyper), label=label)

    def compare(self, top):
        if "compare" not in top:
            return ()
        if isinstance(top.values["compare"], dict):
            raise top.fail("compare", _("write each racer as its own [[compare]] table (an "
                                        "array of tables), not one [compare] table"))
        racers = tuple(self.optimizer(t) for t in top.tables("compare", low=1, high=MAX_COMPARE))
        seen = {}
        for i, spec in enumerate(racers):
            label = spec.label or spec.kind
            if label in seen:
                raise self.fail(("compare", i), _("two racers are called `{label}` (entries "
                                                  "{first} and {second}): give each a distinct "
                                                  "`label`")
                                .format(label=label, first=seen[label], second=i))
            seen[label] = i
        return racers

    def training(self, table, kind, data):
        if table is None:
            return TrainingSpec()
        table.allow(("steps", "batch_size", "shuffle", "clip_norm", "clip_value"))
        steps = table.integer("steps", 100, low=1, high=MAX_STEPS)
        batch = table.integer("batch_size", 0, low=0, high=_data.MAX_ROWS)
        shuffle = table.boolean("shuffle", True)
        clip_norm = table.number("clip_norm", None, low=0.0, low_open=True)
        clip_value = table.number("clip_value", None, low=0.0, low_open=True)
        if clip_norm is not None and clip_value is not None:
            raise table.fail("clip_value", _("clip_norm and clip_value both clip the gradient: "
                                             "choose one"))
        if kind == "objective" and batch:
            raise table.fail("batch_size", _("an objective has no data to split into batches "
                                             "(expected 0)"))
        if data is not None and batch > len(data.x):
            raise table.fail("batch_size", _("larger than the {count} training rows (use 0 for "
                                             "full batch)").format(count=len(data.x)))
        return TrainingSpec(steps=steps, batch_size=batch, shuffle=shuffle, clip_norm=clip_norm,
                            clip_value=clip_value)


def _explain_top(key):
    if key in ("layers", "inputs", "expression", "params"):
        return (_("`{key}` belongs in [model] (or [objective]), not at the top level")
                .format(key=key))
    if key == "kind":
        return _("`kind` belongs in a table ([optimizer], [loss] or [[compare]]), not at the top "
                 "level")
    if key in ("lr", "beta1", "beta2", "eps", "momentum", "rho", "weight_decay", "lr_decay"):
        return (_("`{key}` belongs in [optimizer] (or [[compare]]), not at the top level")
                .format(key=key))
    if key in ("steps", "batch_size", "shuffle", "clip_norm", "clip_value"):
        return _("`{key}` belongs in [training], not at the top level").format(key=key)
    return None
