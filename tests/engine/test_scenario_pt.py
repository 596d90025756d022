"""A scenario's texts in Brazilian Portuguese: ``description_pt`` and ``notes_pt`` (issue 8)."""

import re
from pathlib import Path

import pytest

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import bundled_scenarios, load_scenario, loads_scenario

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))

OBJ = '''[objective]
expression = "(a - 1)**2 + b**2"
params = { a = 0.0, b = 0.0 }
'''

# The tutorial's symbols, which stay as they are in both languages.
SYMBOLS = r"\b(?:beta1|beta2|eps|rho|lr|V_hat|S_hat|V_t|S_t|sqrt\(S_hat\)|df/d[abc]|dg/d\w+)"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_has_portuguese_texts(path):
    sc = load_scenario(path)
    assert sc.description_pt and "\n" not in sc.description_pt
    assert sc.description_pt != sc.description
    assert len(sc.notes_pt) > 100 and sc.notes_pt != sc.notes
    assert set(re.findall(SYMBOLS, sc.notes)) <= set(re.findall(SYMBOLS, sc.notes_pt))
    assert sc.description_for("pt") == sc.description_pt
    assert sc.notes_for("pt") == sc.notes_pt
    assert sc.description_for("en") == sc.description
    assert sc.notes_for("en") == sc.notes


def test_the_texts_fall_back_to_english():
    sc = loads_scenario('name = "t"\ndescription = "in English"\nnotes = "more"\n' + OBJ)
    assert (sc.description_pt, sc.notes_pt) == ("", "")
    assert sc.description_for("pt") == "in English" and sc.notes_for("pt") == "more"
    sc = loads_scenario('name = "t"\ndescription_pt = "só em português"\n'
                        'notes_pt = """\nmais\n"""\n' + OBJ)
    assert sc.description_for("pt") == "só em português" and sc.notes_for("pt") == "mais\n"
    assert sc.description_for("en") == "" and sc.notes_for("en") == ""
    assert sc.description_for("fr") == ""  # any other language: English


def test_notes_pt_follows_the_rules_of_notes():
    with pytest.raises(ScenarioError) as info:
        loads_scenario('name = "t"\nnotes_pt = 3\n' + OBJ)
    assert str(info.value) == "<text>:2: notes_pt: expected a string, got 3"
    with pytest.raises(ScenarioError) as info:
        loads_scenario('name = "t"\nnotes_pt = "' + "x" * 20_001 + '"\n' + OBJ)
    assert str(info.value) == "<text>:2: notes_pt: too long (20001 characters; the limit is 20000)"
    with pytest.raises(ScenarioError, match=r"unknown key `notes_ptt`.*did you mean `notes_pt`\?"):
        loads_scenario('name = "t"\nnotes_ptt = ""\n' + OBJ)


def test_bundled_list_in_portuguese():
    english = {name: desc for name, desc, _path in bundled_scenarios()}
    portuguese = {name: (desc, path) for name, desc, path in bundled_scenarios("pt")}
    assert set(portuguese) == set(english)
    for name, (desc, path) in portuguese.items():
        assert desc == load_scenario(path).description_pt != english[name]
