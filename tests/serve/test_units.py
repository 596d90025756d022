"""The served dashboard's confinement and the classroom's limits, as functions (no server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gradstep.engine.scenario import resolve_scenario
from gradstep.tui.classroom import limits, served
from gradstep.tui.classroom.access import HostPolicy, host_name, token_matches

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def room(tmp_path, monkeypatch):
    """A served folder ``room`` with a scenario, links out of it, and a file beside it."""
    room = tmp_path / "room"
    (room / "sub").mkdir(parents=True)
    (room / "inside.toml").write_text((ROOT / "scenarios" / "adam-fabc.toml").read_text())
    (room / "sub" / "deeper.toml").write_text((ROOT / "scenarios" / "adam-fabc.toml").read_text())
    (room / "notes.txt").write_text("not a scenario")
    (tmp_path / "outside.toml").write_text('name = "secret"\n')
    (room / "link.toml").symlink_to(tmp_path / "outside.toml")
    (room / "passwd.toml").symlink_to("/etc/passwd")
    (room / "again.toml").symlink_to(room / "inside.toml")  # a link that stays inside
    monkeypatch.setenv(served.FOLDER_VARIABLE, str(room))
    return room


@pytest.mark.parametrize("typed", [
    "/etc/passwd", "/etc/shadow", "../outside.toml", "link.toml", "passwd.toml", "sub/deeper.toml",
    "sub/../../outside.toml", "notes.txt", "missing.toml", "", "inside.toml\0", "~/.bashrc",
])
def test_a_typed_path_out_of_the_folder_gets_one_refusal(room, typed):
    with pytest.raises(ValueError) as refused:
        served.confine(typed)
    # The same sentence for every refusal: it tells nothing of the file.
    assert str(refused.value) == ("not offered here: a served dashboard opens the bundled scenarios "
                                  "and the .toml files of room only")


def test_the_folder_and_the_bundled_scenarios_are_offered(room, tmp_path):
    assert served.confine("inside.toml") == room / "inside.toml"
    assert served.confine(str(room / "inside.toml")) == room / "inside.toml"
    assert served.confine("sub/../inside.toml") == room / "inside.toml"
    assert served.confine("again.toml") == room / "inside.toml"
    assert served.confine("xor") == resolve_scenario("xor").resolve()
    assert served.confine(str(resolve_scenario("moons"))) == resolve_scenario("moons").resolve()
    labels = [label for label, _path in served.choices()]
    assert "inside.toml" in labels and "link.toml" not in labels and "passwd.toml" not in labels
    assert any(label.startswith("xor ") for label in labels)


def test_outside_a_classroom_nothing_is_served(monkeypatch):
    monkeypatch.delenv(served.FOLDER_VARIABLE, raising=False)
    assert not served.active()


@pytest.mark.parametrize("typed, name", [("../../etc/x.jsonl", "x.jsonl"), ("a b?.csv", "a-b-.csv"),
                                         ("C:\\Users\\t.csv", "t.csv"), ("/", "gradstep-trace.jsonl")])
def test_a_download_is_named_by_the_last_part_typed(typed, name):
    assert served.download_name(typed) == name


def test_sessions_fit_three_quarters_of_the_available_memory(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       8000000 kB\nMemFree:  100 kB\nMemAvailable:    1048576 kB\n")
    assert limits.available_memory(meminfo) == 2**30
    # 3/4 of 1 GiB is 768 MiB: seven dashboards of 100 MiB, not eight.
    assert limits.default_max_sessions(100 * 2**20, 2**30) == 7
    assert limits.default_max_sessions(2**31, 2**30) == 1
    assert limits.available_memory(tmp_path / "missing") is None


@pytest.mark.parametrize("asked, capped", [
    (("10000", "3000"), (300, 100)), (("80", "24"), (80, 24)), (("0", "-5"), (10, 5)),
    (("wide", None), (80, 24)), ((300, 100), (300, 100)), (("1e9", "24"), (80, 24)),
])
def test_page_size_is_capped(asked, capped):
    assert limits.cap_size(*asked) == capped


def test_tokens_and_host_names():
    assert token_matches("abc", "abc") and not token_matches("abc", "abd")
    assert not token_matches("abc", None) and not token_matches("abc", "") and token_matches(None, None)
    assert not token_matches("abc", "ab\udcffc")  # undecodable text is compared, not raised on
    assert host_name("[::1]:8000") == "::1" and host_name("Example.ORG.:80") == "example.org"
    policy = HostPolicy("0.0.0.0", ["class.example"], names={"10.0.0.5"})
    assert policy.accepts("10.0.0.5:8000") and policy.accepts("class.example")
    assert not policy.accepts("10.0.0.6:8000") and not policy.accepts(None) and not policy.accepts("")


def test_a_served_dashboard_outside_a_browser_writes_no_file(room, tmp_path, monkeypatch):
    """Served but in a terminal (no browser to deliver to): `e` says so and writes nothing,
    not even where a dashboard in a terminal would write."""
    from gradstep.tui.app import GradstepApp

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    app = GradstepApp(str(room / "inside.toml"))
    asyncio.run(export_in(app))
    assert list(cwd.iterdir()) == [] and not (tmp_path / "home").exists()
    assert not (tmp_path / "trace.jsonl").exists() and not (room / "trace.jsonl").exists()


async def export_in(app) -> None:
    from textual.widgets import Input, Static

    from gradstep.tui.screens.export_dialog import ExportDialog

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        await pilot.press("e")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one(Input).value = "../trace.jsonl"
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is dialog
        problem = str(dialog.query_one("#problem", Static).render())
        assert problem == "downloads need the dashboard to be in a web browser"
