"""Save files (issue 18): how big a ``.gradstep`` file is, how long ``w`` takes, and how long
resuming takes beside training the same steps straight (resuming replays them: the ratio should
be about 1, plus the check).

    python benchmarks/save_file.py [--steps-fabc 20000] [--steps-moons 2000] [--steps-784 100]

CPU seconds (``time.process_time``), so a busy machine changes the figures little; the load
average is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as `gradstep` does
    os.environ.setdefault(_var, "1")

from gradstep.engine.scenario import load_scenario, resolve_scenario  # noqa: E402
from gradstep.engine.training import save_file  # noqa: E402
from gradstep.engine.training.session import Session  # noqa: E402

LARGE = Path(__file__).resolve().parent.parent / "tests" / "data" / "large" / "digits-784.toml"


def cpu(action):
    started = time.process_time()
    result = action()
    return result, time.process_time() - started


def figures(label, path, steps, folder):
    scenario = load_scenario(path)
    session = Session(scenario)
    _none, straight = cpu(lambda: session.run(steps))
    session.goto(steps // 2)  # a save in the past: the replay goes to the furthest step, then back
    target = Path(folder) / f"{label}.gradstep"
    _bytes, saving = cpu(lambda: save_file.save(session, target))
    resumed, loading = cpu(lambda: save_file.load(target))
    assert resumed.theta.tobytes() == session.theta.tobytes()
    size = os.path.getsize(target)
    print(f"{label:>10} {session.layout.size:>9,} params {steps:>7,} steps  file {size / 1024:>9,.1f} KiB  "
          f"save {saving * 1e3:>8.1f} ms  resume {loading:>7.2f} s  straight run {straight:>7.2f} s  "
          f"ratio {loading / straight if straight else float('nan'):.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps-fabc", type=int, default=20_000)
    parser.add_argument("--steps-moons", type=int, default=2_000)
    parser.add_argument("--steps-784", type=int, default=100)
    args = parser.parse_args()
    print("load average:", open("/proc/loadavg").read().strip())
    with tempfile.TemporaryDirectory() as folder:
        figures("adam-fabc", resolve_scenario("adam-fabc"), args.steps_fabc, folder)
        figures("moons", resolve_scenario("moons"), args.steps_moons, folder)
        if LARGE.is_file() and args.steps_784:
            figures("784-128-10", LARGE, args.steps_784, folder)
    print("load average:", open("/proc/loadavg").read().strip())


if __name__ == "__main__":
    main()
