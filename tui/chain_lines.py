"""The chain rule as text: a :class:`~gradstep.engine.analysis.chain.ChainReport` written out for the learner.

Every number is one of the report's (a node's value, a local derivative, a product the engine
formed), passed through :mod:`gradstep.tui.format`; nothing here differentiates or multiplies.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from gradstep.tui.format import loss_at, num, shape
from gradstep.tui.i18n import _, ngettext

__all__ = ["entry_text", "preview", "paths_table", "layers_table", "entry_sum", "chain_renderable",
           "agrees"]

HEADING = "bold cyan"
PREVIEW = 4
"""Entries shown of an array before the ellipsis."""


def entry_text(name: str, index: tuple) -> str:
    """``a``, ``layer1.W[0, 3]``."""
    return name if not index else f"{name}[{', '.join(str(i) for i in index)}]"


def _paren(x: float) -> str:
    text = num(x)
    return f"({text})" if text.startswith("-") else text


def preview(value, count: int = PREVIEW) -> str:
    """A number, or an array as its shape and first entries: ``[200×16] 0.12, -0.5, …``."""
    if value is None:
        return ""
    if np.ndim(value) == 0:
        return num(float(value))
    flat = np.ravel(value)
    head = ", ".join(num(v) for v in flat[:count])
    more = ", …" if flat.size > count else ""
    return f"[{shape(np.shape(value))}] {head}{more}"


def agrees(a: float, b: float) -> bool:
    """The two ways of forming dL/dθ agree up to rounding (forward and reverse mode sum the
    same terms in another order)."""
    return bool(np.isclose(a, b, rtol=1e-9, atol=1e-12 * max(1.0, abs(a), abs(b))))


def paths_table(report, theta: str) -> list:
    """One table per path: each edge's local derivative, its numbers, and dnode/dθ so far."""
    out = []
    shown = len(report.paths)
    symbol = theta if len(theta) <= 3 else "θ"
    for k, path in enumerate(report.paths, start=1):
        # The nodes along the path: L, u₁, u₂, ..., θ (each named once, in the first column).
        names = ["L"] + [f"u{_subscript(i)}" for i in range(1, len(path.factors))] + [symbol]
        chain = " · ".join(f"∂{names[i]}/∂{names[i + 1]}" for i in range(len(path.factors)))
        title = Text.assemble((_("path {k} of {count}").format(k=k, count=report.path_count), "bold"),
                              f":  ∂L/∂{theta} = {chain}")
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True,
                      title=title, title_justify="left")
        table.add_column(_("node"), ratio=4, overflow="fold")
        table.add_column(_("value"), ratio=2, overflow="fold")
        # The variable the local derivative is taken with respect to (∂node/∂of).
        table.add_column(_("of"), ratio=1, overflow="fold")
        table.add_column(_("local derivative"), ratio=4, overflow="fold")
        table.add_column(_("here"), ratio=2, overflow="fold")
        table.add_column(_("∂node/∂{symbol} so far").format(symbol=symbol), ratio=2, overflow="fold")
        for i, f in enumerate(path.factors):
            local = num(f.local_at_entry) if f.local_at_entry is not None else preview(f.local, 2)
            node = f.node if f.node == names[i] else f"{names[i]} = {f.node}"
            table.add_row(*_cells(node, preview(f.value, 2), names[i + 1], f"{f.symbol} = {f.formula}",
                                  local, preview(f.carried, 2)))
        out.append(table)
        numbers = [f.local_at_entry for f in path.factors]
        line = Text("  " + _("product along the path:") + " ", style="bold")
        if all(v is not None for v in numbers):
            line.append(" · ".join(_paren(v) for v in numbers) + " = ")
        else:
            reached, u = int(np.size(path.factors[0].operand_value)), names[1]
            line.append(_("Σ over the {count} entries of {u} of ∂L/∂{u} · ∂{u}/∂{symbol}"
                          " (the last column, carried up from θ)").format(count=reached, u=u, symbol=symbol)
                        + " = ")
        line.append(num(path.product), style=HEADING)
        out.append(line)
        out.append(Text())
    if report.path_count > shown:
        more = report.path_count - shown
        out.append(Text("  " + ngettext("… and {count} more path (the sum below covers all)",
                                        "… and {count} more paths (the sum below covers all)",
                                        more).format(count=more), style="dim"))
    return out


def layers_table(report) -> Table:
    """Back-propagation layer by layer, last to first: δ_k, dL/dW_k, dL/db_k, handed down."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True,
                  title=Text(_("back-propagation through the layers, last to first"), style="bold"),
                  title_justify="left")
    table.add_column(_("layer"), width=7)
    table.add_column(_("quantity"), ratio=3, overflow="fold")
    table.add_column(_("shape"), width=8)
    table.add_column(_("first entries"), ratio=4, overflow="fold")
    last = report.layers[0].layer if report.layers else 0
    for lc in report.layers:
        k = lc.layer
        below = "x" if k == 1 else f"a{k - 1}"
        act = lc.activation
        source = ("∂L/∂ŷ, " + _("the loss's derivative") if k == last
                  else _("δ{k} @ W{k}ᵀ (from above)").format(k=k + 1))
        if act == "identity":  # no activation: a_k is z_k
            rows = [(f"z{k} = {below} @ W{k} + b{k}", lc.z),
                    (f"δ{k} = ∂L/∂z{k} = {source}", lc.delta)]
        else:
            rows = [(f"z{k} = {below} @ W{k} + b{k}", lc.z),
                    (f"a{k} = {act}(z{k})", lc.a),
                    (f"∂L/∂a{k} = {source}", lc.dL_da),
                    (f"{act}'(z{k})", lc.act_prime),
                    (f"δ{k} = ∂L/∂z{k} = ∂L/∂a{k} ⊙ {act}'(z{k})", lc.delta)]
        rows += [(f"∂L/∂W{k} = {below}ᵀ @ δ{k}", lc.dW),
                 (f"∂L/∂b{k} = Σₙ δ{k}[n, :]", lc.db)]
        if k > 1:
            rows.append((_("handed down:") + f" ∂L/∂a{k - 1} = δ{k} @ W{k}ᵀ", None))
        for i, (what, value) in enumerate(rows):
            table.add_row(*_cells(f"{k}" if i == 0 else "", what,
                                  shape(np.shape(value)) if value is not None else "",
                                  preview(value) if value is not None
                                  else _("↓ layer {k}").format(k=k - 1)))
        table.add_section()
    return table


def entry_sum(report, theta: str) -> Text:
    """``∂L/∂W1[0, 3] = Σₙ x[n, 0]·δ1[n, 3] = (0.5)·(-0.1) + … = total`` for the batch."""
    e = report.entry
    k = e.layer
    below = "x" if k == 1 else f"a{k - 1}"
    n = len(e.terms)
    text = Text()
    if e.inputs is not None:
        i, j = report.index
        text.append(f"∂L/∂{theta} = Σₙ {below}[n, {i}] · δ{k}[n, {j}]", style="bold")
        terms = [f"{_paren(a)}·{_paren(d)}" for a, d in zip(e.inputs[:PREVIEW], e.deltas[:PREVIEW])]
    else:
        (j,) = report.index
        text.append(f"∂L/∂{theta} = Σₙ δ{k}[n, {j}]", style="bold")
        terms = [_paren(d) for d in e.deltas[:PREVIEW]]
    text.append("   " + ngettext("over the {count} row of the batch", "over the {count} rows of the batch",
                                 n).format(count=n) + "\n")
    rest = n - len(terms)
    more = (" + … (" + ngettext("{count} more term", "{count} more terms", rest).format(count=rest) + ")"
            if rest > 0 else "")
    text.append("  = " + " + ".join(terms) + more + "\n")
    text.append("  = " + " + ".join(_paren(t) for t in e.terms[:PREVIEW]) + more + "\n")
    text.append("  = ")
    text.append(num(e.total), style=HEADING)
    return text


def chain_renderable(report, theta: str, step_note: str):
    """Everything, top to bottom: the loss, the paths, the layers, the batch sum."""
    parts = []
    head = Text()
    head.append(loss_at(report.step - 1), style="bold")  # the graph of step t is built at θₜ₋₁
    head.append(f" = {num(report.loss)}   {step_note}\n")
    if report.output is not None:
        head.append(_("the loss's own derivative {symbol} = {formula}:").format(
            symbol=report.output.symbol, formula=report.output.formula) + " ")
        head.append(preview(report.output.value) + "\n")
    count = report.path_count
    head.append(ngettext("{count} path leads from L down to {theta}; the chain rule multiplies the local "
                         "derivatives along each path and adds the paths up.",
                         "{count} paths lead from L down to {theta}; the chain rule multiplies the local "
                         "derivatives along each path and adds the paths up.",
                         count).format(count=count, theta=theta) + "\n")
    parts.append(head)
    parts.extend(paths_table(report, theta))
    if report.layers:
        parts.append(layers_table(report))
    if report.entry is not None:
        parts.append(Text(_("the selected entry, summed over the batch"), style="bold"))
        parts.append(entry_sum(report, theta))
    return Group(*parts)


def _cells(*texts: str) -> list[Text]:
    """Plain text cells: ``[n, :]`` and ``[4×1]`` are not Rich markup."""
    return [Text(t) for t in texts]


def _subscript(i: int) -> str:
    return str(i).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
