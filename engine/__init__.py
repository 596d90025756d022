"""gradstep's engine: NumPy back-propagation, losses, optimizers and the training session.

Imports only NumPy and the standard library (never Textual), so it can be used, tested and
benchmarked without a terminal. The names below are imported on first use.
"""

__all__ = ["Session", "StepRecord", "ParamLayout", "Diverged", "load_scenario", "ScenarioError"]

_HOMES = {
    "Session": "engine.session",
    "Diverged": "engine.session",
    "StepRecord": "engine.record",
    "ParamLayout": "engine.record",
    "load_scenario": "engine.scenario",
    "ScenarioError": "engine.errors",
}


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
