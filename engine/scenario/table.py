"""Reading one TOML table of a scenario file, value by value, with errors that name the key.

:class:`_Table` is the primitive the scenario reader (:mod:`gradstep.engine.scenario.reader`,
:mod:`gradstep.engine.scenario.model_reader`) is built from: it knows its key path, so that every error names
the key, finds its line in the text and says what was expected and what was found. Every
message is written in English and looked up in the installed translation (:mod:`gradstep.engine.i18n`).
"""

from __future__ import annotations

import difflib
import math

import numpy as np

from gradstep.engine.scenario import data as _data
from gradstep.engine.errors import ScenarioError, format_key
from gradstep.engine.i18n import _
from gradstep.engine.scenario.text import control_message, printable

MAX_UNITS = 4096
MAX_LAYERS = 16
MAX_PARAMETERS = 10_000_000
MAX_STEPS = 1_000_000
MAX_COMPARE = 8

_REQUIRED = object()


def _type_name(value):
    return _data._type_name(value)


def _show(value):
    """A value of the file as an error shows it: TOML's spelling, strings cut at 40 characters."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{printable(value[:40])}"' + ("..." if len(value) > 40 else "")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        # Python refuses to print integers of more than 4300 digits; TOML allows them.
        return f"{value:,}" if value.bit_length() <= 64 else _("an integer too large")
    return _type_name(value)


SYNONYMS = {
    "learning_rate": "lr", "learningrate": "lr", "alpha": "lr", "step_size": "lr", "epsilon": "eps",
    "beta_1": "beta1", "beta_2": "beta2", "b1": "beta1", "b2": "beta2", "decay": "weight_decay",
    "l2": "weight_decay", "mu": "momentum", "epochs": "steps", "iterations": "steps",
}
"""Names other libraries and papers use for a key, each with ours (``learning_rate`` is
``lr``): a hint offers ours when it is among the choices."""


def _did_you_mean(word, choices, **options):
    """``"; did you mean `x`?"`` for the choice closest to ``word``, or ``""``.

    A choice spelt the same but for case (``MSE`` for ``mse``) or a synonym of
    :data:`SYNONYMS` comes first; otherwise the closest spelling, if any is close enough.
    """
    choices = list(choices)
    folded = word.casefold() if isinstance(word, str) else word
    hint = [c for c in choices if isinstance(c, str) and c.casefold() == folded]
    if not hint and SYNONYMS.get(folded) in choices:
        hint = [SYNONYMS[folded]]
    if not hint:
        hint = difflib.get_close_matches(word, choices, n=1, **options)
    return _("; did you mean `{name}`?").format(name=hint[0]) if hint else ""


def _readonly(array):
    array.flags.writeable = False
    return array


class _Table:
    """A TOML table being read, with its key path (for errors) and the keys it allows."""

    def __init__(self, reader, values, path):
        self.reader = reader
        self.values = values
        self.path = path

    def __contains__(self, key):
        return key in self.values

    def fail(self, key, message, *, extra=()):
        path = self.path if key is None else self.path + (key,) + tuple(extra)
        return self.reader.fail(path, message)

    @property
    def where(self):
        """``in [optimizer]``, ``in compare[3]`` or ``in the top level``: one phrase, so that a
        translation can contract its preposition with the article."""
        if not self.path:
            return _("in the top level")
        if any(isinstance(p, int) for p in self.path):
            table = format_key(self.path)  # compare[3], model.layers[0]
        else:
            table = f"[{format_key(self.path)}]"
        return _("in {table}").format(table=table)

    def allow(self, allowed, *, explain=None):
        """Refuse keys outside ``allowed``; ``explain(key)`` may give a better message."""
        for key in self.values:
            if key in allowed:
                continue
            message = explain(key) if explain else None
            if message is None:
                message = (_("unknown key `{key}` {where}{hint} (expected one of: {keys})")
                           .format(key=printable(key), where=self.where, keys=", ".join(allowed),
                                   hint=_did_you_mean(key, allowed, cutoff=0.6)))
            raise self.fail(key, message)

    def get(self, key, default, what, check):
        if key not in self.values:
            if default is _REQUIRED:
                raise self.fail(key, _("missing `{key}` {where} (expected {what})")
                                .format(key=key, where=self.where, what=what))
            return default
        value = self.values[key]
        if not check(value):
            raise self.fail(key, _("expected {what}, got {got}")
                            .format(what=what, got=_show(value)))
        return value

    def string(self, key, default=_REQUIRED, *, choices=None, max_len=200, allow=""):
        """A string; ``allow`` lists the control characters it may hold (``"\\n\\t"`` for
        notes), every other one is refused (see
        :func:`gradstep.engine.scenario.text.unsafe_character`)."""
        if choices:
            what = _("one of {choices}").format(choices=", ".join(choices))
        else:
            what = _("a string")
        value = self.get(key, default, what, lambda v: isinstance(v, str))
        if value is default:
            return value
        if choices and value not in choices:
            raise self.fail(key, _("unknown {key} `{value}`{hint} (expected one of: {choices})")
                            .format(key=key, value=printable(value[:40]), choices=", ".join(choices),
                                    hint=_did_you_mean(value, choices)))
        if len(value) > max_len:
            raise self.fail(key, _("too long ({length} characters; the limit is {limit})")
                            .format(length=len(value), limit=max_len))
        message = control_message(value, allow)
        if message:
            raise self.fail(key, message)
        return value

    def one_line(self, key, notes_key, max_len=200):
        """A string of one line (a description), at most ``max_len`` characters; "" if absent."""
        value = self.string(key, "", max_len=max_len, allow="\n")
        if "\n" in value:
            raise self.fail(key, _("the description is one line (use `{notes}` for more)")
                            .format(notes=notes_key))
        return value

    def number(self, key, default=_REQUIRED, *, low=-math.inf, high=math.inf, low_open=False,
               high_open=False):
        # Infinities are never accepted (a value must be finite), so their ends are open:
        # `lr = inf` reads "expected a number in (0, inf), got inf", not "(0, inf]".
        interval = (f"{'(' if low_open or low == -math.inf else '['}{low:g}, "
                    f"{high:g}{')' if high_open or high == math.inf else ']'}")
        if (low, high) != (-math.inf, math.inf):
            what = _("a number in {interval}").format(interval=interval)
        else:
            what = _("a number")
        value = self.get(key, default, what, _data._is_number)
        if value is default:
            return value
        try:
            value = float(value)
        except OverflowError:
            raise self.fail(key, _("expected {what}, got {got}")
                            .format(what=what, got=_("a number too large"))) from None
        if not math.isfinite(value) or value < low or value > high or \
                (low_open and value == low) or (high_open and value == high):
            raise self.fail(key, _("out of range (expected {what}, got {got})")
                            .format(what=what, got=_show(value)))
        return value

    def integer(self, key, default=_REQUIRED, *, low, high):
        what = _("a whole number in {interval}").format(interval=f"[{low:,}, {high:,}]")
        value = self.get(key, default, what, lambda v: isinstance(v, int) and not isinstance(v, bool))
        if value is default:
            return value
        if not low <= value <= high:
            raise self.fail(key, _("out of range (expected {what}, got {got})")
                            .format(what=what, got=_show(value)))
        return value

    def boolean(self, key, default=_REQUIRED):
        return self.get(key, default, _("true or false"), lambda v: isinstance(v, bool))

    def table(self, key, default=_REQUIRED):
        value = self.get(key, default, _("a table"), lambda v: isinstance(v, dict))
        if value is default:
            return value
        return _Table(self.reader, value, self.path + (key,))

    def tables(self, key, *, low=1, high=MAX_LAYERS):
        """A list of tables, such as ``layers = [{...}, ...]`` or ``[[compare]]`` entries."""
        value = self.get(key, _REQUIRED, _("a list of tables"), lambda v: isinstance(v, list))
        if not low <= len(value) <= high:
            raise self.fail(key, _("expected {low} to {high} entries, got {count}")
                            .format(low=low, high=high, count=len(value)))
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(key, _("entry {index} should be a table, got {got}")
                                .format(index=i, got=_show(item)), extra=(i,))
            out.append(_Table(self.reader, item, self.path + (key, i)))
        return out

    def array(self, key, default=_REQUIRED, *, dtype=np.float64):
        value = self.get(key, default, _("a number or a list of numbers"), lambda v: True)
        if value is default:
            return value
        try:
            return _readonly(_data.numeric_array(value, dtype=dtype))
        except ScenarioError as exc:
            raise self.fail(key, exc.message) from None
