"""Divergence as the learner meets it (issue 7): the engine names the step, the operation and the
layer; ``gradstep run`` prints that sentence alone and exits 3, with no NumPy warning on the
terminal. The command line runs in a subprocess, so that no warnings filter of pytest can hide
what a learner's terminal would show."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import load_scenario, loads_scenario
from gradstep.engine.training.session import Diverged, Session

ROOT = Path(__file__).resolve().parents[2]

LAYER2 = """name = "layer2"
description = "one step fine, the second overflows in the output layer"

[model]
inputs = 1
layers = [{ units = 1, activation = "relu" }, { units = 1 }]
weights = [{ W = [[1.0]], b = [0.0] }, { W = [[1.0]], b = [0.0] }]

[data]
x = [[1.0]]
y = [10.0]

[loss]
kind = "mse"

[optimizer]
kind = "sgd"
lr = 1e200
"""
"""A 1-1-1 relu network with every weight 1 and biases 0, one sample x = 1, y = 10. Step 1:
prediction 1, loss (1 - 10)² = 81, every gradient -18 (2·(1 - 10) times an activation or a
weight of 1), gradient norm √(4·18²) = 36. With lr 1e200 the update makes every parameter
1.8e201, so at step 2 the hidden unit is 3.6e201 (finite) and the output layer's product
3.6e201 · 1.8e201 overflows: the first number that is not finite is made by layer 2's linear map.
"""

LOG_B = """name = "log-b"
[objective]
expression = "log(b) + (a - 1)**2"
params = { a = 0.0, b = 0.5 }
[optimizer]
kind = "sgd"
lr = 1.0
"""
"""d/db log(b) = 1/b = 2 at b = 0.5, so step 1 (loss log 0.5 + 1) takes b to 0.5 - 2 = -1.5 and
step 2 takes the log of a negative number."""

BIG_GRADIENT = """name = "big-gradient"
[model]
inputs = 1
layers = [{ units = 8, activation = "relu" }, { units = 1 }]

[data]
x = [[-1.5], [-0.5], [0.3], [1.2], [2.0], [-2.2], [0.8], [-0.1]]
y = [-1500, -500, 300, 1200, 2000, -2200, 800, -100]

[loss]
kind = "mse"

[optimizer]
kind = "sgd"
lr = 100.0
"""
"""SGD with a learning rate far too large: the gradient grows by ~1e50 a step, and at step 4
its largest entry is about 3e165: finite, but its square (1e331) is not."""


def gradstep(*argv, cwd):
    """``gradstep ARGV`` in a fresh interpreter, with Python's default warnings filters."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "PYTEST_CURRENT_TEST")}
    env["PYTHONPATH"] = str(ROOT)
    code = "import sys; from gradstep.tui.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def diverge(scenario, steps=100):
    session = Session(scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning may escape the engine
        with pytest.raises(Diverged) as info:
            session.run(steps)
    return session, info.value


# -- the engine -----------------------------------------------------------------------------------
def test_overflow_in_a_network_names_the_step_and_the_layer():
    session, exc = diverge(loads_scenario(LAYER2))
    assert exc.step == 2 and session.t == 1
    assert session.record.loss == 81.0 and session.record.grad_norm == 36.0
    assert exc.message.startswith("diverged at step 2: overflow in linear in layer2")
    # stepping back from the diverged state, and forward again, replays step 1 as it was
    session.goto(0)
    assert session.run(1).loss == 81.0
    with pytest.raises(Diverged, match="step 2: overflow in linear in layer2"):
        session.step()
    assert session.t == 1


def test_the_gradient_norm_of_a_finite_gradient_is_finite():
    session = Session(loads_scenario(BIG_GRADIENT))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the norm must not overflow (nor warn)
        record = session.run(4)
        norm = record.grad_norm
        per_parameter = record.grad_norms
        per_layer = record.layer_grad_norms
    assert np.all(np.isfinite(record.grad)) and np.max(np.abs(record.grad)) > 1e160
    hypot = math.hypot(*record.grad.tolist())  # scales, so it does not overflow
    assert math.isfinite(hypot)
    assert norm == pytest.approx(hypot, rel=1e-12)
    for name, value in per_parameter.items():
        assert value == pytest.approx(math.hypot(*np.ravel(record.grads[name]).tolist()), rel=1e-12)
    assert all(math.isfinite(v) for v in per_layer.values())


# -- gradstep run -------------------------------------------------------------------------------
@pytest.mark.parametrize("text, says, good_steps", [
    (LAYER2, "diverged at step 2: overflow in linear in layer2; try a lower learning rate", 1),
    (LOG_B, "diverged at step 2: log of a negative value in log(b); try a lower learning rate", 1),
], ids=["layer2", "log-b"])
def test_gradstep_run_prints_where_it_diverged_and_exits_3(tmp_path, text, says, good_steps):
    path = tmp_path / "boom.toml"
    path.write_text(text)
    done = gradstep("run", str(path), "--steps", "50", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [f"gradstep: {says}"]  # no warning, no traceback
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["step"] for row in rows] == list(range(1, good_steps + 1))
    if text is LAYER2:
        assert rows[0]["loss"] == 81.0 and rows[0]["grad_norm"] == 36.0
    else:
        assert rows[0]["loss"] == pytest.approx(math.log(0.5) + 1, rel=1e-15)


def test_gradstep_run_with_a_huge_but_finite_gradient_exits_3_without_a_warning(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(BIG_GRADIENT)
    done = gradstep("run", str(path), "--steps", "50", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Warning" not in done.stderr, done.stderr
    assert done.stderr.startswith("gradstep: diverged at step ")
    assert len(done.stdout.splitlines()) == int(done.stderr.split("step ")[1].split(":")[0]) - 1


def test_a_bundled_scenario_at_a_huge_learning_rate_leaves_no_warning(tmp_path):
    text = (ROOT / "scenarios" / "gd-fabc-large-lr.toml").read_text()
    path = tmp_path / "fast.toml"
    path.write_text(text)
    path.write_text(re.sub(r"(?m)^lr = .*$", "lr = 1e6", text))
    assert load_scenario(path).optimizer.lr == 1e6
    done = gradstep("run", str(path), "--steps", "1000", "--quiet", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    first, *rest = done.stderr.splitlines()
    assert first.startswith("gradstep: diverged at step ") and "Warning" not in done.stderr
    assert len(rest) == 1 and rest[0].startswith("gd-fabc-large-lr: ")  # the --quiet summary


VALIDATION = """name = "val"
seed = {seed}
[model]
inputs = 1
layers = [{{ units = 1 }}]
weights = [{{ W = [[1.0]], b = [0.0] }}]
[data]
x = [[1.0], [1.0], [1.0], [1.0], [1.0], [1.0], [1.0], [1.0], [1.0], [1e160]]
y = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
validation = 0.1
[loss]
kind = "mse"
[optimizer]
kind = "sgd"
lr = 0.1
"""
"""y = x fits the nine training rows exactly (loss 0); the one validation row, x = 1e160 and
y = 0, has a squared error of 1e320: the validation loss overflows while the training loss
stays 0. ``seed`` is chosen so that the split holds that row out."""


def test_an_overflowing_validation_loss_is_named(tmp_path):
    seed = next(s for s in range(500)
                if np.max(loads_scenario(VALIDATION.format(seed=s)).data.x_val) > 1e100)
    path = tmp_path / "val.toml"
    path.write_text(VALIDATION.format(seed=seed))
    done = gradstep("run", str(path), "--steps", "3", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Warning" not in done.stderr, done.stderr
    assert done.stderr.startswith("gradstep: diverged at step 1: ") and "validation" in done.stderr


def test_an_atomic_file_gets_the_mode_of_a_new_file_not_mkstemps_0600(tmp_path):
    import os
    import stat

    from gradstep.engine.training.trace import AtomicFile

    umask = os.umask(0o022)
    try:
        with AtomicFile(tmp_path / "trace.jsonl") as out:
            out.stream.write("{}\n")
        plain = tmp_path / "plain.txt"
        plain.write_text("x")  # how open() creates a file under the same umask: the reference
    finally:
        os.umask(umask)
    mode = stat.S_IMODE((tmp_path / "trace.jsonl").stat().st_mode)
    assert mode == stat.S_IMODE(plain.stat().st_mode) == 0o644


CONTROL = '''name = "t"
[objective]
expression = "(a - 1)**2 + b**2"
params = { a = 0.0, b = 0.0 }
'''


@pytest.mark.parametrize("value, shown", [
    ('"ad\\nam"', "`ad\\nam`"),                 # a newline, as TOML's escape writes it
    ('"a\\u001b[31mdam"', "`a\\u001b[31mdam`"),  # a terminal's escape character
    ('"ad\\u2028am"', "`ad\\u2028am`"),          # a Unicode line separator
])
def test_a_value_with_control_characters_is_shown_escaped_on_one_line(value, shown):
    """Found by the mutation fuzz: an unknown optimizer named with a newline gave a two-line
    message, and an escape character would have reached the terminal."""
    with pytest.raises(ScenarioError) as info:
        loads_scenario(CONTROL + f"[optimizer]\nkind = {value}\n", path="f.toml")
    text = str(info.value)
    assert text.splitlines() == [text] and text.isprintable(), text
    assert text.startswith("f.toml:6: optimizer.kind: unknown kind ") and shown in text, text
