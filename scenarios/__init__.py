"""The scenario files that ship with gradstep (``*.toml``, and the CSV files they read).

A package only so that the files travel in the wheel; find them with
:func:`gradstep.engine.scenario.bundled_scenarios` or :func:`gradstep.engine.scenario.resolve_scenario`.
"""
