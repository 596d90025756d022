"""``--memory-limit`` on the dashboard, ``run`` and ``check``, and the last resort when the
computer runs out of memory before the budget does.

The out-of-memory tests run gradstep under an address-space limit (``RLIMIT_AS``, 2 GB), so
that NumPy's allocation of a 31 GiB array fails at once instead of using the machine's memory.
"""

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from gradstep.engine import memory
from gradstep.tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120
ADDRESS_SPACE = 2_000_000_000

# A 160-byte file asking for a layer of 4096 units on a million rows: 10^6 x 4096 float64
# activations = 32.8 GB = 30.5 GiB.
BIG = """\
name = "big"
[model]
inputs = 1
layers = [{ units = 4096, activation = "tanh" }, { units = 1 }]
[data]
generator = "sine"
n = 1000000
[loss]
kind = "mse"
[optimizer]
kind = "sgd"
lr = 0.01
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def limited(*argv):
    def limit_address_space():
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run([sys.executable, "-m", "gradstep.tui.cli", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=WAIT,
                          preexec_fn=limit_address_space)


@pytest.mark.parametrize("command", [["run", "adam-fabc"], ["check", "adam-fabc"], ["open", "adam-fabc"],
                                     ["adam-fabc"], []])
@pytest.mark.parametrize("value", ["2XB", "0", "-1GiB", "lots", ""])
def test_a_bad_memory_limit_is_one_line_and_exit_2(capsys, command, value):
    code, out, err = run(capsys, *command, f"--memory-limit={value}")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("gradstep: --memory-limit: "), err
    assert repr(value) in err
    assert memory.limit() == memory.DEFAULT_LIMIT


@pytest.mark.parametrize("command", [["run", "adam-fabc", "--steps", "2"], ["check", "adam-fabc"]])
def test_a_good_memory_limit_is_accepted_and_restored_after(capsys, command):
    code, _, err = run(capsys, *command, "--memory-limit", "512MiB")
    assert code == 0, err
    assert memory.limit() == memory.DEFAULT_LIMIT


@pytest.mark.parametrize("command", ["open", "run", "check"])
def test_memory_limit_is_in_the_help(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "--memory-limit" in capsys.readouterr().out


def test_when_the_computer_gives_out_before_the_budget_the_message_is_one_line(tmp_path):
    """The budget raised far beyond the machine (1 TiB): the allocation itself fails, and the
    last-resort handler says how much was asked for and the budget in force."""
    path = tmp_path / "big.toml"
    path.write_text(BIG)
    for command in ("run", "check"):
        done = limited(command, str(path), "--steps", "1", "--memory-limit", "1TiB") if command == "run" \
            else limited(command, str(path), "--memory-limit", "1TiB")
        assert done.returncode == 2, done.stderr
        # 10^6 x 4096 x 8 bytes = 30.5 GiB, shown with no decimal above 10
        assert done.stderr == (f"gradstep: {path}: this needs about 31 GiB of memory for an array "
                               "of 1000000 x 4096 numbers, more than this computer could give "
                               "(limit 1 TiB)\n")


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_memory_error_never_escapes_with_the_default_budget(tmp_path, command):
    """Whether the budget refuses the file or the allocation fails, one line, exit 2."""
    path = tmp_path / "big.toml"
    path.write_text(BIG)
    done = limited(command, str(path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"gradstep: {path}") and "of memory" in done.stderr
    assert "(limit 1 GiB)" in done.stderr
