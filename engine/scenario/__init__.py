"""Scenario files: TOML in, frozen dataclasses out, with an error that names the file, line and key.

``spec`` holds the dataclasses a training setup is made of (:class:`Scenario` and its parts),
which can also be built in code; ``loader`` the entry points (:func:`load_scenario`,
:func:`loads_scenario`, the bundled scenarios); ``reader``, ``model_reader`` and ``table`` check
every value by hand and say what is wrong in the learner's words (``toml_messages`` does the same
for TOML's own syntax errors); ``data`` makes the data sets (inline, generated) and
``csv_reader`` reads CSV files; ``budget`` says what a scenario's arrays need of the memory budget,
and ``text`` keeps control characters from a file off the screen. Nothing in
a scenario file is ever executed.
"""

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario.budget import session_bytes
from gradstep.engine.scenario.loader import (
    DEFAULT_SCENARIO, MAX_FILE_BYTES, bundled_scenarios, load_scenario, loads_scenario, resolve_scenario,
)
from gradstep.engine.scenario.spec import (
    KINDS, Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario, ScheduleSpec, TrainingSpec,
)

__all__ = [
    "KINDS", "LayerSpec", "NetworkSpec", "ExpressionSpec", "Dataset", "OptimizerSpec",
    "TrainingSpec", "ScheduleSpec", "Scenario", "load_scenario", "loads_scenario", "bundled_scenarios",
    "resolve_scenario", "DEFAULT_SCENARIO", "MAX_FILE_BYTES", "ScenarioError", "session_bytes",
]
