"""The served page takes keys at once (issue 19): the terminal has the focus on load, no click."""

from __future__ import annotations

from tests.serve.support import (CHROMIUM_FLAGS, KEEP_TERMINAL, TOKEN, browser_or_skip, free_port, serving,
                                 shows, stop_and_check_clean, wait_until_answering)


def test_keys_reach_the_served_dashboard_without_a_click(tmp_path):
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    port = free_port()
    with serving(tmp_path, "adam-fabc", "--port", str(port), "--lang", "en", "--token", TOKEN) as server:
        wait_until_answering(server, tmp_path, port)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.add_init_script(KEEP_TERMINAL)
                page.goto(f"http://127.0.0.1:{port}/?token={TOKEN}")
                page.wait_for_function(shows(r"gradstep adam-fabc\b.*\n\s*step 0\b"), timeout=30_000)
                assert page.evaluate("() => !!document.activeElement && "
                                     "document.getElementById('terminal').contains(document.activeElement)")
                page.keyboard.press("Space")  # no click on the terminal first
                page.wait_for_function(shows(r"gradstep adam-fabc\b.*\n\s*step 1\b"), timeout=15_000)
            finally:
                browser.close()
        stop_and_check_clean(server, tmp_path)
