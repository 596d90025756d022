"""``gradstep check``: every gradient against finite differences (never imports Textual)."""

from __future__ import annotations

from gradstep.engine.analysis.gradcheck import TOLERANCE, gradient_check
from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Session
from gradstep.tui.i18n import _, ngettext

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
        count = len(result.entries)
        sampled = (_(" (a sample of {count} of {total})").format(count=count, total=result.total)
                   if count < result.total else "")
        verdict = _("ok") if result.passed else _("MISMATCH")
        if worst is None:
            line = _("{name}: {verdict}: no smooth entry to compare").format(name=scenario.name, verdict=verdict)
        else:
            line = ngettext(
                "{name}: {verdict}: worst relative error {error} at {entry} (analytic "
                "{analytic}, finite differences {numeric}), {count} entry{sampled}, tolerance "
                "{tolerance}",
                "{name}: {verdict}: worst relative error {error} at {entry} (analytic {analytic}, "
                "finite differences {numeric}), {count} entries{sampled}, tolerance {tolerance}",
                count).format(name=scenario.name, verdict=verdict, error=f"{worst.error:.2e}",
                              entry=_label(worst), analytic=f"{worst.analytic:.10g}",
                              numeric=f"{worst.numeric:.10g}", count=count, sampled=sampled,
                              tolerance=f"{TOLERANCE:g}")
        print(line)
        for entry in result.kinks:
            print("  " + _("kink at {entry}: analytic {analytic}, the loss is not differentiable here "
                           "(reported, not failed)").format(entry=_label(entry),
                                                           analytic=f"{entry.analytic:.10g}"))
        if not result.passed:
            status = EXIT_MISMATCH
    return status
