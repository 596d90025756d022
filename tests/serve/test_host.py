"""The Host and Origin checks of a server that believes it listens on every address.

A server started with ``--host 0.0.0.0`` would be reachable from the network, which a test
cannot rely on; here :class:`ClassroomServer` is built believing it listens on ``0.0.0.0`` and
is bound to loopback, so the check sees what a network server sees (a Host header of the
request's choosing).
"""

from __future__ import annotations

import asyncio
import http.client

from aiohttp import web

from gradstep.tui.classroom.access import HostPolicy
from gradstep.tui.classroom.server import ClassroomServer
from tests.serve.support import TOKEN, free_port

LAN = "192.0.2.15"
"""This computer's address on the room's network, for the test (TEST-NET-1, RFC 5737)."""


def request(port: int, host: str, path: str = f"/?token={TOKEN}", origin: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host}
    if origin:
        headers["Origin"] = origin
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def statuses(listen: str, allowed, cases):
    """The status of each ``(host, path, origin)`` request to a server believing it listens on
    ``listen``, bound to 127.0.0.1."""
    port = free_port()
    policy = HostPolicy(listen, allowed, names={"teacher-laptop", LAN})
    server = ClassroomServer("exec true", host=listen, port=port, title="test", token=TOKEN,
                             policy=policy, max_sessions=4, idle_seconds=60)

    async def run():
        runner = web.AppRunner(await server.make_app())
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
            return [await asyncio.to_thread(request, port, host.format(port=port), path,
                                            origin and origin.format(port=port))
                    for host, path, origin in cases]
        finally:
            await runner.cleanup()

    return asyncio.run(run())


def test_a_foreign_host_is_refused_off_loopback():
    page = f"/?token={TOKEN}"
    cases = [
        ("evil.example:{port}", page, None),               # DNS rebinding: a site's name, our address
        ("evil.example", page, None),
        ("evil.example:{port}", "/static/css/xterm.css", None),
        ("192.0.2.99:{port}", page, None),                 # another computer's address
        (LAN + ":{port}", page, None),                     # this computer's address on the network
        ("teacher-laptop:{port}", page, None),             # its host name
        ("TEACHER-LAPTOP.:{port}", page, None),
        ("127.0.0.1:{port}", page, None),                  # the teacher, on the same computer
        ("class.example:{port}", page, None),              # --allow-host class.example
        (LAN + ":{port}", page, "http://evil.example"),    # a page of another site, in a browser
        (LAN + ":{port}", page, f"http://{LAN}:{{port}}"),
    ]
    got = statuses("0.0.0.0", ["class.example"], cases)
    assert got == [403, 403, 403, 403, 200, 200, 200, 200, 200, 403, 200], got


def test_on_loopback_only_loopback_names_are_answered():
    page = f"/?token={TOKEN}"
    cases = [("localhost:{port}", page, None), ("127.0.0.1:{port}", page, None),
             ("[::1]:{port}", page, None), ("teacher-laptop:{port}", page, None),
             ("evil.example:{port}", page, None)]
    assert statuses("127.0.0.1", [], cases) == [200, 200, 200, 403, 403]
