"""Learning-rate schedules: the α of each step, equal to ``torch.optim.lr_scheduler``'s.

A schedule is a pure function of the step: step t uses what PyTorch's scheduler gives after
t - 1 calls of ``scheduler.step()`` (one after each ``optimizer.step()``), its *last epoch*
``n = t - 1``. The closed forms are PyTorch's own (``_get_closed_form_lr``; one-cycle has no
other), so a replayed step is bit for bit the first one, and PyTorch's chained updates agree with
them to the last few bits:

- ``step``: ``α₀ γ^⌊n / step_size⌋``;
- ``exponential``: ``α₀ γⁿ``;
- ``cosine``: ``η_min + (α₀ - η_min)(1 + cos(π n / t_max)) / 2`` (on past ``t_max`` it rises
  again, as PyTorch's does);
- ``warmup`` (``LinearLR``): ``α₀ (start + (end - start) min(n, total_iters) / total_iters)``;
- ``one_cycle``: from ``max_lr / div_factor`` up to ``max_lr`` over ``pct_start`` of
  ``total_steps``, then down to ``max_lr / (div_factor final_div_factor)`` (three phases: back to
  the start first), by half a cosine or a line; past ``total_steps`` (where PyTorch refuses to
  step) α stays at its last value. With ``cycle_momentum`` β1 (or SGD's momentum) moves the
  other way, between ``max_momentum`` and ``base_momentum``.

``[`` and ``]`` on the dashboard scale the whole schedule: the session's learning rate, which
they change, over the scenario's ``[optimizer] lr`` multiplies every α from then on.
"""

from __future__ import annotations

import math
from types import MappingProxyType

from gradstep.engine.scenario.schedule_reader import cycled_key

__all__ = ["LearningRateSchedule", "lr_schedule"]


def _anneal_cos(start, end, pct):
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out


def _anneal_linear(start, end, pct):
    return (end - start) * pct + start


class LearningRateSchedule:
    """The α (and one-cycle's momentum) of every step of one scenario's schedule.

    Args:
        spec: The :class:`~gradstep.engine.scenario.ScheduleSpec`.
        base_lr: The scenario's learning rate (PyTorch's ``initial_lr``; one-cycle ignores it
            except as the unit its scale is measured in).
    """

    def __init__(self, spec, base_lr):
        self.kind = spec.kind
        self.args = dict(spec.args)
        self.base_lr = float(base_lr)
        if self.kind == "one_cycle":
            a = self.args
            initial = a["max_lr"] / a["div_factor"]
            lowest = initial / a["final_div_factor"]
            high, low = a["max_momentum"], a["base_momentum"]
            total, rise = a["total_steps"], float(a["pct_start"] * a["total_steps"])
            if a["three_phase"]:
                self._phases = ((rise - 1, initial, a["max_lr"], high, low),
                                (float(2 * a["pct_start"] * total) - 2, a["max_lr"], initial, low, high),
                                (total - 1, initial, lowest, high, high))
            else:
                self._phases = ((rise - 1, initial, a["max_lr"], high, low),
                                (total - 1, a["max_lr"], lowest, low, high))
            self._anneal = _anneal_cos if a["anneal_strategy"] == "cos" else _anneal_linear
            self.cycles_momentum = bool(a["cycle_momentum"])
        else:
            self.cycles_momentum = False

    def _one_cycle(self, n):
        """``(α, momentum)`` at PyTorch's last epoch ``n``."""
        n = min(n, self.args["total_steps"] - 1)
        start = 0
        last = len(self._phases) - 1
        for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
            if n <= end or i == last:
                pct = (n - start) / (end - start)
                return self._anneal(lr0, lr1, pct), self._anneal(m0, m1, pct)
            start = end
        raise AssertionError("unreachable")

    def alpha(self, t):
        """The α of step ``t`` (t >= 1) at the scenario's own learning rate; infinite where a
        γ above 1 has grown it past the largest float (the step then diverges, saying so)."""
        try:
            return self._alpha(t)
        except OverflowError:  # Python's float power raises where NumPy's would give inf
            return math.inf

    def _alpha(self, t):
        n, a = t - 1, self.args
        kind, base = self.kind, self.base_lr
        if kind == "step":
            return base * a["gamma"] ** (n // a["step_size"])
        if kind == "exponential":
            return base * a["gamma"] ** n
        if kind == "cosine":
            eta = a["eta_min"]
            return eta + (base - eta) * (1 + math.cos(math.pi * n / a["t_max"])) / 2
        if kind == "warmup":
            start, end, total = a["start_factor"], a["end_factor"], a["total_iters"]
            return base * (start + (end - start) * min(total, n) / total)
        return self._one_cycle(n)[0]

    def momentum(self, t):
        """One-cycle's cycled momentum (β1) at step ``t``, or None when nothing is cycled."""
        return self._one_cycle(t - 1)[1] if self.cycles_momentum else None

    def scaled_alpha(self, t, lr):
        """The α step ``t`` uses when the session's learning rate is ``lr`` (``[`` / ``]``
        scale the schedule by ``lr`` over the scenario's own)."""
        alpha = self.alpha(t)
        return alpha if lr == self.base_lr else alpha * (lr / self.base_lr)

    def hyper_for(self, t, kind, hyper):
        """``hyper`` (the session's, of optimizer ``kind``) as step ``t`` uses it: its ``lr``
        the scheduled α, and one-cycle's momentum in place of β1 or SGD's momentum."""
        values = dict(hyper)
        values["lr"] = self.scaled_alpha(t, hyper["lr"])
        if self.cycles_momentum:
            key = cycled_key(kind)
            if key is not None and key in values:
                values[key] = self.momentum(t)
        return MappingProxyType(values)


def lr_schedule(scenario):
    """The scenario's :class:`LearningRateSchedule`, or None when its α is constant."""
    if scenario.schedule is None:
        return None
    return LearningRateSchedule(scenario.schedule, scenario.optimizer.lr)
