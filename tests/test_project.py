"""Project-level promises: the engine stays free of Textual, CI runs the README's command."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_importing_engine_does_not_import_textual():
    code = ("import sys, gradstep.engine, gradstep.engine.training.session, gradstep.engine.scenario, "
            "gradstep.engine.optim, gradstep.engine.model.losses, gradstep.engine.model.nn, gradstep.engine.autodiff; "
            "print('textual' in sys.modules or 'rich' in sys.modules)")
    # From another folder, so that the installed package is what is imported.
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "tests" / "data", capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in readme.splitlines() if "pytest" in line and "pip install" in line]
    assert len(commands) == 1, "the README gives one command that installs and runs the tests"
    assert commands[0] in ci.splitlines()
