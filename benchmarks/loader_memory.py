"""Memory figures for the scenario loader (issue 13): hostile files, and the budget's estimates.

Run from the repository root::

    .venv/bin/python benchmarks/loader_memory.py

1. Peak resident memory of ``gradstep check FILE`` (``/usr/bin/time -f %M``) on every hostile
   file (``tests/data/hostile/`` and the generated cases of ``tests/engine/hostile_cases.py``),
   each under a 3 GB address-space limit, with its exit status and the first words of its
   message; the target is under 200 MB each.
2. The estimates the budget is checked against, beside what training really takes: for a few
   networks and expressions, the loader's estimate (:func:`gradstep.engine.scenario.session_bytes`)
   and the peak that ``tracemalloc`` sees while a session is made, takes a step, and builds the
   views' full-data graph (``Session.graph_at``).
3. The largest networks and data sets the default budget (1 GiB) admits.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradstep.engine import memory  # noqa: E402
from gradstep.engine.scenario import loads_scenario, session_bytes  # noqa: E402
from gradstep.engine.training.session import Session  # noqa: E402
from tests.engine.hostile_cases import GENERATED, committed  # noqa: E402

TARGET_MB = 200
GRADSTEP = str(Path(sys.executable).with_name("gradstep"))


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (3_000_000_000, 3_000_000_000))


def peak_of_check(path):
    done = subprocess.run(["/usr/bin/time", "-f", "%M", GRADSTEP, "check", str(path)],
                          capture_output=True, text=True, timeout=600, preexec_fn=_limit)
    lines = done.stderr.strip().splitlines()
    return int(lines[-1]) / 1024, done.returncode, (lines[0] if len(lines) > 1 else "")


def hostile_table():
    print(f"## Peak resident memory of `gradstep check FILE` (target: under {TARGET_MB} MB)\n")
    print("| file | peak MB | exit | message |")
    print("| --- | ---: | ---: | --- |")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(p.stem, p) for p, _expect, _line in committed()]
        for name, (make, _expect) in sorted(GENERATED.items()):
            folder = Path(tmp) / name
            folder.mkdir()
            cases.append((name + " (generated)", make(folder)))
        for name, path in cases:
            peak, status, message = peak_of_check(path)
            worst = max(worst, peak)
            message = message.split(": ", 2)[-1][:70].replace("|", "\\|")
            print(f"| {name} | {peak:.0f} | {status} | {message} |")
    print(f"\nworst: {worst:.0f} MB ({'PASS' if worst < TARGET_MB else 'MISS'})\n")


NETWORK = '''name = "n"
[model]
inputs = {inputs}
layers = [{layers}]
[data]
generator = "{generator}"
n = {n}
'''

EXPRESSION = '''name = "e"
[model]
expression = "w*x + b + mean(K * x)"
params = {{ w = 0.0, b = 0.0 }}
constants.K = [{k}]
[data]
generator = "linear"
n = {n}
'''


def measured_peak(scenario):
    tracemalloc.start()
    session = Session(scenario)
    session.step()
    session.graph_at()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def estimates_table():
    print("## The budget's estimate beside the peak tracemalloc sees (session, one step, the "
          "views' full graph)\n")
    print("| scenario | estimate MB | measured MB | measured / estimate |")
    print("| --- | ---: | ---: | ---: |")
    cases = [
        ("1-256-1 tanh, 20,000 rows", NETWORK.format(inputs=1, n=20_000, generator="linear",
                                                       layers='{ units = 256, activation = "tanh" }, { units = 1 }')),
        ("2-64-64-1 relu, 50,000 rows", NETWORK.format(inputs=2, n=50_000, generator="moons",
                                                         layers='{ units = 64, activation = "relu" }, { units = 64, activation = "relu" }, { units = 1 }')),
        ("1-1024-1 sigmoid, 5,000 rows", NETWORK.format(inputs=1, n=5_000, generator="sine",
                                                          layers='{ units = 1024, activation = "sigmoid" }, { units = 1 }')),
        ("K * x, K = 100, 20,000 rows", EXPRESSION.format(k=", ".join(["[1.0]"] * 100), n=20_000)),
    ]
    for name, text in cases:
        scenario = loads_scenario(text)
        estimate = session_bytes(scenario)
        peak = measured_peak(scenario)
        print(f"| {name} | {estimate / 1e6:.1f} | {peak / 1e6:.1f} | {peak / estimate:.2f} |")
    print()


def largest_table():
    budget = memory.limit()
    print(f"## What the default budget ({memory.human(budget)}) admits\n")
    print("A network's activations and gradients: rows x 8 bytes (float64) x (2 per input, 4 per "
          "tanh or relu unit, 5 sigmoid, 6 elu or softplus, 2 + 4 per output unit).\n")
    print("| data rows | most tanh or relu units in all (about) |")
    print("| ---: | ---: |")
    for rows in (1_000, 10_000, 100_000, 1_000_000):
        print(f"| {rows:,} | {budget // (4 * rows * 8):,} |")
    print("\nAn expression: every operation's result and its gradient, 2 x 8 bytes per number; "
          f"one broadcast alone may hold {budget // 16:,} numbers (e.g. {int((budget // 16) ** 0.5):,}"
          " squared).\n")


if __name__ == "__main__":
    hostile_table()
    estimates_table()
    largest_table()
