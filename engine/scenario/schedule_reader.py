"""Reading ``[schedule]``: a learning-rate schedule of ``torch.optim.lr_scheduler``, checked.

A schedule names its ``kind`` and takes PyTorch's arguments by their names in snake case:

=============== ==================================== ========================================
kind            PyTorch                              arguments (default)
=============== ==================================== ========================================
``step``        ``StepLR``                           ``step_size`` (required), ``gamma`` (0.1)
``exponential`` ``ExponentialLR``                    ``gamma`` (required)
``cosine``      ``CosineAnnealingLR``                ``t_max`` (required), ``eta_min`` (0)
``warmup``      ``LinearLR``                         ``start_factor`` (1/3), ``end_factor``
                                                     (1), ``total_iters`` (5)
``one_cycle``   ``OneCycleLR``                       ``max_lr``, ``total_steps`` (required),
                                                     ``pct_start`` (0.3), ``anneal_strategy``
                                                     (``"cos"``), ``cycle_momentum`` (true),
                                                     ``base_momentum`` (0.85),
                                                     ``max_momentum`` (0.95), ``div_factor``
                                                     (25), ``final_div_factor`` (1e4),
                                                     ``three_phase`` (false)
=============== ==================================== ========================================

What each computes is :mod:`gradstep.engine.training.schedules`'. One-cycle's
``cycle_momentum`` cycles ``beta1`` of the Adam family and ``momentum`` of ``momentum`` and
``nesterov``, as PyTorch cycles ``betas[0]`` and ``momentum``; any other optimizer is refused
with it (PyTorch would turn RMSprop's or plain SGD's momentum on).
"""

from __future__ import annotations

from types import MappingProxyType

from gradstep.engine import optim
from gradstep.engine.i18n import _
from gradstep.engine.scenario.spec import ScheduleSpec, frozen_map

__all__ = ["SCHEDULES", "read_schedule", "check_cycled", "cycled_key", "MAX_SCHEDULE_STEPS"]

REQUIRED = None
MAX_SCHEDULE_STEPS = 1_000_000_000

SCHEDULES = MappingProxyType({
    "step": {"step_size": REQUIRED, "gamma": 0.1},
    "exponential": {"gamma": REQUIRED},
    "cosine": {"t_max": REQUIRED, "eta_min": 0.0},
    "warmup": {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5},
    "one_cycle": {"max_lr": REQUIRED, "total_steps": REQUIRED, "pct_start": 0.3,
                  "anneal_strategy": "cos", "cycle_momentum": True, "base_momentum": 0.85,
                  "max_momentum": 0.95, "div_factor": 25.0, "final_div_factor": 1e4,
                  "three_phase": False},
})
"""Each schedule's arguments and PyTorch's defaults (None: required)."""

_WHOLE = ("step_size", "t_max", "total_iters", "total_steps")
_FLAGS = ("cycle_momentum", "three_phase")


def cycled_key(kind):
    """The hyperparameter one-cycle's ``cycle_momentum`` cycles for optimizer ``kind``
    (``beta1`` or ``momentum``), or None when it has none that PyTorch would cycle alike."""
    if "beta1" in optim.DEFAULTS.get(kind, {}):
        return "beta1"
    if kind in ("momentum", "nesterov"):
        return "momentum"
    return None


def _number(table, key, default):
    """A value of an argument that is a number, with its range."""
    if key in ("gamma", "max_lr", "div_factor", "final_div_factor"):
        return table.number(key, default, low=0.0, low_open=True)
    if key == "eta_min":
        return table.number(key, default, low=0.0)
    if key == "start_factor":
        return table.number(key, default, low=0.0, high=1.0, low_open=True)
    if key == "end_factor":
        return table.number(key, default, low=0.0, high=1.0)
    if key == "pct_start":
        return table.number(key, default, low=0.0, high=1.0, low_open=True, high_open=True)
    return table.number(key, default, low=0.0, high=1.0, high_open=True)  # the momenta


def read_schedule(table):
    """The :class:`ScheduleSpec` of the ``[schedule]`` table ``table`` (a ``_Table``)."""
    kind = table.string("kind", choices=tuple(SCHEDULES))
    own = SCHEDULES[kind]
    every = {key for args in SCHEDULES.values() for key in args}

    def explain(key):
        if key in every:
            return (_("the {kind} schedule has no argument `{key}` ({kind} takes: {keys})")
                    .format(kind=kind, key=key, keys=", ".join(own)))
        return None
    table.allow(("kind", *own), explain=explain)
    args = {}
    for key, default in own.items():
        if default is REQUIRED and key not in table:
            raise table.fail(key, _("the {kind} schedule needs `{key}` (it takes: {keys})")
                             .format(kind=kind, key=key, keys=", ".join(own)))
        if key in _WHOLE:
            args[key] = table.integer(key, default, low=1, high=MAX_SCHEDULE_STEPS)
        elif key in _FLAGS:
            args[key] = table.boolean(key, default)
        elif key == "anneal_strategy":
            args[key] = table.string(key, default, choices=("cos", "linear"))
        else:
            args[key] = _number(table, key, default)
    if kind == "one_cycle":
        warmup = args["pct_start"] * args["total_steps"]
        if not warmup - 1 > 0:
            raise table.fail("pct_start", _("pct_start × total_steps must be more than 1 (the "
                                            "rising phase needs two steps at least; got {got})")
                             .format(got=f"{warmup:g}"))
        if args["three_phase"] and not 2 * warmup - 2 < args["total_steps"] - 1:
            raise table.fail("three_phase", _("three phases need pct_start below one half (the "
                                              "third phase would have no steps)"))
    return ScheduleSpec(kind=kind, args=frozen_map(args))


def check_cycled(table, schedule, optimizers):
    """Refuse one-cycle's ``cycle_momentum`` with an optimizer that has no momentum to cycle.

    Args:
        table: The ``[schedule]`` table (for the error's line).
        schedule: Its :class:`ScheduleSpec`.
        optimizers: The :class:`OptimizerSpec` of ``[optimizer]`` and every ``[[compare]]``.
    """
    if schedule.kind != "one_cycle" or not schedule.args["cycle_momentum"]:
        return
    for spec in optimizers:
        if cycled_key(spec.kind) is None:
            key = "cycle_momentum" if "cycle_momentum" in table else "kind"
            betas = ", ".join(k for k in optim.DEFAULTS if cycled_key(k) == "beta1")
            raise table.fail(key, _("cycle_momentum cycles beta1 ({betas}) or momentum (momentum, "
                                    "nesterov), and {kind} has neither: set cycle_momentum = false")
                             .format(betas=betas, kind=spec.kind))
