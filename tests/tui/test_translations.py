"""Issue 8: a string shown on screen without a translation fails a test.

Two nets catch it. The static one reads the sources (``tests/i18n_sources.py``): every message
``tui/`` marks has a Portuguese entry with the same placeholders, and the compiled ``.mo`` holds
exactly what the ``.po`` says. The screen one catches text that was never marked at all: it shows
the same screens in English and in Portuguese, and any word a person reads in *both* is suspect
unless it is a word the Portuguese catalog itself uses (``total``, ``Adam``), a name from the
scenario (its parameters, layers, optimizer), or one of the few names listed in SAME_IN_BOTH.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gradstep.engine.scenario import bundled_scenarios, load_scenario, resolve_scenario
from tests.i18n_sources import (load_catalog, marked_messages, misuses, placeholder_mismatches,
                                untranslated)
from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp

from .conftest import settle
from .screen_text import screen_text

PO = Path(__file__).resolve().parents[2] / "tui/locale/pt_BR/LC_MESSAGES/gradstep.po"

SAME_IN_BOTH = {
    # names of things, the same in Portuguese: the program, keys on the keyboard, file formats
    "gradstep", "space", "esc", "tab", "pgup", "pgdn", "backspace", "home", "end", "escape", "enter", "ctrl", "shift",
    "jsonl", "csv", "json", "svg", "png", "toml", "nan", "inf",
    # the tutorial's symbols and the engine's identifiers (issue 8 keeps them in both languages)
    "alpha", "beta", "beta1", "beta2", "eps", "lr", "hat", "grad", "exp", "log", "sqrt", "tanh",
    "relu", "sigmoid", "softmax", "linear", "mse", "mae", "huber", "bce", "logits", "sgd", "adam",
    "adamw", "amsgrad", "rmsprop", "adagrad", "nesterov", "momentum", "float", "max", "min", "eff",
}

# (scenario, keys): the screens a learner meets, in both languages.
SCENES = [
    ("adam-fabc", ["space", "space", "n"]),                      # the dashboard at step 12
    ("adam-fabc", ["space", "question_mark"]),                   # help
    ("adam-fabc", ["n", "c"]),                                   # chain rule
    ("adam-fabc", ["n", "k"]),                                   # gradient check
    ("adam-fabc", ["n", "f"]),                                   # fit (of an objective: a hint)
    ("adam-fabc", ["n", "s"]),                                   # surface slice
    ("adam-fabc", ["n", "n", "b", "b", "space"]),                # a branch in time
    ("adam-fabc", ["o"]),                                        # open dialog
    ("adam-fabc", ["n", "colon"]),                               # jump dialog
    ("adam-fabc", ["n", "e"]),                                   # export dialog
    ("gd-fabc-large-lr", ["N"]),                                 # the divergence banner
    ("moons", ["n", "g"]),                                       # a network, validation, log
    ("moons", ["n", "f"]),                                       # decision regions
    ("xor", ["n", "l", "right", "down"]),                        # layers, cursor, up close
    ("linear-regression", ["n", "f"]),                           # a fitted line
    ("rosenbrock-race", ["C", "n"]),                             # a race
]

WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")
NAME = re.compile(r"\S*[A-Za-z0-9][-./_][A-Za-z0-9]\S*")
"""A token joined by ``-``, ``.``, ``/`` or ``_``: a file or scenario name (``./adam-fabc-trace.jsonl``,
``chain-rule``, ``layer1.W``), the same in every language."""


def words(text: str) -> dict[str, str]:
    """``{word in lower case: the line it is on}`` for the words of three letters or more,
    leaving out names (see NAME)."""
    found = {}
    for line in text.splitlines():
        for word in WORD.findall(NAME.sub(" ", line)):
            found.setdefault(word.lower(), line.strip())
    return found


def scenario_words(name: str) -> set[str]:
    """Names the scenario gives things (parameters, layers, columns, optimizers): not language."""
    scenario = load_scenario(resolve_scenario(name))
    texts = [scenario.name, repr(scenario.model), repr(scenario.optimizer),
             repr(getattr(scenario, "compare", "")), scenario.loss or ""]
    return {w.lower() for t in texts for w in WORD.findall(t)}


def catalog_words() -> set[str]:
    catalog = load_catalog()
    found = set()
    for value in catalog._catalog.values():  # every Portuguese text, plural forms included
        found.update(w.lower() for w in WORD.findall(value))
    return found


async def shown(name: str, keys: list[str], lang: str) -> str:
    i18n.install(lang)
    try:
        app = GradstepApp(name)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            return screen_text(app)
    finally:
        i18n.install("en")


@pytest.mark.parametrize("name, keys", SCENES, ids=[f"{n}-{'-'.join(k)}" for n, k in SCENES])
async def test_a_portuguese_screen_shows_no_english(name, keys):
    english = words(await shown(name, keys, "en"))
    portuguese = words(await shown(name, keys, "pt"))
    bundled = {w.lower() for entry in bundled_scenarios() for w in WORD.findall(entry[0])}
    allowed = SAME_IN_BOTH | catalog_words() | scenario_words(name) | bundled  # names listed by `o`
    suspects = {w: line for w, line in portuguese.items() if w in english and w not in allowed}
    assert not suspects, "shown in both languages:\n" + "\n".join(
        f"  {w!r} in: {line}" for w, line in sorted(suspects.items()))


def test_the_net_can_fail():
    english = words("step 12  loss 0.5  press space to step  ./adam-fabc-trace.jsonl")
    portuguese = words("passo 12  perda 0.5  press space to step  ./adam-fabc-trace.jsonl")  # unmarked
    allowed = SAME_IN_BOTH | catalog_words()
    suspects = {w for w in portuguese if w in english and w not in allowed}
    assert suspects == {"press", "step"} - allowed and "press" in suspects


def test_every_message_of_the_interface_has_a_portuguese_translation():
    messages = marked_messages(["tui"])
    assert len(messages) > 300
    assert not misuses(["tui"])
    missing = untranslated(messages, load_catalog(), allow_same=("ok", "OK"))  # "ok" in Portuguese too
    assert not missing, "\n".join(f"{m.path}:{m.line}: {m.msgid!r}" for m in missing)
    assert not placeholder_mismatches(messages, load_catalog())


def parse_po(text: str) -> dict[str, str]:
    """``{msgid: msgstr}`` of a .po file (plural entries keyed by msgid, forms joined by NUL),
    read independently of gettext's .mo reader."""
    entries, current, field = {}, {}, None

    def unquote(s):
        return bytes(s.strip()[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")

    def flush():
        if "msgid" in current:
            if "msgstr[0]" in current:
                forms = [current[k] for k in sorted(k for k in current if k.startswith("msgstr["))]
                entries[current["msgid"] + "\0" + current["msgid_plural"]] = "\0".join(forms)
            else:
                entries[current["msgid"]] = current.get("msgstr", "")
        current.clear()

    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line:
            flush()
            field = None
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[field] += unquote(line)
        else:
            field, rest = line.split(" ", 1)
            if field == "msgid" and "msgid" in current and ("msgstr" in current or "msgstr[0]" in current):
                flush()
            current[field] = unquote(rest)
    return entries


def test_the_compiled_catalog_is_the_po_file():
    po = parse_po(PO.read_text(encoding="utf-8"))
    mo = load_catalog()._catalog
    po.pop("", None)
    assert len(po) > 600
    for key, value in po.items():
        if "\0" in key:
            singular = key.split("\0")[0]
            forms = value.split("\0")
            assert [mo.get((singular, i)) for i in range(len(forms))] == forms, singular
        else:
            assert mo.get(key) == value, key
