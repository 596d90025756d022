"""The headless command line: list, run, check, and errors without tracebacks."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gradstep.engine.scenario import bundled_scenarios, load_scenario, resolve_scenario
from gradstep.engine.training.session import Session
from gradstep.tui.cli import main

ROOT = Path(__file__).resolve().parents[2]

DIVERGING = """\
name = "boom"
[objective]
expression = "(a - 1)**2 + 10*(b + 2)**2 + c**2"
params = { a = 0.0, b = 0.0, c = 0.0 }
[optimizer]
kind = "sgd"
lr = 1.0
[training]
steps = 1000
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_name_then_description(capsys):
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    entries = bundled_scenarios()
    assert len(lines) == len(entries) >= 10
    for line, (name, description, _) in zip(lines, entries):
        assert line.split()[0] == name
        assert line.endswith(description)


def test_run_full_jsonl_is_the_engines_records(capsys):
    code, out, err = run(capsys, "run", "adam-fabc", "--steps", "5", "--full")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    session = Session(load_scenario(resolve_scenario("adam-fabc")))
    for row in rows:
        record = session.step()
        assert row["step"] == record.step and row["loss"] == record.loss
        assert set(row) >= {"step", "loss", "params", "grads", "update", "state"}
        for name in record.layout.names:
            assert row["params"][name] == float(record.params[name])
            assert row["grads"][name] == float(record.grads[name])
            assert row["update"][name] == float(record.update[name])
            assert row["state"][name]["V"] == float(record.state[name]["V"])
            assert row["state"][name]["S_hat"] == float(record.state[name]["S_hat"])
    assert len(rows) == 5


def test_run_without_steps_uses_the_scenarios_training_steps(capsys):
    code, out, _ = run(capsys, "run", "gd-fabc")
    assert code == 0
    assert len(out.splitlines()) == load_scenario(resolve_scenario("gd-fabc")).training.steps


def test_run_csv_has_a_header_row(capsys):
    code, out, _ = run(capsys, "run", "xor", "--steps", "3", "--format", "csv", "--full")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3
    assert {"step", "loss", "param:layer1.W[0,0]", "grad:layer2.b[0]", "V:layer1.b[1]"} <= set(rows[0])


def test_run_out_writes_the_file(capsys, tmp_path):
    target = tmp_path / "trace.jsonl"
    code, out, err = run(capsys, "run", "sine-net", "--steps", "4", "--out", str(target))
    assert code == 0 and out == ""
    assert len(target.read_text().splitlines()) == 4
    assert "4 steps" in err


def test_a_diverging_run_stops_and_exits_3(capsys, tmp_path):
    path = tmp_path / "boom.toml"
    path.write_text(DIVERGING)
    code, out, err = run(capsys, "run", str(path))
    assert code == 3
    rows = [json.loads(line) for line in out.splitlines()]
    assert "diverged at step" in err and "Traceback" not in err
    step = int(err.split("diverged at step ")[1].split(":")[0])
    assert len(rows) == step - 1  # the bad step is not written
    assert all(np.isfinite(r["loss"]) for r in rows)


def test_invalid_scenario_exits_2_with_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[objective]\nexpression = "a +"\nparams = { a = 1.0 }\n')
    for argv in (["run", str(bad)], ["check", str(bad)], [str(bad)]):
        code, out, err = run(capsys, *argv)
        assert code == 2, argv
        assert len(err.strip().splitlines()) == 1 and "bad.toml" in err
    code, _, err = run(capsys, "run", "no-such-scenario")
    assert code == 2 and "no-such-scenario" in err


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "adam-fabc", "--steps", "-3"])
    assert info.value.code == 2


def test_check_passes_on_bundled_scenarios_and_reports_kinks(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "adam-fabc", "xor", "linear-regression")
    assert code == 0
    assert out.count(": ok:") == 3
    kinky = tmp_path / "kink.toml"
    kinky.write_text('name = "kink"\n[objective]\nexpression = "abs(a) + (b - 1)**2"\nparams = { a = 0.0, b = 3.0 }\n')
    code, out, _ = run(capsys, "check", str(kinky))
    assert code == 0 and "kink at a" in out


@pytest.mark.parametrize("command", ["", "open", "list", "run", "check"])
def test_help_is_complete(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"] if command else ["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "usage: gradstep" in text
    if command == "run":
        for option in ("--steps", "--format", "--full", "--out", "--quiet"):
            assert option in text


def test_headless_commands_never_import_textual(tmp_path):
    code = ("import sys; from gradstep.tui.cli import main; "
            "main(['run', 'adam-fabc', '--steps', '2', '--quiet']); main(['list']); main(['check', 'xor']); "
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_run_out_into_a_missing_folder_is_a_clear_error(capsys, tmp_path):
    code, out, err = run(capsys, "run", "xor", "--steps", "2", "--out", str(tmp_path / "nope" / "t.jsonl"))
    assert code == 2 and "t.jsonl" in err and "Traceback" not in err
