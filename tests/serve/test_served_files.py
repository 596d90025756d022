"""A served dashboard, driven in headless Chromium as a student would: what ``o`` may open, and
``e`` and ``p`` arriving as downloads in the student's browser with nothing written on the
teacher's disk (issue 14)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from tests.serve.support import (CHROMIUM_FLAGS, KEEP_TERMINAL, ROOT, SCREEN_TEXT, TOKEN, browser_or_skip,
                                 free_port, serving, shows, stop_and_check_clean,
                                 wait_until_answering)

SECRET = "hunter2 SECRET token abc"


def files_under(tmp_path: Path) -> set[str]:
    """Every file of the teacher's folders (matplotlib's own font cache left aside)."""
    return {str(p) for p in tmp_path.rglob("*")
            if "mpl" not in p.relative_to(tmp_path).parts and p.name not in ("serve.out", "serve.err")}


def classroom(tmp_path: Path) -> dict[str, Path]:
    """The teacher's folders: a scenario folder ``room`` (its scenario, a link to a TOML file
    outside it, a link to /etc/passwd), a TOML file with a secret beside it, an empty working
    folder and home."""
    room, cwd, home = tmp_path / "room", tmp_path / "cwd", tmp_path / "home"
    for folder in (room, cwd, home):
        folder.mkdir()
    text = (ROOT / "scenarios" / "adam-fabc.toml").read_text()
    (room / "inside.toml").write_text(text.replace('name = "adam-fabc"', 'name = "inside-room"', 1))
    (tmp_path / "outside.toml").write_text(f'name = "{SECRET}"\npassword = "{SECRET}"\n')
    (room / "link.toml").symlink_to(tmp_path / "outside.toml")
    (room / "passwd.toml").symlink_to("/etc/passwd")
    return {"room": room, "cwd": cwd, "home": home}


def test_served_dashboard_opens_only_its_folder_and_delivers_downloads(tmp_path):
    chromium = browser_or_skip()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    places = classroom(tmp_path)
    before = files_under(tmp_path)
    port = free_port()
    link = f"http://127.0.0.1:{port}/?token={TOKEN}"
    downloads = []
    with serving(tmp_path, str(places["room"] / "inside.toml"), "--port", str(port), "--token", TOKEN,
                 cwd=places["cwd"], env={"HOME": str(places["home"]), "MPLCONFIGDIR": str(tmp_path / "mpl")}
                 ) as server, sync_playwright() as playwright:
        wait_until_answering(server, tmp_path, port)
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})

            def keep(download):
                downloads.append(download)

            # Every tab's downloads: textual-serve's page opens /download/KEY in a tab of its own.
            context.on("page", lambda tab: tab.on("download", keep))
            page = context.new_page()
            page.add_init_script(KEEP_TERMINAL)
            page.goto(link)
            page.wait_for_function(shows(r"gradstep inside-room\b.*\n\s*step 0\b"), timeout=60_000)
            page.locator(".xterm-screen").click()

            def screen() -> str:
                return page.evaluate(f"({SCREEN_TEXT})()") or ""

            def click_text(text: str) -> None:
                """Click the terminal where ``text`` is shown (Textual gets the mouse)."""
                rows = screen().split("\n")
                row = next(i for i, line in enumerate(rows) if text in line)
                column = rows[row].index(text) + 1
                box = page.locator(".xterm-screen").bounding_box()
                size = page.evaluate("() => [window.__gradstepTerminal.cols, window.__gradstepTerminal.rows]")
                page.mouse.click(box["x"] + (column + 0.5) * box["width"] / size[0],
                                 box["y"] + (row + 0.5) * box["height"] / size[1])

            def type_path(text: str) -> None:
                """Type ``text`` into the dialog's path (clicked, so it has the focus)."""
                expect(r"or type a path")
                click_text("path/to/scenario.toml")
                page.keyboard.type(text)
                expect(re.escape(text))
                page.keyboard.press("Enter")

            def until(condition, seconds: float, what: str) -> None:
                """Poll ``condition`` while Playwright dispatches its events (a plain sleep
                would hold them back)."""
                deadline = time.monotonic() + seconds
                while not condition():
                    if time.monotonic() > deadline:
                        pytest.fail(f"{what}: not within {seconds} s; the screen:\n{screen()}")
                    page.wait_for_timeout(200)

            def escape() -> None:
                """Close the dialog, and wait until it is gone: a key typed right after Escape
                would reach the terminal as Alt+key."""
                page.keyboard.press("Escape")
                try:
                    page.wait_for_function(f"() => !/open a scenario/.test(({SCREEN_TEXT})())",
                                           timeout=30_000)
                except PlaywrightTimeout:
                    pytest.fail(f"escape did not close the dialog:\n{screen()}")

            def expect(pattern: str, timeout: float = 30_000) -> None:
                """Wait until the screen shows ``pattern``; fail with the screen if it never does."""
                try:
                    page.wait_for_function(shows(pattern.replace("/", r"\/")), timeout=timeout)
                except PlaywrightTimeout:
                    pytest.fail(f"the screen never showed /{pattern}/:\n{screen()}")

            def nothing_leaked():
                text = screen()
                for words in ("hunter2", "SECRET", "root:", "invalid TOML", "password", "cannot open"):
                    assert words not in text, text

            # o: the list offers the folder's own scenario and not the links out of it.
            page.keyboard.press("o")
            expect(r"the scenarios of room")
            page.keyboard.press("End")  # the folder's files come after the bundled scenarios
            expect(r"inside\.toml")
            assert "link.toml" not in screen() and "passwd.toml" not in screen()
            escape()
            for typed in ("/etc/passwd", "../outside.toml", "link.toml", "passwd.toml"):
                page.wait_for_function(f"() => !/not offered here/.test(({SCREEN_TEXT})())", timeout=60_000)
                page.keyboard.press("o")
                type_path(typed)
                expect(r"not offered here")
                nothing_leaked()
                escape()
            # A bundled scenario typed by its name is opened: typing is read, only confined.
            page.keyboard.press("o")
            type_path("adam-fabc")
            expect(r"gradstep adam-fabc\b.*\n\s*step 0\b")
            nothing_leaked()

            # e: three steps, then the trace as a download.
            for _press in range(3):
                page.keyboard.press("Space")
            expect(r"gradstep adam-fabc\b.*\n\s*step 3\b")
            page.keyboard.press("e")
            expect(r"adam-fabc-trace\.jsonl")
            page.keyboard.press("Enter")
            until(lambda: downloads, 60, "the trace's download")
            trace = downloads[0]
            assert trace.suggested_filename == "adam-fabc-trace.jsonl"
            records = [json.loads(line) for line in Path(trace.path()).read_text().splitlines()]
            assert [r["step"] for r in records] == [1, 2, 3]
            # Step 1 stands on (a, b, c) = (0, 0, 1): (0-1)² + 10(0+2)² + 1² = 42.
            assert records[0]["loss"] == 42.0

            # p: the screen (SVG) and the loss curve (PNG), as downloads.
            page.keyboard.press("p")
            until(lambda: len(downloads) >= 3, 120, "the pictures' downloads")
            expect(r"pictures sent to your browser")
            pictures = {d.suggested_filename: Path(d.path()).read_bytes() for d in downloads[1:]}
            names = sorted(pictures)
            assert [re.sub(r"-step\d+", "", n) for n in names] == ["adam-fabc-loss.png", "adam-fabc-screen.svg"], names
            assert all("-step3-" in n for n in names), names
            assert pictures[names[0]].startswith(b"\x89PNG\r\n\x1a\n")
            assert b"<svg" in pictures[names[1]][:400]
        finally:
            browser.close()
        stop_and_check_clean(server, tmp_path)
    # Nothing new on the teacher's disk: not in the working folder, the home, the scenarios.
    after = files_under(tmp_path)
    assert after == before, after ^ before
    assert os.listdir(places["cwd"]) == [] and os.listdir(places["home"]) == []
