"""Inputs for fuzzing the scenario loader, shared by the tests and ``benchmarks/fuzz_loader.py``.

Each generator takes a *chooser*: the tests pass :class:`DrawChooser` (choices drawn by
hypothesis, which then shrinks a failure to a small case), the benchmark passes
:class:`RandomChooser` (a seeded ``random.Random``, fast enough for tens of thousands of
cases). Kinds of input:

- ``bytes``: random bytes, often around a valid file's text (written to a file and read by
  ``load_scenario``, so that the UTF-8 decoding and the size limit are exercised too);
- ``fragments``: random sequences of TOML lines that appear in scenario files;
- ``mutated``: a bundled scenario with 1-4 mutations: deleted, duplicated, truncated or swapped
  lines, values replaced (other types, huge and tiny numbers, paths, deep nesting), keys renamed,
  and values swapped between two keys.

:func:`check_error` states what every error must look like: it starts with the file's name, and
names a key or a line unless it is about the file as a whole.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from gradstep.engine.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = tuple(sorted((ROOT / "scenarios").glob("*.toml")))
KINDS = ("bytes", "fragments", "mutated")


class RandomChooser:
    """Choices from a seeded :class:`random.Random`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choice(self, options):
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def raw(self, size: int) -> bytes:
        return self.rng.randbytes(size)


class DrawChooser:
    """Choices drawn by hypothesis (``st.data()``), so that failures shrink."""

    def __init__(self, data) -> None:
        from hypothesis import strategies as st

        self._st = st
        self.data = data

    def choice(self, options):
        return self.data.draw(self._st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(self._st.integers(low, high))

    def raw(self, size: int) -> bytes:
        return self.data.draw(self._st.binary(min_size=size, max_size=size))


def _nested(depth: int, open_: str, close: str, inner: str = "1") -> str:
    return open_ * depth + inner + close * depth


REPLACEMENTS = (
    # numbers: zero, negative, out of range, not finite, huge, tiny
    "0", "-1", "1e400", "nan", "inf", "-inf", "0.0", "1e-300", "4097", "1000001", "999999999999",
    "0x" + "f" * 5000, "1" + "0" * 5000, "1" + "0" * 30, "-" + "9" * 25, "17", "2", "0.5",
    # other types
    '"x"', '""', "true", "[]", "[[]]", "[1, [2]]", "{}", "{ a = 1 }", "[1, 2, 3]", "1979-05-27",
    '"tanh"', '"cross_entropy"', '"adam"',
    # paths and expressions
    '"../x.csv"', '"/etc/passwd"', '"/dev/zero"', '"a.b"', '"(((("', '"1/0"', '"__import__"',
    # deep nesting: arrays, inline tables, parentheses in an expression
    _nested(40, "[", "]"), _nested(600, "[", "]"), _nested(100_000, "[", "]"),
    _nested(40, "{ a = ", " }"), _nested(5000, "{ a = ", " }"),
    '"' + _nested(200, "(", ")", "a") + '"', '"' + _nested(50_000, "(", ")", "a") + '"',
    '"' + "-" * 20_000 + 'a"', '"' + "a + " * 30_000 + 'a"',
    # text that must not reach a terminal, labels past int64, sizes at the memory budget's edge
    '"\\u001b]0;pwned\\u0007"', '"\\u001b[2J"', '"a\\u202eb"', '"x\\u0000.csv"', '"\\u009b2J"',
    '"."', "1e19", "1000000", "4096", "[[1.0], [2.0], [3.0]]",
)
"""Values a mutation writes in place of a setting's value."""

KEYS = ("lr", "kind", "units", "n", "beta1", "rho", "steps", "inputs", "classes", "expression",
        "y", "x", "zz", "params", "layers", "activation", "csv", "generator", "seed", "dtype")
"""Keys a mutation writes in place of a setting's key."""

FRAGMENTS = (
    "[objective]\n", "[model]\n", "[data]\n", "[loss]\n", "[optimizer]\n", "[[compare]]\n",
    "[training]\n", 'name = "f"\n', 'expression = "a**2"\n', "params = { a = 1.0 }\n",
    "inputs = 2\n", 'layers = [{units = 2, activation = "tanh"}, {units = 1}]\n',
    "x = [[0, 1], [1, 0]]\n", "y = [0, 1]\n", 'generator = "xor"\n', "n = 5\n", 'kind = "adam"\n',
    'kind = "cross_entropy"\n', "lr = 0.1\n", "steps = 3\n", "batch_size = 1\n", "validation = 0.5\n",
    "weights = [{W = [[1, 2]], b = [1]}]\n", 'csv = "x.csv"\n', "constants = { k = [1, 2] }\n",
    "x = [1, 2]\n", "rho = 2\n", "seed = -3\n", "= 1\n", "[\n", '"\n', "nan\n",
)
"""TOML lines that random scenario texts are made of."""


def _settable_lines(lines: list[str]) -> list[int]:
    """Indexes of lines outside triple-quoted strings: mutate the settings, not the notes."""
    inside, settable = False, []
    for i, line in enumerate(lines):
        if not inside:
            settable.append(i)
        if line.count('"""') % 2:
            inside = not inside
    return settable


def mutated(choose) -> tuple[Path, str]:
    """A bundled scenario (its path, for errors and data files) with 1-4 mutations."""
    path = choose.choice(BUNDLED)
    lines = path.read_text().splitlines()
    settable = _settable_lines(lines)
    for _round in range(choose.integer(1, 4)):
        if not lines:
            break
        i = min(choose.choice(settable) if settable else 0, len(lines) - 1)
        action = choose.choice(("value", "delete", "duplicate", "key", "truncate", "swap", "exchange"))
        line = lines[i]
        if action == "value" and "=" in line:
            lines[i] = f"{line.split('=', 1)[0]}= {choose.choice(REPLACEMENTS)}"
        elif action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, line)
        elif action == "key" and "=" in line:
            lines[i] = f"{choose.choice(KEYS)} ={line.split('=', 1)[1]}"
        elif action == "truncate":
            lines[i] = line[: choose.integer(0, len(line))]
        elif action == "swap":
            j = choose.integer(0, len(lines) - 1)
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "exchange" and "=" in line:
            # two settings trade values: the right type for one key is often wrong for another
            others = [k for k in settable if k < len(lines) and "=" in lines[k] and k != i]
            if others:
                j = choose.choice(others)
                (ki, vi), (kj, vj) = lines[i].split("=", 1), lines[j].split("=", 1)
                lines[i], lines[j] = f"{ki}={vj}", f"{kj}={vi}"
    return path, "\n".join(lines) + "\n"


def fragments(choose) -> str:
    """Up to 14 lines of :data:`FRAGMENTS` in any order."""
    return "".join(choose.choice(FRAGMENTS) for _line in range(choose.integer(0, 14)))


def random_bytes(choose) -> bytes:
    """Random bytes (half of them ASCII) alone, or spliced into a bundled file's text."""
    noise = choose.raw(choose.integer(0, 64))
    if choose.integer(0, 1):  # ASCII, so that half the cases get past the UTF-8 decoding
        noise = bytes(b & 0x7F for b in noise)
    if choose.integer(0, 1):
        return noise
    text = choose.choice(BUNDLED).read_bytes()
    at = choose.integer(0, len(text))
    bom = b"\xef\xbb\xbf" if choose.integer(0, 3) == 0 else b""  # a byte-order mark is accepted
    return bom + text[:at] + noise + text[at + choose.integer(0, 64):]


def make_case(choose, kind: str, folder: Path) -> tuple[Path, str | bytes]:
    """``(path, content)`` of one case of ``kind``; a ``bytes`` case's file is written in
    ``folder`` (the others are given to ``loads_scenario`` with a bundled file's path, so that
    relative data paths resolve as they would)."""
    if kind == "mutated":
        return mutated(choose)
    if kind == "fragments":
        return folder / "fragments.toml", fragments(choose)
    return folder / "noise.toml", random_bytes(choose)


def load_case(path: Path, content: str | bytes):
    """Load one case: bytes through a file and ``load_scenario``, text with ``loads_scenario``."""
    from gradstep.engine.scenario import load_scenario, loads_scenario

    if isinstance(content, bytes):
        path.write_bytes(content)
        return load_scenario(path)
    return loads_scenario(content, path)


WHOLE_FILE = ("invalid TOML", "the file is larger than", "the text is longer than",
              "file not found", "cannot read the file", "a scenario needs [objective]",
              "is not a regular file", "is a folder", "the CSV file has", "not a regular file")

# What an error message may never show raw: C0 and C1 controls, DEL, line separators, bidi
# formatting characters (a message quotes text from the file escaped).
_RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
"""Message openings of errors about the file as a whole, which name neither a key nor a line."""


def check_error(err: ScenarioError, path: Path, content: str | bytes) -> list[str]:
    """What is wrong with ``err`` as the error of the scenario file ``content`` at ``path``
    (empty when nothing).

    It must start with the file's name (the scenario's, or that of a data file the scenario
    names, when the error is in that file); name a key or a line unless it is about the whole
    file; show the key and the line it holds; and be one line.
    """
    text = str(err)
    problems = []
    named = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    other_file = err.file not in (None, str(path)) and Path(err.file).name in named
    if not (text.startswith(f"{path}") or (other_file and text.startswith(err.file))):
        problems.append("does not start with the file name")
    if err.key is None and err.line is None and not err.message.startswith(WHOLE_FILE):
        problems.append("names neither a key nor a line")
    if err.key is not None and err.key not in text:
        problems.append("does not show its key")
    if err.line is not None and f":{err.line}: " not in text:
        problems.append("does not show its line")
    if "\n" in text:
        problems.append("is more than one line")
    if _RAW_CONTROL.search(text):
        problems.append("shows a control character unescaped")
    return problems
