"""The ``gradstep`` command line.

``gradstep [SCENARIO]`` opens the dashboard; ``list``, ``run`` and ``check`` work without a
screen and never import Textual. Invalid input exits 2 with a one-line message on stderr, never
a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_MISMATCH, EXIT_INVALID, EXIT_DIVERGED = 0, 1, 2, 3
COMMANDS = ("open", "list", "run", "check")

DESCRIPTION = """\
gradstep: watch a neural network learn, one step at a time.

  gradstep                      open the dashboard on the bundled default scenario
  gradstep SCENARIO             open the dashboard on a scenario file or bundled name
  gradstep list                 list the bundled scenarios
  gradstep run SCENARIO         train without a screen, one record per step
  gradstep check SCENARIO...    compare every gradient with finite differences

Run 'gradstep COMMAND --help' for a command's options.
Exit status: 0 success, 1 gradient mismatch (check), 2 invalid input, 3 diverged (run)."""


def build_parser():
    parser = argparse.ArgumentParser(prog="gradstep", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_open = sub.add_parser("open", help="open the dashboard (the default command)",
                            description="Open the dashboard on a scenario.")
    p_open.add_argument("scenario", nargs="?", help="scenario file or bundled name (default: the bundled default)")

    sub.add_parser("list", help="list the bundled scenarios",
                   description="List the bundled scenarios: one per line, the name, then its description.")

    p_run = sub.add_parser(
        "run", help="train without a screen",
        description="Train a scenario without a screen and write one record per step. "
                    "A run whose loss becomes NaN or infinite stops at that step, says why on "
                    "stderr and exits 3; the records before it are kept.")
    p_run.add_argument("scenario", help="scenario file or bundled name")
    p_run.add_argument("--steps", type=_count, metavar="N",
                       help="number of steps (default: the scenario's training.steps)")
    p_run.add_argument("--format", choices=("jsonl", "csv"), default="jsonl",
                       help="jsonl (default): one JSON object per line; csv: a header row, then one row per step")
    p_run.add_argument("--full", action="store_true",
                       help="include params, grads, update and optimizer state of every parameter")
    p_run.add_argument("--out", metavar="FILE", type=Path,
                       help="write the records to FILE (atomically: a temporary file renamed at the end)")
    p_run.add_argument("--quiet", action="store_true",
                       help="no records on stdout, no progress bar; only a summary line on stderr")

    p_check = sub.add_parser(
        "check", help="check gradients against finite differences",
        description="Validate each scenario, then compare every parameter's gradient at the initial "
                    "point with central finite differences (in float64). Exit 0 when the worst "
                    "relative error is at most 1e-6, 1 on a mismatch, 2 on invalid input. Entries "
                    "sitting on a kink (relu or abs at 0) are reported, not failed.")
    p_check.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files or bundled names")
    p_check.add_argument("--max-entries", type=_count, default=2000, metavar="N",
                         help="check at most N entries per scenario, a seeded sample beyond that (default 2000)")
    return parser


def _count(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def main(argv=None):
    """Entry point of the ``gradstep`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        argv.insert(0, "open")
    args = build_parser().parse_args(argv)
    from engine.errors import ScenarioError
    from engine.trace import ExportError

    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "run":
            from tui.run_command import run_scenario

            return run_scenario(args)
        if args.command == "check":
            from tui.check_command import check_scenarios

            return check_scenarios(args.scenarios, args.max_entries)
        return cmd_open(args.scenario)
    except (ScenarioError, ExportError) as exc:
        print(f"gradstep: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("gradstep: interrupted", file=sys.stderr)
        return 130


def cmd_list():
    from engine.scenario import bundled_scenarios

    entries = bundled_scenarios()
    width = max((len(name) for name, _, _ in entries), default=0)
    for name, description, _ in entries:
        print(f"{name.ljust(width)}  {description}".rstrip())
    return EXIT_OK


def cmd_open(name_or_path):
    from engine.scenario import DEFAULT_SCENARIO, load_scenario, resolve_scenario

    path = resolve_scenario(name_or_path or DEFAULT_SCENARIO)
    load_scenario(path)  # a broken file is reported here, before any screen starts
    from tui.app import run_dashboard

    return run_dashboard(path)


if __name__ == "__main__":
    sys.exit(main())
