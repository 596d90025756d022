"""Hostile scenario files (issue 13): each fails with its one-line message, in little memory.

Every file of ``tests/data/hostile/`` and every generated case of
:data:`tests.engine.hostile_cases.GENERATED` is loaded in a process of its own (see
``hostile_cases``, which says why), which must end in a ``ScenarioError`` carrying the expected
text, and whose peak resident memory must stay under 200 MB. Before the fixes these cases took
gigabytes, crashed with tracebacks, hung (a FIFO) or reached the terminal as escape sequences.
"""

from __future__ import annotations

import pytest

from .hostile_cases import GENERATED, committed, load_in_child

PEAK_LIMIT_KIB = 200 * 1024

COMMITTED = committed()
CASES = [pytest.param(*case, id=case[0].stem) for case in COMMITTED]


def test_there_are_enough_hostile_files():
    assert len(COMMITTED) + len(GENERATED) >= 25
    expects = [expect for _path, expect, _line in COMMITTED]
    assert len(set(expects)) == len(expects)


def _check(result, expect):
    assert result["type"] in ("ScenarioError", "MemoryBudgetError"), result
    assert expect in result["message"], result["message"]
    assert "\n" not in result["message"] and "\x1b" not in result["message"]
    assert result["peak_kib"] < PEAK_LIMIT_KIB, f"peak {result['peak_kib'] / 1024:.0f} MB"


@pytest.mark.parametrize("path, expect, line", CASES)
def test_hostile_file(path, expect, line):
    result = load_in_child(path)
    _check(result, expect)
    assert result["message"].startswith(str(path).rsplit(".", 1)[0])  # the .toml or its .csv
    if line is not None:
        assert result["line"] == line


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_hostile_file(name, tmp_path):
    make, expect = GENERATED[name]
    result = load_in_child(make(tmp_path))
    _check(result, expect)
