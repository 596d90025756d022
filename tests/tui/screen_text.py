"""What a person sees: the text of the app's current screen, as the terminal would show it."""

from __future__ import annotations

import io

from rich.console import Console


def screen_text(app) -> str:
    """The characters on screen now (the current screen over the ones below it), one line per row.

    Renders the compositor's full update the way ``App.export_screenshot`` does, into a plain
    text console instead of an SVG.
    """
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True,
                                                       screen_stack=app._background_screens))
    return console.export_text(styles=False)
