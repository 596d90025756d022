"""One memory budget for the arrays a scenario decides the size of.

A scenario file of a few bytes can ask for gigabytes: constants that broadcast to ``N x N``, a
network of 4096 units on a million generated rows. Every array whose size a scenario decides is
checked against one budget *before* it is made, from its shape, and an array over the budget
raises :class:`MemoryBudgetError` (a :class:`~gradstep.engine.errors.ScenarioError`, so it reads
and is handled like every other problem with a file)::

    big.toml:4: constants.P: this needs about 7.9 GB of memory for the broadcast of P and Q
    (limit 1 GiB)

The budget is per process (each dashboard of a classroom server is a process of its own):
:data:`DEFAULT_LIMIT` unless :func:`set_limit` (the command line's ``--memory-limit``) says
otherwise.
"""

from __future__ import annotations

import math
import re

from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _

__all__ = ["DEFAULT_LIMIT", "MemoryBudgetError", "limit", "set_limit", "parse_size", "check",
           "array_bytes", "human"]

DEFAULT_LIMIT = 1 << 30
"""1 GiB of arrays per session."""

_limit = DEFAULT_LIMIT


class MemoryBudgetError(ScenarioError):
    """An array a scenario asks for would not fit the memory budget.

    Attributes (beyond :class:`ScenarioError`'s): ``needed`` and ``limit`` in bytes, ``what``
    the array, in words.
    """

    def __init__(self, needed: int, what: str, limit_bytes: int, *, key: str | None = None,
                 file=None, line: int | None = None):
        message = _("this needs about {size} of memory for {what} (limit {limit})").format(
            size=human(needed), what=what, limit=human(limit_bytes))
        super().__init__(message, file=file, line=line, key=key)
        self.needed, self.what, self.limit = needed, what, limit_bytes


def limit() -> int:
    """The budget in bytes."""
    return _limit


def set_limit(nbytes: int) -> int:
    """Set the budget (bytes, at least 1); returns the previous one, for restoring it."""
    global _limit
    if not isinstance(nbytes, int) or nbytes < 1:
        raise ValueError(f"a memory limit is a positive number of bytes, got {nbytes!r}")
    previous, _limit = _limit, nbytes
    return previous


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 1 << 10, "m": 10**6, "mb": 10**6,
          "mib": 1 << 20, "g": 10**9, "gb": 10**9, "gib": 1 << 30, "t": 10**12, "tb": 10**12,
          "tib": 1 << 40}


def parse_size(text: str) -> int:
    """``"512MiB"``, ``"2G"``, ``"1.5 GB"``, ``"100000000"`` -> bytes. Raises ValueError with a
    message that says what is accepted."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
    unit = match and match.group(2).lower()
    if not match or unit not in _UNITS:
        raise ValueError(_("expected a size such as 512MiB, 2GiB or 800MB, got {got!r}").format(
            got=text))
    nbytes = int(float(match.group(1)) * _UNITS[unit])
    if nbytes < 1:
        raise ValueError(_("expected a size such as 512MiB, 2GiB or 800MB, got {got!r}").format(
            got=text))
    return nbytes


def array_bytes(shape, itemsize: int = 8) -> int:
    """Bytes of an array of this shape (Python integers: no overflow however large)."""
    return math.prod(int(n) for n in shape) * int(itemsize)


def check(nbytes: int, what: str, *, key: str | None = None) -> None:
    """Raise :class:`MemoryBudgetError` if ``nbytes`` is over the budget."""
    if nbytes > _limit:
        raise MemoryBudgetError(int(nbytes), what, _limit, key=key)


def human(nbytes: int) -> str:
    """``8_480_000_000`` -> ``7.9 GiB``-style text: binary units, one decimal below 10."""
    value = float(nbytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            break
        value /= 1024
    if unit == "bytes":
        return f"{int(value)} bytes"
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return f"{text.removesuffix('.0')} {unit}"
