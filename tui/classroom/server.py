"""The classroom server: textual-serve's ``Server`` with a token, limits and checks.

textual-serve (``textual_serve.server.Server``) is a small aiohttp application: ``/`` is a page
with xterm.js, ``/ws`` a websocket for which it starts the command in a subprocess
(``AppService``) with Textual's web driver and relays the terminal, ``/download/{key}`` streams a
file an app delivers (``App.deliver_binary``), ``/static`` its script, style sheet and font.

:class:`ClassroomServer` keeps those handlers' protocol and changes what a room needs:

- every request's Host is checked (:class:`~gradstep.tui.classroom.access.HostPolicy`), the
  page, websocket and downloads need the token (query ``?token=`` or the cookie the page sets),
  the websocket's Origin must be the page's;
- the page is ours (:mod:`~gradstep.tui.classroom.pages`), static files are listed nowhere;
- at most ``max_sessions`` dashboards at once: past it the page says the class is full and the
  websocket is refused before any process starts;
- the terminal size a page asks for is capped (:func:`~gradstep.tui.classroom.limits.cap_size`),
  at the start and on every resize;
- a session without a key, click or resize for ``idle_seconds`` is closed, and its dashboard ends;
- a dashboard whose page closed has :data:`QUIT_SECONDS` to quit, then it is killed;
- on Ctrl+C every page is closed and every dashboard waited for (killed after
  :data:`SHUTDOWN_SECONDS`), so none outlives the server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from gradstep.tui.classroom import access, limits, pages
from gradstep.tui.i18n import _

__all__ = ["ClassroomServer", "SHUTDOWN_SECONDS", "STATIC"]

SHUTDOWN_SECONDS = 3.0
"""How long Ctrl+C waits for the dashboards to quit before killing them (and aiohttp for the
connections' handlers before cancelling them)."""

STATIC = Path(textual_serve.__file__).resolve().parent / "static"
"""textual-serve's script, style sheet and fonts, served from the installed package."""

QUIT_SECONDS = 3.0
"""How long a dashboard whose page closed (or went idle) has to quit before it is killed."""

log = logging.getLogger("gradstep.serve")


class ClassroomServer(Server):
    """Serves ``command`` (one process per websocket) to a classroom.

    Args:
        command: The shell command that runs one dashboard.
        host: The address it listens on (what the Host check is based on).
        port: The TCP port.
        title: The page's title.
        token: The token every page, websocket and download needs; None for none (loopback).
        policy: Which Host headers are answered.
        max_sessions: At most this many dashboards at once.
        idle_seconds: A session without input for this long is closed.
    """

    def __init__(self, command: str, *, host: str, port: int, title: str, token: str | None,
                 policy: access.HostPolicy, max_sessions: int, idle_seconds: float) -> None:
        super().__init__(command, host=host, port=port, title=title, statics_path=STATIC)
        self.token = token
        self.policy = policy
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.cookie = access.cookie_name(port)
        self.sessions = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self._processes: set[asyncio.subprocess.Process] = set()

    # -- running ---------------------------------------------------------------------------
    def run(self, announce) -> None:
        """Listen until SIGINT or SIGTERM; ``announce`` is called once listening.

        Raises:
            OSError: When the address cannot be bound.
        """
        # Warnings and errors only: the per-request access log would bury the printed address.
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                            format="gradstep serve: %(message)s")
        web.run_app(self.make_app(), host=self.host, port=self.port, print=announce,
                    access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)

    async def make_app(self) -> web.Application:
        """The aiohttp application (the tests run it on a port of their choosing)."""
        app = web.Application(middlewares=[self._guard])
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, show_index=False, name="static"),
        ])
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def on_shutdown(self, app) -> None:
        """Close every open page, then wait for the dashboards to end, killing stragglers."""
        await asyncio.gather(*(socket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")
                               for socket in list(self._sockets)), return_exceptions=True)
        running = [p for p in self._processes if p.returncode is None]
        if running:
            await asyncio.wait([asyncio.ensure_future(p.wait()) for p in running],
                               timeout=SHUTDOWN_SECONDS)
            for process in running:
                if process.returncode is None:
                    process.kill()
                    await process.wait()

    # -- the checks every request passes ---------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if not self.policy.accepts(request.headers.get("Host")):
            return _forbidden(_("This server does not answer to the address {host}.")
                              .format(host=request.host))
        if request.path.startswith("/static/"):
            return await handler(request)
        if not access.same_origin(request.headers.get("Origin"), request.host):
            return _forbidden(_("A page of another web site cannot use this server."))
        given = request.query.get("token") or request.cookies.get(self.cookie)
        if not access.token_matches(self.token, given):
            return _forbidden(_("This address needs its token: open the whole link the teacher's "
                                "gradstep serve printed (it ends in ?token=...)."))
        return await handler(request)

    # -- the page --------------------------------------------------------------------------
    async def handle_index(self, request: web.Request) -> web.Response:
        if self.sessions >= self.max_sessions:
            return web.Response(text=pages.full_page(self.max_sessions), status=503,
                                content_type="text/html")
        # The address the browser itself used: it works for every host (0.0.0.0, IPv6, a name).
        scheme = "wss" if request.scheme == "https" else "ws"
        font_size = min(max(_number(request.query.get("fontsize"), 16), 6), 48)
        page = pages.dashboard_page(self.title, f"{scheme}://{request.host}/ws",
                                    f"{request.scheme}://{request.host}/static", font_size)
        response = web.Response(text=page, content_type="text/html")
        response.headers["Cache-Control"] = "no-store"
        if self.token is not None and request.query.get("token"):
            # The link carried the token: keep it for the websocket and the downloads.
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="Strict", path="/")
        return response

    # -- one dashboard per websocket -------------------------------------------------------
    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if self.sessions >= self.max_sessions:
            return web.Response(text=pages.full_page(self.max_sessions), status=503,
                                content_type="text/html")
        self.sessions += 1  # before any await: two connections cannot both take the last place
        try:
            return await self._session(request)
        finally:
            self.sessions -= 1

    async def _session(self, request: web.Request) -> web.StreamResponse:
        width, height = limits.cap_size(request.query.get("width", "80"), request.query.get("height", "24"))
        websocket = web.WebSocketResponse(heartbeat=15)
        service: AppService | None = None
        try:
            await websocket.prepare(request)
            self._sockets.add(websocket)
            service = AppService(self.command, write_bytes=websocket.send_bytes,
                                 write_str=websocket.send_str, close=websocket.close,
                                 download_manager=self.download_manager, debug=False)
            await service.start(width, height)
            process = service._process  # noqa: SLF001  AppService keeps it private; shutdown needs it
            if process is not None:
                self._processes = {p for p in self._processes if p.returncode is None} | {process}
            await self._relay(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # noqa: BLE001  one broken session must not stop the class
            log.warning("a session ended on an error: %s", error)
        finally:
            self._sockets.discard(websocket)
            if service is not None:
                await self._end(service)
        return websocket

    async def _end(self, service: AppService) -> None:
        """Ask the dashboard to quit; kill it after :data:`QUIT_SECONDS` (a loaded machine, a
        dashboard stuck in a long step) so that a closed page frees its place and memory."""
        process = service._process  # noqa: SLF001  see _session
        stopping = asyncio.ensure_future(service.stop())
        done, _pending = await asyncio.wait({stopping}, timeout=QUIT_SECONDS)
        if not done and process is not None and process.returncode is None:
            process.kill()
        await stopping
        if process is not None:
            await process.wait()

    async def _relay(self, websocket: web.WebSocketResponse, service: AppService) -> None:
        """textual-serve's message loop, with sizes capped and a deadline for idle sessions."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.idle_seconds
        while not websocket.closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                await websocket.close(code=WSCloseCode.OK, message=b"idle")
                return
            try:
                message = await websocket.receive(timeout=remaining)
            except asyncio.TimeoutError:
                continue
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = json.loads(message.data)[:2]
            except (ValueError, TypeError):
                continue
            if kind == "stdin" and isinstance(data, str):
                deadline = loop.time() + self.idle_seconds
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                deadline = loop.time() + self.idle_seconds
                await service.set_terminal_size(*limits.cap_size(data.get("width"), data.get("height")))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()


def _number(text, default: int) -> int:
    try:
        return int(str(text))
    except ValueError:
        return default


def _forbidden(reason: str) -> web.Response:
    return web.Response(text=pages.forbidden_page(reason), status=403, content_type="text/html")
