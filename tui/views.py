"""The views of the mathematics the app opens over the dashboard, by name.

Each name (``chain``, ``gradcheck``, ...) is the app's ``view('...')`` action and a lesson's
``until.view``; each view's module is imported when it is first opened.
"""

from __future__ import annotations

__all__ = ["VIEWS", "view_names"]

VIEWS = {
    "chain": ("gradstep.tui.screens.chain_view", "ChainView"),
    "gradcheck": ("gradstep.tui.screens.gradcheck_view", "GradCheckView"),
    "fit": ("gradstep.tui.screens.fit_view", "FitView"),
    "surface": ("gradstep.tui.screens.surface_view", "SurfaceView"),
    "race": ("gradstep.tui.screens.race_view", "RaceView"),
    "lab": ("gradstep.tui.screens.lab_view", "LabView"),
    "torch": ("gradstep.tui.screens.torch_view", "TorchView"),
    "graph": ("gradstep.tui.screens.graph_view", "GraphView"),
    "neurons": ("gradstep.tui.screens.neurons_view", "NeuronsView"),
    "histograms": ("gradstep.tui.screens.histogram_view", "HistogramView"),
}
"""Each view's module and class."""


def view_names() -> dict[str, str]:
    """``{class name: view name}``, and the dashboard's (a lesson names the screen open)."""
    return {"DashboardScreen": "dashboard", **{cls: name for name, (_module, cls) in VIEWS.items()}}
