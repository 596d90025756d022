"""The optimizer registry: every entry complete and consistent, and covered by PyTorch fixtures.

Adding an optimizer is one entry: these tests walk :data:`gradstep.engine.optim.OPTIMIZERS`, so a
new entry is checked without being named here, and one without PyTorch fixtures fails.
PyTorch's defaults are written below from PyTorch's documentation (``torch.optim``, 2.x) and
checked a second time against the optimizers PyTorch printed when it wrote the fixtures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from gradstep.engine import optim
from gradstep.engine.optim import HYPERPARAMETERS, OPTIMIZERS, STATE_SYMBOLS, Numbers, Scalar

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
KINDS = list(OPTIMIZERS)

# PyTorch's constructor defaults, from its documentation, by PyTorch's own names.
TORCH_DEFAULTS = {
    "SGD": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
    "RMSprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                "centered": False},
    "Adagrad": {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
                "eps": 1e-10},
    "Adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False},
    "AdamW": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False},
    "Adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
    "Adamax": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "NAdam": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3,
              "decoupled_weight_decay": False},
    "RAdam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
              "decoupled_weight_decay": False},
}

# gradstep's hyperparameter name -> (PyTorch's name, index into it or None).
TORCH_NAMES = {"lr": ("lr", None), "momentum": ("momentum", None), "rho": ("alpha", None),
               "eps": ("eps", None), "weight_decay": ("weight_decay", None),
               "lr_decay": ("lr_decay", None), "beta1": ("betas", 0), "beta2": ("betas", 1),
               "momentum_decay": ("momentum_decay", None),
               "decoupled_weight_decay": ("decoupled_weight_decay", None)}

NUMBERS = Numbers(num=lambda x: f"{float(x):.6g}", short=lambda x: f"{float(x):g}")


def torch_constructor(entry):
    """``(class name, {keyword: value})`` of an entry's ``torch`` text, e.g.
    ``torch.optim.SGD(momentum=0.9, nesterov=True)``."""
    found = re.fullmatch(r"torch\.optim\.(\w+)(?:\((.*)\))?", entry.torch)
    assert found, f"{entry.name}: torch is not 'torch.optim.Class(key=value, ...)': {entry.torch!r}"
    keywords = {}
    for pair in filter(None, (found.group(2) or "").split(", ")):
        key, value = pair.split("=")
        keywords[key] = {"True": True, "False": False}.get(value) if value in ("True", "False") else float(value)
    return found.group(1), keywords


def torch_value(settings, name):
    """The value of gradstep's hyperparameter ``name`` in PyTorch's settings."""
    key, index = TORCH_NAMES[name]
    if key not in settings:  # Adadelta's rho is PyTorch's rho (RMSprop's is its alpha)
        key = name
    value = settings[key]
    return value if index is None else value[index]


def printed_group(text):
    """``{key: value}`` of the parameter group PyTorch printed (``Adam ( Parameter Group 0  amsgrad:
    False  betas: (0.9, 0.999) ...)``), with its class name under ``"class"``."""
    values = {"class": text.split()[0]}
    for key, value in re.findall(r"(\w+): (\([^)]*\)|\S+)", text):
        if value.startswith("("):
            values[key] = tuple(float(v) for v in value[1:-1].split(","))
        elif value in ("True", "False", "None"):
            values[key] = {"True": True, "False": False, "None": None}[value]
        else:
            values[key] = float(value)
    return values


def problem(kind, hp, dtype="float64", n=6, steps=5, seed=3):
    """Parameters and a few steps of gradients with both signs and several scales."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n).astype(dtype)
    grads = (rng.normal(size=(steps, n)) * np.logspace(-2, 1, n)).astype(dtype)
    return theta, grads


def variants(kind):
    """Hyperparameters that switch every branch of ``kind`` on: defaults, with weight decay,
    and with momentum and a learning-rate decay where it has them."""
    defaults = OPTIMIZERS[kind].defaults
    out = [{}, {"weight_decay": 0.05}]
    extra = {k: v for k, v in {"momentum": 0.5, "lr_decay": 0.1, "momentum_decay": 0.05,
                               "decoupled_weight_decay": 1.0}.items() if k in defaults}
    if "decoupled_weight_decay" in extra:
        extra["weight_decay"] = 0.05
    if extra:
        out.append(extra)
    return [optim.hyperparameters(kind, 0.03, **given) for given in out]


# -- complete --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_every_entry_is_complete(kind):
    entry = OPTIMIZERS[kind]
    assert entry.name == kind and entry.title and isinstance(entry.title, str)
    assert list(entry.defaults) and entry.defaults["lr"] > 0
    assert set(entry.defaults) <= set(HYPERPARAMETERS), "a hyperparameter without symbol and range"
    assert dict(optim.hyperparameters(kind)) == dict(entry.defaults)  # the defaults are accepted
    for name in entry.state_names:
        assert name in STATE_SYMBOLS, f"{kind}: state {name} has no symbol on screen"
    lines = entry.symbolic_lines()
    assert len(lines) > 1 and all(isinstance(line, str) and line.strip() for line in lines)
    assert entry.symbolic(), f"{kind}: no equations of its own"
    assert entry.step_size_text(entry.defaults).startswith("α")


@pytest.mark.parametrize("kind", KINDS)
def test_the_state_names_are_what_the_update_keeps(kind):
    """The names shown are exactly the stored arrays the update returns (in display order, the
    stored ones first) and the derived ones; each stored one names its PyTorch key."""
    entry = OPTIMIZERS[kind]
    for hp in variants(kind):
        names = entry.names(hp)
        stored = [n for n in names if not n.endswith("_hat")]
        assert list(names[:len(stored)]) == stored, f"{kind}: derived arrays come last"
        theta, grads = problem(kind, hp)
        state = optim.init_state(kind, theta, hp)
        for g in grads:
            theta, state = entry.update(theta, g, state, hp)
            arrays = {k for k, v in state.items() if isinstance(v, np.ndarray)}
            assert arrays == set(stored), f"{kind}: the update keeps another state"
            assert set(state) - arrays == {"t", *entry.scalar_state}, f"{kind}: other numbers kept"
            assert set(entry.derived(state, hp)) == set(names) - set(stored)
        assert set(stored) <= set(entry.torch_state), f"{kind}: a state without its PyTorch key"
        assert entry.bias_corrected == bool(entry.derived(state, hp))


# -- PyTorch's defaults ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_defaults_are_pytorchs_as_documented(kind):
    entry = OPTIMIZERS[kind]
    cls, keywords = torch_constructor(entry)
    documented = {**TORCH_DEFAULTS[cls], **keywords}
    for name, value in entry.defaults.items():
        assert value == torch_value(documented, name), f"{kind}.{name}"


@pytest.mark.parametrize("kind", KINDS)
def test_defaults_are_what_pytorch_printed_for_its_fixtures(kind):
    """The fixture case that sets no hyperparameter was made by the optimizer PyTorch printed:
    it is the entry's class, with the entry's keywords, and every default of the entry."""
    entry = OPTIMIZERS[kind]
    with np.load(REFERENCE / "optimizers.npz") as f:
        config = json.loads(str(f[f"{kind}-default-float64/config"]))
    assert config["lr"] is None and config["hyper"] == {}
    printed = printed_group(config["torch"])
    cls, keywords = torch_constructor(entry)
    assert printed["class"] == cls
    for key, value in keywords.items():
        assert printed[key] == value, f"{kind}: {key}"
    for name, value in entry.defaults.items():
        assert torch_value(printed, name) == value, f"{kind}.{name}"


# -- the effective step ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_effective_step_times_the_direction_is_the_update(kind):
    """What the dashboard shows as α_eff, times the entry's direction, is the update it made,
    with the entry's carry on top (AdamW's decoupled decay, RMSprop's carried velocity).

    In float64: the update read back as a difference of parameters keeps ~13 digits there."""
    entry = OPTIMIZERS[kind]
    for hp in variants(kind):
        theta, grads = problem(kind, hp)
        state = optim.init_state(kind, theta, hp)
        for g in grads:
            new_theta, new_state = entry.update(theta, g, state, hp)
            eff = optim.effective_lr(kind, new_state, hp, theta.size, theta.dtype)
            assert eff.shape == theta.shape
            expected = -eff * entry.direction(theta, g, new_state, hp)
            if entry.carry is not None:
                expected = expected - entry.carry(theta, state, hp)
            np.testing.assert_allclose(new_theta - theta, expected, rtol=1e-11, atol=1e-15)
            theta, state = new_theta, new_state


@pytest.mark.parametrize("kind", KINDS)
def test_step_size_varies_says_whether_alpha_eff_differs_between_entries(kind):
    """The dashboard shows α_eff as a table only where it says something: ``step_size_varies``
    must be False exactly when, over real steps of a problem whose entries have different
    gradients, every entry's effective step is α."""
    hp = dict(optim.hyperparameters(kind))
    theta, grads = problem(kind, hp, steps=10)  # RAdam's step is α until it is rectified, at step 6
    state = optim.init_state(kind, theta, hp)
    uniform = True
    for g in grads:
        theta, state = OPTIMIZERS[kind].update(theta, g, state, hp)
        eff = optim.effective_lr(kind, state, hp, theta.size, theta.dtype)
        uniform &= bool(np.all(eff == hp["lr"]))
    assert optim.step_size_varies(kind) is (not uniform)


# -- the equations ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_worked_lines_show_the_records_own_values(kind):
    """Over real steps, every worked line's result is one of the scalar's recorded values
    (never a number the equations computed), the first is g and the last the update."""
    entry = OPTIMIZERS[kind]
    for hp in variants(kind):
        theta, grads = problem(kind, hp, n=1, steps=3)
        state = optim.init_state(kind, theta, hp)
        for t, g in enumerate(grads, start=1):
            new_theta, new_state = entry.update(theta, g, state, hp)
            shown_before = {**state, **entry.derived(state, hp)}
            shown = {**new_state, **entry.derived(new_state, hp)}
            corrections = entry.bias_corrections(new_state, hp) or (None, None)
            s = Scalar("a", t, float(g[0]), float(theta[0]), float(new_theta[0]),
                       float(new_theta[0] - theta[0]),
                       {k: float(v[0]) for k, v in shown_before.items() if isinstance(v, np.ndarray)},
                       {k: float(v[0]) for k, v in shown.items() if isinstance(v, np.ndarray)},
                       dict(hp), *corrections, step=dict(entry.step_notes(new_state, hp)))
            lines = entry.worked_lines(s, NUMBERS)
            recorded = {NUMBERS.num(x) for x in (s.g, s.after, s.delta, *s.state.values())}
            assert lines[0] == ("g = ∂L/∂a", NUMBERS.num(s.g))
            assert lines[-1][1] == NUMBERS.num(s.delta)
            for equation, result in lines:
                assert equation and (result is None or result in recorded), (kind, equation, result)
            theta, state = new_theta, new_state


# -- fixtures --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_every_registered_optimizer_has_pytorch_fixtures(kind):
    """A new entry needs ``network_<name>.npz`` and its cases in ``optimizers.npz`` (written by
    ``tests/reference/make_fixtures.py``)."""
    assert (REFERENCE / f"network_{kind}.npz").is_file(), f"no tests/reference/network_{kind}.npz"
    with np.load(REFERENCE / "optimizers.npz") as f:
        cases = {key.split("/", 1)[0] for key in f.files}
    for variant in ("default", "custom", "small"):
        for dtype in ("float64", "float32"):
            assert f"{kind}-{variant}-{dtype}" in cases, f"optimizers.npz has no {kind}-{variant}-{dtype}"


def test_the_tables_are_read_from_the_entries():
    assert list(optim.DEFAULTS) == list(optim.STATE_NAMES) == list(optim.OPTIMIZER_TITLES) == KINDS
    assert optim.ADAM_FAMILY == {k for k, e in OPTIMIZERS.items() if e.bias_corrected}
    assert optim.optimizer_title("no such optimizer") == "no such optimizer"
    with pytest.raises(ValueError, match="unknown optimizer 'adamx'"):
        optim.entry("adamx")
