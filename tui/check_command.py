"""``gradstep check``: every gradient against finite differences (never imports Textual)."""

from __future__ import annotations

from engine.gradcheck import TOLERANCE, gradient_check
from engine.scenario import load_scenario, resolve_scenario
from engine.session import Session

EXIT_OK, EXIT_MISMATCH = 0, 1


def _label(entry):
    return entry.name + (f"[{','.join(map(str, entry.index))}]" if entry.index else "")


def check_scenarios(names, max_entries):
    """Check each scenario at its initial point; print one summary line each."""
    scenarios = [load_scenario(resolve_scenario(name)) for name in names]  # all valid before any work
    status = EXIT_OK
    for scenario in scenarios:
        result = gradient_check(Session(scenario), max_entries=max_entries)
        worst = result.worst
        sampled = f" (a sample of {len(result.entries)} of {result.total})" if len(result.entries) < result.total else ""
        verdict = "ok" if result.passed else "MISMATCH"
        if worst is None:
            line = f"{scenario.name}: {verdict}: no smooth entry to compare"
        else:
            line = (f"{scenario.name}: {verdict}: worst relative error {worst.error:.2e} at {_label(worst)} "
                    f"(analytic {worst.analytic:.10g}, finite differences {worst.numeric:.10g}), "
                    f"{len(result.entries)} entries{sampled}, tolerance {TOLERANCE:g}")
        print(line)
        for entry in result.kinks:
            print(f"  kink at {_label(entry)}: analytic {entry.analytic:.10g}, the loss is not differentiable here (reported, not failed)")
        if not result.passed:
            status = EXIT_MISMATCH
    return status
