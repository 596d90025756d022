"""The loader's half of issue 13 beyond the hostile files: where the default budget's edge lies,
race copies, byte-order marks, and the text a file may hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradstep.engine import memory
from gradstep.engine.analysis.race import Race
from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import load_scenario, loads_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def budget():
    """Set the memory budget for one test, then put the previous one back."""
    previous = memory.limit()
    yield memory.set_limit
    memory.set_limit(previous)


def _network(hidden, n=1_000_000):
    return f'''name = "edge"
[model]
inputs = 1
layers = [{{ units = {hidden}, activation = "tanh" }}, {{ units = 1 }}]
[data]
generator = "linear"
n = {n}
'''


def test_the_default_budget_admits_33_units_on_a_million_rows_and_refuses_34():
    # By hand, in arrays of 1e6 rows x 8 bytes: the input 2 (data, gradient), a tanh layer of h
    # units 4h (z, a and their gradients), the identity output 2 and the loss 4: 8e6 (4h + 8)
    # bytes. The 1 GiB budget is 1,073,741,824 bytes: h = 31 (1.056e9, 33 units in all) fits,
    # h = 32 (1.088e9, 34 units) does not.
    assert memory.limit() == 1 << 30
    loads_scenario(_network(31))
    with pytest.raises(memory.MemoryBudgetError, match=r"model\.layers: this needs about 1 GiB "
                                                       r"of memory for the activations .* 34 units"):
        loads_scenario(_network(32))


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "data" / "large").glob("*.toml")),
                         ids=lambda p: p.stem)
def test_the_large_test_scenarios_fit_the_default_budget(path):
    load_scenario(path)


RACE = '''name = "race"
[model]
inputs = 1
layers = [{ units = 2, activation = "tanh" }, { units = 1 }]
[data]
generator = "linear"
n = 100
[[compare]]
kind = "sgd"
[[compare]]
kind = "adam"
[[compare]]
kind = "rmsprop"
'''


def test_a_race_whose_copies_do_not_fit_is_refused_before_any_is_made(budget, tmp_path):
    # By hand, one session: activations 100 rows x 8 bytes x (2 for the input + 4 x 2 for the
    # tanh layer + 2 for the output + 4 for the loss) = 12,800 bytes;
    # data x and y, 100 x 8 each = 1,600; 7 parameters (1x2 + 2 + 2x1 + 1) x 7 vectors (theta,
    # gradient, update, four of state) x 8 = 392: 14,792 bytes (14 KiB). Three racers: 44,376
    # bytes = 43.3 KiB, over a budget of 30,000 bytes, which one session fits.
    path = tmp_path / "race.toml"
    path.write_text(RACE)
    budget(30_000)
    scenario = load_scenario(path)
    with pytest.raises(memory.MemoryBudgetError) as info:
        Race(scenario)
    assert str(info.value) == (
        f"{path}:8: compare: this needs about 43 KiB of memory for 3 copies of the training, one "
        "per optimizer in the race (each about 14 KiB): race fewer optimizers, or use fewer "
        "data rows or a smaller model (limit 29 KiB)")
    assert len(Race(scenario, scenario.compare[:2]).runners) == 2  # 28.9 KiB: fits


def test_a_byte_order_mark_is_accepted_in_toml_and_csv(tmp_path):
    (tmp_path / "d.csv").write_bytes("\ufeffx,y\n1,2\n3,4\n".encode())
    (tmp_path / "s.toml").write_bytes('\ufeffname = "bom"\n[model]\nexpression = "w*x"\n'
                                      'params = { w = 0.0 }\n[data]\ncsv = "d.csv"\n'.encode())
    scenario = load_scenario(tmp_path / "s.toml")
    assert scenario.name == "bom"
    assert scenario.data.input_names == ("x",)
    assert scenario.data.x.tolist() == [[1.0], [3.0]]


def test_notes_may_hold_newlines_and_tabs_but_a_description_no_tab():
    text = '''name = "t"
notes = "one\\n\\ttwo"
[objective]
expression = "a**2"
params = { a = 1.0 }
'''
    assert loads_scenario(text).notes == "one\n\ttwo"
    with pytest.raises(ScenarioError, match=r"description: character 2 is the control character "
                                            r"U\+0009"):
        loads_scenario('description = "a\\tb"\n' + text)


def test_labels_up_to_the_largest_output_layer_pass_the_range_check():
    text = '''name = "t"
[model]
inputs = 1
layers = [{ units = 2 }]
[data]
x = [0.0, 1.0]
y = [0, LABEL]
[loss]
kind = "cross_entropy"
'''
    # 4095 passes the cast's range check and is then refused against the 2 output units; 4096
    # is refused before the cast
    with pytest.raises(ScenarioError, match=r"class label 4095 is outside \[0, 2\)"):
        loads_scenario(text.replace("LABEL", "4095"))
    with pytest.raises(ScenarioError, match=r"class label 4096 is too large"):
        loads_scenario(text.replace("LABEL", "4096"))


def test_what_an_expression_makes_before_a_broadcast_fails_is_counted(budget):
    text = f'''name = "t"
[objective]
expression = "sum(P * Q * R * a)"
params = {{ a = 1.0 }}
constants.P = [[{", ".join(["1.0"] * 100)}]]
constants.Q = [{", ".join(["[1.0]"] * 100)}]
constants.R = [1.0, 2.0, 3.0]
'''
    # P * Q is 100 x 100 (80,000 bytes, 160,000 with its gradient); then (100, 100) * (3,)
    # fails to broadcast. Evaluating would make P * Q first, so the budget counts it.
    budget(150_000)
    with pytest.raises(memory.MemoryBudgetError, match=r"objective\.expression: this needs about "
                                                       r"156 KiB .* \(the largest is 100 x 100, at "
                                                       r"column 7\): make P, Q smaller"):
        loads_scenario(text)
    budget(170_000)
    with pytest.raises(ScenarioError, match=r"operands could not be broadcast together"):
        loads_scenario(text)


def test_a_csv_file_is_checked_against_the_budget_as_its_numbers_grow(budget, tmp_path):
    from gradstep.engine.scenario.csv_reader import read_csv

    path = tmp_path / "wide.csv"
    header = ",".join(f"c{j}" for j in range(10_000))
    path.write_text(header + "\n" + ",".join(["1"] * 10_000) + "\n")
    assert read_csv(path)[0].shape == (1, 9_999)  # 10,000 numbers: far under the budget
    # 10,000 numbers = 80,000 bytes, counted twice while the array grows: over 100,000 bytes
    budget(100_000)
    with pytest.raises(memory.MemoryBudgetError, match=r"156 KiB of memory for the numbers of "
                                                       r"the CSV file"):
        read_csv(path)
