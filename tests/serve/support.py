"""What the served-dashboard tests share: a real ``gradstep serve`` in its own process group,
its output, the processes it leaves, and headless Chromium (Debian's, driven by Playwright).

The browser tests need Debian's ``chromium`` and the ``playwright`` package (never Playwright's
own browser download). Without them they are skipped, except under ``CI=true``, where they fail
and say what is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

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

TOKEN = "class-token-0123456789"
"""The token the tests' servers are given (``--token``)."""

ROOT = Path(__file__).resolve().parents[2]

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
def serving(tmp_path, *args, env=None, cwd=ROOT):
    """Run ``gradstep serve ARGS`` in its own process group; stop it (and all of it) at the end.

    Yields:
        The Popen; its stdout and stderr are files, read with :func:`output`.
    """
    environ = {**os.environ, "LANGUAGE": "en", **(env or {})}
    out, err = (tmp_path / "serve.out").open("w"), (tmp_path / "serve.err").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "gradstep.tui.cli", "serve", *args], cwd=cwd, env=environ,
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


def dashboards(server) -> list[str]:
    """The dashboard processes the server ``server`` (a Popen) runs now."""
    return [m for m in group_members(server.pid) if "gradstep.tui.cli open" in m]


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll ``condition()`` until it returns something true (returned), failing after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(interval)
