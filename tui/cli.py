"""The ``gradstep`` command line.

``gradstep [SCENARIO]`` opens the dashboard; ``list``, ``run``, ``check`` and ``export`` work
without a screen and never import Textual. Invalid input exits 2 with a one-line message on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from contextlib import nullcontext
from pathlib import Path

from gradstep.tui.commands.termination import say as _say
from gradstep.tui.i18n import LANGUAGES, N_, _, choose_language, install, language

EXIT_OK, EXIT_MISMATCH, EXIT_INVALID, EXIT_DIVERGED = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141  # 128 + SIGINT, SIGPIPE (a shell's numbers)
COMMANDS = ("open", "learn", "list", "run", "check", "export", "serve")

DESCRIPTION = N_("""\
gradstep: watch a neural network learn, one step at a time.

  gradstep                      open the dashboard on the bundled default scenario
  gradstep SCENARIO             open the dashboard on a scenario file or bundled name
  gradstep FILE.gradstep        open a saved session (w on the dashboard) at its step
  gradstep list                 list the bundled scenarios
  gradstep run SCENARIO         train without a screen, one record per step
  gradstep run --resume FILE.gradstep   go on with a saved session without a screen
  gradstep check SCENARIO...    compare every gradient with finite differences
  gradstep export --torch SCENARIO  print the scenario as a PyTorch script
  gradstep serve [SCENARIO]     serve the dashboard as a web page (textual-serve)

Run 'gradstep COMMAND --help' for a command's options.
Every command takes --lang pt|en (default: from LANG); the dashboard, run and check take
--memory-limit SIZE (default 1GiB of arrays).
Exit status: 0 success, 1 gradient mismatch (check), 2 invalid input, too little memory or a
file that cannot be written (a one-line message says which), 3 diverged (run), 129, 130, 143
stopped by SIGHUP (terminal closed), SIGINT (Ctrl+C), SIGTERM, 141 the output was closed early
(gradstep list | head -3).""")


def build_parser():
    """The argument parser, its texts in the installed language (install it first)."""
    language = argparse.ArgumentParser(add_help=False)
    language.add_argument("--lang", choices=tuple(LANGUAGES),
                          help=_("language of the interface: pt (Brazilian Portuguese) or en "
                                 "(default: from LANG)"))
    parser = argparse.ArgumentParser(prog="gradstep", description=_(DESCRIPTION), parents=[language],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    memory = argparse.ArgumentParser(add_help=False)
    memory.add_argument("--memory-limit", metavar=_("SIZE"),
                        help=_("the most memory the arrays of a scenario may take, such as 512MiB, "
                               "2GiB or 800MB (default 1GiB); a scenario that needs more is "
                               "refused with a message saying what to shrink"))
    sub = parser.add_subparsers(dest="command", metavar=_("COMMAND"))

    p_open = sub.add_parser("open", parents=[language, memory], help=_("open the dashboard (the default command)"),
                            description=_("Open the dashboard on a scenario."))
    p_open.add_argument("scenario", nargs="?", metavar=_("SCENARIO"),
                        help=_("scenario file or bundled name (default: the bundled default), or a "
                               "session saved with w (FILE.gradstep), opened at its step"))

    p_learn = sub.add_parser("learn", parents=[language, memory],
                             help=_("open a lesson of the tutorial beside the dashboard"),
                             description=_("Open a guided lesson beside the dashboard: the tutorial "
                                           "chapter by chapter (1 the loss, 2 gradient descent, 3 "
                                           "back-propagation, 4 Adam), or a lesson file (see "
                                           "docs/lessons.md)."))
    p_learn.add_argument("lesson", nargs="?", metavar=_("LESSON"),
                         help=_("a chapter's number or name, or a lesson file (default: chapter 1)"))

    sub.add_parser("list", parents=[language], help=_("list the bundled scenarios"),
                   description=_("List the bundled scenarios: one per line, the name, then its "
                                 "description."))

    p_run = sub.add_parser(
        "run", parents=[language, memory], help=_("train without a screen"),
        description=_("Train a scenario without a screen and write one record per step. "
                      "A run whose loss becomes NaN or infinite stops at that step, says why on "
                      "stderr and exits 3; the records before it are kept."))
    p_run.add_argument("scenario", nargs="?", metavar=_("SCENARIO"), help=_("scenario file or bundled name"))
    p_run.add_argument("--resume", metavar="FILE.gradstep", type=Path,
                       help=_("go on with a session saved with w (instead of a SCENARIO): from its "
                              "step, on its branch; the records are numbered on from there"))
    p_run.add_argument("--steps", type=_count, metavar="N",
                       help=_("number of steps (default: the scenario's training.steps; with "
                              "--resume, the steps left until then)"))
    p_run.set_defaults(parser=p_run)  # a SCENARIO or --resume: checked once parsed
    p_run.add_argument("--format", choices=("jsonl", "csv"),
                       help=_("jsonl: one JSON object per line; csv: a header row, then one row "
                              "per step (default: from the name given to --out, .csv or .jsonl; "
                              "jsonl otherwise)"))
    p_run.add_argument("--full", action="store_true",
                       help=_("include params, grads, update and optimizer state of every parameter"))
    p_run.add_argument("--out", metavar=_("FILE"), type=Path,
                       help=_("write the records to FILE (atomically: a temporary file renamed at "
                              "the end, removed if the run is stopped; a device or a pipe such "
                              "as /dev/null is written in place)"))
    p_run.add_argument("--quiet", action="store_true",
                       help=_("no records on stdout, no progress bar; only a summary line on stderr"))
    p_run.add_argument("--plot", metavar="FILE.png", type=Path,
                       help=_("also draw the loss curve to FILE.png and, for a scenario of two "
                              "parameters, the loss surface with the path to FILE-surface.png (a "
                              "scenario with [[compare]] optimizers: the race); needs matplotlib, "
                              "pip install 'gradstep[plot]'"))

    p_check = sub.add_parser(
        "check", parents=[language, memory], help=_("check gradients against finite differences"),
        description=_("Validate each scenario, then compare every parameter's gradient at the "
                      "initial point with central finite differences (in float64). Exit 0 when "
                      "the worst relative error is at most 1e-6, 1 on a mismatch, 2 on invalid "
                      "input. Entries sitting on a kink (relu or abs at 0) are reported, not "
                      "failed."))
    p_check.add_argument("scenarios", nargs="+", metavar=_("SCENARIO"),
                         help=_("scenario files or bundled names"))
    p_check.add_argument("--max-entries", type=_count, default=2000, metavar="N",
                         help=_("check at most N entries per scenario, a seeded sample beyond that "
                                "(default 2000)"))

    p_export = sub.add_parser(
        "export", parents=[language, memory], help=_("print a scenario as a PyTorch script"),
        description=_("Print a self-contained PyTorch script that trains the scenario as gradstep "
                      "does: the same initial values, data, loss, optimizer and batch order. Run "
                      "with PyTorch, it prints one JSON object per step (step, loss, params) with "
                      "the numbers of 'gradstep run SCENARIO --full'. A scenario using something "
                      "the script cannot express yet is refused with a one-line message."))
    p_export.add_argument("--torch", action="store_true",
                          help=_("write PyTorch code (the only format so far)"))
    p_export.add_argument("scenario", metavar=_("SCENARIO"), help=_("scenario file or bundled name"))
    p_export.add_argument("--steps", type=_count, metavar="N",
                          help=_("number of steps (default: the scenario's training.steps)"))

    from gradstep.tui.commands.serve import add_arguments

    p_serve = sub.add_parser(
        "serve", parents=[language], help=_("serve the dashboard as a web page"),
        description=_("Serve the dashboard as a web page with textual-serve: every browser tab that "
                      "opens the address gets its own dashboard on the scenario. Listens on "
                      "127.0.0.1 (this computer only) unless --host asks for another address. "
                      "Every page needs the token printed in the link; the dashboards open only "
                      "the bundled scenarios and one folder, and send exports and pictures to the "
                      "browser as downloads. See docs/classroom.md. Ctrl+C stops it."))
    add_arguments(p_serve)
    return parser


def _count(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a whole number, got {text}").format(text=repr(text))) from None
    if value < 0:
        raise argparse.ArgumentTypeError(_("expected a number >= 0, got {value}").format(value=value))
    return value


def _language_asked(argv):
    """The value of ``--lang`` wherever it is in ``argv`` (None when absent or malformed, which
    the parser then reports), so that the parser's own texts are built in that language."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        else:
            continue
        return value if value in LANGUAGES else None
    return None


def main(argv=None):
    """Entry point of the ``gradstep`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # One BLAS thread, before NumPy loads: on matrices this small a second OpenBLAS thread only
    # spins after each product, and on a 2-core machine it takes the core the dashboard draws on
    # (784-128-10 on screen: 12-67 steps/s with two threads, 300 with one; no slower headless).
    # A value the user set wins.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    install(choose_language(_language_asked(argv)))
    # `gradstep [--lang pt] [SCENARIO]` opens the dashboard: the command is the first word that
    # is not --lang or its value.
    head = 2 if argv[:1] == ["--lang"] else 1 if argv[:1] and argv[0].startswith("--lang=") else 0
    rest = argv[head:]
    if not rest or (rest[0] not in COMMANDS and not rest[0].startswith("-")) \
            or rest[0].split("=", 1)[0] == "--memory-limit":
        argv.insert(head, "open")
    args = build_parser().parse_args(argv)
    if args.command == "run" and (args.scenario is None) == (args.resume is None):
        if args.scenario is None:  # argparse's own words, as when SCENARIO was required
            args.parser.error(_("the following arguments are required: %s") % _("SCENARIO"))
        args.parser.error(_("give a SCENARIO or --resume FILE.gradstep, not both"))
    from gradstep.engine import memory

    asked = getattr(args, "memory_limit", None)  # list has no such option
    try:
        limit = None if asked is None else memory.parse_size(asked)
    except ValueError as exc:  # before anything is loaded, in one line
        _say("gradstep: --memory-limit: " + str(exc))
        return EXIT_INVALID
    previous = memory.set_limit(limit) if limit is not None else None
    try:
        return _run_command(args)
    finally:
        if previous is not None:
            memory.set_limit(previous)


def _run_command(args):
    """Run the parsed command; every way it can fail ends here in one line and an exit status
    (see DESCRIPTION), never a traceback."""
    from gradstep.engine.errors import ScenarioError
    from gradstep.engine.training.atomic_file import ExportError, abandon_unfinished
    from gradstep.tui.commands.termination import Stopped, exit_status, quiet_stdout, stopping_on_signals

    # The headless commands unwind on SIGTERM and SIGHUP; the dashboard closes as on Ctrl+C
    # (cmd_open); the server answers them its own way.
    stopping = stopping_on_signals() if args.command in ("list", "run", "check", "export") else nullcontext()
    try:
        with stopping:
            status = _dispatch(args)
            sys.stdout.flush()  # a reader that went away is found here, not at the exit
            return status
    except (ScenarioError, ExportError) as exc:
        _say(f"gradstep: {exc}")
        return EXIT_INVALID
    except MemoryError as exc:
        _say("gradstep: " + _out_of_memory(exc, args))
        return EXIT_INVALID
    except BrokenPipeError:  # stdout closed early: `gradstep list | head -3`
        quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        abandon_unfinished()
        _say("gradstep: " + _("interrupted"))
        return EXIT_INTERRUPTED
    except Stopped as exc:
        abandon_unfinished()
        _say("gradstep: " + _("stopped by {signal}").format(signal=signal.Signals(exc.signum).name))
        return exit_status(exc.signum)


def _dispatch(args):
    if args.command == "list":
        return cmd_list()
    if args.command == "run":
        from gradstep.tui.commands.run import run_scenario

        return run_scenario(args)
    if args.command == "check":
        from gradstep.tui.commands.check import check_scenarios

        return check_scenarios(args.scenarios, args.max_entries)
    if args.command == "export":
        from gradstep.tui.commands.export_torch import export_scenario

        return export_scenario(args)
    if args.command == "serve":
        from gradstep.tui.commands.serve import serve_dashboard

        return serve_dashboard(args)
    if args.command == "learn":
        from gradstep.engine.scenario.lesson import load_lesson, resolve_lesson
        from gradstep.tui.i18n import language

        lesson = load_lesson(resolve_lesson(args.lesson, language()))  # a bad file: one line, exit 2
        return cmd_open(str(lesson.scenario), lesson)
    return cmd_open(args.scenario)


def _out_of_memory(exc, args):
    """The last resort for a MemoryError the budget did not foresee, in the budget's words:
    what was asked for (NumPy says the shape it could not allocate) and the budget in force."""
    from gradstep.engine import memory

    shape, dtype = getattr(exc, "shape", None), getattr(exc, "dtype", None)
    limit = memory.human(memory.limit())
    if shape is not None and dtype is not None:
        what = _("an array of {shape} numbers").format(shape=" x ".join(map(str, shape)) or "1")
        text = _("this needs about {size} of memory for {what}, more than this computer could "
                 "give (limit {limit})").format(
            size=memory.human(memory.array_bytes(shape, dtype.itemsize)), what=what, limit=limit)
    else:
        text = _("this needs more memory than this computer could give (limit {limit})").format(
            limit=limit)
    names = getattr(args, "scenarios", None) or [getattr(args, "scenario", None)]
    return f"{names[0]}: {text}" if len(names) == 1 and names[0] else text


def cmd_list():
    from gradstep.engine.scenario import bundled_scenarios

    entries = bundled_scenarios(language())
    width = max((len(name) for name, _description, _path in entries), default=0)
    for name, description, _path in entries:
        print(f"{name.ljust(width)}  {description}".rstrip())
    return EXIT_OK


def cmd_open(name_or_path, lesson=None):
    from gradstep.engine.scenario import DEFAULT_SCENARIO, load_scenario, resolve_scenario
    from gradstep.engine.training.save_file import is_save_file, load

    resumed = None
    if name_or_path and is_save_file(name_or_path):
        path = Path(name_or_path)
        resumed = load(path)  # a damaged file is reported here in one line, before any screen
    else:
        path = resolve_scenario(name_or_path or DEFAULT_SCENARIO)
        load_scenario(path)  # a broken file is reported here, before any screen starts
    from gradstep.tui.app import run_dashboard
    from gradstep.tui.commands.termination import Stopped, stopping_like_ctrl_c

    started = []

    def close():
        # From the signal handler, on the main thread, which runs the app's event loop: the
        # exit is scheduled on that loop (Textual keeps it in ``_loop`` while the app runs).
        loop = getattr(started[0], "_loop", None) if started else None
        if loop is None or loop.is_closed() or not started[0].is_running:
            return False
        loop.call_soon_threadsafe(started[0].exit)
        return True

    with stopping_like_ctrl_c(close) as caught:
        try:
            status = run_dashboard(path, started.append, lesson, resumed)
        except KeyboardInterrupt:
            if not caught:
                raise
    if caught:  # the app has closed and given the terminal back; say which signal it was
        raise KeyboardInterrupt if caught[0] == signal.SIGINT else Stopped(caught[0])
    return status


if __name__ == "__main__":
    sys.exit(main())
