"""``gradstep FILE.gradstep`` and ``gradstep run --resume FILE.gradstep`` (issue 18): a resumed
run writes the records a straight run writes for the same steps; a bad file is one line, exit 2."""

import io
import json

import pytest

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training import save_file
from gradstep.engine.training.session import Session
from gradstep.engine.training.trace import write_records
from gradstep.tui.cli import main
from gradstep.tui.trace_json import ENCODER


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def saved(tmp_path):
    """moons trained 25 steps with α doubled after step 10, saved at step 25."""
    session = Session(load_scenario(resolve_scenario("moons")))
    session.run(10)
    session.set_lr(session.hyper["lr"] * 2)
    session.run(15)
    path = tmp_path / "moons-step25.gradstep"
    save_file.save(session, path)
    return path


def test_run_resume_writes_the_records_of_a_straight_run(capsys, saved, tmp_path):
    code, resumed, _err = run(capsys, "run", "--resume", str(saved), "--steps", "7", "--full")
    assert code == 0
    # The straight run, written by the same writer `gradstep run` uses: the same changes, 32 steps.
    session = Session(load_scenario(resolve_scenario("moons")))
    session.run(10)
    session.set_lr(session.hyper["lr"] * 2)
    stream = io.StringIO()
    write_records(stream, (session.step() for _n in range(22)), session.layout, "jsonl", True, True, ENCODER)
    straight = stream.getvalue().splitlines()[15:]  # steps 11 ... 32: from 26 on
    assert resumed.splitlines() == straight
    assert [json.loads(line)["step"] for line in resumed.splitlines()] == list(range(26, 33))


def test_run_resume_goes_on_to_the_scenarios_steps_by_default(capsys, saved):
    steps = load_scenario(resolve_scenario("moons")).training.steps
    code, out, _err = run(capsys, "run", "--resume", str(saved))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == steps - 25 and json.loads(lines[-1])["step"] == steps


def test_run_needs_a_scenario_or_resume_not_both(capsys, saved):
    with pytest.raises(SystemExit) as exited:
        main(["run", "moons", "--resume", str(saved)])
    assert exited.value.code == 2 and "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["run"])
    assert exited.value.code == 2 and "required: SCENARIO" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [("run", "--resume"), ("open",), ()])
def test_a_damaged_save_file_is_one_line_and_exit_2(capsys, saved, argv):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    code, out, err = run(capsys, *argv, str(saved))
    assert code == 2 and out == ""
    assert err.startswith(f"gradstep: {saved}: ") and err.count("\n") == 1, err
