"""``gradstep export --torch``: a scenario as a PyTorch script on stdout (never imports Textual).

The script is written by :func:`gradstep.engine.training.torch_script.torch_script`; a scenario
it cannot translate is refused in one line, like any invalid scenario (exit 2).
"""

from __future__ import annotations

import sys

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.torch_script import torch_script
from gradstep.tui.commands.termination import say
from gradstep.tui.i18n import _

EXIT_OK, EXIT_INVALID = 0, 2
_PIECE = 1 << 16


def export_scenario(args):
    """Print ``args.scenario`` as a PyTorch script for ``args.steps`` steps (default: the
    scenario's ``training.steps``).

    Raises:
        gradstep.engine.errors.ScenarioError: The scenario is invalid or cannot be translated.
    """
    if not args.torch:
        say("gradstep: export: " + _("say which format: --torch (the only one so far)"))
        return EXIT_INVALID
    scenario = load_scenario(resolve_scenario(args.scenario))
    text = torch_script(scenario, args.steps)
    # In pieces: one write of megabytes to a reader that goes away (| head) can end as a short
    # write that nobody reports; a piece after it fails, and the command exits 141 as `list` does.
    for start in range(0, len(text), _PIECE):
        sys.stdout.write(text[start:start + _PIECE])
        sys.stdout.flush()
    return EXIT_OK
