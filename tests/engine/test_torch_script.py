"""The PyTorch script a scenario exports (issue 16): without PyTorch, by reading it.

The numbers themselves are checked against PyTorch by hand, with
``tests/reference/check_torch_scripts.py`` (PyTorch stays out of the suite). Here: every bundled
scenario's script parses, names the optimizer class, its hyperparameters and the loss PyTorch
needs, carries the same data, initial values and batch order; the objective is written with the
same grouping as the file's expression; no text from a scenario reaches the script outside a
string literal; and a scenario using something the script cannot say is refused by key.
"""

import ast
import dataclasses
import io
import math
import tokenize

import numpy as np
import pytest

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import bundled_scenarios, load_scenario, loads_scenario, resolve_scenario
from gradstep.engine.scenario.spec import LayerSpec, Scenario
from gradstep.engine.training.session import Session
from gradstep.engine.training.torch_script import Untranslatable, torch_script

BUNDLED = [name for name, _d, _p in bundled_scenarios()]

# Written out from tests/reference/README.md ("Optimizer kinds map to PyTorch as"), not from
# the generator: the class and the keywords that distinguish the kind.
TORCH_CLASS = {
    "sgd": ("SGD", {}), "momentum": ("SGD", {}), "nesterov": ("SGD", {"nesterov": True}),
    "rmsprop": ("RMSprop", {}), "adagrad": ("Adagrad", {}), "adam": ("Adam", {}),
    "adamw": ("AdamW", {}), "amsgrad": ("Adam", {"amsgrad": True}),
}
LOSS_CLASS = {"mse": "MSELoss", "mae": "L1Loss", "huber": "HuberLoss",
              "bce_logits": "BCEWithLogitsLoss", "cross_entropy": "CrossEntropyLoss"}


def scenario(name):
    return load_scenario(resolve_scenario(name))


def calls(tree, prefix):
    """Every call ``prefix.Name(...)`` in the tree, as ``(Name, {keyword: literal})``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if ast.unparse(node.func.value) == prefix:
                kw = {}
                for k in node.keywords:
                    try:
                        kw[k.arg] = ast.literal_eval(k.value)
                    except ValueError:
                        kw[k.arg] = ast.unparse(k.value)
                out.append((node.func.attr, kw))
    return out


def assigned(tree, name):
    """The value node assigned to the top-level ``name``."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                for t in node.targets):
            return node.value
    raise AssertionError(f"{name} is not assigned")


def tensor_value(node):
    """The literal inside ``torch.tensor(LITERAL, ...)``."""
    assert isinstance(node, ast.Call) and ast.unparse(node.func) == "torch.tensor"
    return np.array(ast.literal_eval(node.args[0]))


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_script_parses_and_names_the_optimizer_and_the_loss(name):
    sc = scenario(name)
    text = torch_script(sc)
    tree = ast.parse(text)
    optimizers = calls(tree, "torch.optim")
    assert len(optimizers) == 1, optimizers
    cls, kw = optimizers[0]
    want_cls, want_kw = TORCH_CLASS[sc.optimizer.kind]
    assert cls == want_cls
    for key, value in want_kw.items():
        assert kw[key] == value
    assert kw["lr"] == sc.optimizer.lr
    for key, value in sc.optimizer.hyper.items():  # what the file sets, under PyTorch's names
        torch_key = {"rho": "alpha"}.get(key, key)
        if key in ("beta1", "beta2"):
            assert kw["betas"][("beta1", "beta2").index(key)] == value
        else:
            assert kw[torch_key] == value
    losses = [c for c, _kw in calls(tree, "nn")]
    if sc.kind == "objective":
        assert losses == []
    else:
        assert losses == [LOSS_CLASS[sc.loss]]
    assert ast.literal_eval(assigned(tree, "STEPS")) == sc.training.steps
    assert ast.literal_eval(assigned(tree, "SCENARIO")) == sc.name
    # the tutorial's loop
    for idiom in ("optimizer.zero_grad()", "loss.backward()", "optimizer.step()",
                  "torch.set_default_dtype(torch.float64)"):
        assert idiom in text


def test_steps_given_to_the_export_win():
    tree = ast.parse(torch_script(scenario("adam-fabc"), steps=7))
    assert ast.literal_eval(assigned(tree, "STEPS")) == 7


def test_the_default_optimizer_and_pytorch_default_hyperparameters_are_written_out():
    """rosenbrock-race has no [optimizer]: the first [[compare]] entry (sgd, lr 0.0015) trains."""
    (cls, kw), = calls(ast.parse(torch_script(scenario("rosenbrock-race"))), "torch.optim")
    assert cls == "SGD" and kw == {"lr": 0.0015, "weight_decay": 0}
    (cls, kw), = calls(ast.parse(torch_script(scenario("rosenbrock"))), "torch.optim")
    assert cls == "Adam" and kw == {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0}


def test_a_network_script_carries_the_session_initial_weights_and_the_training_rows():
    sc = scenario("moons")
    tree = ast.parse(torch_script(sc))
    params = assigned(tree, "params")
    written = {ast.literal_eval(k): tensor_value(v) for k, v in zip(params.keys, params.values)}
    session = Session(sc)
    assert list(written) == list(session.params)
    for name, value in session.params.items():
        assert np.array_equal(written[name], value), name  # repr round-trips every float
    assert np.array_equal(tensor_value(assigned(tree, "X")), sc.data.x)
    assert np.array_equal(tensor_value(assigned(tree, "Y")), sc.data.y)
    assert len(sc.data.x) == 160  # the 40 validation rows stay out, as in gradstep


def test_minibatch_order_is_each_epoch_permutation_seeded_by_seed_1_epoch():
    """The README's rule, written here independently: rng([seed, 1, epoch]).permutation(n)."""
    sc = scenario("moons")
    tree = ast.parse(torch_script(sc, steps=12))
    order = tensor_value(assigned(tree, "ORDER"))
    n, size = len(sc.data.x), sc.training.batch_size
    per_epoch = math.ceil(n / size)
    assert ast.literal_eval(assigned(tree, "BATCH_SIZE")) == size
    assert ast.literal_eval(assigned(tree, "BATCHES_PER_EPOCH")) == per_epoch
    assert order.shape == (math.ceil(12 / per_epoch), n)
    for epoch, row in enumerate(order):
        assert np.array_equal(row, np.random.default_rng([sc.seed, 1, epoch]).permutation(n))


def test_full_batch_scripts_carry_no_order():
    text = torch_script(scenario("xor"))
    assert "ORDER" not in text and "inputs, targets = X, Y" in text


def objective_code(expression, params):
    text = torch_script(loads_scenario(
        f'name = "e"\n[objective]\nexpression = "{expression}"\nparams = {params}\n'))
    fn = next(node for node in ast.parse(text).body
              if isinstance(node, ast.FunctionDef) and node.name == "objective")
    return ast.unparse(fn.body[0].value), text


@pytest.mark.parametrize("expression, value", [
    ("-a**2", -4.0),                  # -(a**2): the minus applies after the power
    ("(-a)**2", 4.0),
    ("2**3**b", 2.0 ** 27),           # right to left: 2**(3**3)
    ("(2**b)**3", 2.0 ** 9),
    ("a - (b - c)", 2 - (3 - 5)),
    ("a - b - c", 2 - 3 - 5),
    ("a / (b * c)", 2 / 15),
    ("a / b * c", 2 / 3 * 5),
    ("2**-a", 0.25),
    ("a - -b", 5.0),
    ("-(a + b) * c", -25.0),
    ("a*b + c", 11.0),
    ("(a + b) * c", 25.0),
])
def test_the_objective_keeps_the_expression_grouping(expression, value):
    """The generated expression, evaluated with Python numbers, gives the hand-computed value at
    a = 2, b = 3, c = 5 (every operator here is plain Python arithmetic)."""
    # every parameter must appear in an objective: the zeros add nothing to the value
    code, _text = objective_code(f"({expression}) + 0*a + 0*b + 0*c", "{ a = 2.0, b = 3.0, c = 5.0 }")
    result = eval(compile(ast.parse(code, mode="eval"), "<objective>", "eval"),  # noqa: S307
                  {"__builtins__": {}}, {"a": 2.0, "b": 3.0, "c": 5.0})
    assert result == value, code


def test_functions_become_torch_calls():
    code, _text = objective_code("sum(softplus(a) + max(a, b) + min(tanh(a), b))**2 + mean(abs(b))",
                                 "{ a = 1.0, b = 2.0 }")
    assert code == ("torch.sum(F.softplus(a) + torch.maximum(a, b) + torch.minimum(torch.tanh(a), b)) "
                    "** 2 + torch.mean(torch.abs(b))")


def test_names_that_would_shadow_the_script_are_renamed():
    """A parameter named like the script's own names (torch, loss, step, print) must not shadow
    them: it is renamed, and its JSON key keeps the file's name."""
    text = torch_script(loads_scenario(
        'name = "clash"\n[objective]\nexpression = "(torch - 1)**2 + loss**2 + step**2 + print**2 '
        '+ torch_**2"\nparams = { torch = 0.5, loss = 1.0, step = 2.0, print = 3.0, torch_ = 4.0 }\n'))
    tree = ast.parse(text)
    code = ast.unparse(next(n for n in tree.body if isinstance(n, ast.FunctionDef)).body[0].value)
    assert code == "(torch__ - 1) ** 2 + loss_ ** 2 + step_ ** 2 + print_ ** 2 + torch_ ** 2"
    top = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
           if isinstance(t, ast.Name)}
    assert not top & {"torch", "loss", "step", "print", "json"}
    printed = next(node for node in ast.walk(tree) if isinstance(node, ast.Dict)
                   and any(isinstance(k, ast.Constant) and k.value == "torch" for k in node.keys))
    assert {k.value: ast.unparse(v) for k, v in zip(printed.keys, printed.values)} == {
        "torch": "torch__.tolist()", "loss": "loss_.tolist()", "step": "step_.tolist()",
        "print": "print_.tolist()", "torch_": "torch_.tolist()"}


HOSTILE = "');import os;os.system(\"x\")#\\ \u2028 \"\"\" ''' \n\r\x1b[31m"


def test_no_scenario_text_reaches_the_script_outside_string_literals():
    """Every text of a hostile scenario (built in code, so no loader check stands in the way)
    appears, if at all, only inside string tokens: every other token is ours, a number, or a
    checked name."""
    base = loads_scenario('name = "n"\n[model]\nexpression = "w*x + b"\nparams = { w = 0.0, b = 0.0 }\n'
                          '[data]\nx = [1.0, 2.0]\ny = [3.0, 4.0]\n[optimizer]\nkind = "sgd"\n')
    hostile = dataclasses.replace(
        base, name=HOSTILE, description=HOSTILE, notes=HOSTILE + "\nimport os\n",
        description_pt=HOSTILE, notes_pt=HOSTILE,
        optimizer=dataclasses.replace(base.optimizer, label=HOSTILE))
    text = torch_script(hostile)
    tree = ast.parse(text)
    assert ast.literal_eval(assigned(tree, "SCENARIO")) == HOSTILE  # the name, as a literal only
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    outside = " ".join(tok.string for tok in tokens if tok.type != tokenize.STRING)
    for fragment in ("os.system", "import os", "system", "\x1b"):
        assert fragment not in outside
    assert "os" not in {tok.string for tok in tokens if tok.type == tokenize.NAME}
    assert "\x1b" not in text and "\u2028" not in text  # repr escapes what a terminal would obey


def test_a_name_that_is_not_an_identifier_is_refused_not_written():
    """The loader refuses such names; a scenario built in code reaches the generator unchecked."""
    sc = load_scenario(resolve_scenario("gd-fabc"))
    bad = dataclasses.replace(sc, model=dataclasses.replace(
        sc.model, expression="a", params={"a": np.array(1.0), "b=__import__('os')": np.array(0.0)}))
    with pytest.raises(Untranslatable) as info:
        torch_script(bad)
    assert "b=__import__" in str(info.value) and "\n" not in str(info.value)


@dataclasses.dataclass(frozen=True)
class Newer(Scenario):
    """A scenario with a field this generator does not know (as a later feature would add)."""

    future: object = None


def test_a_feature_the_script_cannot_say_is_refused_by_its_key(tmp_path):
    sc = scenario("gd-fabc")
    fields = {f.name: getattr(sc, f.name) for f in dataclasses.fields(sc)}
    torch_script(Newer(**fields))  # at its default: nothing to translate
    with pytest.raises(Untranslatable) as info:
        torch_script(Newer(**fields, future={"kind": "anything"}))
    err = info.value
    assert isinstance(err, ScenarioError) and err.key == "future"
    assert str(err).startswith(str(sc.path)) and "\n" not in str(err)
    base = ('name = "x"\n[objective]\nexpression = "(a - 0.1)**2"\nparams = { a = 0.3 }\n'
            '[optimizer]\nkind = "sgd"\nlr = 0.1\n')
    for table, key in (('[schedule]\nkind = "step"\nstep_size = 10\ngamma = 0.5\n', "schedule"),
                       ("[training]\nclip_norm = 1.0\n", "training.clip_norm")):
        path = tmp_path / "s.toml"
        path.write_text(base + table, encoding="utf-8")
        with pytest.raises(Untranslatable) as info:
            torch_script(load_scenario(path))
        assert info.value.key == key and str(info.value).startswith(str(path))


def test_float32_scenarios_say_so():
    text = torch_script(loads_scenario(
        'name = "f32"\ndtype = "float32"\n[objective]\nexpression = "(a - 0.1)**2"\n'
        'params = { a = 0.3 }\n'))
    assert "torch.set_default_dtype(torch.float32)" in text
    a = assigned(ast.parse(text), "a")
    assert tensor_value(a) == float(np.float32(0.3))  # the engine's float32 value, exactly


@dataclasses.dataclass(frozen=True)
class DroppedLayer(LayerSpec):
    """A layer with a setting this generator does not know (dropout, say)."""

    dropout: float = 0.0


def test_an_unknown_setting_of_a_layer_is_refused_too():
    sc = scenario("xor")
    layers = list(sc.model.layers)
    layers[0] = DroppedLayer(layers[0].units, layers[0].activation, dropout=0.5)
    with pytest.raises(Untranslatable) as info:
        torch_script(dataclasses.replace(sc, model=dataclasses.replace(sc.model, layers=tuple(layers))))
    assert info.value.key == "model.layers[0].dropout"
