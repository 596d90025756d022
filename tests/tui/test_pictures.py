"""Pictures for slides (issue 8): the data they plot, the PNG files, and the ``p`` key."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gradstep.engine.analysis.race import Race
from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Session
from gradstep.engine.training.trace import ExportError
from gradstep.tui import picture_data as data
from gradstep.tui import pictures
from gradstep.tui.app import GradstepApp

from .conftest import settle

SIZE = (120, 40)


def scenario(name):
    return load_scenario(resolve_scenario(name))


def stepped(name, steps):
    session = Session(scenario(name))
    records = [session.step() for _step in range(steps)]
    return session, records


def read_png(path):
    """The picture's pixels, read back by matplotlib (RGBA floats)."""
    from matplotlib.image import imread

    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return imread(path)


def assert_slide_sized_and_drawn(path):
    pixels = read_png(path)
    assert pixels.shape[:2] == (900, 1600)
    rgb = pixels[..., :3]
    inked = np.any(rgb < 0.9, axis=-1).mean()  # not white: axes, text, curves, colours
    assert inked > 0.02
    assert len(np.unique((rgb * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 50
    return rgb


def pixels_near(rgb, colour, tolerance=0.08):
    target = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return int(np.all(np.abs(rgb - target) < tolerance, axis=-1).sum())


# -- what is plotted ---------------------------------------------------------------------------
def test_loss_curve_is_the_losses_of_an_independent_run():
    session, _records = stepped("adam-fabc", 57)
    picture = data.loss_picture(session)
    (curve,) = picture.curves
    _fresh, records = stepped("adam-fabc", 57)  # another session, its step records
    np.testing.assert_array_equal(curve.steps, np.arange(1, 58))
    np.testing.assert_array_equal(curve.values, [r.loss for r in records])
    assert "adam-fabc" in picture.title and "Adam" in picture.title and "0.05" in picture.title


def test_validation_loss_is_plotted_beside_the_training_loss():
    session, _records = stepped("moons", 12)
    training, validation = data.loss_picture(session).curves
    _fresh, records = stepped("moons", 12)
    np.testing.assert_array_equal(training.values, [r.loss for r in records])
    np.testing.assert_array_equal(validation.values, [r.val_loss for r in records])
    assert (training.label, validation.label) == ("training", "validation")


def test_a_branch_leaves_the_abandoned_losses_dimmed():
    session, _records = stepped("adam-fabc", 30)
    session.goto(10)
    session.set_lr(0.025)
    for _step in range(5):
        session.step()
    ghost, current = data.loss_picture(session, marks=(10,), current=12).curves
    _old, old_records = stepped("adam-fabc", 30)
    new = Session(scenario("adam-fabc"))
    new_losses = [new.step().loss for _step in range(10)]
    new.set_lr(0.025)
    new_losses += [new.step().loss for _step in range(5)]
    assert ghost.dimmed and not current.dimmed
    np.testing.assert_array_equal(ghost.steps, np.arange(11, 31))
    np.testing.assert_array_equal(ghost.values, [r.loss for r in old_records[10:]])
    np.testing.assert_array_equal(current.values, new_losses)


def test_race_curves_are_each_optimizer_run_alone():
    race = Race(scenario("rosenbrock-race"))
    race.run(40)
    picture = data.race_loss_picture(data.race_state(race))
    base = scenario("rosenbrock-race")
    assert len(picture.curves) == len(base.compare) == 4
    for curve, spec in zip(picture.curves, base.compare):
        alone = Session(replace(base, optimizer=spec, compare=()))
        np.testing.assert_array_equal(curve.values, [alone.step().loss for _step in range(40)])


def test_surface_is_rosenbrock_with_the_path_of_the_run():
    session, records = stepped("rosenbrock", 25)
    start = session.scenario.model.params
    path = np.array([[start["x"], start["y"]]] + [r.theta for r in records])
    picture = data.surface_picture(session, (("x", ()), ("y", ())), path)
    grid = picture.surface
    X, Y = np.meshgrid(grid.xs, grid.ys)
    np.testing.assert_allclose(grid.Z, (1 - X) ** 2 + 100 * (Y - X ** 2) ** 2, rtol=1e-12, atol=1e-12)
    (label, points, _colour), = picture.paths
    assert label == "path from step 0 to step 25"
    assert points.shape == (26, 2) and tuple(points[-1]) == tuple(records[-1].theta)
    assert grid.xs[0] <= points[:, 0].min() and points[:, 0].max() <= grid.xs[-1]
    assert grid.ys[0] <= points[:, 1].min() and points[:, 1].max() <= grid.ys[-1]


# -- the PNG files -----------------------------------------------------------------------------
def test_loss_png_is_a_slide_with_the_curve_on_it(tmp_path):
    session, _records = stepped("adam-fabc", 80)
    target = tmp_path / "loss.png"
    pictures.write_png(pictures.loss_figure(data.loss_picture(session)), target)
    rgb = assert_slide_sized_and_drawn(target)
    assert pixels_near(rgb, data.TRAIN) > 2000  # the curve itself, in its colour
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]  # no temporary file left


def test_surface_png_is_a_slide(tmp_path):
    race = Race(scenario("saddle-race"))
    race.run(60)
    picture = data.race_surface_picture(data.race_state(race))
    target = tmp_path / "surface.png"
    pictures.write_png(pictures.surface_figure(picture), target)
    rgb = assert_slide_sized_and_drawn(target)
    for colour in data.RACERS[:len(race.runners)]:
        assert pixels_near(rgb, colour, 0.12) > 100  # every racer's path is drawn


def test_a_missing_folder_is_a_clear_error_and_leaves_nothing(tmp_path):
    session, _records = stepped("adam-fabc", 3)
    figure = pictures.loss_figure(data.loss_picture(session))
    with pytest.raises(ExportError, match="nope"):
        pictures.write_png(figure, tmp_path / "nope" / "loss.png")
    assert list(tmp_path.iterdir()) == []


def test_free_stem_never_reuses_a_picture_name(tmp_path):
    assert pictures.free_stem(tmp_path, "s-step3") == tmp_path / "s-step3"
    (tmp_path / "s-step3-loss.png").write_bytes(b"x")
    assert pictures.free_stem(tmp_path, "s-step3") == tmp_path / "s-step3-2"
    (tmp_path / "s-step3-2-screen.svg").write_text("x")
    assert pictures.free_stem(tmp_path, "s-step3") == tmp_path / "s-step3-3"


def test_without_matplotlib_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(pictures.PicturesUnavailable, match=r"pip install 'gradstep\[plot\]'"):
        pictures.require_matplotlib()


def test_figure_texts_are_translated(tmp_path):
    from gradstep.tui.i18n import install

    session, _records = stepped("moons", 3)
    install("pt")
    try:
        picture = data.loss_picture(session)
        figure = pictures.loss_figure(picture)
    finally:
        install("en")
    ax = figure.axes[0]
    assert ax.get_xlabel() == "passo"
    assert "taxa de aprendizado" in picture.title
    assert [c.label for c in picture.curves] == ["treino", "validação"]


# -- the p key ---------------------------------------------------------------------------------
async def press_p(app, pilot):
    await pilot.press("p")
    await settle(pilot)
    await app.workers.wait_for_complete()
    await settle(pilot)


def messages(app):
    """Every notification the app has shown, also those whose few seconds on screen are over
    (on a busy machine, drawing the pictures can outlast a notification's timeout)."""
    return list(app.heard)


class HeardApp(GradstepApp):
    """The dashboard, keeping a list of what it notified."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.heard = []

    def notify(self, message, *, title="", severity="information", **kwargs):
        self.heard.append((title, message, severity))
        return super().notify(message, title=title, severity=severity, **kwargs)


async def test_p_saves_the_screen_and_the_pictures_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = HeardApp("rosenbrock")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _press in range(3):
            await pilot.press("n")
            await settle(pilot)
        await press_p(app, pilot)
        names = sorted(p.name for p in tmp_path.iterdir())
        assert names == ["rosenbrock-step30-loss.png", "rosenbrock-step30-screen.svg",
                         "rosenbrock-step30-surface.png"]
        svg = (tmp_path / "rosenbrock-step30-screen.svg").read_text()
        assert svg.lstrip().startswith("<svg") and "rosenbrock" in svg
        assert_slide_sized_and_drawn(tmp_path / "rosenbrock-step30-loss.png")
        assert_slide_sized_and_drawn(tmp_path / "rosenbrock-step30-surface.png")
        before = (tmp_path / "rosenbrock-step30-loss.png").read_bytes()
        title, text, severity = messages(app)[-1]
        assert title == "pictures saved" and "rosenbrock-step30-surface.png" in text
        await press_p(app, pilot)  # the same step again: new names, nothing replaced
        assert (tmp_path / "rosenbrock-step30-2-screen.svg").is_file()
        assert (tmp_path / "rosenbrock-step30-2-loss.png").is_file()
        assert (tmp_path / "rosenbrock-step30-loss.png").read_bytes() == before
        assert app.screen.session.t == 30


async def test_p_over_the_race_view_draws_the_race(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = HeardApp("saddle-race")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await press_p(app, pilot)
        rgb = assert_slide_sized_and_drawn(tmp_path / "saddle-race-step100-surface.png")
        assert pixels_near(rgb, data.RACERS[1], 0.12) > 100
        assert (tmp_path / "saddle-race-step100-screen.svg").is_file()
        assert (tmp_path / "saddle-race-step100-loss.png").is_file()


async def test_p_without_matplotlib_still_saves_the_screen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    app = HeardApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        await press_p(app, pilot)
        assert [p.name for p in tmp_path.iterdir()] == ["adam-fabc-step10-screen.svg"]
        notes = messages(app)
        assert ("pictures", "pictures need matplotlib: pip install 'gradstep[plot]'", "warning") in notes
        await pilot.press("space")  # training goes on
        await pilot.pause()
        assert app.screen.session.t == 11


def read_only_folder(tmp_path):
    """A folder nobody may write in: a read-only one, or /proc for root (who ignores modes)."""
    if os.geteuid() != 0:
        tmp_path.chmod(0o555)
        return tmp_path
    if not Path("/proc").is_dir():
        pytest.skip("no read-only folder for root")
    return Path("/proc")


async def test_p_in_a_read_only_folder_says_so_and_training_goes_on(tmp_path, monkeypatch):
    folder = read_only_folder(tmp_path)
    monkeypatch.chdir(folder)
    app = HeardApp("adam-fabc")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("n")
            await settle(pilot)
            await press_p(app, pilot)
            title, text, severity = messages(app)[-1]
            assert severity == "error" and "cannot write" in text and "adam-fabc-step10-screen.svg" in text
            await pilot.press("space")
            await pilot.pause()
            assert app.screen.session.t == 11
    finally:
        tmp_path.chmod(0o755)


async def test_pictures_over_the_surface_view_draw_its_slice(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = HeardApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        view = app.screen
        await press_p(app, pilot)
        assert app.screen is view
        assert_slide_sized_and_drawn(tmp_path / "adam-fabc-step10-surface.png")
        svg = (tmp_path / "adam-fabc-step10-screen.svg").read_text()
        assert "slice" in svg  # the screenshot is of the view


async def test_p_in_the_export_dialog_is_a_letter_of_the_path(tmp_path, monkeypatch):
    from textual.widgets import Input

    monkeypatch.chdir(tmp_path)
    app = HeardApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("space")
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("end", "p")
        await settle(pilot)
        assert app.screen.query_one(Input).value.endswith("jsonlp")
        assert list(tmp_path.iterdir()) == []


async def test_p_while_drawing_waits_for_the_pictures_being_drawn(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = HeardApp("rosenbrock")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        app.action_pictures()
        app.action_pictures()  # at once: the first is still being drawn
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert ("", "still drawing the last pictures", "information") in messages(app)
        assert len(list(tmp_path.iterdir())) == 3
