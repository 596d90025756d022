"""The norm row a step logs: every parameter's gradient norm, then every layer's, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradstep.engine.training.record import ParamLayout


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_network_row_is_each_parameter_then_each_layer(dtype):
    layout = ParamLayout(["layer1.W", "layer1.b", "layer2.W", "layer2.b", "layer3.W", "layer3.b"],
                         [(2, 4), (4,), (4, 3), (3,), (3, 1), (1,)])
    flat = np.random.default_rng(1).standard_normal(layout.size).astype(dtype) * 10.0
    row = layout.norm_row(flat)
    parts = [flat[sl].astype(np.float64) for sl in layout.slices]
    params = [math.sqrt(math.fsum(v * v for v in part.tolist())) for part in parts]
    layers = [math.hypot(params[2 * j], params[2 * j + 1]) for j in range(3)]
    assert row.dtype == np.dtype(dtype) and len(row) == layout.norm_columns == 9
    np.testing.assert_allclose(row, params + layers, rtol=1e-6 if dtype == "float32" else 1e-14)
    assert [layout.layer_columns[j] for j in range(3)] == [6, 7, 8]


def test_a_square_that_overflows_still_gives_finite_norms():
    layout = ParamLayout(["layer1.W", "layer1.b"], [(1, 2), (2,)])
    flat = np.array([3e200, 4e200, 0.0, 1e-300])
    with np.errstate(over="ignore", invalid="ignore"):
        row = layout.norm_row(flat)
    np.testing.assert_allclose(row, [5e200, 1e-300, 5e200], rtol=1e-14)
