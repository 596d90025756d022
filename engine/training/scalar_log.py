"""Per-step scalars of a run in bounded memory: recent steps exactly, older ones as min/max blocks.

Each step adds a row of ``columns`` float64 values (the history's: the loss, the validation loss,
each layer's gradient norm). Rows are kept exactly, in chunks, until the log holds ``window +
3 * blocks`` rows' worth of numbers. From then on the oldest exact chunks (never any of the last
``window`` rows) are folded into *blocks*: a block holds, for each column, the smallest and the
largest value over ``stride`` consecutive steps, and the smallest at or above :data:`FLOOR` (what
a log scale shows), so a spike or a dip stays visible on a chart however long the run. When the
blocks fill their budget, neighbouring pairs merge (min of the mins, max of the maxes) and the
stride doubles. Memory stays under ``8 * columns * (window + 3 * blocks + 2 * chunk)`` bytes
(:attr:`ScalarLog.nbytes` counts it).

Reading: :meth:`ScalarLog.values` gives exact per-step arrays (NaN for steps that were folded),
:meth:`ScalarLog.envelope` the points a chart of a given width draws, computed chunk by chunk
(never an array as long as the run).

One thread may append while another reads, without a lock: where the rows are (chunks, blocks,
stride) sits in one immutable :class:`_Where` that the writer replaces whole, chunks are never
written below the row count a reader took, and blocks are merged into new arrays. Truncating
(a branch) must not run while a reader on another thread reads.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["ScalarLog", "CHUNK", "WINDOW", "BLOCKS", "FLOOR"]

CHUNK = 16384
"""Rows per exact chunk (the unit that is allocated, and folded into blocks)."""

WINDOW = 1 << 20
"""The most recent rows always kept exactly."""

BLOCKS = 1 << 17
"""The most blocks kept for older rows (each as big as three exact rows): at 50 million steps,
blocks of 512 steps, still hundreds of blocks to each column of a chart."""

FLOOR = 1e-150
"""Blocks also keep their least value at or above this: the lowest loss a log-scale chart draws
(charting libraries fail on numbers closer to zero, which appear when training converges)."""

LO, HI, FLOORED = 0, 1, 2
"""The three statistics of a block, in this order in the summary array."""


class _Where(NamedTuple):
    """Where a log's rows are; replaced whole, so a reader takes one consistent copy.

    Rows ``first ... exact - 1`` are summarised: block ``i`` covers rows ``(k0 + i) * stride``
    to ``(k0 + i + 1) * stride - 1``, clipped to ``first ... exact - 1``; ``summary[LO, c, i]``,
    ``summary[HI, c, i]`` and ``summary[FLOORED, c, i]`` are its statistics for column ``c``.
    Rows from ``exact`` on are in ``chunks``: chunk ``j`` holds rows ``exact + j * chunk``
    onwards, one column a line.
    """

    first: int
    exact: int
    chunks: tuple
    stride: int
    k0: int
    summary: np.ndarray | None
    blocks: int


class ScalarLog:
    """Per-step rows of ``columns`` float64 scalars (step t is row t - 1), bounded in memory.

    Args:
        columns: Values per row.
        window: The most recent rows that are always exact.
        blocks: How many min/max blocks older rows may take.
        chunk: Rows per exact chunk.
        first: The first row (a log that holds an abandoned branch starts at its branch point).
    """

    def __init__(self, columns, window=WINDOW, blocks=BLOCKS, chunk=CHUNK, first=0):
        self.columns = int(columns)
        self.window = int(window)
        self.block_budget = max(2, int(blocks))
        self.chunk = max(2, int(chunk))
        self._where = _Where(first, first, (), 2, 0, None, 0)
        self._end = first
        self._set_tail(None, first)  # rows go into a chunk from _tail_start on

    def __len__(self):
        return self._end - self._where.first

    @property
    def first(self):
        """The first row the log covers."""
        return self._where.first

    @property
    def end(self):
        """One past the last row (the furthest step, for a log from step 1)."""
        return self._end

    @property
    def exact_from(self):
        """The first row kept exactly; the rows before it are summarised in blocks."""
        return self._where.exact

    @property
    def stride(self):
        """Steps per block (1 while every row is exact)."""
        where = self._where
        return 1 if where.summary is None else where.stride

    # -- writing ---------------------------------------------------------------------------
    def append(self, loss, val_loss, norms):
        """Add the next row: the loss, the validation loss (None: NaN) and the layers' norms."""
        i = self._end - self._tail_start
        if i >= self.chunk:
            self._next_chunk()
            i = 0
        # one-dimensional views of the tail chunk: the cheapest writes (this runs every step)
        self._loss_row[i] = loss
        if val_loss is not None:
            self._val_row[i] = val_loss
        self._norm_rows[i] = norms
        self._end += 1

    def _next_chunk(self):
        where = self._where
        budget = self.window + 3 * self.block_budget
        while where.chunks:
            # Every row stays exact until the budget is reached; from then on (the blocks are
            # allocated in full) the exact rows are the last window of them plus a chunk.
            exact_rows = self._end - where.exact
            allocated = 0 if where.summary is None else where.summary.shape[2]
            if exact_rows + self.chunk + 3 * allocated <= budget or exact_rows - self.chunk < self.window:
                break
            where = self._fold(where)
        tail = np.full((self.columns, self.chunk), np.nan)
        # published before any row is written into the new chunk
        self._where = where._replace(chunks=where.chunks + (tail,))
        self._set_tail(tail, self._end)

    def _set_tail(self, tail, start):
        """Write the next rows into ``tail`` (None: a new chunk), whose first row is ``start``."""
        self._tail_start = start
        if tail is None:
            self._tail_start -= self.chunk  # full: the next append starts a chunk
            return
        self._loss_row, self._val_row, self._norm_rows = tail[0], tail[1], tail[2:].T

    def _fold(self, where):
        """``where`` with its oldest exact chunk (full) summarised into blocks."""
        rows, row0 = where.chunks[0], where.exact
        stride, k0, count, summary = where.stride, where.k0, where.blocks, where.summary
        if summary is None:
            summary = np.full((3, self.columns, self.block_budget), np.nan)
        while True:
            if count == 0:
                k0 = row0 // stride
            first_block, last_block = row0 // stride, (row0 + self.chunk - 1) // stride
            if last_block - k0 + 1 <= self.block_budget:
                break
            summary, k0, count, stride = _halve(summary, k0, count, stride)
        # the rows of each block (the first may belong to the last block already there)
        starts = np.concatenate(([0], np.arange(first_block + 1, last_block + 1) * stride - row0))
        with np.errstate(invalid="ignore"):
            floored = np.where(rows >= FLOOR, rows, np.nan)
        new = np.stack([np.fmin.reduceat(rows, starts, axis=1), np.fmax.reduceat(rows, starts, axis=1),
                        np.fmin.reduceat(floored, starts, axis=1)])
        j = first_block - k0
        if j < count:  # the partial last block: widen it (a reader sees either, both true)
            old = summary[:, :, j]
            summary[:, :, j] = [np.fmin(old[LO], new[LO, :, 0]), np.fmax(old[HI], new[HI, :, 0]),
                                np.fmin(old[FLOORED], new[FLOORED, :, 0])]
            new, j = new[:, :, 1:], j + 1
        summary[:, :, j:j + new.shape[2]] = new
        return _Where(where.first, row0 + self.chunk, where.chunks[1:], stride, k0, summary, last_block - k0 + 1)

    def truncate(self, n):
        """Keep only the rows before row ``n`` (a branch at step ``n``).

        A block that reaches past ``n`` is dropped, so no summary holds a number of the
        abandoned steps; the steps it held before ``n`` (fewer than a stride) are then missing.
        """
        where = self._where
        n = max(where.first, min(n, self._end))
        if n >= where.exact:
            keep = -(-(n - where.exact) // self.chunk)
            chunks = where.chunks[:keep]
            if chunks and n < where.exact + keep * self.chunk:
                chunks[-1][:, n - where.exact - (keep - 1) * self.chunk:] = np.nan
            self._where = where._replace(chunks=chunks)
        else:
            count = max(0, min(where.blocks, n // where.stride - where.k0))
            summary = where.summary
            if summary is not None:  # later rows may merge into these arrays: start them clean
                summary = summary.copy()
                summary[:, :, count:] = np.nan
            self._where = where._replace(exact=n, chunks=(), blocks=count, summary=summary)
        self._end = n
        where = self._where
        last = where.exact + (len(where.chunks) - 1) * self.chunk
        if where.chunks and n < last + self.chunk:
            self._set_tail(where.chunks[-1], last)
        else:
            self._set_tail(None, n)

    def split(self, n, columns=None):
        """Cut the log at row ``n``: the rows from ``n`` on go to a new log (which then only
        reads), this one keeps those before (see :meth:`truncate`).

        Args:
            n: The first row of the new log.
            columns: The columns the new log keeps (all by default).
        """
        columns = list(range(self.columns)) if columns is None else list(columns)
        where, end = self._read()
        n = max(where.first, min(n, end))
        tail = ScalarLog(len(columns), self.window, self.block_budget, self.chunk, first=n)
        stride, summary = where.stride, None
        k0, count, exact = n // stride, 0, max(n, where.exact)
        if n < where.exact and where.blocks:
            # the blocks that start at or after n (one straddling n would hold earlier steps)
            skip = max(0, -(-n // stride) - where.k0)
            count = max(0, where.blocks - skip)
            k0 = where.k0 + skip
            summary = where.summary[:, columns, skip:where.blocks].copy()
        rows = self.values_rows(where, end, columns, exact, end)
        chunks = tuple(np.ascontiguousarray(rows[:, i:i + self.chunk])
                       for i in range(0, rows.shape[1], self.chunk))
        tail._where = _Where(n, exact, chunks, stride, k0, summary, count)
        tail._end = end
        self.truncate(n)
        return tail

    # -- reading ---------------------------------------------------------------------------
    def _read(self):
        """A consistent ``(where, end)`` (the writer may have gone on since)."""
        where = self._where
        return where, min(self._end, where.exact + len(where.chunks) * self.chunk)

    def values_rows(self, where, end, columns, start, stop):
        """Exact rows ``start ... stop - 1`` of ``columns`` (NaN where folded) as (k, n)."""
        out = np.full((len(columns), max(0, stop - start)), np.nan)
        for j, rows in enumerate(where.chunks):
            a = where.exact + j * self.chunk
            lo, hi = max(a, start), min(a + self.chunk, stop, end)
            if lo < hi:
                out[:, lo - start:hi - start] = rows[columns, lo - a:hi - a]
        return out

    def values(self, column, start=None, stop=None):
        """Column ``column`` at rows ``start ... stop - 1`` (by default every row) as a new array;
        NaN for rows that were folded into blocks (before :attr:`exact_from`)."""
        where, end = self._read()
        start = where.first if start is None else max(start, where.first)
        stop = end if stop is None else min(stop, end)
        return self.values_rows(where, end, [column], start, max(start, stop))[0]

    def _pieces(self, where, end, column, start, stop):
        """``(s0, k0, stride, stats)`` for each stretch of rows in ``start ... stop - 1``:
        element 0 starts at row ``s0``, element ``i > 0`` at row ``(k0 + i) * stride``;
        ``stats`` is (LO, HI, FLOORED) by element (a row's own value three times when exact)."""
        if where.blocks and start < where.exact:
            s = where.stride
            a = max(0, start // s - where.k0)
            b = min(where.blocks, -(-min(stop, where.exact) // s) - where.k0)
            if a < b:
                s0 = max(where.first, (where.k0 + a) * s, start)
                yield s0, where.k0 + a, s, where.summary[:, column, a:b]
        for j, rows in enumerate(where.chunks):
            a = where.exact + j * self.chunk
            lo, hi = max(a, start), min(a + self.chunk, stop, end)
            if lo < hi:
                values = rows[column, lo - a:hi - a]
                yield lo, lo, 1, (values, values, values)

    def envelope(self, column, columns, low=None, start=None, stop=None):
        """The points a chart ``columns`` wide draws of column ``column``: ``(steps, values)``.

        A stretch of at most ``2 * columns`` exact rows is given as it is. A longer one is cut
        into ``columns`` buckets of equal step ranges; each contributes its lowest and highest
        value at the bucket's middle step, in a zigzag (low, high, high, low, ...) so that each
        segment of the line stays in its column. Blocks count in the bucket they start in.

        Args:
            column: Which value of the rows.
            columns: The chart's width.
            low: Leave out values below this (a log scale's floor); non-finite values are
                always left out. A block whose minimum is below it contributes its least value
                at or above :data:`FLOOR` instead (exact for ``low`` = ``FLOOR``, the charts'),
                failing that its maximum.
            start, stop: Rows ``start ... stop - 1`` (by default every row).
        """
        where, end = self._read()
        start = where.first if start is None else max(start, where.first)
        stop = end if stop is None else min(stop, end)
        count = stop - start
        if count <= 0:
            return np.zeros(0), np.zeros(0)
        if count <= 2 * columns and start >= where.exact:
            values = self.values_rows(where, end, [column], start, stop)[0]
            keep = _valid(values, low)
            return (start + 1 + np.flatnonzero(keep)).astype(float), values[keep]
        columns = max(1, int(columns))
        edges = start + np.linspace(0, count, columns + 1).astype(np.intp)
        lows, highs = np.full(columns, np.inf), np.full(columns, -np.inf)
        for s0, k0, stride, stats in self._pieces(where, end, column, start, stop):
            # index of the first element starting at or after each edge
            index = np.where(edges <= s0, 0, np.clip(-(-edges // stride) - k0, 1, len(stats[0])))
            filled = index[1:] > index[:-1]
            if not filled.any():
                continue
            starts = index[:-1][filled] - index[0]
            mins, maxs = _reduce([x[index[0]:index[-1]] for x in stats], starts, low)
            lows[filled] = np.minimum(lows[filled], mins)
            highs[filled] = np.maximum(highs[filled], maxs)
        keep = lows <= highs
        centres = (edges[:-1] + np.diff(edges) // 2 + 1)[keep].astype(float)
        lows, highs = lows[keep], highs[keep]
        xs = np.repeat(centres, 2)
        ys = np.empty(2 * len(lows))
        ys[0::2], ys[1::2] = lows, highs
        ys[2::4], ys[3::4] = highs[1::2], lows[1::2]  # zigzag, so each segment stays in its column
        return xs, ys

    @property
    def nbytes(self):
        """Bytes of the arrays held (exact chunks, allocated in full, and the blocks)."""
        where = self._where
        blocks = 0 if where.summary is None else where.summary.nbytes
        return blocks + sum(c.nbytes for c in where.chunks)


def _valid(values, low):
    ok = np.isfinite(values)
    return ok if low is None else ok & (values >= low)


def _halve(summary, k0, count, stride):
    """Merge neighbouring blocks into a new array; the stride doubles."""
    merged = np.full_like(summary, np.nan)
    if count:
        pairs = (k0 + np.arange(count)) // 2
        starts = np.concatenate(([0], np.flatnonzero(np.diff(pairs)) + 1))
        part = summary[:, :, :count]
        merged[LO, :, :len(starts)] = np.fmin.reduceat(part[LO], starts, axis=1)
        merged[HI, :, :len(starts)] = np.fmax.reduceat(part[HI], starts, axis=1)
        merged[FLOORED, :, :len(starts)] = np.fmin.reduceat(part[FLOORED], starts, axis=1)
        count = len(starts)
    return merged, k0 // 2, count, 2 * stride


def _reduce(stats, starts, low):
    """The least and the greatest valid value (see :meth:`ScalarLog.envelope`) over each
    segment of elements that begins at ``starts``; +inf / -inf when a segment has none.

    Args:
        stats: Each element's (LO, HI, FLOORED) statistics, as three arrays.
        starts: Where each segment begins.
        low: The floor, or None.
    """
    lo, hi, floored = stats
    with np.errstate(invalid="ignore"):
        mins, maxs = np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)
        bad = ~(np.isfinite(mins) & np.isfinite(maxs))
        if low is not None:
            bad |= mins < low
        if not bad.any():  # the usual case: every value valid, no masking needed
            return mins, maxs
        lo_ok, floored_ok, hi_ok = _valid(lo, low), _valid(floored, low), _valid(hi, low)
        least = np.where(lo_ok, lo, np.where(floored_ok, floored, np.where(hi_ok, hi, np.inf)))
        most = np.where(hi_ok, hi, np.where(lo_ok, lo, -np.inf))
        mins[bad] = np.minimum.reduceat(least, starts)[bad]
        maxs[bad] = np.maximum.reduceat(most, starts)[bad]
    return mins, maxs
