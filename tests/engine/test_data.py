"""Data sets: generators, arrays written in files, CSV files, the validation split."""

import numpy as np
import pytest

from gradstep.engine.scenario import data
from gradstep.engine.scenario.csv_reader import read_csv
from gradstep.engine.scenario.data import (
    CLASSIFICATION, GENERATORS, REGRESSION, check_finite, generate, numeric_array,
    split_validation,
)
from gradstep.engine.errors import ScenarioError


# -- generators -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", GENERATORS)
def test_generators_are_seeded_and_shaped(kind):
    x1, y1 = generate(kind, 60, seed=3)
    x2, y2 = generate(kind, 60, seed=3)
    x3, _ = generate(kind, 60, seed=4)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert x1.dtype == np.float64 and np.isfinite(x1).all()
    assert y1.shape == (60,)
    if kind in REGRESSION:
        assert x1.shape == (60, 1) and y1.dtype == np.float64
    else:
        assert x1.shape == (60, 2) and y1.dtype == np.int64
        assert set(np.unique(y1)) == set(range(3 if kind == "spiral" else 2))


def test_regression_generators_follow_their_formulas_without_noise():
    x, y = generate("linear", 20, noise=0.0)
    np.testing.assert_allclose(y, 3 * x[:, 0] - 0.5)
    x, y = generate("quadratic", 20, noise=0.0)
    np.testing.assert_allclose(y, 0.5 * x[:, 0] ** 2 - x[:, 0] + 1)
    x, y = generate("sine", 20, noise=0.0)
    np.testing.assert_allclose(y, np.sin(x[:, 0]))
    assert np.abs(x).max() <= np.pi


def test_classification_generators_without_noise():
    x, y = generate("xor", 200, noise=0.0)
    np.testing.assert_array_equal(y, (x[:, 0] > 0) != (x[:, 1] > 0))
    x, y = generate("circles", 100, noise=0.0)
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius, np.where(y == 0, 1.0, 0.5))
    assert np.bincount(y).tolist() == [50, 50]


def test_spiral_classes_and_balance():
    x, y = generate("spiral", 301, classes=4, seed=1)
    assert np.bincount(y).tolist() == [76, 75, 75, 75]
    with pytest.raises(ScenarioError, match="fewer than one point per class"):
        generate("spiral", 3, classes=4)


def test_generator_errors():
    with pytest.raises(ScenarioError, match="unknown generator `nope`"):
        generate("nope", 10)
    with pytest.raises(ScenarioError, match=r"n must lie in \[1, 1,000,000\]"):
        generate("linear", 0)


def test_classification_rows_are_shuffled():
    _, y = generate("moons", 100, seed=0)
    assert 0 < y[:50].sum() < 50


# -- arrays in files ----------------------------------------------------------------------------
def test_numeric_array_shapes():
    assert numeric_array(2).shape == ()
    assert numeric_array([1, 2.5]).tolist() == [1.0, 2.5]
    assert numeric_array([[1, 2], [3, 4]]).shape == (2, 2)
    assert numeric_array([[[1], [2]]]).shape == (1, 2, 1)
    assert numeric_array([1, 2], dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("value, message", [
    ([[1, 2], [3]], "ragged array: row 1 has 1 entries, the first has 2"),
    ([[1, 2], 3], "ragged array: row 1 mixes numbers and lists"),
    ([1, [2]], "ragged array: row 1 mixes numbers and lists"),
    ([[[1, 2], [3, 4]], [[1, 2], [3]]], "ragged array: [1, 1] has 1 entries"),
    ([], "empty list"),
    ([[]], "empty list"),
    ([1, "2"], "expected numbers, got a string at row 1"),
    ([[1, True]], "expected numbers, got true/false at [0, 1]"),
    ("1", "expected a number or a list of numbers, got a string"),
    ({"a": 1}, "got a table"),
    ([1.0, float("nan")], "contains nan at [1]"),
    ([[1.0, float("-inf")]], "contains -inf at [0, 1]"),
    (float("inf"), "contains inf"),
    (10**400, "too large"),
    ([10**400], "too large"),
    ([[[[[[[[[1]]]]]]]]], "too many dimensions"),
])
def test_numeric_array_errors(value, message):
    with pytest.raises(ScenarioError) as info:
        numeric_array(value)
    assert message in str(info.value)


def test_check_finite():
    check_finite(np.ones(3))
    with pytest.raises(ScenarioError, match=r"contains nan at \[1, 0\]"):
        check_finite(np.array([[1.0], [np.nan]]), "x")


# -- CSV ----------------------------------------------------------------------------------------
def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_default_columns(tmp_path):
    path = write(tmp_path, "a,b,target\n1,2,3\n\n4, 5 ,6e-1\n")
    x, y, inputs, targets = read_csv(path)
    assert x.tolist() == [[1, 2], [4, 5]] and y.tolist() == [3, 0.6]
    assert inputs == ("a", "b") and targets == ("target",)


def test_csv_named_columns(tmp_path):
    path = write(tmp_path, "y1,x,skip,y2\n1,2,9,3\n4,5,9,6\n")
    x, y, inputs, targets = read_csv(path, inputs=["x"], targets=["y1", "y2"])
    assert x.tolist() == [[2], [5]] and y.tolist() == [[1, 3], [4, 6]]
    x, y, inputs, _ = read_csv(path, targets=["y1"])
    assert inputs == ("x", "skip", "y2")


@pytest.mark.parametrize("text, kwargs, message", [
    ("", {}, "d.csv:1: the CSV file is empty"),
    ("x,y\n", {}, "d.csv:1: the CSV file has a header but no rows"),
    ("x,,y\n1,2,3\n", {}, "d.csv:1: column 2 of the header has no name"),
    ("x,x\n1,2\n", {}, "d.csv:1: the header names column `x` twice"),
    ("x,y\n1,2\n", {"targets": ["z"]}, "d.csv:1: no column named `z` (the header has: x, y)"),
    ("x,y\n1,2\n", {"inputs": ["x", "y"], "targets": ["y"]}, "column `y` is both an input"),
    ("y\n1\n", {}, "no input columns"),
    ("x,y\n1,2\n3,4,5\n", {}, "d.csv:3: this row has 3 fields, the header has 2"),
    ("x,y\n1,2\n3,four\n", {}, "d.csv:3: column `y`: 'four' is not a finite number"),
    ("x,y\n1,nan\n", {}, "d.csv:2: column `y`: 'nan' is not a finite number"),
    ("x,y\n1,-inf\n", {}, "d.csv:2: column `y`: '-inf' is not a finite number"),
    ("x,y\n1,\n", {}, "d.csv:2: column `y`: '' is not a finite number"),
    ("x,y\n1,1_000\n", {}, "d.csv:2: column `y`: '1_000' is not a finite number"),
    ("x,y\n1,1e999\n", {}, "d.csv: column `y` of row 1 overflows to infinity"),
    ('x,y\n1,"2\n', {}, "d.csv:2: not a valid CSV file (unexpected end of data)"),
])
def test_csv_errors(tmp_path, text, kwargs, message):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        read_csv(path, shown="d.csv", **kwargs)
    assert message in str(info.value)


def test_csv_unused_columns_may_hold_text(tmp_path):
    path = write(tmp_path, "x,note,y\n1,hello,2\n")
    x, y, _, _ = read_csv(path, inputs=["x"], targets=["y"])
    assert x.tolist() == [[1.0]] and y.tolist() == [2.0]


def test_csv_not_utf8_and_missing(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"x,y\n1,\xff\n")
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        read_csv(path)
    with pytest.raises(ScenarioError, match="cannot read the CSV file"):
        read_csv(tmp_path / "missing.csv")


def test_csv_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_ROWS", 3)
    path = write(tmp_path, "x,y\n" + "1,2\n" * 4)
    with pytest.raises(ScenarioError, match=r"d.csv:5: more than 3 rows"):
        read_csv(path, shown="d.csv")


# -- validation split ---------------------------------------------------------------------------
def test_split_is_seeded_disjoint_and_ordered():
    x = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    xt, yt, xv, yv = split_validation(x, y, 0.3, seed=5)
    assert len(yv) == 3 and len(yt) == 7
    assert sorted([*yt, *yv]) == list(range(10))
    assert list(yt) == sorted(yt) and list(yv) == sorted(yv)
    np.testing.assert_array_equal(xt[:, 0], 2 * yt)
    again = split_validation(x, y, 0.3, seed=5)
    np.testing.assert_array_equal(again[3], yv)
    other = [split_validation(x, y, 0.3, seed=s)[3].tolist() for s in range(6)]
    assert len({tuple(o) for o in other}) > 1


def test_split_none_and_errors():
    x, y = np.zeros((4, 1)), np.zeros(4)
    assert split_validation(x, y, 0.0, 0)[2] is None
    with pytest.raises(ScenarioError, match="leaves 4 for training and 0 for validation"):
        split_validation(x, y, 0.1, 0)
    with pytest.raises(ScenarioError, match="leaves 0 for training"):
        split_validation(x, y, 0.9, 0)


def test_generator_names_are_partitioned():
    assert set(REGRESSION) | set(CLASSIFICATION) == set(GENERATORS)
    assert not set(REGRESSION) & set(CLASSIFICATION)
