"""How a layer's parameters are laid out as one table of cells on screen.

A network layer shows ``W`` (inputs × units) with ``b`` as one more row beneath it, so that each
column is one unit and ``z = a @ W + b`` reads off the table. An objective's or a parametric
model's scalars (``a``, ``b``, ``c``) share one row; an array parameter gets a table of its own.
The gradient, every optimizer state array and the update are shown in the same grid, and a
cursor position in it names one scalar: ``(parameter name, index)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["Cell", "Grid", "grids_for"]


@dataclass(frozen=True)
class Cell:
    """One scalar: a parameter and the index of the entry within it (``()`` for a scalar)."""

    param: str
    index: tuple[int, ...]

    @property
    def label(self) -> str:
        """``layer1.W[0,2]``, ``layer1.b[2]``, ``a``."""
        if not self.index:
            return self.param
        return f"{self.param}[{','.join(str(i) for i in self.index)}]"


@dataclass(frozen=True)
class Grid:
    """A table of cells for one layer or group of parameters.

    Attributes:
        title: ``layer1`` or ``a, b, c``.
        params: The parameter names it shows, in order.
        row_labels: One label per row (``x1``, ..., ``b``; empty for a single row of scalars).
        col_labels: One label per column (``u1``, ...; the names of scalars).
        cells: ``cells[row][col]`` (None where a row is shorter than the table).
    """

    title: str
    params: tuple[str, ...]
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[Cell | None, ...], ...]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_labels), len(self.col_labels)

    def cell(self, row: int, col: int) -> Cell | None:
        rows, cols = self.shape
        if 0 <= row < rows and 0 <= col < cols:
            return self.cells[row][col]
        return None

    def position(self, cell: Cell) -> tuple[int, int] | None:
        """Where ``cell`` sits in this grid, or None."""
        for r, row in enumerate(self.cells):
            for c, here in enumerate(row):
                if here == cell:
                    return r, c
        return None

    def values(self, arrays) -> np.ndarray:
        """A float table of ``arrays[param][index]`` for every cell (NaN where no cell)."""
        out = np.full(self.shape, np.nan)
        for param, (rows, cols, index) in self._gather.items():
            # One fancy-indexed copy per parameter: a 784×128 layer is shown every frame.
            out[rows, cols] = np.asarray(arrays[param])[index]
        return out

    @cached_property
    def _gather(self) -> dict[str, tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]]:
        """``{param: (rows, cols, index)}``: where each parameter's entries sit in the table and
        which entries they are (``index`` one array per axis; empty for a scalar)."""
        where: dict[str, list[tuple[int, int, tuple[int, ...]]]] = {}
        for r, row in enumerate(self.cells):
            for c, cell in enumerate(row):
                if cell is not None:
                    where.setdefault(cell.param, []).append((r, c, cell.index))
        gather = {}
        for param, entries in where.items():
            rows = np.array([e[0] for e in entries], dtype=np.intp)
            cols = np.array([e[1] for e in entries], dtype=np.intp)
            index = tuple(np.array(axis, dtype=np.intp) for axis in zip(*(e[2] for e in entries)))
            gather[param] = (rows, cols, index)
        return gather


def _layer_grid(layer, w_name, w_shape, b_name):
    n_in, units = w_shape
    cells = [tuple(Cell(w_name, (i, j)) for j in range(units)) for i in range(n_in)]
    labels = [f"{'x' if layer == 'layer1' else 'a'}{i + 1}" for i in range(n_in)]
    if b_name is not None:
        cells.append(tuple(Cell(b_name, (j,)) for j in range(units)))
        labels.append("b")
    cols = tuple(f"u{j + 1}" for j in range(units))
    params = (w_name,) + ((b_name,) if b_name else ())
    return Grid(layer, params, tuple(labels), cols, tuple(cells))


def _array_grid(name, shape):
    if len(shape) == 1:
        cells = (tuple(Cell(name, (j,)) for j in range(shape[0])),)
        return Grid(name, (name,), (name,), tuple(f"[{j}]" for j in range(shape[0])), cells)
    rows, cols = shape[0], int(np.prod(shape[1:]))
    inner = shape[1:]
    cells = tuple(tuple(Cell(name, (i, *np.unravel_index(j, inner))) for j in range(cols))
                  for i in range(rows))
    return Grid(name, (name,), tuple(f"[{i}]" for i in range(rows)),
                tuple(f"[{j}]" for j in range(cols)), cells)


def grids_for(layout) -> tuple[Grid, ...]:
    """The grids of a :class:`~gradstep.engine.training.record.ParamLayout`, one per layer or group, in order.

    Networks (``layerK.W`` of 2-D shape with ``layerK.b``) give one grid per layer. Scalars are
    gathered into one row, in the layout's order; each other array is a grid of its own.
    """
    shapes = dict(zip(layout.names, layout.shapes))
    grids: list[Grid] = []
    scalars = [n for n in layout.names if shapes[n] == ()]
    done = set()
    for name, layer in zip(layout.names, layout.layers):
        if name in done:
            continue
        if shapes[name] == ():
            if scalars and scalars[0] == name:
                cells = (tuple(Cell(s, ()) for s in scalars),)
                grids.append(Grid(", ".join(scalars), tuple(scalars), ("",), tuple(scalars), cells))
                done.update(scalars)
            continue
        w_name, b_name = f"{layer}.W", f"{layer}.b"
        if name == w_name and len(shapes[name]) == 2:
            b = b_name if shapes.get(b_name) == (shapes[name][1],) else None
            grids.append(_layer_grid(layer, w_name, shapes[name], b))
            done.update({w_name, b_name} if b else {w_name})
            continue
        grids.append(_array_grid(name, shapes[name]))
        done.add(name)
    return tuple(grids)
