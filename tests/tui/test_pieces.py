"""The dashboard's pure pieces: number formats, grids, chart downsampling and ticks, equations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradstep.engine.training.record import ParamLayout
from gradstep.engine.optim import Scalar, symbolic_lines
from gradstep.tui.equations import worked_lines
from gradstep.tui.format import fit, num, rate, short, signed, sparkline
from gradstep.tui.grid import Cell, grids_for
from gradstep.tui.widgets.loss_chart import envelope, value_ticks


@pytest.mark.parametrize("x, text", [
    (0.53124, "0.5312"), (41.334, "41.33"), (1903.2, "1903"), (12345.6, "1.235e4"),
    (-0.0012345, "-0.001234"), (1.2345e-5, "1.234e-5"), (2.5e12, "2.500e12"), (0.0, "0"),
    (9.99996, "10.00"), (float("nan"), "nan"), (float("-inf"), "-inf"), (1e-8, "1.000e-8"),
    # issue 19: one panel showed -1.3e6, 1.365e5 and 71485; one rule writes them alike
    (-1.3e6, "-1.300e6"), (136500.0, "1.365e5"), (71490.0, "7.149e4"), (9999.6, "1.000e4"),
])
def test_num(x, text):
    assert num(x) == text


def test_fit_drops_digits_to_fit():
    assert num(-4.5612e-18) == "-4.561e-18"
    assert fit(-4.5612e-18, 9) == "-4.56e-18"
    assert fit(0.25, 9) == "0.2500"


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_fit_always_fits_nine_columns(x):
    assert len(fit(x, 9)) <= 9


def test_short_signed_rate():
    assert [short(v) for v in (0.9, 0.999, 1e-8, 0.05, 1.0)] == ["0.9", "0.999", "1e-8", "0.05", "1"]
    assert signed(0.0058) == "+0.005800" and signed(-1.62) == "-1.620"
    assert [rate(850), rate(1900), rate(12000)] == ["850/s", "1.9k/s", "12k/s"]


def test_sparkline_keeps_spikes():
    assert sparkline(np.arange(8.0), 8) == "▁▂▃▄▅▆▇█"
    line = sparkline(np.r_[np.zeros(99), 5.0, np.zeros(100)], 10)
    assert len(line) == 10 and "█" in line


def test_grids_for_a_network_put_b_under_w():
    layout = ParamLayout(["layer1.W", "layer1.b", "layer2.W", "layer2.b"], [(2, 3), (3,), (3, 1), (1,)])
    first, second = grids_for(layout)
    assert first.shape == (3, 3) and first.row_labels == ("x1", "x2", "b")
    assert first.cell(2, 1) == Cell("layer1.b", (1,))
    assert second.row_labels == ("a1", "a2", "a3", "b") and second.col_labels == ("u1",)
    values = first.values({"layer1.W": np.arange(6.0).reshape(2, 3), "layer1.b": np.array([7.0, 8, 9])})
    assert values[1, 2] == 5 and values[2, 0] == 7


def test_grids_for_scalars_make_one_row():
    layout = ParamLayout(["a", "b", "w"], [(), (), (2,)])
    scalars, vector = grids_for(layout)
    assert scalars.row_labels == ("",) and scalars.col_labels == ("a", "b")
    assert vector.cells[0][1] == Cell("w", (1,)) and vector.cells[0][1].label == "w[1]"


def test_envelope_keeps_extremes_in_few_points():
    x = np.arange(10_000.0)
    y = np.sin(x / 100) + (x == 5000) * 10
    xs, ys = envelope(x, y, 50)
    assert len(xs) == 100 and ys.max() == y.max() and ys.min() == y.min()
    short_x, short_y = envelope(x[:60], y[:60], 50)
    assert len(short_x) == 60


def test_value_ticks_are_round_and_readable():
    assert value_ticks(1e-14, 0.72, True)[1] == ["1e-14", "1e-11", "1e-8", "1e-5", "0.01"]
    assert value_ticks(0.1, 44, False)[1] == ["10", "20", "30", "40"]
    ticks, labels = value_ticks(5, 5.0000001, False)
    assert len(set(labels)) == len(labels) > 1


def test_worked_adam_line_substitutes_the_previous_step():
    s = Scalar("a", 12, -1.012, 0.494, 0.4998, 0.0058, {"V": -0.7, "S": 0.911},
               {"V": -0.731, "S": 0.911, "V_hat": -1.019, "S_hat": 76.35},
               {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
               0.7176, 0.01193)
    lines = dict(worked_lines("adam", s))
    assert lines["V = β1·V + (1−β1)·g = 0.9·(-0.7000) + 0.1·(-1.012)"] == "-0.7310"
    assert lines["S = β2·S + (1−β2)·g² = 0.999·0.9110 + 0.001·(-1.012)²"] == "0.9110"
    assert lines["a ← a − α·V̂/(√Ŝ + ε) = 0.4940 − 0.05·(-1.019)/(√76.35 + 1e-8)"] == "0.4998"


@pytest.mark.parametrize("kind", ["sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam",
                                  "adamw", "amsgrad"])
def test_every_optimizer_has_its_equations(kind):
    state = {"V": 0.1, "S": 0.2, "V_hat": 0.3, "S_hat": 0.4, "S_max": 0.5}
    hyper = {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01,
             "momentum": 0.9, "rho": 0.99, "lr_decay": 0.0}
    lines = worked_lines(kind, Scalar("θ", 3, 0.5, 1.0, 0.9, -0.1, state, state, hyper, 0.27, 0.003))
    assert lines[0] == ("g = ∂L/∂θ", "0.5000") and lines[-1][1] == "-0.1000"
    assert symbolic_lines(kind)
