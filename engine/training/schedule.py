"""Which optimizer and hyperparameters are in force for each step of a session's history."""

from __future__ import annotations

import bisect

__all__ = ["Schedule"]


class Schedule:
    """Which optimizer and hyperparameters are in force for each step.

    An entry ``(t, kind, hyper, fresh_state)`` applies to steps after ``t``; ``fresh_state``
    says the optimizer changed kind at ``t`` and starts with fresh state.
    """

    def __init__(self, kind, hyper):
        self._entries = [(0, kind, hyper, False)]

    @property
    def entries(self):
        """Every entry, oldest first: ``((t, kind, hyper, fresh_state), ...)``."""
        return tuple(self._entries)

    def at(self, t):
        """The entry in force for step ``t + 1``."""
        i = bisect.bisect_right([e[0] for e in self._entries], t) - 1
        return self._entries[i]

    def set(self, t, kind, hyper, fresh_state):
        """From step ``t + 1`` on, use ``kind`` with ``hyper``; entries after ``t`` are dropped.

        A change that replaces another at the same ``t`` keeps its fresh state: after
        ``set_optimizer`` and then ``set_lr`` at one step, the new optimizer still starts from
        fresh state when the step is replayed, as it did when it was first taken.
        """
        keep = [e for e in self._entries if e[0] < t]
        if not keep:  # a change at t = 0 replaces the initial entry
            fresh_state = True
        fresh_state = fresh_state or any(e[0] == t and e[3] for e in self._entries)
        self._entries = keep + [(t, kind, hyper, fresh_state)]

    def truncate(self, t):
        """Forget entries that start after ``t``."""
        self._entries = [e for e in self._entries if e[0] <= t] or self._entries[:1]
