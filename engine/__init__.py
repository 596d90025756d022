"""gradstep's engine: NumPy back-propagation, losses, optimizers and the training session.

Imports only NumPy and the standard library (never Textual), so it can be used, tested and
benchmarked without a terminal. The names below are imported on first use.
"""

__all__ = ["Session", "StepRecord", "ParamLayout", "Diverged", "load_scenario", "ScenarioError"]

_HOMES = {
    "Session": "gradstep.engine.session",
    "Diverged": "gradstep.engine.session",
    "StepRecord": "gradstep.engine.record",
    "ParamLayout": "gradstep.engine.record",
    "load_scenario": "gradstep.engine.scenario",
    "ScenarioError": "gradstep.engine.errors",
}


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'gradstep.engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
