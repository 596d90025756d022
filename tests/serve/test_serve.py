"""``gradstep serve``: the dashboard as a web page, driven for real in headless Chromium.

The browser test needs Debian's ``chromium`` and the ``playwright`` package (never Playwright's
own browser download). Without them it is skipped, except under ``CI=true``, where it fails and
says what is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from gradstep.tui.cli import main
from gradstep.tui.commands.serve import is_loopback

ROOT = Path(__file__).resolve().parents[2]
BAD_BETA1 = ROOT / "tests" / "data" / "bad" / "beta1-one.toml"

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  # Without these Chromium keeps calling home, which stalls on a closed network.
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# textual-serve's page keeps its xterm.js terminal in a local variable; the terminal is drawn on
# a canvas, so its text is in no DOM node. The page's wrapper object is the one thing that
# assigns a property called `fitAddon` (right after creating `terminal`): a setter on
# Object.prototype catches that assignment and keeps the terminal where the test can read it.
KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, "fitAddon", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "fitAddon", {value, writable: true, configurable: true,
                                             enumerable: true});
    window.__gradstepTerminal = this.terminal;
  },
});
"""

# The text on the terminal's screen, one line per row (null before the terminal exists).
SCREEN_TEXT = """() => {
  const terminal = window.__gradstepTerminal;
  if (!terminal) return null;
  const buffer = terminal.buffer.active, rows = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""


def shows(pattern: str) -> str:
    """A page function: true once a line of the terminal's screen matches ``pattern``."""
    return f"() => /{pattern}/m.test(({SCREEN_TEXT})())"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_members(pgid: int) -> list[str]:
    """The live (not zombie) processes of process group ``pgid``, as ``pid command`` lines."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # Fields after the command (which is in parentheses and may hold spaces): state, ppid, pgrp.
        state, _ppid, pgrp = text.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            members.append(f"{stat.parent.name} {command.strip()}")
    return members


@contextmanager
def serving(tmp_path, *args, env=None):
    """Run ``gradstep serve ARGS`` in its own process group; stop it (and all of it) at the end.

    Yields:
        The Popen; its stdout and stderr are files, read with :func:`output`.
    """
    environ = {**os.environ, "LANGUAGE": "en", **(env or {})}
    out, err = (tmp_path / "serve.out").open("w"), (tmp_path / "serve.err").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "gradstep.tui.cli", "serve", *args], cwd=ROOT, env=environ,
                            stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever is left of the group, so that a failing test leaves nothing running
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        out.close()
        err.close()


def output(tmp_path) -> tuple[str, str]:
    return (tmp_path / "serve.out").read_text(), (tmp_path / "serve.err").read_text()


def wait_until_answering(proc, tmp_path, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gradstep serve exited with {proc.returncode}: {output(tmp_path)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gradstep serve did not answer on port {port} within {timeout} s: {output(tmp_path)}")


def stop_and_check_clean(proc, tmp_path, within: float = 5.0) -> None:
    """Ctrl+C (SIGINT to the server alone) stops it promptly with status 0 and leaves no process.

    "Promptly": about a second here, with pages open; aiohttp left alone would wait for open
    pages (textual-serve's default, up to a minute; 6 s with ours cut at 3 s).
    """
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0, output(tmp_path)
    assert time.monotonic() - start < within, "the server took too long to stop"
    deadline = time.monotonic() + 5
    while (left := group_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"processes left after the server stopped: {left}"
    out, err = output(tmp_path)
    assert "Traceback" not in out + err


def browser_or_skip() -> str:
    """Chromium's path; skip (fail under CI=true) when chromium or playwright is missing."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install -e '.[test]')")
    chromium = shutil.which("chromium")
    if chromium is None:
        missing.append("Debian's chromium (apt-get install chromium)")
    if missing:
        message = "the served-dashboard test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return chromium


@pytest.mark.parametrize("lang, step", [("en", "step"), ("pt", "passo")])
def test_served_dashboard_takes_three_steps_in_chromium(tmp_path, lang, step):
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with serving(tmp_path, "adam-fabc", "--port", str(port), "--lang", lang) as server:
        wait_until_answering(server, tmp_path, port)
        out, err = output(tmp_path)
        assert url in out and "warning" not in err
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                # Only the server itself: the page also links a web font from Google, which
                # would only time out here.
                page.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith(url) else route.abort())
                page.add_init_script(KEEP_TERMINAL)
                page.goto(url)
                page.wait_for_selector("body.-first-byte", state="attached", timeout=30_000)
                assert page.evaluate("() => !!window.__gradstepTerminal"), \
                    "KEEP_TERMINAL no longer finds textual-serve's terminal: its page has changed"
                # The status line: the scenario, then the step the session stands at.
                page.wait_for_function(shows(rf"gradstep adam-fabc\b.*\b{step} 0\b"), timeout=30_000)
                page.locator(".xterm-screen").click()
                for _press in range(3):
                    page.keyboard.press("Space")
                page.wait_for_function(shows(rf"gradstep adam-fabc\b.*\b{step} 3\b"), timeout=15_000)
                # Ctrl+C with the page still open: the page is told, its dashboard ends.
                stop_and_check_clean(server, tmp_path)
                page.wait_for_selector("body.-closed", state="attached", timeout=5_000)
            finally:
                browser.close()


def ws_handshake(port: int, host: str, origin: str) -> int:
    """The status of a websocket handshake on /ws with the given Host and Origin headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/ws", headers={
            "Host": host, "Origin": origin, "Connection": "Upgrade", "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        return conn.getresponse().status
    finally:
        conn.close()


def test_other_web_sites_cannot_drive_the_dashboard(tmp_path):
    port = free_port()
    with serving(tmp_path, "--port", str(port)) as server:
        wait_until_answering(server, tmp_path, port)
        here = f"127.0.0.1:{port}"
        # A page of another site opening a websocket to the teacher's loopback server.
        assert ws_handshake(port, here, "http://evil.example") == 403
        # DNS rebinding: evil.example resolved to 127.0.0.1, so Host and Origin agree.
        assert ws_handshake(port, f"evil.example:{port}", f"http://evil.example:{port}") == 403
        # The page itself, reached as localhost: its websocket address uses the name it was
        # reached by, and that handshake is accepted.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/", headers={"Host": f"localhost:{port}"})
        page = conn.getresponse().read().decode()
        conn.close()
        assert f'data-session-websocket-url="ws://localhost:{port}/ws"' in page
        assert ws_handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101
        stop_and_check_clean(server, tmp_path)


def test_ctrl_c_ends_even_a_dashboard_that_hangs(tmp_path):
    import asyncio

    import aiohttp

    port = free_port()
    with serving(tmp_path, "--port", str(port)) as server:
        wait_until_answering(server, tmp_path, port)

        async def connect_and_stop():
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30") as ws:
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
