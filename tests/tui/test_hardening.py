"""The dashboard when things go wrong (issue 7): a file reloaded half-edited while training runs,
a trace exported into a read-only folder or onto a full disk, a network whose numbers overflow."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.error_dialog import ErrorDialog
from gradstep.tui.screens.export_dialog import ExportDialog

from tests.engine.test_hardening import LAYER2  # a network worked by hand: overflow at step 2

from .conftest import settle

SIZE = (120, 40)


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def message_of(screen) -> str:
    return str(screen.query_one("#message").render())


# -- reloading a file that is being edited ------------------------------------------------------
async def test_reload_of_a_half_edited_file_while_running_keeps_the_session(write_scenario):
    path = write_scenario("editing", lr=0.05)
    app = GradstepApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        session = screen.session
        await pilot.press("r")
        await pilot.pause(0.3)
        assert screen.mode == "running" and session.t > 0
        # half way through an edit: the value of lr is being typed
        path.write_text(path.read_text().replace("lr = 0.05", 'lr = "0.0'))
        with pytest.raises(ScenarioError) as expected:  # what the loader says of this text
            load_scenario(path)
        await pilot.press("R")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        text = message_of(dialog)
        assert text == str(expected.value)
        assert text.startswith(f"{path}:{expected.value.line}: ")
        assert expected.value.line == path.read_text().splitlines().index('lr = "0.0') + 1
        # the training on screen is the same session, and it goes on running behind the error
        t = session.t
        await pilot.pause(0.3)
        assert session.t > t > 0 and screen.mode == "running"
        await pilot.press("enter")  # (not press(): its settle waits for a worker that runs on)
        await pilot.pause()
        assert app.screen is screen and screen.session is session and screen.mode == "running"
        await press(pilot, "r")  # pause, so that the next reload starts from a still session
        t = session.t

        # a wrong key, as when a name is half typed: the message names the file, line and key
        path.write_text(path.read_text().replace('lr = "0.0', "lr = 0.02\nbeta = 0.9"))
        await press(pilot, "R")
        text = message_of(app.screen)
        assert text.startswith(f"{path}:") and "optimizer.beta" in text
        line = int(text[len(f"{path}:"):].split(":")[0])
        assert path.read_text().splitlines()[line - 1] == "beta = 0.9"
        await press(pilot, "escape")
        assert app.screen is screen and screen.session is session

        # the edit finished: the reload opens the fixed file from step 0
        path.write_text(path.read_text().replace("beta = 0.9", "beta1 = 0.8"))
        await press(pilot, "R")
        fresh = app.screen
        assert isinstance(fresh, DashboardScreen) and fresh is not screen
        assert fresh.session.t == 0
        assert fresh.session.hyper["lr"] == 0.02 and fresh.session.hyper["beta1"] == 0.8
        await press(pilot, "space")
        assert fresh.session.t == 1


async def test_reload_of_an_emptied_file_shows_the_error(write_scenario):
    # an editor that truncates before writing: the reload sees an empty file
    path = write_scenario("truncated")
    app = GradstepApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        screen = app.screen
        path.write_text("")
        await press(pilot, "R")
        assert isinstance(app.screen, ErrorDialog)
        assert message_of(app.screen).startswith(str(path))
        await press(pilot, "enter")
        assert app.screen is screen and screen.session.t == 10


# -- export into a folder that cannot be written --------------------------------------------------
@contextlib.contextmanager
def read_only(folder: Path):
    """Make ``folder`` refuse new files, and say how.

    ``chmod 0o555`` does not stop root, which these tests often run as: for root, the folder is
    made immutable with ``chattr +i`` (the kernel then refuses every change in it, to root too),
    where the file system supports it; failing that, creating a file in it through ``os.open``
    (what :func:`tempfile.mkstemp` calls) raises PermissionError, as the kernel would.
    """
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield "chmod 0o555"
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode == 0:
        try:
            yield "chattr +i"
        finally:
            subprocess.run([chattr, "-i", str(folder)], check=True)
        return
    real_open = os.open
    inside = str(folder.resolve())

    def refusing(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and os.path.dirname(os.path.abspath(os.fspath(path))) == inside:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    os.open = refusing
    try:
        yield "os.open refuses"
    finally:
        os.open = real_open


async def export_to(pilot, target: Path) -> ExportDialog:
    """Press ``e``, type ``target``, press enter (twice when it exists); the dialog."""
    await press(pilot, "e")
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    dialog.query_one(Input).value = str(target)
    await press(pilot, "enter")
    if target.exists():
        await press(pilot, "enter")  # yes, replace it
    return dialog


def problem_of(dialog) -> str:
    return str(dialog.query_one("#problem", Static).render())


async def test_export_into_a_read_only_folder_keeps_the_earlier_file(tmp_path):
    folder = tmp_path / "traces"
    folder.mkdir()
    target = folder / "trace.jsonl"
    target.write_text("an earlier trace\n")
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        with read_only(folder) as how:
            dialog = await export_to(pilot, target)
            assert app.screen is dialog, how  # the dialog stays open to choose another path
            problem = problem_of(dialog)
            assert problem.startswith(f"cannot write {target}: "), how
            assert any(word in problem for word in ("permission denied", "operation not permitted")), problem
            assert not dialog.query_one(Input).disabled
        assert target.read_text() == "an earlier trace\n"
        assert [p.name for p in folder.iterdir()] == ["trace.jsonl"]  # no temporary file left
        # another path works, and the training goes on
        dialog.query_one(Input).value = str(tmp_path / "elsewhere.jsonl")
        await press(pilot, "enter")
        assert isinstance(app.screen, DashboardScreen)
        assert len((tmp_path / "elsewhere.jsonl").read_text().splitlines()) == 10
        await press(pilot, "space")
        assert app.screen.session.t == 11


# -- export onto a full disk --------------------------------------------------------------------
@contextlib.contextmanager
def full_disk(tmp_path: Path, monkeypatch):
    """A folder on a file system with almost no room left, and how it was made.

    As root where mounting is allowed: a 16 KiB tmpfs, mostly filled. Otherwise the file
    system's answer is imitated at the operating-system boundary: ``os.fsync`` (which the
    export calls before renaming) fails with ENOSPC, as it does when the disk fills while
    writing back.
    """
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], capture_output=True).returncode == 0
    if not mounted:
        def no_space(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "fsync", no_space)
        yield folder, "os.fsync fails with ENOSPC"
        return
    try:
        yield folder, "a 16 KiB tmpfs"
    finally:
        subprocess.run(["umount", str(folder)], check=True)


async def test_export_onto_a_full_disk_keeps_the_earlier_file(tmp_path, monkeypatch):
    app = GradstepApp("sine-net")  # a full record of a network: kilobytes a step
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        with full_disk(tmp_path, monkeypatch) as (folder, how):
            target = folder / "trace.jsonl"
            earlier = "an earlier trace\n" * 500  # 8.5 KB of the 16 KiB
            target.write_text(earlier)
            dialog = await export_to(pilot, target)
            assert app.screen is dialog, how
            problem = problem_of(dialog)
            assert problem == f"cannot write {target}: no space left on device", how
            assert target.read_text() == earlier
            assert [p.name for p in folder.iterdir()] == ["trace.jsonl"], how  # no partial file
        await press(pilot, "escape")
        assert isinstance(app.screen, DashboardScreen)
        await press(pilot, "space")
        assert app.screen.session.t == 11


# -- divergence in a network: the banner names the step, the operation and the layer -----------
@pytest.mark.parametrize("keys", [("space", "space"), ("r",), ("n",)], ids=["space", "run", "n"])
async def test_the_banner_names_the_layer_that_overflowed(write_scenario, keys):
    app = GradstepApp(write_scenario("layer2", text=LAYER2))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await press(pilot, *keys)
        screen = app.screen
        assert screen.mode == "diverged" and screen.session.t == 1
        assert screen.session.record.loss == 81.0
        banner = screen.query_one("#banner")
        assert banner.display and banner.has_class("-shown")
        assert "diverged at step 2: overflow in linear in layer2" in str(banner.render())
        # back from the diverged state: step 1 is there as it was, and step 2 diverges again
        await press(pilot, "b")
        assert screen.mode == "paused" and screen.session.t == 0 and not banner.has_class("-shown")
        await press(pilot, "space")
        assert screen.session.t == 1 and screen.session.record.loss == 81.0
        await press(pilot, "space")
        assert screen.mode == "diverged" and screen.session.t == 1
        assert "diverged at step 2: overflow in linear in layer2" in str(banner.render())


# engine/record.py squares the gradient for its norm (once per step): at step 4 (largest entry
# ~3e165) that overflows with a RuntimeWarning and the norm shows as inf (reported; see
# tests/engine/test_hardening.py). Here the dashboard only has to survive it and say where.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
async def test_a_huge_but_finite_gradient_before_the_divergence_is_shown(write_scenario):
    from tests.engine.test_hardening import BIG_GRADIENT

    app = GradstepApp(write_scenario("big", text=BIG_GRADIENT))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await press(pilot, "n")
        screen = app.screen
        assert screen.mode == "diverged" and screen.session.t == 4
        banner = str(screen.query_one("#banner").render())
        assert "diverged at step 5: overflow in linear in layer2" in banner
        await press(pilot, "b", "b")  # the steps before it are there to look at
        assert screen.session.t == 2 and screen.mode == "paused"
