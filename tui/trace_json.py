"""The trace's fast encoder: orjson writes whole float64 arrays at once.

``gradstep run --full`` and the dashboard's export format thousands of numbers per step; the
standard library's ``repr`` takes about 400 ns a number on the project's 2-core machine, orjson
about 36 ns (``benchmarks/dashboard.py`` measures the export). Both write the shortest text that
reads back as the same float64, so a trace reads back bit for bit the same whichever wrote it;
orjson spells a few numbers differently (``0.00001`` for ``1e-05``, ``1e16`` for ``1e+16``) and
puts no spaces between items. The engine itself stays on the standard library
(:class:`gradstep.engine.training.trace.JsonEncoder`).
"""

from __future__ import annotations

import orjson

__all__ = ["OrjsonEncoder", "ENCODER"]

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE


class OrjsonEncoder:
    """An encoder for :func:`gradstep.engine.training.trace.write_records` (see
    :class:`~gradstep.engine.training.trace.JsonEncoder` for the two methods)."""

    def line(self, obj):
        return self.line_bytes(obj).decode()

    def line_bytes(self, obj):
        # orjson would write NaN as null; a record holds none (the session stops before one).
        return orjson.dumps(obj, option=_OPTIONS)

    def numbers(self, flat):
        return orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].decode()


ENCODER = OrjsonEncoder()
"""The one the interface writes traces with."""
