"""gradstep's engine: NumPy back-propagation, losses, optimizers and the training session.

Imports only NumPy and the standard library (never Textual), so it can be used in a notebook or
a script, tested and benchmarked without a terminal::

    from gradstep.engine import Session, load_scenario, resolve_scenario

    session = Session(load_scenario(resolve_scenario("adam-fabc")))  # or a path to a file
    record = session.step()          # a frozen StepRecord
    record.loss, record.state["a"]["V_hat"]

It is grouped in rooms, each a subpackage whose ``__init__`` says what it is for:
``autodiff`` (the node and tape), ``model`` (networks, losses, expressions, the fast programs),
``optim`` (the optimizers), ``scenario`` (scenario files), ``training`` (the session, its
records and history) and ``analysis`` (chain rule, gradient check, surface, race). ``errors`` and
``i18n`` serve every room. The names below are the public API; they are imported on first use,
so that importing the engine for its messages alone stays cheap.
"""

__all__ = ["Session", "StepRecord", "ParamLayout", "Diverged", "Scenario", "load_scenario",
           "loads_scenario", "resolve_scenario", "ScenarioError"]

_HOMES = {
    "Session": "gradstep.engine.training.session",
    "Diverged": "gradstep.engine.training.session",
    "StepRecord": "gradstep.engine.training.record",
    "ParamLayout": "gradstep.engine.training.record",
    "Scenario": "gradstep.engine.scenario.spec",
    "load_scenario": "gradstep.engine.scenario.loader",
    "loads_scenario": "gradstep.engine.scenario.loader",
    "resolve_scenario": "gradstep.engine.scenario.loader",
    "ScenarioError": "gradstep.engine.errors",
}


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'gradstep.engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)


def __dir__():
    return sorted([*globals(), *__all__])
