"""A scenario as a self-contained PyTorch script: ``gradstep export --torch`` and the ``t`` view.

:func:`torch_script` writes plain Python, in the tutorial's idioms (``nn.MSELoss()``,
``optimizer.zero_grad()``, ``loss.backward()``, ``optimizer.step()``), that trains what the
scenario describes with ``torch.optim``: the same initial values (a network's drawn weights
written out), the same training rows (inline), the same loss, optimizer and hyperparameters
under PyTorch's names, the scenario's precision, and for minibatches each epoch's row order as
:class:`~gradstep.engine.training.batches.Batches` draws it. Run, it prints one JSON object
per step, ``{"step", "loss", "params"}``, with the numbers of ``gradstep run --full`` (the loss
before the step's update, the parameters after it), and stops where gradstep would: at a loss
that is not finite.

Nothing of the scenario is executed, and nothing of it reaches the script but numbers,
checked identifiers and ``repr`` string literals (:mod:`~gradstep.engine.training.torch_code`).
A scenario that uses something the script cannot say (a field of the spec this module does not
know: a learning-rate schedule, clipping, a regulariser, ...) is refused with a one-line
:class:`~gradstep.engine.training.torch_code.Untranslatable` naming its key, never translated
without it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gradstep.engine import memory
from gradstep.engine import optim
from gradstep.engine.errors import locate_key
from gradstep.engine.i18n import _
from gradstep.engine.model import LOSSES, network_parameters, parse_expression
from gradstep.engine.scenario.spec import (Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec,
                                           Scenario, TrainingSpec)
from gradstep.engine.training.batches import Batches
from gradstep.engine.training.torch_code import (TORCH_ACTIVATIONS, Untranslatable, array_literal,
                                                 expression_code, identifiers, number, string)

__all__ = ["torch_script", "TORCH_LOSSES", "TORCH_OPTIMIZERS", "Untranslatable"]

TORCH_LOSSES = {
    "mse": "nn.MSELoss()", "mae": "nn.L1Loss()", "huber": "nn.HuberLoss(delta=1.0)",
    "bce_logits": "nn.BCEWithLogitsLoss()", "cross_entropy": "nn.CrossEntropyLoss()",
}
"""Each loss as the PyTorch module the script makes (mean reduction, as the engine's)."""

TORCH_OPTIMIZERS = {
    "sgd": "torch.optim.SGD", "momentum": "torch.optim.SGD", "nesterov": "torch.optim.SGD",
    "rmsprop": "torch.optim.RMSprop", "adagrad": "torch.optim.Adagrad",
    "adam": "torch.optim.Adam", "adamw": "torch.optim.AdamW", "amsgrad": "torch.optim.Adam",
    "adadelta": "torch.optim.Adadelta", "adamax": "torch.optim.Adamax", "nadam": "torch.optim.NAdam",
    "radam": "torch.optim.RAdam",
}
"""Each optimizer kind's ``torch.optim`` class (see tests/reference/README.md)."""

# Every field of the spec this module translates. A field added later (a schedule, clipping, a
# regulariser, named sub-expressions) is refused unless it holds its default.
_KNOWN = {
    Scenario: {"name", "kind", "model", "optimizer", "data", "loss", "training", "description",
               "notes", "seed", "dtype", "compare", "path", "description_pt", "notes_pt",
               "source"},  # the file's text, kept for save files: nothing to translate
    ExpressionSpec: {"expression", "params", "constants"},
    NetworkSpec: {"inputs", "layers", "init", "init_std", "weights"},
    LayerSpec: {"units", "activation"},
    Dataset: {"x", "y", "x_val", "y_val", "input_names"},
    OptimizerSpec: {"kind", "lr", "hyper", "label"},
    TrainingSpec: {"steps", "batch_size", "shuffle"},
}
_HYPER_NAMES = {"momentum", "rho", "beta1", "beta2", "eps", "weight_decay", "lr_decay", "momentum_decay",
                "decoupled_weight_decay"}
_DTYPES = {"float64": "torch.float64", "float32": "torch.float32"}
_MAX_FILE = 5_000_000  # a scenario file's limit: only read again to find a key's line
_BYTES_PER_NUMBER = 96  # a float's repr while the text is built: a str object and its place in a list


def torch_script(scenario: Scenario, steps: int | None = None) -> str:
    """The PyTorch script equivalent to ``scenario``, as text.

    Args:
        scenario: What to translate.
        steps: How many steps the script takes (default: ``scenario.training.steps``).

    Raises:
        Untranslatable: The scenario uses a feature the script cannot express (the message
            names the key).
        gradstep.engine.memory.MemoryBudgetError: The script's numbers would not fit the budget.
    """
    try:
        return _script(scenario, steps)
    except Untranslatable as exc:
        raise _located(exc, scenario) from None


def _located(exc, scenario):
    """``exc`` with the scenario's file and, best effort, the line of its key."""
    path, line = scenario.path, None
    if path is not None and exc.key and exc.line is None:
        try:
            with open(path, encoding="utf-8-sig") as handle:
                text = handle.read(_MAX_FILE)
        except (OSError, UnicodeDecodeError):
            text = None
        line = locate_key(text, tuple(exc.key.split(".")))
    return exc.located(file=path, line=line)


def _script(scenario, steps):
    _refuse_unknown(scenario)
    steps = scenario.training.steps if steps is None else int(steps)
    dtype = np.dtype(scenario.dtype)
    params = _initial_params(scenario, dtype)
    data = scenario.data
    count = sum(int(np.size(v)) for _n, v in params)
    if data is not None:
        count += int(np.size(data.x)) + int(np.size(data.y))
    batches = _batches(scenario, steps)
    if batches is not None:
        count += int(np.size(batches[2]))
    memory.check(count * _BYTES_PER_NUMBER, _("the PyTorch script's numbers"))

    lines = [_HEADER, f"SCENARIO = {string(scenario.name)}", f"STEPS = {steps}", "",
             f"torch.set_default_dtype({_DTYPES[scenario.dtype]})", ""]
    if scenario.kind == "network":
        body, param_refs = _network(scenario, params)
    else:
        body, param_refs = _expression_model(scenario, params)
    lines += body
    lines += _optimizer(scenario.optimizer, param_refs)
    lines += _loop(scenario, batches, param_refs)
    return "\n".join(lines) + "\n"


_HEADER = '''\
"""A gradstep scenario in PyTorch, written by `gradstep export --torch`.

Run it with PyTorch installed (python this_file.py). Each step prints one JSON object: the
step, the loss before the step's update and the parameters after it: the numbers of
`gradstep run SCENARIO --full`.
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
'''


def _refuse_unknown(scenario):
    def refuse(key, what):
        raise Untranslatable(_("the PyTorch script cannot express {what} yet; "
                               "gradstep export --torch refuses this scenario").format(what=what),
                             key=key)

    def check_fields(obj, prefix):
        cls = type(obj)
        known = next((_KNOWN[c] for c in cls.__mro__ if c in _KNOWN), None)
        if known is None:
            refuse(prefix or None, f"`{cls.__name__}`")
        for field in dataclasses.fields(obj):
            if field.name in known:
                continue
            value = getattr(obj, field.name)
            default = (field.default if field.default is not dataclasses.MISSING
                       else field.default_factory() if field.default_factory is not dataclasses.MISSING
                       else dataclasses.MISSING)
            if not _same(value, default):
                key = f"{prefix}.{field.name}" if prefix else field.name
                refuse(key, f"`{key}`")

    check_fields(scenario, "")
    model_key = "objective" if scenario.kind == "objective" else "model"
    check_fields(scenario.model, model_key)
    check_fields(scenario.optimizer, "optimizer")
    check_fields(scenario.training, "training")
    if scenario.data is not None:
        check_fields(scenario.data, "data")
    if scenario.kind not in ("objective", "parametric", "network"):
        refuse("kind", f"`{scenario.kind}`")
    if scenario.dtype not in _DTYPES:
        refuse("dtype", f"`{scenario.dtype}`")
    spec = scenario.optimizer
    if spec.kind not in TORCH_OPTIMIZERS:
        refuse("optimizer.kind", f"`{spec.kind}`")
    for name in spec.hyper:
        if name not in _HYPER_NAMES:
            refuse(f"optimizer.{name}", f"`{name}`")
    if scenario.kind != "objective" and scenario.loss not in TORCH_LOSSES:
        refuse("loss.kind", f"`{scenario.loss}`")
    if scenario.kind == "network":
        for k, layer in enumerate(scenario.model.layers):
            check_fields(layer, f"model.layers[{k}]")
            if layer.activation not in TORCH_ACTIVATIONS:
                refuse(f"model.layers[{k}].activation", f"`{layer.activation}`")


def _same(value, default):
    if default is dataclasses.MISSING:
        return False
    try:
        return bool(value == default) if not isinstance(value, np.ndarray) else False
    except (TypeError, ValueError):
        return False


def _initial_params(scenario, dtype):
    if scenario.kind == "network":
        return network_parameters(scenario.model, np.random.default_rng(scenario.seed), dtype)
    return [(k, np.asarray(v, dtype=dtype)) for k, v in scenario.model.params.items()]


def _batches(scenario, steps):
    """``(batch size, batches per epoch, each epoch's order)`` for minibatches, else None."""
    data, training = scenario.data, scenario.training
    if data is None:
        return None
    batches = Batches(data.x, data.y, training.batch_size, training.shuffle, scenario.seed,
                      lambda x: x)
    if batches.per_epoch == 1:
        return None
    epochs = max(1, -(-steps // batches.per_epoch))
    return training.batch_size, batches.per_epoch, np.array([batches.order(e) for e in range(epochs)])


def _tensor(values, dtype=None, grad=False, indent=""):
    extra = (f", dtype={dtype}" if dtype else "") + (", requires_grad=True" if grad else "")
    return f"torch.tensor({array_literal(values, indent)}{extra})"


def _data_lines(scenario, target_shape):
    data = scenario.data
    y = data.y
    label = scenario.loss == "cross_entropy"
    lines = ["# The training rows (gradstep holds the validation rows apart)"]
    lines.append(f"X = {_tensor(data.x)}")
    if label:
        lines.append(f"Y = {_tensor(np.asarray(y, dtype=np.int64), 'torch.long')}")
    else:
        lines.append(f"Y = {_tensor(np.asarray(y, dtype=np.float64).reshape(target_shape))}")
    return lines + [""]


def _expression_model(scenario, params):
    spec = scenario.model
    objective = scenario.kind == "objective"
    key = "objective.expression" if objective else "model.expression"
    inputs = () if objective else tuple(scenario.data.input_names)
    names = [n for n, _v in params] + list(inputs) + list(spec.constants)
    py = identifiers(names, key)
    tree = parse_expression(spec.expression, names, dtype=np.dtype(scenario.dtype)).tree
    code = expression_code(tree, py, key)
    lines = []
    if not objective:
        lines += _data_lines(scenario, (len(scenario.data.x),))
    if spec.constants:
        lines.append("# Constants (no gradient)")
        for name, value in spec.constants.items():
            lines.append(f"{py[name]} = {_tensor(np.asarray(value, dtype=np.float64))}")
        lines.append("")
    lines.append("# The parameters, with the scenario's initial values")
    for name, value in params:
        lines.append(f"{py[name]} = {_tensor(value, grad=True)}")
    lines.append("")
    if objective:
        lines += ["", "def objective():", f"    return {code}", ""]
    else:
        args = ", ".join(py[n] for n in inputs)
        lines += ["", f"def model({args}):", f"    return {code}", ""]
    return lines, [(name, py[name]) for name, _v in params]


def _network(scenario, params):
    spec = scenario.model
    units = spec.layers[-1].units
    lines = _data_lines(scenario, (len(scenario.data.x), units))
    lines.append("# The parameters, with gradstep's initial values: layer k computes")
    lines.append("# a_k = activation_k(a_{k-1} @ W_k + b_k), W_k of shape (inputs, units)")
    lines.append("params = {")
    for name, value in params:
        lines.append(f"    {string(name)}: {_tensor(value, grad=True, indent='    ')},")
    lines += ["}", "", "", "def model(x):", "    a = x"]
    for k, layer in enumerate(spec.layers, start=1):
        pre = f"a @ params[{string(f'layer{k}.W')}] + params[{string(f'layer{k}.b')}]"
        act = TORCH_ACTIVATIONS[layer.activation]
        lines.append(f"    a = {act.format(a=pre)}")
    lines += ["    return a", ""]
    return lines, [(name, f"params[{string(name)}]") for name, _v in params]


def _optimizer(spec, param_refs):
    hyper = optim.hyperparameters(spec.kind, spec.lr, **dict(spec.hyper))
    kind = spec.kind
    args = [f"lr={number(hyper['lr'])}"]
    if kind in ("momentum", "nesterov"):
        args.append(f"momentum={number(hyper['momentum'])}")
    if kind == "rmsprop":
        args += [f"alpha={number(hyper['rho'])}", f"eps={number(hyper['eps'])}",
                 f"momentum={number(hyper['momentum'])}"]
    if kind == "adagrad":
        args += [f"lr_decay={number(hyper['lr_decay'])}", f"eps={number(hyper['eps'])}"]
    if kind == "adadelta":
        args += [f"rho={number(hyper['rho'])}", f"eps={number(hyper['eps'])}"]
    if kind in ("adam", "adamw", "amsgrad", "adamax", "nadam", "radam"):
        args += [f"betas=({number(hyper['beta1'])}, {number(hyper['beta2'])})",
                 f"eps={number(hyper['eps'])}"]
    args.append(f"weight_decay={number(hyper['weight_decay'])}")
    if kind == "nadam":
        args.append(f"momentum_decay={number(hyper['momentum_decay'])}")
    if "decoupled_weight_decay" in hyper:  # NAdam, RAdam: a switch, 0 or 1 in gradstep
        args.append(f"decoupled_weight_decay={bool(hyper['decoupled_weight_decay'])}")
    if kind == "nesterov":
        args.append("nesterov=True")
    if kind == "amsgrad":
        args.append("amsgrad=True")
    refs = ", ".join(ref for _name, ref in param_refs)
    listed = "params.values()" if refs.startswith("params[") else f"[{refs}]"
    return ["", f"optimizer = {TORCH_OPTIMIZERS[kind]}({listed}, {', '.join(args)})", ""]


def _loop(scenario, batches, param_refs):
    lines = []
    if scenario.kind != "objective":
        lines.append(f"loss_fn = {TORCH_LOSSES[scenario.loss]}")
    if batches is not None:
        size, per_epoch, order = batches
        lines += [f"BATCH_SIZE = {size}", f"BATCHES_PER_EPOCH = {per_epoch}",
                  "# Each epoch's order of the rows, as gradstep draws it",
                  f"ORDER = {_tensor(order, 'torch.long')}"]
    lines += ["", "for step in range(1, STEPS + 1):"]
    if scenario.kind != "objective":
        if batches is not None:
            lines += ["    epoch, batch = divmod(step - 1, BATCHES_PER_EPOCH)",
                      "    rows = ORDER[epoch, batch * BATCH_SIZE:(batch + 1) * BATCH_SIZE]",
                      "    inputs, targets = X[rows], Y[rows]"]
        else:
            lines.append("    inputs, targets = X, Y")
    lines.append("    optimizer.zero_grad()")
    if scenario.kind == "objective":
        lines.append("    loss = objective()")
    else:
        if scenario.kind == "network":
            lines.append("    prediction = model(inputs)")
        else:
            columns = ", ".join(f"inputs[:, {j}]" for j in range(len(scenario.data.input_names)))
            lines.append(f"    prediction = model({columns})")
        lines.append("    loss = loss_fn(prediction, targets)")
    lines += [
        "    if not math.isfinite(loss.item()):",
        "        print(f\"{SCENARIO}: the loss is {loss.item()} at step {step}: stopped\", file=sys.stderr)",
        "        break",
        "    loss.backward()",
        "    optimizer.step()",
        "    print(json.dumps({",
        '        "step": step,',
        '        "loss": loss.item(),',
        '        "params": {',
    ]
    lines += [f"            {string(name)}: {ref}.tolist()," for name, ref in param_refs]
    lines += ["        },", "    }))"]
    return lines
