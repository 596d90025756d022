"""Fuzz figures for the scenario loader: cases run, what escaped, and how many distinct messages.

Run from the repository root::

    .venv/bin/python benchmarks/fuzz_loader.py [--cases 20000] [--seed 0]

Uses the generators of the tests (``tests/engine/scenario_fuzz.py``: random bytes, random TOML
fragments, mutated bundled scenarios), with a seeded ``random.Random`` instead of hypothesis, an
equal share of each kind. For every case it records what the loader did: loaded, raised
``ScenarioError`` (good), or raised anything else or warned (a failure, printed with its
input). Every ``ScenarioError`` is also held to the tests' rule (:func:`check_error`: starts
with the file's name, names a key or a line unless about the whole file).

Prints a table per kind, then the number of distinct messages, and of distinct kinds of message
once the values in them (numbers, quoted text, names in backquotes, paths) are replaced by
placeholders, and of distinct kinds of problem (the key replaced as well), with the most
frequent kinds of message. Exit status 1 when anything but ``ScenarioError``
escaped or a message broke the rule.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradstep.engine.errors import ScenarioError  # noqa: E402
from tests.engine.scenario_fuzz import KINDS, RandomChooser, check_error, load_case, make_case  # noqa: E402

_VALUES = [
    (re.compile(r"^(?:[^:]*\.(?:toml|csv))(?::\d+)?: "), ""),  # the file (and line) in front
    (re.compile(r"`[^`]*`"), "`…`"),
    (re.compile(r'"(?:[^"\\]|\\.)*"(?:\.\.\.)?'), '"…"'),
    (re.compile(r"'(?:[^'\\]|\\.)*'"), "'…'"),
    (re.compile(r"\[\d+\]"), "[i]"),
    (re.compile(r"(?<![\w/-])(?:/[\w.\-]+)+"), "/PATH"),
    (re.compile(r"(?<![\w.-])[-+]?(?:\d[\d,_]*\.?\d*(?:e[-+]?\d+)?|inf|nan)(?![\w])", re.I), "N"),
]


_KEY = re.compile(r"^[\w.\[\]…]+: ")


def kind_of(text: str) -> str:
    """The message with its values replaced by placeholders."""
    for pattern, placeholder in _VALUES:
        text = pattern.sub(placeholder, text)
    return text


def problem_of(kind: str) -> str:
    """A kind of message with the key it names replaced too: the kind of problem."""
    return _KEY.sub("KEY: ", kind)


def _show_input(content, limit=300) -> str:
    text = content if isinstance(content, str) else repr(content)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def run(cases: int, seed: int, folder: Path):
    outcomes = {kind: collections.Counter() for kind in KINDS}
    messages, kinds, failures = collections.Counter(), collections.Counter(), []
    started = time.perf_counter()
    for i in range(cases):
        kind = KINDS[i % len(KINDS)]
        path, content = make_case(RandomChooser(seed * 1_000_003 + i), kind, folder)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a warning escaping the loader is a failure too
                load_case(path, content)
        except ScenarioError as err:
            outcomes[kind]["ScenarioError"] += 1
            text = str(err)
            messages[text] += 1
            kinds[kind_of(text)] += 1
            problems = check_error(err, path, content)
            if problems:
                outcomes[kind]["message breaks the rule"] += 1
                failures.append((i, kind, f"ScenarioError {'; '.join(problems)}: {text}", content))
        except BaseException as exc:  # noqa: BLE001 -- counting exactly these is the point
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcomes[kind][type(exc).__name__] += 1
            failures.append((i, kind, f"{type(exc).__name__}: {exc}", content))
        else:
            outcomes[kind]["loaded"] += 1
    return outcomes, messages, kinds, failures, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=15, help="most frequent kinds of message shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        outcomes, messages, kinds, failures, seconds = run(args.cases, args.seed, Path(folder))

    columns = sorted({name for counter in outcomes.values() for name in counter},
                     key=lambda n: (n != "loaded", n != "ScenarioError", n))
    print(f"{args.cases:,} cases (seed {args.seed}) in {seconds:.1f} s, "
          f"{1e3 * seconds / max(args.cases, 1):.2f} ms a case\n")
    print("| input | cases | " + " | ".join(columns) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _c in columns) + " |")
    total = collections.Counter()
    for kind, counter in outcomes.items():
        total.update(counter)
        print(f"| {kind} | {sum(counter.values()):,} | " + " | ".join(f"{counter[c]:,}" for c in columns) + " |")
    print(f"| all | {sum(total.values()):,} | " + " | ".join(f"{total[c]:,}" for c in columns) + " |")
    problems = {problem_of(kind) for kind in kinds}
    print(f"\ndistinct error messages: {len(messages):,}; distinct kinds of message (values "
          f"replaced by placeholders): {len(kinds):,}; distinct kinds of problem (the key "
          f"replaced too): {len(problems):,}\n")
    print(f"most frequent kinds of message (of {sum(kinds.values()):,} errors):")
    for text, count in kinds.most_common(args.top):
        print(f"{count:>7,}  {text[:150]}")
    if failures:
        print(f"\n{len(failures)} FAILURES (anything but ScenarioError, or a message breaking the rule):")
        for i, kind, what, content in failures[:20]:
            print(f"- case {i} ({kind}): {what[:300]}\n  input: {_show_input(content)}")
        sys.exit(1)
    print("\nno failure: only ScenarioError escaped, and every message names its file and its key or line")


if __name__ == "__main__":
    main()
