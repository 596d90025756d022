"""The examples in the documentation run, and print what the documentation says they print."""

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_example_in_the_architecture_document_runs_as_written():
    result = doctest.testfile(str(ROOT / "docs" / "architecture.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 6
    assert result.failed == 0


def test_every_public_name_of_the_engine_is_there_and_its_import_stays_light():
    """`from gradstep.engine import X` works for each name the package lists, and importing the
    package alone (as the command line does for its messages) imports no NumPy."""
    import subprocess
    import sys

    code = ("import sys, gradstep.engine as e; light = 'numpy' not in sys.modules; "
            "missing = [n for n in e.__all__ if getattr(e, n, None) is None]; print(light, missing)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "[]"]
