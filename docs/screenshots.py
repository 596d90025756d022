"""Take the screenshots in ``docs/screenshots/`` again, from the dashboard as it is now.

Run from the repository root, with gradstep installed (the README's test set-up)::

    .venv/bin/python docs/screenshots.py [--png] [--lang pt] [NAME ...]

Each screenshot is a scenario, a terminal size and the keys a person would press, taken with
``App.run_test`` and written as the app's own SVG (``export_screenshot``: combining characters
measured as one cell). ``--png`` also renders each SVG with headless Chromium (``chromium``, or
``CHROMIUM=...``), the renderer that keeps Textual's spacing (rsvg drops spaces). Names: the
keys of :data:`SHOTS` (all by default).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "screenshots"

BROKEN = "broken.toml"
"""A scenario that gets a mistake once open (written to a temporary folder): ``R`` then shows
the error, over the training already on screen."""

BROKEN_TEXT = """name = "broken"
[objective]
expression = "(a - 1)**2 + 10 * (b + 2)**2"
params = { a = 0.5, b = 0.5 }

[optimizer]
kind = "adam"
lr = 0.05
"""

SHOTS = {
    # the dashboard, as the README and issue 19 show it
    "dashboard-adam-fabc-120x40": ("adam-fabc", (120, 40), ["n"]),
    "dashboard-adam-fabc-step0-120x40": ("adam-fabc", (120, 40), []),
    "dashboard-mse-3x5-120x40": ("mse-3x5", (120, 40), ["n"]),
    "dashboard-xor-120x40": ("xor", (120, 40), ["N"]),
    "dashboard-xor-80x24": ("xor", (80, 24), ["N"]),
    "dashboard-moons-200x60": ("moons", (200, 60), ["N"]),
    "dashboard-chain-rule-120x40": ("chain-rule", (120, 40), ["n"]),
    "dashboard-branch-120x40": ("adam-fabc", (120, 40), ["n", "n", "b", "b", "right_square_bracket", "space"]),
    "help-120x40": ("adam-fabc", (120, 40), ["question_mark"]),
    "open-scenario-120x40": ("adam-fabc", (120, 40), ["o", "m", "o"]),
    "dashboard-curvature-120x40": ("gd-fabc-oscillating", (120, 40), ["n", "K"]),
    "dashboard-phases-120x40": ("xor", (120, 40), ["n", "P", "space", "space"]),
    "optimizer-picker-120x40": ("adam-fabc", (120, 40), ["n", "O"]),
    "hyper-form-120x40": ("adam-fabc", (120, 40), ["n", "y"]),
    "save-dialog-120x40": ("adam-fabc", (120, 40), ["n", "w"]),
    "scenario-error-120x40": (BROKEN, (120, 40), ["n", "R"]),
    # the views of the mathematics
    "view-chain-120x40": ("xor", (120, 40), ["n", "c"]),
    "view-chain-names-120x40": ("chain-rule", (120, 40), ["space", "c"]),  # ∂g/∂a = ∂g/∂h1 · ∂h1/∂a
    "view-gradcheck-120x40": ("xor", (120, 40), ["n", "k"]),
    "view-fit-120x40": ("moons", (120, 40), ["N", "f"]),
    "view-surface-120x40": ("adam-fabc", (120, 40), ["n", "s"]),
    "view-race-120x40": ("rosenbrock-race", (120, 40), ["C", "n"]),
    "view-lab-120x40": ("adam-fabc", (120, 40), ["M"] + ["space"] * 8),
    "view-graph-120x40": ("chain-rule", (120, 40), ["space", "G"]),
    "view-graph-xor-120x40": ("xor", (120, 40), ["n", "G"]),
    "view-neurons-120x40": ("moons", (120, 40), ["N", "h"]),
    "view-torch-120x40": ("adam-fabc", (120, 40), ["t"]),
    "view-histograms-120x40": ("xor", (120, 40), ["N", "H"]),
    "view-graph-phases-120x40": ("chain-rule", (120, 40), ["space", "P", "space", "G"]),
}
"""name: (scenario, (columns, rows), keys pressed, each followed by a settle)."""


async def _settled(pilot) -> None:
    """Every worker done (a cancelled one counts as done) and the screen caught up."""
    from textual.worker import WorkerCancelled

    for _attempt in range(3):
        results = await asyncio.gather(*[w.wait() for w in list(pilot.app.workers)], return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException) and not isinstance(r, WorkerCancelled)]
        if failed:
            raise failed[0]
        await pilot.pause()
    await pilot.pause(0.2)


async def _take(name: str, lang: str) -> str:
    from gradstep.tui import i18n
    from gradstep.tui.app import GradstepApp

    scenario, size, keys = SHOTS[name]
    i18n.install(lang)
    if scenario == BROKEN:
        folder = Path(tempfile.mkdtemp(prefix="gradstep-shot-"))
        scenario = str(folder / BROKEN)
        Path(scenario).write_text(BROKEN_TEXT, encoding="utf-8")
    app = GradstepApp(scenario)
    async with app.run_test(size=size) as pilot:
        await _settled(pilot)
        if Path(scenario).name == BROKEN:  # the teacher's edit with a slip in it
            Path(scenario).write_text(BROKEN_TEXT.replace("lr = 0.05", "lr = -0.05"), encoding="utf-8")
        for key in keys:
            await pilot.press(key)
            await _settled(pilot)
        app.clear_notifications()
        await pilot.pause()
        return app.export_screenshot(title="gradstep")


def _png(svg: Path, size: tuple[int, int]) -> Path | None:
    browser = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("no chromium: SVG only", file=sys.stderr)
        return None
    png = svg.with_suffix(".png")
    width, height = 12 * size[0] + 60, 25 * size[1] + 90  # Textual's cell, and the window's frame
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={png}", f"--window-size={width},{height}", svg.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="screenshots to take (all by default)")
    parser.add_argument("--png", action="store_true", help="also render each as PNG with headless Chromium")
    parser.add_argument("--lang", default="en", choices=("en", "pt"), help="the language (en or pt)")
    parser.add_argument("--out", type=Path, default=FOLDER, help=f"folder (default {FOLDER})")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in SHOTS]
    if unknown:
        parser.error(f"unknown screenshot {unknown[0]!r}; known: {', '.join(SHOTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.lang == "en" else f"-{args.lang}"
    for name in args.names or list(SHOTS):
        svg = args.out / f"{name}{suffix}.svg"
        svg.write_text(asyncio.run(_take(name, args.lang)), encoding="utf-8")
        png = _png(svg, SHOTS[name][1]) if args.png else None
        print(svg if png is None else f"{svg}  {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
