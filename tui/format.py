"""How numbers look on screen: one place, so a test can format the engine's record the same way.

Every number the dashboard shows is a value from a :class:`~gradstep.engine.training.record.StepRecord` passed
through one of these functions; nothing here computes a quantity of the model. Numbers use the
ASCII hyphen-minus so that a learner can paste them into a calculator or a Python prompt.
"""

from __future__ import annotations

import math

import numpy as np

from gradstep.tui.i18n import _

__all__ = ["num", "fit", "short", "signed", "rate", "shape", "SUPERSCRIPTS", "superscript", "SUBSCRIPTS",
           "subscript", "theta_at", "loss_at", "sparkline", "styled"]


def num(x: float, sig: int = 4) -> str:
    """``x`` with ``sig`` significant digits: the one number format of every panel.

    The rule (docs/keys.md, "How numbers are written"): ``sig`` significant digits, always;
    fixed-point while they need no exponent and no rounded zeros (10⁻³ ≤ |x| < 10^sig),
    otherwise scientific with ``sig`` digits in the mantissa, its trailing zeros kept so that
    every number shows the same precision. With four digits: ``0.5312``, ``41.33``, ``1903``,
    ``-0.001234``, ``1.235e4`` (not ``12346``), ``1.365e5``, ``-1.300e6`` (not ``-1.3e6``),
    ``1.234e-5``; and ``0``, ``nan``, ``inf``, ``-inf``.

    Args:
        x: The value.
        sig: Significant digits (at least 1).
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    # Round to `sig` digits first: 9.99996 becomes 10.00, whose exponent is 1, not 0.
    mantissa, exponent = f"{x:.{sig - 1}e}".split("e")
    exp = int(exponent)
    if -3 <= exp < sig:
        return f"{float(mantissa + 'e' + exponent):.{sig - 1 - exp}f}"
    return f"{mantissa}e{exp}"


def fit(x: float, width: int, sig: int = 4) -> str:
    """:func:`num` with as many of ``sig`` digits as fit in ``width`` characters (at least 2):
    the panels' cells, where a number too long for its cell loses digits from the end of its
    mantissa, never its exponent.

    ``-4.561e-18`` needs 10 characters; in 9 it is shown as ``-4.56e-18``.
    """
    text = num(x, sig)
    while len(text) > width and sig > 2:
        sig -= 1
        text = num(x, sig)
    return text


def short(x: float) -> str:
    """A hyperparameter as it was written: the shortest form up to 6 digits (``0.9``, ``1e-8``)."""
    x = float(x)
    if x == 0:
        return "0"
    text = f"{x:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    return text


def signed(x: float, sig: int = 4) -> str:
    """:func:`num` with an explicit sign: ``+0.0058``, ``-1.62``."""
    text = num(x, sig)
    return text if text.startswith("-") or text == "nan" else "+" + text


def rate(per_second: float) -> str:
    """Steps per second, short: ``850/s``, ``1.9k/s``, ``12k/s``."""
    if per_second >= 10_000:
        return f"{per_second / 1000:.0f}k/s"
    if per_second >= 1000:
        return f"{per_second / 1000:.1f}k/s"
    return f"{per_second:.0f}/s"


def shape(dims: tuple[int, ...]) -> str:
    """``16×2``, ``16``, ``scalar``."""
    return "×".join(str(d) for d in dims) if dims else _("scalar")


SUPERSCRIPTS = str.maketrans("0123456789-t", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵗ")


def superscript(text: str | int) -> str:
    """``12`` -> ``¹²`` (for ``β1¹²`` in the bias corrections)."""
    return str(text).translate(SUPERSCRIPTS)


SUBSCRIPTS = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def subscript(text: str | int) -> str:
    """``12`` -> ``₁₂`` (for ``θ₁₂``, the parameters after 12 updates)."""
    return str(text).translate(SUBSCRIPTS)


def theta_at(t: int) -> str:
    """``θ₉``: the parameters after ``t`` updates (``θ₀`` the initial ones)."""
    return "θ" + subscript(t)


def loss_at(t: int) -> str:
    """``L(θ₉)``: the loss evaluated at the parameters after ``t`` updates.

    Every loss on screen is labelled this way, so that a learner can tell which parameters it
    was computed at: the record of step t holds ``L(θₜ₋₁)``, the loss whose gradient step t
    follows (as PyTorch's ``loss = f(θ); loss.backward(); opt.step()`` reports it), while a view
    of the point the session stands at (the loss surface's ◆) shows ``L(θₜ)``.
    """
    return f"L({theta_at(t)})"


BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: np.ndarray, width: int) -> str:
    """``values`` as at most ``width`` bar characters, scaled between their minimum and maximum.

    A longer series is cut into ``width`` buckets and each bucket shows its largest value, so a
    spike never disappears.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if width <= 0 or values.size == 0:
        return ""
    if values.size > width:
        edges = np.linspace(0, values.size, width + 1).astype(int)
        values = np.maximum.reduceat(values, edges[:-1])
    low, high = float(values.min()), float(values.max())
    if high == low:
        return BARS[0] * values.size
    levels = ((values - low) / (high - low) * (len(BARS) - 1)).round().astype(int)
    return "".join(BARS[i] for i in levels)


def styled(template: str, **values):
    """A translated ``template`` as Rich ``Text``, each ``{name}`` filled with ``values[name]``.

    A value is a string (or anything :func:`format` takes), a ``(string, style)`` pair drawn in
    that style, or a ``Text``. Word order is the translation's: ``_("step {t} of {n}")`` puts
    the styled numbers wherever the language wants them.
    """
    from string import Formatter

    from rich.text import Text

    text = Text()
    for literal, field, spec, _conversion in Formatter().parse(template):
        if literal:
            text.append(literal)
        if field is None:
            continue
        value = values[field]
        if isinstance(value, Text):
            text.append_text(value)
        elif isinstance(value, tuple):
            text.append(value[0], style=value[1])
        else:
            text.append(format(value, spec or ""))
    return text
