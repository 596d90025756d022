"""Hostile scenario files and how to load one in a process of its own, measuring its memory.

Shared by ``tests/engine/test_hostile.py`` and ``benchmarks/hostile_memory.py``. The committed
files live in ``tests/data/hostile/``, each with its expected message in a ``# expect:`` line
(and its line in ``# expect-line:``), as ``tests/data/bad/`` does. Files too large to commit
(a gigabyte without a newline, 60,000 columns, 20 million numbers) and things git cannot hold
(a FIFO) are made by :data:`GENERATED` into a temporary folder.

Why a subprocess: the figure that matters is the peak resident memory of a process that loads
the file (what the machine feels, NumPy's buffers and the C parts of ``csv`` included), which
the child reads from ``VmHWM`` in ``/proc/self/status`` (its own address space's high-water
mark; ``getrusage(RUSAGE_SELF).ru_maxrss`` is the fallback elsewhere, but on Linux it carries
the parent's peak across ``exec``, so a large pytest process would mask the figure);
tracemalloc would see only what goes through Python's allocators, and the test process's own
peak would carry every earlier test. The child also runs under a 3 GB address-space limit, so a regression fails with a
``MemoryError`` instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "data" / "hostile"

_CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3_000_000_000, 3_000_000_000))
from gradstep.engine.scenario import load_scenario
result = {"message": None, "line": None, "type": None}
try:
    load_scenario(sys.argv[1])
except BaseException as exc:
    result.update(message=str(exc), line=getattr(exc, "line", None), type=type(exc).__name__)
try:  # this process's own peak: ru_maxrss would include the parent's, inherited through exec
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result["peak_kib"] = peak
print(json.dumps(result))
"""


def committed():
    """``[(path, expected text, expected line or None), ...]`` of the committed hostile files."""
    out = []
    for path in sorted(HOSTILE.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        expect = re.search(r"^# expect: (.+)$", text, re.M).group(1)
        line = re.search(r"^# expect-line: (\d+)$", text, re.M)
        out.append((path, expect, int(line.group(1)) if line else None))
    return out


def load_in_child(path, timeout=300):
    """Load ``path`` in a fresh Python; returns ``{"message", "line", "type", "peak_kib"}``."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0 or not done.stdout.strip():
        raise AssertionError(f"the loader's process failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


_NETWORK_ON_CSV = '''name = "csv"
[model]
inputs = {inputs}
layers = [{{ units = 1 }}]
[data]
csv = "{csv}"
'''


def _scenario(folder, csv, inputs=1):
    path = folder / "scenario.toml"
    path.write_text(_NETWORK_ON_CSV.format(csv=csv, inputs=inputs), encoding="utf-8")
    return path


def _sparse(folder, size):
    """A file of ``size`` bytes with no newline that takes no disk space (a sparse file)."""
    with open(folder / "huge.csv", "wb") as handle:
        handle.truncate(size)
    return _scenario(folder, "huge.csv")


def _no_newline(folder):
    # 150 MB of digits and commas, under the file-size limit: read whole, it would take 150 MB
    # of bytes and as much again of text.
    with open(folder / "line.csv", "wb") as handle:
        chunk = b"1," * (1 << 20)
        for _ in range(75):
            handle.write(chunk)
    return _scenario(folder, "line.csv")


def _wide_header(folder):
    names = ",".join(f"c{i}" for i in range(60_000))
    (folder / "wide.csv").write_text(names + "\n" + ",".join(["1"] * 60_000) + "\n")
    return _scenario(folder, "wide.csv")


def _too_many_numbers(folder):
    # 200,000 rows x 101 columns = 20.2 million numbers (the limit is 10 million); the 10
    # millionth number is on row 99,009 (10,000,000 / 101 = 99,009.9), line 99,011 of the file.
    header = ",".join(f"x{i}" for i in range(100)) + ",y\n"
    row = ",".join(["1"] * 101) + "\n"
    with open(folder / "big.csv", "w") as handle:
        handle.write(header)
        for _ in range(200):
            handle.write(row * 1000)
    return _scenario(folder, "big.csv", inputs=100)


def _csv_fifo(folder):
    os.mkfifo(folder / "pipe.csv")
    return _scenario(folder, "pipe.csv")


def _scenario_fifo(folder):
    os.mkfifo(folder / "pipe.toml")
    return folder / "pipe.toml"


GENERATED = {
    # name: (make(folder) -> scenario path, expected text)
    "csv-one-gigabyte": (lambda f: _sparse(f, 10**9),
                         "huge.csv: data.csv: the CSV file has 1,000,000,000 bytes (the limit is "
                         "200,000,000)"),
    "csv-four-gigabytes": (lambda f: _sparse(f, 4 * 10**9),
                           "huge.csv: data.csv: the CSV file has 4,000,000,000 bytes"),
    "csv-150-megabytes-no-newline": (_no_newline, "line.csv:1: data.csv: line 1 is longer than "
                                                  "1,000,000 characters (the limit)"),
    "csv-60000-columns": (_wide_header, "wide.csv:1: data.csv: the header has 60,000 columns (the "
                                        "limit is 10,000)"),
    "csv-20-million-numbers": (_too_many_numbers, "big.csv:99011: data.csv: more than 10,000,000 "
                                                  "numbers in the columns used (the limit)"),
    "csv-fifo": (_csv_fifo, "data.csv: pipe.csv is a named pipe (FIFO), not a CSV file"),
    "scenario-fifo": (_scenario_fifo, "pipe.toml: is not a regular file (a named pipe, a device "
                                      "or a socket), not a scenario file"),
}
