"""Scenario files: the bundled ones, one bad file per error, the mapping to dataclasses, fuzz."""

import re
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from gradstep.engine import optim
from gradstep.engine.errors import ScenarioError, format_key, locate_key
from gradstep.engine.scenario import (
    DEFAULT_SCENARIO, Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario,
    bundled_scenarios, load_scenario, loads_scenario, resolve_scenario,
)

from . import scenario_fuzz

ROOT = Path(__file__).resolve().parents[2]
BAD = sorted((ROOT / "tests" / "data" / "bad").glob("*.toml"))
BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))

OBJ = '''name = "t"
[objective]
expression = "(a - 1)**2 + b**2"
params = { a = 0.0, b = 0.0 }
'''


# -- one bad file per error ---------------------------------------------------------------------
def test_there_are_enough_bad_files():
    assert len(BAD) >= 30


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_file(path):
    text = path.read_text()
    expect = re.search(r"^# expect: (.+)$", text, re.M).group(1)
    line = re.search(r"^# expect-line: (\d+)$", text, re.M)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert expect in str(err)
    if line:
        assert err.line == int(line.group(1))
        assert str(err).startswith(f"{path}:{err.line}: ")


def test_bad_file_expectations_are_distinct():
    expects = [re.search(r"^# expect: (.+)$", p.read_text(), re.M).group(1) for p in BAD]
    assert len(set(expects)) == len(expects)


# -- the bundled scenarios ----------------------------------------------------------------------
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_loads(path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    assert sc.description and "\n" not in sc.description
    assert len(sc.notes) > 100
    assert sc.path == path


def test_bundled_list():
    listed = bundled_scenarios()
    names = [name for name, _, _ in listed]
    assert len(listed) >= 10
    assert len(names) == len(set(names))
    assert names.count(DEFAULT_SCENARIO) == 1
    assert {p.name for _, _, p in listed} == {p.name for p in BUNDLED}
    assert all(desc and path.is_file() for _, desc, path in listed)


def test_bundled_cover_every_kind_and_the_tutorial():
    scenarios = {p.stem: load_scenario(p) for p in BUNDLED}
    assert {s.kind for s in scenarios.values()} == {"objective", "parametric", "network"}
    adam = scenarios[DEFAULT_SCENARIO]
    assert adam.optimizer.kind == "adam"
    assert dict(adam.optimizer.hyper) == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert adam.model.expression == "(a - 1)**2 + 10*(b + 2)**2 + c**2"
    assert "V_t   = beta1 * V_{t-1} + (1 - beta1) * g" in adam.notes
    mse = scenarios["mse-3x5"]
    assert mse.model.params["Y_pred"].shape == (3, 5) and mse.model.constants["Y"].shape == (3, 5)
    # b's curvature is 20: below 1/20 gradient descent glides to the minimum, between 1/20 and
    # 2/20 it oscillates and converges, above 2/20 it diverges (the tutorial's four cases).
    lr = {n: scenarios[n].optimizer.lr for n in ("gd-fabc-small-lr", "gd-fabc", "gd-fabc-oscillating", "gd-fabc-large-lr")}
    assert lr["gd-fabc-small-lr"] < lr["gd-fabc"] < 1 / 20 < lr["gd-fabc-oscillating"] < 2 / 20 < lr["gd-fabc-large-lr"]
    for race in ("rosenbrock-race", "saddle-race"):
        kinds = [c.kind for c in scenarios[race].compare]
        assert kinds == ["sgd", "momentum", "rmsprop", "adam"]
    assert scenarios["spiral"].loss == "cross_entropy"
    assert scenarios["xor"].loss in ("bce_logits", "cross_entropy")


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_trains(path):
    """Under its default steps the loss falls, except in the deliberately diverging one."""
    from gradstep.engine.training.session import Session

    sc = load_scenario(path)
    for spec in sc.compare or (sc.optimizer,):
        session = Session(replace(sc, optimizer=spec))
        first = session.step().loss
        session.run(sc.training.steps - 1)
        final = session.loss_at(session.theta)
        if sc.name == "gd-fabc-large-lr":
            assert final > 100 * first
        else:
            assert final < 0.5 * first if sc.kind != "objective" or first > 0 else final < first


def test_resolve_scenario(tmp_path):
    assert resolve_scenario(DEFAULT_SCENARIO).name == f"{DEFAULT_SCENARIO}.toml"
    own = tmp_path / "mine.toml"
    own.write_text(OBJ)
    assert resolve_scenario(own) == own
    assert resolve_scenario(str(own)) == own
    with pytest.raises(ScenarioError, match=r"did you mean `adam-fabc`\?.*\(bundled: .*xor"):
        resolve_scenario("adam-fab")
    with pytest.raises(ScenarioError, match="file not found"):
        resolve_scenario(str(tmp_path / "nope.toml"))


# -- mapping to the dataclasses -----------------------------------------------------------------
def test_objective_mapping():
    sc = loads_scenario(OBJ)
    assert isinstance(sc, Scenario)
    assert sc.kind == "objective" and isinstance(sc.model, ExpressionSpec)
    assert list(sc.model.params) == ["a", "b"]
    assert sc.model.params["a"].shape == () and sc.model.params["a"].dtype == np.float64
    assert sc.data is None and sc.loss is None and sc.compare == () and sc.path is None
    assert sc.optimizer == OptimizerSpec()
    assert sc.training.steps == 100 and sc.seed == 0 and sc.dtype == "float64"
    with pytest.raises(ValueError):
        sc.model.params["a"][()] = 1.0


def test_optimizer_defaults_are_pytorchs():
    for kind in optim.DEFAULTS:
        sc = loads_scenario(OBJ + f'[optimizer]\nkind = "{kind}"\n')
        assert sc.optimizer.kind == kind
        assert sc.optimizer.lr == optim.DEFAULTS[kind]["lr"]
        assert dict(sc.optimizer.hyper) == {}
    sc = loads_scenario(OBJ + '[optimizer]\nkind = "rmsprop"\nlr = 0.1\nrho = 0.9\n'
                              'momentum = 0.5\nlabel = "mine"\n')
    assert dict(sc.optimizer.hyper) == {"rho": 0.9, "momentum": 0.5}
    assert sc.optimizer.label == "mine"


def test_compare_and_default_optimizer():
    sc = loads_scenario(OBJ + '[[compare]]\nkind = "sgd"\nlr = 0.1\n'
                              '[[compare]]\nkind = "sgd"\nlr = 0.01\nlabel = "slow"\n')
    assert [c.label for c in sc.compare] == [None, "slow"]
    assert sc.optimizer == sc.compare[0]
    sc = loads_scenario(OBJ + '[optimizer]\nkind = "adam"\n[[compare]]\nkind = "sgd"\n')
    assert sc.optimizer.kind == "adam"


def test_network_mapping():
    sc = loads_scenario('''name = "n"
seed = 3
dtype = "float32"
[model]
inputs = 2
layers = [{units = 3, activation = "relu"}, {units = 2, activation = "linear"}]
init = "normal"
init_std = 0.5
weights = [{W = [[1, 2, 3], [4, 5, 6]], b = [0, 0, 0]}, {W = [[1, 0], [0, 1], [1, 1]], b = [1, 2]}]
[data]
x = [[0, 0], [1, 1], [2, 2]]
y = [0, 1, 1]
[loss]
kind = "cross_entropy"
[training]
steps = 7
batch_size = 2
shuffle = false
''')
    assert sc.kind == "network" and isinstance(sc.model, NetworkSpec)
    assert sc.model.layers == (LayerSpec(3, "relu"), LayerSpec(2, "identity"))
    assert sc.model.init == "normal" and sc.model.init_std == 0.5
    assert sc.model.weights[0]["W"].shape == (2, 3) and sc.model.weights[1]["b"].tolist() == [1, 2]
    assert sc.model.weights[0]["W"].dtype == np.float32
    assert sc.data.y.dtype == np.int64 and sc.data.y.tolist() == [0, 1, 1]
    assert sc.data.x.dtype == np.float32 and sc.data.input_names == ("x1", "x2")
    assert (sc.training.steps, sc.training.batch_size, sc.training.shuffle) == (7, 2, False)
    assert sc.seed == 3 and sc.dtype == "float32"


def test_last_layer_defaults_to_identity():
    sc = loads_scenario('name = "n"\n[model]\ninputs = 1\nlayers = [{units = 1}]\n'
                        '[data]\nx = [1, 2]\ny = [2, 4]\n')
    assert sc.model.layers == (LayerSpec(1, "identity"),)
    assert sc.loss == "mse" and sc.data.x.shape == (2, 1) and sc.data.input_names == ("x",)


def test_parametric_mapping_and_validation_split():
    sc = loads_scenario('''name = "p"
[model]
expression = "w*x + b + k"
params = { w = 0.0, b = 0.0 }
constants = { k = 1.0 }
[data]
generator = "linear"
n = 50
seed = 4
validation = 0.2
[loss]
kind = "huber"
''')
    assert sc.kind == "parametric" and sc.loss == "huber"
    assert sc.data.x.shape == (40, 1) and sc.data.y.shape == (40,)
    assert sc.data.x_val.shape == (10, 1) and sc.data.y_val.shape == (10,)
    assert list(sc.model.constants) == ["k"]


def test_generator_seed_defaults_to_scenario_seed():
    text = 'name = "p"\nseed = {}\n[model]\nexpression = "w*x"\nparams = {{ w = 0.0 }}\n' \
           '[data]\ngenerator = "sine"\n'
    a, b, c = (loads_scenario(text.format(s)) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.data.x, b.data.x)
    assert not np.array_equal(a.data.x, c.data.x)


def test_classification_generator_with_bce():
    sc = loads_scenario('name = "c"\n[model]\ninputs = 2\nlayers = [{units = 4, activation = '
                        '"tanh"}, {units = 1}]\n[data]\ngenerator = "circles"\nn = 40\n'
                        '[loss]\nkind = "bce_logits"\n')
    assert sc.data.y.dtype == np.float64 and set(np.unique(sc.data.y)) == {0.0, 1.0}


def test_csv_relative_to_scenario(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pts.csv").write_text("u,v,t\n1,2,3\n4,5,6\n")
    path = tmp_path / "s.toml"
    path.write_text('name = "c"\n[model]\ninputs = 2\nlayers = [{units = 1}]\n'
                    '[data]\ncsv = "sub/pts.csv"\ncolumns = { inputs = ["v", "u"], targets = "t" }\n')
    sc = load_scenario(path)
    assert sc.data.x.tolist() == [[2, 1], [5, 4]] and sc.data.y.tolist() == [3, 6]


def test_csv_symlink_escape_refused(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("x,y\n1,2\n")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "link.csv").symlink_to(outside)
    path = tmp_path / "inner" / "s.toml"
    path.write_text('name = "c"\n[model]\nexpression = "w*x"\nparams = { w = 0.0 }\n'
                    '[data]\ncsv = "link.csv"\n')
    with pytest.raises(ScenarioError, match="leaves the scenario's folder"):
        load_scenario(path)


def test_loads_without_path_reads_csv_from_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("x,y\n1,2\n")
    sc = loads_scenario('name = "c"\n[model]\nexpression = "w*x"\nparams = { w = 0.0 }\n'
                        '[data]\ncsv = "d.csv"\n')
    assert sc.data.y.tolist() == [2.0]


# -- files and messages -------------------------------------------------------------------------
def test_file_problems(tmp_path):
    with pytest.raises(ScenarioError, match="nope.toml: file not found"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match="is a folder"):
        load_scenario(tmp_path)
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b'name = "x"\n\xff\n')
    with pytest.raises(ScenarioError, match=r"bin.toml:2: not UTF-8 text"):
        load_scenario(bad)


def test_too_large_file(tmp_path, monkeypatch):
    import gradstep.engine.scenario.loader as loader
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.toml"
    big.write_text(OBJ + "#" * 200)
    with pytest.raises(ScenarioError, match="larger than 100 bytes"):
        load_scenario(big)


def test_error_format():
    err = ScenarioError("bad (expected 1, got 2)", file="f.toml", line=3, key="optimizer.lr")
    assert str(err) == "f.toml:3: optimizer.lr: bad (expected 1, got 2)"
    assert str(ScenarioError("m")) == "m"
    assert str(ScenarioError("m", file="f.toml")) == "f.toml: m"
    with pytest.raises(ScenarioError) as info:
        loads_scenario(OBJ + "[optimizer]\nkind = 'sgd'\nlr = -1\n")
    assert str(info.value).startswith("<text>:7: optimizer.lr: ")
    assert (info.value.file, info.value.line, info.value.key) == ("<text>", 7, "optimizer.lr")


def test_toml_syntax_error_has_line_and_column():
    with pytest.raises(ScenarioError) as info:
        loads_scenario('name = "x"\n\n[objective\n')
    assert info.value.line == 3 and info.value.column is not None
    assert "invalid TOML" in str(info.value)


def test_deeply_nested_toml():
    with pytest.raises(ScenarioError):
        loads_scenario("x = " + "[" * 5000 + "]" * 5000)


def test_enormous_integers():
    with pytest.raises(ScenarioError, match="invalid TOML"):
        loads_scenario(OBJ + "seed = 1" + "0" * 5000)
    with pytest.raises(ScenarioError, match="seed: out of range .*got an integer too large"):
        loads_scenario('seed = 0x' + "f" * 5000 + "\n" + OBJ)
    with pytest.raises(ScenarioError, match="lr: expected a number in .*got a number too large"):
        loads_scenario(OBJ + "[optimizer]\nkind = 'sgd'\nlr = 0x" + "f" * 300 + "\n")


def test_format_and_locate_key():
    assert format_key(("model", "layers", 0, "units")) == "model.layers[0].units"
    text = ('name = "x"\n[optimizer]\nkind = "adam"\n\n[[compare]]\nkind = "sgd"\n'
            '[[compare]]\nkind = "adam"\nlr = 1\n[objective]\nparams = { a = 1, b = 2 }\n'
            'optimizer.lr = 3\n')
    assert locate_key(text, ("name",)) == 1
    assert locate_key(text, ("optimizer", "kind")) == 3
    assert locate_key(text, ("optimizer", "eps")) == 2
    assert locate_key(text, ("compare", 1, "lr")) == 9
    assert locate_key(text, ("compare", 1)) == 7
    assert locate_key(text, ("objective", "params", "b")) == 11
    assert locate_key(text, ("nothing",)) is None
    assert locate_key("optimizer.lr = 3\n", ("optimizer", "lr")) == 1


# -- fuzz: nothing but ScenarioError escapes the loader, and each error names file and key ------
# The generators live in tests/engine/scenario_fuzz.py, shared with benchmarks/fuzz_loader.py
# (which runs tens of thousands of cases and counts the distinct messages).
def _load_or_error(path, content):
    """Load one case; a ScenarioError must name the file, and the key or line it is about."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a NumPy warning while reading is a bug too
            scenario_fuzz.load_case(path, content)
    except ScenarioError as err:
        problems = scenario_fuzz.check_error(err, path, content)
        assert not problems, (str(err), problems)


# 2,300 cases in all, 3 s on a calm machine; benchmarks/fuzz_loader.py runs tens of thousands.
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_random_text(text):
    _load_or_error(Path("random.toml"), text)


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_fuzz_random_bytes(tmp_path_factory, data):
    folder = tmp_path_factory.getbasetemp()
    _load_or_error(*scenario_fuzz.make_case(scenario_fuzz.DrawChooser(data), "bytes", folder))


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_fuzz_toml_fragments(data):
    _load_or_error(*scenario_fuzz.make_case(scenario_fuzz.DrawChooser(data), "fragments", ROOT))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_bundled_files(data):
    _load_or_error(*scenario_fuzz.make_case(scenario_fuzz.DrawChooser(data), "mutated", ROOT))


def test_the_error_check_can_fail(tmp_path):
    path = tmp_path / "s.toml"
    good = ScenarioError("expected a number", file=path, line=3, key="optimizer.lr")
    assert scenario_fuzz.check_error(good, path, "") == []
    assert scenario_fuzz.check_error(ScenarioError("expected a number", key="optimizer.lr"), path, "")
    assert scenario_fuzz.check_error(ScenarioError("expected a number", file=path), path, "")
    assert scenario_fuzz.check_error(ScenarioError("x", file=tmp_path / "other.toml", key="k"), path, "")
    csv = ScenarioError("not UTF-8 text", file=tmp_path / "d.csv", line=2)
    assert scenario_fuzz.check_error(csv, path, 'csv = "d.csv"') == []
    assert scenario_fuzz.check_error(ScenarioError("invalid TOML: x", file=path), path, "") == []
    raw = ScenarioError("unknown key `\x1b[2J`", file=path, line=1, key="k")
    assert scenario_fuzz.check_error(raw, path, "") == ["shows a control character unescaped"]


def test_deep_nesting_is_a_scenario_error():
    for value in ("[" * 100_000 + "]" * 100_000, "{ a = " * 5000 + "1" + " }" * 5000,
                  '"' + "(" * 50_000 + "a" + ")" * 50_000 + '"'):
        with pytest.raises(ScenarioError):
            loads_scenario(OBJ.replace("(a - 1)**2 + b**2", "a + b") + f"[training]\nsteps = {value}\n")
        with pytest.raises(ScenarioError):
            loads_scenario(OBJ.replace('"(a - 1)**2 + b**2"', value))


def test_dataset_arrays_are_read_only():
    sc = load_scenario(ROOT / "scenarios" / "linear-regression.toml")
    assert isinstance(sc.data, Dataset)
    with pytest.raises(ValueError):
        sc.data.x[0, 0] = 1.0

