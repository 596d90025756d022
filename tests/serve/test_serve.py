"""``gradstep serve``: the dashboard as a web page, driven for real in headless Chromium."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys

import pytest

from gradstep.tui.cli import main
from gradstep.tui.commands.serve import is_loopback
from tests.serve.support import (CHROMIUM_FLAGS, KEEP_TERMINAL, ROOT, TOKEN, browser_or_skip, free_port,
                                 group_members, output, serving, shows, stop_and_check_clean,
                                 wait_until_answering)

BAD_BETA1 = ROOT / "tests" / "data" / "bad" / "beta1-one.toml"


@pytest.mark.parametrize("lang, step", [("en", "step"), ("pt", "passo")])
def test_served_dashboard_takes_three_steps_in_chromium(tmp_path, lang, step):
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    link = f"{url}?token={TOKEN}"
    elsewhere = []  # requests for anything not on this server (fonts, scripts from the internet)

    def only_here(route):
        if route.request.url.startswith(url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with serving(tmp_path, "adam-fabc", "--port", str(port), "--lang", lang, "--token", TOKEN) as server:
        wait_until_answering(server, tmp_path, port)
        out, err = output(tmp_path)
        assert link in out and "warning" not in err
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.route("**/*", only_here)
                page.add_init_script(KEEP_TERMINAL)
                page.goto(link)
                page.wait_for_selector("body.-first-byte", state="attached", timeout=30_000)
                # The page and its font come from this server: an offline classroom loses nothing.
                page.wait_for_function("() => document.fonts.check('16px \"Roboto Mono\"')",
                                       timeout=15_000)
                assert elsewhere == []
                assert page.evaluate("() => !!window.__gradstepTerminal"), \
                    "KEEP_TERMINAL no longer finds textual-serve's terminal: its page has changed"
                # The header: the scenario on its first line, the step the session stands at on its second.
                page.wait_for_function(shows(rf"gradstep adam-fabc\b.*\n\s*{step} 0\b"), timeout=30_000)
                page.locator(".xterm-screen").click()
                for _press in range(3):
                    page.keyboard.press("Space")
                page.wait_for_function(shows(rf"gradstep adam-fabc\b.*\n\s*{step} 3\b"), timeout=15_000)
                # Ctrl+C with the page still open: the page is told, its dashboard ends.
                stop_and_check_clean(server, tmp_path)
                page.wait_for_selector("body.-closed", state="attached", timeout=5_000)
            finally:
                browser.close()


def ws_handshake(port: int, host: str, origin: str | None, token: str | None = TOKEN,
                 cookie: str | None = None) -> int:
    """The status of a websocket handshake on /ws with the given Host and Origin headers, the
    token in the query (None: none) and a Cookie header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": cookie} if cookie else {}
    if origin is not None:
        headers["Origin"] = origin
    try:
        conn.request("GET", "/ws" + (f"?token={token}" if token is not None else ""), headers={
            **headers,
            "Host": host, "Connection": "Upgrade", "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        return conn.getresponse().status
    finally:
        conn.close()


def test_other_web_sites_cannot_drive_the_dashboard(tmp_path):
    port = free_port()
    with serving(tmp_path, "--port", str(port), "--token", TOKEN) as server:
        wait_until_answering(server, tmp_path, port)
        here = f"127.0.0.1:{port}"
        assert ws_handshake(port, here, f"http://{here}") == 101  # the token, from this page
        # A page of another site opening a websocket to the teacher's loopback server.
        assert ws_handshake(port, here, "http://evil.example") == 403
        # DNS rebinding: evil.example resolved to 127.0.0.1, so Host and Origin agree.
        assert ws_handshake(port, f"evil.example:{port}", f"http://evil.example:{port}") == 403
        # The page itself, reached as localhost: its websocket address uses the name it was
        # reached by, and that handshake is accepted.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/?token={TOKEN}", headers={"Host": f"localhost:{port}"})
        page = conn.getresponse().read().decode()
        conn.close()
        assert f'data-session-websocket-url="ws://localhost:{port}/ws"' in page
        assert ws_handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101
        stop_and_check_clean(server, tmp_path)


def test_ctrl_c_ends_even_a_dashboard_that_hangs(tmp_path):
    import asyncio

    import aiohttp

    port = free_port()
    with serving(tmp_path, "--port", str(port), "--token", TOKEN) as server:
        wait_until_answering(server, tmp_path, port)

        async def connect_and_stop():
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(
                        f"http://127.0.0.1:{port}/ws?width=100&height=30&token={TOKEN}") as ws:
                    await asyncio.wait_for(ws.receive_bytes(), timeout=30)  # the dashboard draws
                    dashboards = [m for m in group_members(server.pid) if "gradstep.tui.cli open" in m]
                    assert len(dashboards) == 1, dashboards
                    # A dashboard that never answers the request to quit, as if stuck.
                    os.kill(int(dashboards[0].split()[0]), signal.SIGSTOP)
                    # The server waits SHUTDOWN_SECONDS (3) for it, then kills it.
                    await asyncio.to_thread(stop_and_check_clean, server, tmp_path, 8.0)

        asyncio.run(connect_and_stop())


def test_port_in_use_and_network_host_warning(tmp_path):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for host in ("127.0.0.1", "0.0.0.0"):
            proc = subprocess.run([sys.executable, "-m", "gradstep.tui.cli", "serve", "--host", host,
                                   "--port", str(port)], cwd=ROOT, capture_output=True, text=True,
                                  timeout=60, env={**os.environ, "LANGUAGE": "en"})
            assert proc.returncode == 2, proc
            assert f"port {port}" in proc.stderr and "already in use" in proc.stderr
            assert "Traceback" not in proc.stderr and proc.stdout == ""
            warned = "warning" in proc.stderr and "anyone" in proc.stderr
            assert warned == (host == "0.0.0.0"), proc.stderr


def test_bad_scenario_exits_2_before_listening(capsys):
    expected = BAD_BETA1.read_text().splitlines()[0].removeprefix("# expect: ")
    assert main(["serve", str(BAD_BETA1), "--port", str(free_port())]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.strip() == f"gradstep: {BAD_BETA1}:9: {expected}"


def test_missing_textual_serve_says_how_to_install_it(capsys, monkeypatch):
    # None in sys.modules makes `import textual_serve...` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    monkeypatch.setitem(sys.modules, "gradstep.tui.classroom.server", None)
    assert main(["serve", "--port", str(free_port())]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "pip install 'gradstep[serve]'" in err


@pytest.mark.parametrize("argv", [["serve", "--port", "0"], ["serve", "--port", "65536"],
                                  ["serve", "--port", "http"]])
def test_bad_port_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and "port" in capsys.readouterr().err


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LOCALHOST", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("10.0.0.1", False),
    ("128.0.0.1", False), ("example.org", False), ("localhost.example.org", False)])
def test_loopback_hosts(host, loopback):
    # RFC 1122 (127.0.0.0/8), RFC 4291 (::1) and RFC 6761 (localhost) name this computer only.
    assert is_loopback(host) is loopback
