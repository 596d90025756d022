"""``gradstep serve``: the dashboard as a web page, for a classroom (issue 8).

textual-serve is a small aiohttp server. For every browser tab that opens its page it runs a
*command* in a subprocess with Textual's web driver and relays the terminal through a websocket
to xterm.js in the page; closing the tab ends that subprocess. Here the command is this same
Python running ``gradstep.tui.cli open`` on the scenario's absolute path, so serving works whether or not
``gradstep`` is on ``PATH`` and whatever the directory the server was started from.

The server listens on the loopback address unless ``--host`` asks for another one: whoever
reaches the page drives a dashboard on the teacher's computer (it can browse folders for
scenario files and write trace files and pictures), so listening on the network is said out
loud on stderr, and pages of other web sites are refused.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from gradstep.tui.i18n import LANGUAGES, _, language

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "is_loopback", "parse_port", "dashboard_command",
           "serve_dashboard"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
EXIT_OK, EXIT_INVALID = 0, 2
SHUTDOWN_SECONDS = 3.0
"""How long Ctrl+C waits for the dashboards to quit before killing them (and aiohttp for the
connections' handlers before cancelling them)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this computer only: ``localhost``, ``127.0.0.0/8`` or ``::1``."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_port(text: str) -> int:
    """The ``--port`` argument: a TCP port from 1 to 65535 (argparse ``type``)."""
    import argparse

    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            _("expected a port number from 1 to 65535, got {text}").format(text=repr(text)))
    return port


def dashboard_command(path: Path) -> str:
    """The shell command that runs the dashboard on ``path`` for one browser tab.

    textual-serve hands the command to the shell, so every word is quoted for it. On POSIX
    the shell ``exec``s the dashboard: one process per tab, which gets the server's signals
    itself rather than through a waiting shell.
    """
    argv = [sys.executable, "-m", "gradstep.tui.cli", "open", str(path)]
    if os.name == "nt":
        return subprocess.list2cmdline(argv)
    return "exec " + shlex.join(argv)


def serve_dashboard(scenario: str | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve the dashboard on ``scenario`` at ``http://host:port/`` until Ctrl+C.

    Args:
        scenario: A scenario file or bundled name; None for the bundled default.
        host: The address to listen on.
        port: The TCP port to listen on.

    Returns:
        The exit status: 0 after Ctrl+C, 2 when textual-serve is missing or the address cannot
        be listened on (the reason goes to stderr).

    Raises:
        gradstep.engine.errors.ScenarioError: When the scenario cannot be read, before anything listens.
    """
    from gradstep.engine.scenario import DEFAULT_SCENARIO, load_scenario, resolve_scenario

    path = resolve_scenario(scenario or DEFAULT_SCENARIO).resolve()
    loaded = load_scenario(path)  # a broken file is reported now, not in every browser tab
    try:
        from textual_serve.server import Server
    except ImportError:
        print(_("gradstep: serving the dashboard needs textual-serve: "
                "pip install 'gradstep[serve]'"), file=sys.stderr)
        return EXIT_INVALID

    # Each tab's dashboard is a subprocess that inherits this environment; LANGUAGE is the first
    # variable gradstep.tui.i18n.choose_language reads, so the pages speak the language chosen here.
    os.environ["LANGUAGE"] = LANGUAGES[language()] or "en"
    url = _display_url(host, port)
    if not is_loopback(host):
        print(_("gradstep: warning: listening on {host}: anyone who can reach this computer on "
                "port {port} can open the dashboard and drive it").format(host=host, port=port),
              file=sys.stderr, flush=True)

    def announce(*_args) -> None:
        # aiohttp calls this once every address is bound, so the URL is never printed for a
        # server that then fails to start.
        print(_("gradstep: serving {scenario} at {url}").format(scenario=loaded.name, url=url),
              flush=True)
        print(_("Open that address in a web browser: each tab gets its own dashboard. "
                "Ctrl+C stops the server."), flush=True)

    server_class = _server_class(Server)
    server = server_class(dashboard_command(path), host=host, port=port,
                          title=f"gradstep — {loaded.name}")
    try:
        server.run(announce)
    except OSError as exc:
        print(_bind_error(exc, host, port), file=sys.stderr)
        return EXIT_INVALID
    print(_("gradstep: server stopped"), file=sys.stderr)
    return EXIT_OK


def _display_url(host: str, port: int) -> str:
    """The address to print: a wildcard host becomes this computer's loopback address."""
    name = host.strip("[]")
    if name in ("", "0.0.0.0"):
        name = "127.0.0.1"
    elif name == "::":
        name = "::1"
    if ":" in name:  # an IPv6 literal
        name = f"[{name}]"
    return f"http://{name}:{port}/"


def _bind_error(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return _("gradstep: port {port} on {host} is already in use; choose another with "
                 "--port").format(port=port, host=host)
    if exc.errno == errno.EADDRNOTAVAIL:
        return _("gradstep: {host} is not an address of this computer; use 127.0.0.1, or "
                 "0.0.0.0 for all of its addresses").format(host=host)
    if exc.errno == errno.EACCES:
        return _("gradstep: not allowed to listen on port {port}; choose one above 1023 with "
                 "--port").format(port=port)
    reason = exc.strerror or str(exc)
    return _("gradstep: cannot listen on {host} port {port}: {reason}").format(
        host=host, port=port, reason=reason)


def _host_name(netloc: str) -> str:
    """The host part of ``host:port`` (``[::1]:8000`` -> ``::1``)."""
    return urlsplit(f"//{netloc}").hostname or ""


def _server_class(Server):
    """textual-serve's ``Server`` with the changes ``gradstep serve`` needs.

    Built on demand so that this module imports without textual-serve installed.
    """
    from aiohttp import WSCloseCode, web

    class DashboardServer(Server):
        """Serves one command, with gradstep's messages and a few safeguards."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._sockets: set[web.WebSocketResponse] = set()
            self._processes: set[asyncio.subprocess.Process] = set()

        def run(self, announce) -> None:
            """Listen until SIGINT or SIGTERM; ``announce`` is called once listening.

            Raises:
                OSError: When the address cannot be bound.
            """
            # Warnings and errors only (an app that fails to start, a broken connection): the
            # per-request access log would bury the address printed for the teacher.
            logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                                format="gradstep serve: %(message)s")
            # Server.serve() would do the same without the announce hook and would wait up to
            # a minute on Ctrl+C for pages still open; on_shutdown closes them.
            web.run_app(self._make_app(), host=self.host, port=self.port, print=announce,
                        access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)

        async def on_startup(self, app) -> None:
            """Print nothing: textual-serve's banner names the raw command line."""

        async def on_shutdown(self, app) -> None:
            """Close every open page, then wait for the dashboards to end, killing stragglers.

            Closing a page makes its handler ask the dashboard to quit; textual-serve then
            waits for the dashboard's output to end but not for the process, and forever if
            the dashboard hangs. Waiting here lets no dashboard outlive the server.
            """
            await asyncio.gather(*(socket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")
                                   for socket in list(self._sockets)), return_exceptions=True)
            running = [p for p in self._processes if p.returncode is None]
            if running:
                await asyncio.wait([asyncio.ensure_future(p.wait()) for p in running],
                                   timeout=SHUTDOWN_SECONDS)
                for process in running:
                    if process.returncode is None:
                        process.kill()  # its handler, reading its output, then ends too
                        await process.wait()

        async def handle_index(self, request):
            # The page tells the browser where the websocket and static files are. The address
            # the browser itself used works for every host (0.0.0.0, IPv6, a machine name),
            # where textual-serve's fixed http://HOST:PORT does not. No await runs between
            # setting it and the template reading it, so concurrent requests do not mix.
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request):
            # Browsers let any web site open a websocket to 127.0.0.1; without these checks a
            # page the teacher visits could drive the dashboard (cross-site websocket hijacking,
            # or DNS rebinding when the Host is a site's name that resolves to loopback).
            origin = request.headers.get("Origin")
            if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
                raise web.HTTPForbidden(text="cross-origin connection refused")
            if is_loopback(self.host) and not is_loopback(_host_name(request.host)):
                raise web.HTTPForbidden(text="this server answers only to a loopback address")
            return await super().handle_websocket(request)

        async def _process_messages(self, websocket, app_service) -> None:
            # textual-serve makes the websocket inside its handler; this is where it is handed
            # over, so it is kept here for on_shutdown to close.
            self._sockets.add(websocket)
            # AppService keeps its subprocess private; on_shutdown needs it.
            self._processes = {p for p in self._processes if p.returncode is None}
            if getattr(app_service, "_process", None) is not None:
                self._processes.add(app_service._process)
            try:
                await super()._process_messages(websocket, app_service)
            finally:
                self._sockets.discard(websocket)

    return DashboardServer
