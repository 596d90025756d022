"""``gradstep serve`` opened to a classroom (issue 14): token, Host, limits, idle sessions.

Each test runs a real server on a loopback port the system chose and stops it (and every
dashboard it started) at the end; every wait polls a condition with a generous bound.
"""

from __future__ import annotations

import asyncio
import http.client
import re
from pathlib import Path

import aiohttp
import pytest

from gradstep.tui.cli import main
from tests.serve.support import (TOKEN, dashboards, free_port, output, serving, stop_and_check_clean,
                                 wait_for, wait_until_answering)


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
    """``GET path`` on the server: status, body and headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), dict(response.getheaders())
    finally:
        conn.close()


def handshake(port: int, query: str = "", headers: dict | None = None) -> int:
    """The status of a websocket handshake on ``/ws?query`` (101: a dashboard is starting)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", f"/ws?{query}", headers={
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", **(headers or {})})
        return conn.getresponse().status
    finally:
        conn.close()


def test_every_page_and_websocket_needs_the_token(tmp_path):
    port = free_port()
    with serving(tmp_path, "--port", str(port), "--token", TOKEN) as server:
        wait_until_answering(server, tmp_path, port)
        assert f"http://127.0.0.1:{port}/?token={TOKEN}" in output(tmp_path)[0]
        for query in ("", "?token=", "?token=class-token-0123456788", f"?token={TOKEN}x"):
            status, body, _headers = get(port, f"/{query}")
            assert status == 403 and 'id="forbidden"' in body and "data-session-websocket-url" not in body
            assert handshake(port, query.lstrip("?")) == 403
        assert handshake(port, "", {"Cookie": f"gradstep-token-{port}=wrong"}) == 403
        assert dashboards(server) == []  # no refused visitor started one
        # The link: the dashboard's page, and a cookie that carries the token from then on.
        status, body, headers = get(port, f"/?token={TOKEN}")
        assert status == 200 and f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in body
        cookie = headers["Set-Cookie"].split(";")[0]
        assert cookie == f"gradstep-token-{port}={TOKEN}" and "HttpOnly" in headers["Set-Cookie"]
        assert get(port, "/", {"Cookie": cookie})[0] == 200
        assert handshake(port, "width=80&height=24", {"Cookie": cookie}) == 101
        stop_and_check_clean(server, tmp_path)


def test_a_random_token_by_default_and_no_token_only_on_loopback(tmp_path, capsys):
    port = free_port()
    with serving(tmp_path, "--port", str(port)) as server:
        wait_until_answering(server, tmp_path, port)
        token = re.search(rf"http://127\.0\.0\.1:{port}/\?token=(\S+)", output(tmp_path)[0]).group(1)
        assert len(token) >= 32
        assert get(port, "/")[0] == 403 and get(port, f"/?token={token}")[0] == 200
        stop_and_check_clean(server, tmp_path)
    with serving(tmp_path, "--port", str(port), "--no-token") as server:
        wait_until_answering(server, tmp_path, port)
        assert "token=" not in output(tmp_path)[0]
        assert get(port, "/")[0] == 200
        stop_and_check_clean(server, tmp_path)
    assert main(["serve", "--host", "0.0.0.0", "--no-token", "--port", str(free_port())]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "--no-token" in err and "loopback" in err


def test_static_files_are_served_but_never_listed(tmp_path):
    port = free_port()
    with serving(tmp_path, "--port", str(port), "--token", TOKEN) as server:
        wait_until_answering(server, tmp_path, port)
        status, body, _headers = get(port, "/static/")
        assert status in (403, 404) and "fonts" not in body and "textual.js" not in body
        assert get(port, "/static/js/")[0] in (403, 404)
        assert get(port, "/static/fonts/RobotoMono-VariableFont_wght.ttf")[0] == 200
        stop_and_check_clean(server, tmp_path)


def test_past_max_sessions_the_class_is_full_and_no_process_starts(tmp_path):
    port = free_port()
    with serving(tmp_path, "--port", str(port), "--token", TOKEN, "--max-sessions", "1") as server:
        wait_until_answering(server, tmp_path, port)
        assert "At most 1 dashboards" in output(tmp_path)[0]

        async def class_of_two():
            async with aiohttp.ClientSession() as session:
                first = await session.ws_connect(f"http://127.0.0.1:{port}/ws?token={TOKEN}")
                await asyncio.wait_for(first.receive_bytes(), timeout=60)  # it draws
                assert len(dashboards(server)) == 1
                status, body, _headers = await asyncio.to_thread(get, port, f"/?token={TOKEN}")
                assert status == 503 and 'id="class-full"' in body and "1 dashboards" in body
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(f"http://127.0.0.1:{port}/ws?token={TOKEN}")
                assert refused.value.status == 503
                assert len(dashboards(server)) == 1
                await first.close()
            # The place is free again once the first student leaves. The server counts the
            # session out just after its process is reaped: on a busy machine a page asked for
            # in between still reads "full", so wait for the page rather than ask it once.
            await asyncio.to_thread(wait_for, lambda: dashboards(server) == [], 30, "the dashboard ended")
            await asyncio.to_thread(wait_for, lambda: get(port, f"/?token={TOKEN}")[0] == 200, 30,
                                    "the page answered again once the place was free")

        asyncio.run(class_of_two())
        stop_and_check_clean(server, tmp_path)


def child_environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def test_a_huge_page_size_is_capped(tmp_path):
    port = free_port()
    with serving(tmp_path, "--port", str(port), "--token", TOKEN) as server:
        wait_until_answering(server, tmp_path, port)

        async def huge():
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{port}/ws?width=10000&height=3000&token={TOKEN}"
                async with session.ws_connect(url) as ws:
                    await asyncio.wait_for(ws.receive_bytes(), timeout=60)
                    (dashboard,) = dashboards(server)
                    environ = child_environment(int(dashboard.split()[0]))
                    assert (environ["COLUMNS"], environ["ROWS"]) == ("300", "100")
                # A page that starts small and then asks for more: the resize is capped too.
                url = f"http://127.0.0.1:{port}/ws?width=80&height=24&token={TOKEN}"
                async with session.ws_connect(url) as ws:
                    drawn = bytearray()

                    async def until_drawn():  # the status line is there: the app is ready
                        while b"paused" not in drawn:
                            drawn.extend(await ws.receive_bytes())

                    await asyncio.wait_for(until_drawn(), timeout=60)
                    await ws.send_json(["resize", {"width": 10000, "height": 3000}])
                    drawn.clear()

                    async def until_row_100():
                        # Textual places the cursor at each row it draws: ESC [ row ; column H.
                        while b"\x1b[100;" not in drawn:
                            drawn.extend(await ws.receive_bytes())

                    await asyncio.wait_for(until_row_100(), timeout=60)
                    rows = [int(row) for row in re.findall(rb"\x1b\[(\d+);\d+H", bytes(drawn))]
                    assert max(rows) == 100, max(rows)

        asyncio.run(huge())
        stop_and_check_clean(server, tmp_path)


def test_an_idle_session_ends_and_its_dashboard_with_it(tmp_path):
    port = free_port()
    # 0.05 minutes: three seconds without a key.
    with serving(tmp_path, "--port", str(port), "--token", TOKEN, "--idle-minutes", "0.05") as server:
        wait_until_answering(server, tmp_path, port)

        async def idle():
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(f"http://127.0.0.1:{port}/ws?token={TOKEN}",
                                              autoping=True) as ws:
                    await asyncio.wait_for(ws.receive_bytes(), timeout=60)
                    assert len(dashboards(server)) == 1

                    async def until_closed():
                        while True:
                            message = await ws.receive()
                            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                                aiohttp.WSMsgType.CLOSING):
                                return

                    await asyncio.wait_for(until_closed(), timeout=90)
            await asyncio.to_thread(wait_for, lambda: dashboards(server) == [], 30,
                                    "the idle dashboard ended")

        asyncio.run(idle())
        stop_and_check_clean(server, tmp_path)


@pytest.mark.parametrize("argv, words", [
    (["--token", ""], "token"),
    (["--token", "x", "--no-token"], "--no-token"),
    (["--scenarios", "/no/such/folder"], "--scenarios"),
])
def test_bad_options_exit_2_with_one_line(argv, words, capsys):
    assert main(["serve", "--port", str(free_port()), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and words in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["--max-sessions", "0"], ["--idle-minutes", "0"],
                                  ["--idle-minutes", "soon"], ["--memory-limit", "lots"]])
def test_bad_numbers_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(["serve", *argv])
    assert info.value.code == 2 and argv[0] in capsys.readouterr().err
