"""Reading a scenario's model: an expression (objective or parametric model) or a network.

The part of the scenario reader that checks ``[objective]`` and ``[model]``: names, initial
values, that the expression parses and evaluates at the initial values to the right shape, and
that a network's layers, weights and outputs fit its data. Mixed into
:class:`gradstep.engine.scenario.reader._Reader`, which supplies ``fail``, ``shown``, ``text`` and
``dtype``.
"""

from __future__ import annotations

import keyword
import re
from types import MappingProxyType

import numpy as np

from gradstep.engine import autodiff as ad
from gradstep.engine import memory
from gradstep.engine.scenario import budget
from gradstep.engine.scenario.table import MAX_LAYERS, MAX_PARAMETERS, MAX_UNITS, _REQUIRED
from gradstep.engine.scenario.text import printable
from gradstep.engine.errors import ExpressionError, format_key, locate_key
from gradstep.engine.model.expr import CONSTANTS, FUNCTIONS, parse_expression
from gradstep.engine.i18n import _, ngettext
from gradstep.engine.model.nn import INITS
from gradstep.engine.scenario.spec import ExpressionSpec, LayerSpec, NetworkSpec, frozen_map

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_INITS = tuple(INITS)
MAX_DEFINITIONS = 64
"""Most names in ``[objective] define``."""


class _ModelReader:
    """Reads ``[objective]`` and ``[model]`` tables (a mixin of the scenario reader)."""

    # -- expressions ----------------------------------------------------------------------------
    def expression_model(self, table, *, inputs, data=None):
        table.allow(("expression", "params", "constants", "define"))
        text = table.string("expression", max_len=10**9)
        params = self.named_arrays(table, "params", inputs, required=True)
        constants = self.named_arrays(table, "constants", inputs, required=False)
        for name in params:
            if name in constants:
                raise table.fail("constants", _("`{name}` is both a parameter and a constant")
                                 .format(name=name), extra=(name,))
        define = self.definitions(table, inputs, [*params, *constants])
        try:
            expression = parse_expression(text, [*params, *constants, *inputs], dtype=self.dtype,
                                          define=tuple(define.items()))
        except ExpressionError as exc:
            where = table.path + (("define", exc.define) if exc.define else ("expression",))
            raise exc.located(file=self.shown, key=format_key(where),
                              line=locate_key(self.text, where)) from None
        for name in params:
            if name not in expression.names:
                raise table.fail("params", _("parameter `{name}` is not used in the expression "
                                             "(its gradient would always be 0)").format(name=name),
                                 extra=(name,))
        shapes = {k: v.shape for k, v in (*params.items(), *constants.items())}
        if data is not None:
            shapes.update({name: (len(data.x),) for name in inputs})
        self.within_budget(budget.expression_need(expression, shapes, self.dtype.itemsize, inputs),
                           table.path + ("expression",))
        self.trial(table, expression, params, constants, inputs, data)
        return ExpressionSpec(expression=text, params=frozen_map(params),
                              constants=frozen_map(constants), define=frozen_map(define))

    def definitions(self, table, inputs, taken):
        """``define = { h1 = "tanh(a*x1 + b)", ... }``: name -> text, in the file's order (the
        texts are parsed with the expression)."""
        sub = table.table("define", None)
        if sub is None:
            return {}
        if len(sub.values) > MAX_DEFINITIONS:
            raise table.fail("define", _("too many definitions ({count}; the limit is {limit})")
                             .format(count=len(sub.values), limit=MAX_DEFINITIONS))
        out = {}
        for name in sub.values:
            self.check_name(sub, name, inputs)
            if name in taken:
                raise sub.fail(name, _("`{name}` is already a parameter or a constant: a "
                                       "definition needs a name of its own").format(name=name))
            out[name] = sub.string(name, max_len=10**9)
        return out

    def check_name(self, sub, name, inputs):
        """Refuse a name that expressions cannot use (not an identifier, a keyword, a function,
        a constant such as ``pi``, an input column)."""
        if not re.fullmatch(_IDENTIFIER, name) or keyword.iskeyword(name):
            raise sub.fail(name, _("`{name}` cannot be a name in expressions (expected "
                                   "letters, digits and `_`, not starting with a digit)")
                           .format(name=printable(name)))
        if name in FUNCTIONS:
            raise sub.fail(name, _("`{name}` is reserved for the function `{name}`: choose "
                                   "another name").format(name=name))
        if name in CONSTANTS:
            raise sub.fail(name, _("`{name}` is reserved for the constant `{name}`: choose "
                                   "another name").format(name=name))
        if name in inputs:
            raise sub.fail(name, _("`{name}` is the name of an input column (inputs: "
                                   "{inputs})").format(name=name, inputs=", ".join(inputs)))

    def within_budget(self, need, path):
        """Raise the memory budget's error, located at the key ``path``, when ``need`` (a
        ``(bytes, what)`` pair from :mod:`~gradstep.engine.scenario.budget`, or None) is over
        the budget."""
        if need is None:
            return
        try:
            memory.check(need[0], need[1])
        except memory.MemoryBudgetError as exc:
            raise exc.located(file=self.shown, line=locate_key(self.text, path),
                              key=format_key(path)) from None

    def named_arrays(self, table, key, inputs, *, required):
        sub = table.table(key, _REQUIRED if required else None)
        if sub is None:
            return {}
        if required and not sub.values:
            raise table.fail(key, _("no parameters (expected at least one, such as { a = 0.0 })"))
        out = {}
        for name in sub.values:
            self.check_name(sub, name, inputs)
            out[name] = sub.array(name, dtype=self.dtype)
        total = sum(a.size for a in out.values())
        if total > MAX_PARAMETERS:
            raise table.fail(key, _("too many numbers ({count}; the limit is {limit})")
                             .format(count=f"{total:,}", limit=f"{MAX_PARAMETERS:,}"))
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
                raise self.fail(where, _("an objective must be one number, but this expression "
                                         "has shape {shape}: wrap it in sum(...) or mean(...)")
                                .format(shape=shape))
            if not np.isfinite(value):
                raise self.fail(where, _("the objective is {value} at the initial parameters "
                                         "(expected a finite number)").format(value=value))
            return
        n = len(data.x)
        if shape not in ((n,), (n, 1)):
            raise self.fail(where, _("a parametric model predicts one number per data row: "
                                     "expected shape ({n},), got {shape} (use the inputs "
                                     "{inputs} in the expression)")
                            .format(n=n, shape=shape, inputs=", ".join(inputs)))
        if not np.isfinite(value).all():
            raise self.fail(where, _("the prediction is not finite at the initial parameters"))
        y = np.asarray(data.y)
        if y.ndim == 2 and y.shape[1] != 1:
            raise self.fail(("data",), _("a parametric model predicts one number per row, but "
                                         "the data has {count} target columns")
                            .format(count=y.shape[1]))

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
                raise lt.fail("activation", _("layer {number} is hidden and needs an `activation` "
                                              "(one of: {choices}; only the last layer defaults "
                                              "to identity)")
                              .format(number=i + 1, choices=", ".join(choices)))
            activation = lt.string("activation", "identity", choices=choices)
            layers.append(LayerSpec(units, "identity" if activation == "linear" else activation))
        fan_in, total = inputs, 0
        for layer in layers:
            total += (fan_in + 1) * layer.units
            fan_in = layer.units
        if total > MAX_PARAMETERS:
            raise table.fail("layers", _("the network has {count} parameters (the limit is "
                                         "{limit})")
                             .format(count=f"{total:,}", limit=f"{MAX_PARAMETERS:,}"))
        init = table.string("init", "xavier_uniform", choices=_INITS)
        if "init_std" in table and init != "normal":
            raise table.fail("init_std", _('`init_std` applies only to init = "normal" (init is '
                                           '"{init}")').format(init=init))
        init_std = table.number("init_std", 0.01, low=0.0, low_open=True)
        weights = None
        if "weights" in table:
            weights = self.weights(table, inputs, layers)
        return NetworkSpec(inputs=inputs, layers=tuple(layers), init=init, init_std=init_std,
                           weights=weights)

    def weights(self, table, inputs, layers):
        entries = table.tables("weights", low=0, high=MAX_LAYERS)
        if len(entries) != len(layers):
            raise table.fail("weights", _("expected one {{W, b}} table per layer ({layers}), got "
                                          "{count}").format(layers=len(layers), count=len(entries)))
        out = []
        fan_in = inputs
        for k, (entry, layer) in enumerate(zip(entries, layers), start=1):
            entry.allow(("W", "b"))
            W = entry.array("W", dtype=self.dtype)
            b = entry.array("b", dtype=self.dtype)
            if W.shape != (fan_in, layer.units):
                raise entry.fail("W", _("layer {number} takes {inputs} inputs and has {units} "
                                        "units: expected W of shape ({inputs}, {units}), got "
                                        "{shape}")
                                 .format(number=k, inputs=fan_in, units=layer.units,
                                         shape=W.shape))
            if b.shape != (layer.units,):
                raise entry.fail("b", _("layer {number} has {units} units: expected b of shape "
                                        "({units},), got {shape}")
                                 .format(number=k, units=layer.units, shape=b.shape))
            out.append(MappingProxyType({"W": W, "b": b}))
            fan_in = layer.units
        return tuple(out)

    def check_network_data(self, net, data, loss):
        """The data must fit the network: input columns, and targets for its outputs."""
        k = data.x.shape[1]
        if k != net.inputs:
            raise self.fail(("model", "inputs"),
                            ngettext("the data has {count} input column but the network takes "
                                     "inputs = {inputs}",
                                     "the data has {count} input columns but the network takes "
                                     "inputs = {inputs}", k).format(count=k, inputs=net.inputs))
        rows = len(data.x) + (0 if data.x_val is None else len(data.x_val))
        self.within_budget(budget.network_need(net, rows, self.dtype.itemsize), ("model", "layers"))
        units = net.layers[-1].units
        y = data.y
        if loss == "cross_entropy":
            if units < 2:
                raise self.fail(("model", "layers"), _("cross_entropy needs at least 2 output "
                                                       "units in the last layer (one per class)"))
            for labels in (y, data.y_val):
                if labels is not None and labels.size and labels.max() >= units:
                    raise self.fail(("data",), _("class label {label} is outside [0, {units}): "
                                                 "the last layer has {units} units, one per "
                                                 "class")
                                    .format(label=int(labels.max()), units=units))
            return
        cols = 1 if y.ndim == 1 else y.shape[1]
        if cols != units:
            layer = ngettext("the last layer has {units} unit", "the last layer has {units} units",
                             units).format(units=units)
            columns = ngettext("the data has {count} target column",
                               "the data has {count} target columns", cols).format(count=cols)
            raise self.fail(("model", "layers"), _("{layer} but {columns}")
                            .format(layer=layer, columns=columns))
