"""``gradstep export --torch``: the script on stdout, errors in one line, a closed reader."""

import ast
import subprocess
import sys
from pathlib import Path

from gradstep.tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
GRADSTEP = [sys.executable, "-m", "gradstep.tui.cli"]
WAIT = 120  # seconds: a bound for a busy machine, never a pace


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_prints_a_script_that_parses(capsys):
    code, out, err = run(capsys, "export", "--torch", "linear-regression", "--steps", "7")
    assert code == 0 and err == ""
    tree = ast.parse(out)
    steps = [n.value.value for n in tree.body if isinstance(n, ast.Assign)
             and getattr(n.targets[0], "id", None) == "STEPS"]
    assert steps == [7]
    assert "nn.MSELoss()" in out and "torch.optim.SGD(" in out


def test_export_without_a_format_says_which_in_one_line(capsys):
    code, out, err = run(capsys, "export", "adam-fabc")
    assert code == 2 and out == "" and "--torch" in err and len(err.splitlines()) == 1


def test_a_bad_scenario_is_the_usual_one_line_error(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[objective]\nexpression = "(a - 1)**2"\nparams = { a = 0.0 }\n'
                   '[optimizer]\nkind = "adam"\nrho = 0.5\n')
    code, out, err = run(capsys, "export", "--torch", str(bad))
    assert code == 2 and out == ""
    assert err.startswith(f"gradstep: {bad}:7: optimizer.rho: ") and len(err.splitlines()) == 1


def test_export_in_portuguese_errors_too(capsys, tmp_path):
    code, out, err = run(capsys, "--lang", "pt", "export", "--torch", str(tmp_path / "nope.toml"))
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_reader_that_is_gone_ends_the_export_with_141():
    """``gradstep export --torch moons --steps 20000 | head -1``: megabytes into a closed pipe end
    as ``list`` does, without a traceback."""
    proc = subprocess.Popen([*GRADSTEP, "export", "--torch", "moons", "--steps", "20000"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=WAIT)
    assert first.startswith('"""') and err == "" and proc.returncode == 141


def test_export_never_imports_textual():
    code = ("import sys, io, contextlib; from gradstep.tui.cli import main; "
            "out = io.StringIO()\nwith contextlib.redirect_stdout(out): main(['export', '--torch', 'xor'])\n"
            "print('textual' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=WAIT)
    assert done.stdout.strip().splitlines()[-1] == "False"
