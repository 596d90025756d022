"""Run every bundled scenario's generated PyTorch script and compare it with gradstep's trace.

By hand, with a Python that has PyTorch and gradstep installed (never part of the test suite)::

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/pip install -e .
    /tmp/torchenv/bin/python tests/reference/check_torch_scripts.py [SCENARIO ...] [--steps N]

For each scenario it writes ``gradstep export --torch`` to a temporary file, runs it with this
Python, runs ``gradstep run --full`` (its JSON lines), and compares step by step: the loss before each
update and every parameter after it, to a relative error of 1e-10 (float64; 1e-5 for a float32
scenario), relative to max(1, |value|) so that values crossing zero are judged absolutely.
Both runs must take the same number of steps (a diverging scenario stops at the same step in
both). Prints one line per scenario and exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from gradstep.engine import ScenarioError, load_scenario, resolve_scenario
from gradstep.engine.scenario import bundled_scenarios
from gradstep.engine.training.torch_script import Untranslatable, torch_script

TOLERANCE = {"float64": 1e-10, "float32": 1e-5}


def gradstep_trace(name, steps):
    """``[(loss, {name: array})]`` as ``gradstep run NAME --full --steps N`` prints them."""
    result = subprocess.run([sys.executable, "-m", "gradstep.tui.cli", "run", name, "--full",
                             "--steps", str(steps)], capture_output=True, text=True, check=False)
    if result.returncode not in (0, 3):  # 3: diverged, the records before it are kept
        raise RuntimeError(result.stderr.strip())
    rows = [json.loads(line) for line in io.StringIO(result.stdout) if line.strip()]
    return [(row["loss"], {k: np.asarray(v, dtype=np.float64) for k, v in row["params"].items()})
            for row in rows]


def torch_trace(script):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(script)
        path = handle.name
    try:
        result = subprocess.run([sys.executable, path], capture_output=True, text=True, check=False)
    finally:
        Path(path).unlink()
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else
                           f"exit {result.returncode}")
    rows = [json.loads(line) for line in io.StringIO(result.stdout) if line.strip()]
    return [(row["loss"], {k: np.asarray(v, dtype=np.float64) for k, v in row["params"].items()})
            for row in rows], rows


def worst_error(ours, theirs):
    """The largest relative difference over every loss and parameter entry of every step."""
    worst = (0.0, None)
    for step, ((l1, p1), (l2, p2)) in enumerate(zip(ours, theirs), start=1):
        err = abs(l1 - l2) / max(1.0, abs(l1))
        if err > worst[0]:
            worst = (err, f"step {step} loss")
        if set(p1) != set(p2):
            return float("inf"), f"step {step}: parameter names {sorted(p1)} != {sorted(p2)}"
        for name in p1:
            a, b = p1[name], p2[name]
            if a.shape != b.shape:
                return float("inf"), f"step {step} {name}: shape {a.shape} != {b.shape}"
            if a.size:
                e = float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(a))))
                if e > worst[0]:
                    worst = (e, f"step {step} {name}")
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*")
    parser.add_argument("--steps", type=int)
    args = parser.parse_args(argv)
    import torch

    names = args.scenarios or [name for name, _d, _p in bundled_scenarios()]
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    failed = 0
    for name in names:
        try:
            scenario = load_scenario(resolve_scenario(name))
        except ScenarioError as exc:
            print(f"{name}: INVALID: {exc}")
            failed += 1
            continue
        steps = scenario.training.steps if args.steps is None else args.steps
        try:
            script = torch_script(scenario, steps)
        except Untranslatable as exc:
            print(f"{name}: REFUSED: {exc}")
            failed += 1
            continue
        ours = gradstep_trace(name, steps)
        try:
            theirs, _rows = torch_trace(script)
        except RuntimeError as exc:
            print(f"{name}: SCRIPT FAILED: {exc}")
            failed += 1
            continue
        tolerance = TOLERANCE[scenario.dtype]
        error, where = worst_error(ours, theirs)
        same_length = len(ours) == len(theirs)
        ok = same_length and error <= tolerance
        failed += not ok
        length = f"{len(theirs)} steps" if same_length else f"steps: gradstep {len(ours)}, torch {len(theirs)}"
        print(f"{name}: {'ok' if ok else 'DIFFERS'}: {length}, worst relative error "
              f"{error:.2e}{f' at {where}' if where else ''} (tolerance {tolerance:g})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
