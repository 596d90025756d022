"""``gradstep run --plot FILE.png``: the pictures of the dashboard's ``p``, without a screen."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gradstep.tui.cli import main

ROOT = Path(__file__).resolve().parents[2]

DIVERGING = """\
name = "boom"
[objective]
expression = "x**2 + y**2"
params = { x = 1.0, y = 2.0 }
[optimizer]
kind = "sgd"
lr = 1e200
[training]
steps = 50
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def slide(path):
    """The PNG's pixels, checked to be a 1600 x 900 picture with something drawn on it."""
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(path)
    assert pixels.shape[:2] == (900, 1600)
    rgb = pixels[..., :3]
    assert np.any(rgb < 0.9, axis=-1).mean() > 0.02
    assert len(np.unique((rgb * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 50
    return rgb


def test_plot_writes_the_loss_and_the_surface_beside_it(capsys, tmp_path):
    target = tmp_path / "rosenbrock.png"
    code, out, err = run(capsys, "run", "rosenbrock", "--steps", "60", "--plot", str(target),
                         "--out", str(tmp_path / "trace.jsonl"))
    assert code == 0, err
    slide(target)
    slide(tmp_path / "rosenbrock-surface.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rosenbrock-surface.png", "rosenbrock.png",
                                                          "trace.jsonl"]
    assert "rosenbrock.png" in err and "rosenbrock-surface.png" in err
    assert out == ""


def test_plot_of_a_bigger_model_is_the_loss_alone(capsys, tmp_path):
    target = tmp_path / "xor.png"
    code, _out, err = run(capsys, "run", "xor", "--steps", "20", "--quiet", "--plot", str(target))
    assert code == 0, err
    slide(target)
    assert [p.name for p in tmp_path.iterdir()] == ["xor.png"]
    assert "pictures" not in err  # --quiet: the summary line only


def test_plot_of_a_race_draws_every_racer(capsys, tmp_path):
    target = tmp_path / "race.png"
    code, _out, err = run(capsys, "run", "saddle-race", "--steps", "80", "--quiet", "--plot", str(target))
    assert code == 0, err
    slide(target)
    rgb = slide(tmp_path / "race-surface.png")
    orange = np.array([0xEA, 0x58, 0x0C]) / 255  # the second racer's colour
    assert np.all(np.abs(rgb - orange) < 0.12, axis=-1).sum() > 100


def test_plot_replaces_the_file_it_is_given(capsys, tmp_path):
    target = tmp_path / "loss.png"
    target.write_text("an older picture")
    code, _out, err = run(capsys, "run", "adam-fabc", "--steps", "5", "--quiet", "--plot", str(target))
    assert code == 0, err
    slide(target)


def test_a_diverged_run_is_still_drawn_up_to_where_it_went_wrong(capsys, tmp_path):
    scenario = tmp_path / "boom.toml"
    scenario.write_text(DIVERGING)
    target = tmp_path / "boom.png"
    code, _out, err = run(capsys, "run", str(scenario), "--quiet", "--plot", str(target))
    assert code == 3 and "diverged" in err
    slide(target)


@pytest.mark.parametrize("name, message", [
    ("loss.svg", "must end in .png"),
    ("missing/loss.png", "there is no folder"),
])
def test_a_bad_plot_name_is_refused_before_training(capsys, tmp_path, name, message):
    trace = tmp_path / "trace.jsonl"
    code, _out, err = run(capsys, "run", "adam-fabc", "--plot", str(tmp_path / name), "--out", str(trace))
    assert code == 2 and message in err and "Traceback" not in err
    assert not trace.exists()  # nothing was trained


def test_without_matplotlib_plot_exits_2_saying_how_to_install_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _out, err = run(capsys, "run", "adam-fabc", "--quiet", "--plot", str(tmp_path / "l.png"))
    assert code == 2
    assert err.strip() == "gradstep: pictures need matplotlib: pip install 'gradstep[plot]'"
    assert list(tmp_path.iterdir()) == []


def test_plot_is_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "--plot FILE.png" in capsys.readouterr().out


def python(code):
    """The words of the last line ``code`` prints, run in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[-1].split()


def test_help_and_the_dashboard_never_import_matplotlib():
    code = ("import sys; from gradstep.tui.cli import main\n"
            "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
            "import gradstep.tui.app, gradstep.tui.screens.dashboard\n"
            "print('matplotlib' in sys.modules)")
    assert python(code) == ["False"]


def test_plot_never_imports_textual(tmp_path):
    code = ("import sys; from gradstep.tui.cli import main; "
            f"main(['run', 'rosenbrock', '--steps', '3', '--quiet', '--plot', {str(tmp_path / 'r.png')!r}]); "
            "print('textual' in sys.modules, 'matplotlib' in sys.modules)")
    assert python(code) == ["False", "True"]
    assert (tmp_path / "r-surface.png").is_file()
