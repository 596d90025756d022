"""A class of students on one ``gradstep serve``: key latency, memory, clean-up (issue 14).

Run from the repository root, on a machine otherwise quiet::

    .venv/bin/python benchmarks/classroom.py [--sessions 30] [--seconds 30] [--scenario adam-fabc]

It starts ``gradstep serve`` on a free loopback port (its own process group), then opens
``--sessions`` websockets at once, as that many browser tabs would (120 x 40 each), and in each:

1. waits for the dashboard's first screen (the time is the session's start-up);
2. presses ``r`` (run) and keeps it running for ``--seconds``; every 5 s it presses ``r`` twice
   (pause, then run again) and times each until the dashboard's output says ``paused`` /
   ``running``: the key latency (the issue asks every answer within 1 s);
3. samples the resident memory (RSS, from ``/proc``) of the server and of every dashboard each
   second: the dashboards' total is the memory the class needs, the server's own should stay flat;
4. closes every websocket and times until no dashboard process is left (the issue: within 10 s).

While every session runs it also takes, from ``/proc/PID/stat`` and ``/proc/PID/task/PID/stat``,
the CPU the dashboards' UI threads (their main threads: keys and frames), the rest of their
threads (the engine) and the server (relaying every frame) used, and the bytes relayed: where a
slow key's time goes. The five slowest keys are listed with what they answered (``paused`` or
``running``) and when.

It prints a Markdown summary with the load average before and after (other work on the machine
inflates the latencies: say so beside the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "benchmark-token"
PAGE = 4096


def pressure() -> str:
    """The part of the last minute some task waited for a processor (Linux PSI), or "?"."""
    try:
        first = Path("/proc/pressure/cpu").read_text().split("\n")[0]
        return dict(f.split("=") for f in first.split()[1:])["avg60"] + " %"
    except (OSError, ValueError, KeyError):
        return "?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu(stat: Path) -> float:
    """User and system CPU seconds of the process or thread whose ``stat`` file this is."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pgid: int) -> dict[str, float]:
    """CPU seconds used so far by group ``pgid``: the dashboards' UI threads (``ui``, the main
    thread, which draws and reads keys), their other threads (``rest``: the training worker,
    Textual's driver threads) and the server (``server``, which relays every frame)."""
    total = {"ui": 0.0, "rest": 0.0, "server": 0.0}
    for pid, (command, _rss) in members(pgid).items():
        try:
            whole = _cpu(Path(f"/proc/{pid}/stat"))
            if pid == pgid:
                total["server"] += whole
            elif "gradstep.tui.cli open" in command:
                main = _cpu(Path(f"/proc/{pid}/task/{pid}/stat"))
                total["ui"] += main
                total["rest"] += whole - main
        except (OSError, ValueError, IndexError):
            pass
    return total


def members(pgid: int) -> dict[int, tuple[str, int]]:
    """Live processes of group ``pgid``: pid -> (command line, RSS in bytes)."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            fields = text.rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid or fields[0] == "Z":
                continue
            rss = int(fields[21]) * PAGE
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        out[int(stat.parent.name)] = (command, rss)
    return out


def dashboards(pgid: int) -> dict[int, int]:
    return {pid: rss for pid, (cmd, rss) in members(pgid).items() if "gradstep.tui.cli open" in cmd}


def mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


async def student(port: int, seconds: float, results: dict, index: int) -> None:
    import aiohttp

    started = time.monotonic()
    latencies = []
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=120&height=40&token={TOKEN}",
                                   max_msg_size=0) as ws:
            seen = bytearray()

            async def until(word: bytes, timeout: float = 30.0) -> float:
                t0 = time.monotonic()
                seen.clear()
                while word not in seen:
                    del seen[:-len(word)]  # a word may straddle two messages
                    message = await asyncio.wait_for(ws.receive(), timeout=timeout - (time.monotonic() - t0))
                    if message.type == aiohttp.WSMsgType.BINARY:
                        seen.extend(message.data)
                        results["received"] += len(message.data)
                    elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                          aiohttp.WSMsgType.ERROR):
                        raise ConnectionError("the session closed")
                return time.monotonic() - t0

            await until(b"paused", timeout=300)
            results["startup"].append(time.monotonic() - started)
            await ws.send_str(json.dumps(["stdin", "r"]))
            await until(b"running")
            results["running"].append(time.monotonic())
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                # Keep reading the frames while waiting, as a browser does.
                try:
                    await until(b"\0never\0", timeout=min(5.0, max(0.1, end - time.monotonic())))
                except asyncio.TimeoutError:
                    pass
                if time.monotonic() >= end:
                    break
                for word in (b"paused", b"running"):  # r pauses, then r runs again
                    pressed = time.monotonic()
                    await ws.send_str(json.dumps(["stdin", "r"]))
                    latencies.append(await until(word))
                    results["keys"].append((latencies[-1], pressed, word.decode(), index))
            results["latencies"].extend(latencies)
            results["ready"].append(index)
            await results["close"].wait()


async def classroom(args, server, port) -> dict:
    results = {"startup": [], "latencies": [], "ready": [], "close": asyncio.Event(), "samples": [],
               "running": [], "received": 0, "keys": []}
    pgid = server.pid

    async def sample():
        while not results["close"].is_set():
            group = members(pgid)
            server_rss = group.get(server.pid, ("", 0))[1]
            dash = [rss for cmd, rss in group.values() if "gradstep.tui.cli open" in cmd]
            results["samples"].append((time.monotonic(), server_rss, len(dash), sum(dash)))
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample())
    tasks = [asyncio.create_task(student(port, args.seconds, results, i)) for i in range(args.sessions)]
    cpu_start = None
    while len(results["ready"]) + sum(t.done() for t in tasks) < args.sessions:
        await asyncio.sleep(0.5)
        if cpu_start is None and len(results["running"]) == args.sessions:
            # every session is running: from here on, CPU of each part and bytes relayed
            cpu_start = (time.monotonic(), cpu_seconds(pgid), results["received"], time.process_time())
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            results["close"].set()
            raise failed[0].exception()
    if cpu_start is not None:
        elapsed, now = time.monotonic() - cpu_start[0], cpu_seconds(pgid)
        results["cores"] = {k: (now[k] - cpu_start[1][k]) / elapsed for k in now}
        results["cores"]["clients"] = (time.process_time() - cpu_start[3]) / elapsed
        results["relayed"] = (results["received"] - cpu_start[2]) / elapsed
    results["peak_sessions"] = max(s[2] for s in results["samples"])
    results["all_running"] = cpu_start[0] if cpu_start else None
    results["per_session"] = sorted(dashboards(pgid).values())
    results["close"].set()
    closed = time.monotonic()
    await asyncio.gather(*tasks, return_exceptions=True)
    await sampler
    while dashboards(pgid):
        if time.monotonic() - closed > 60:
            break
        await asyncio.sleep(0.1)
    results["gone_after"] = time.monotonic() - closed
    results["left"] = len(dashboards(pgid))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--scenario", default="adam-fabc")
    args = parser.parse_args()

    load_before, pressure_before = os.getloadavg(), pressure()
    port = free_port()
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "gradstep.tui.cli", "serve", args.scenario, "--port", str(port),
         "--token", TOKEN, "--max-sessions", str(args.sessions + 5)],
        cwd=ROOT, env={**os.environ, "LANGUAGE": "en"}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.seek(0)
                    print("the server did not start:", log.read().decode(errors="replace"), file=sys.stderr)
                    return 1
                time.sleep(0.2)
        time.sleep(1.0)
        server_start = members(server.pid).get(server.pid, ("", 0))[1]
        results = asyncio.run(classroom(args, server, port))
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    load_after, pressure_after = os.getloadavg(), pressure()

    lat = sorted(results["latencies"])
    samples = results["samples"]
    server_rss = [s[1] for s in samples]
    totals = [s[3] for s in samples]
    per = results["per_session"]
    p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
    print(f"## {args.sessions} sessions of {args.scenario}, running for {args.seconds:.0f} s each\n")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; {os.cpu_count()} cores; "
          f"processors wanted by a waiting task (PSI avg60) {pressure_before} before, {pressure_after} after "
          f"(other work on the machine takes its share from the class)\n")
    print("| figure | measured | target |")
    print("| --- | --- | --- |")
    print(f"| sessions running at once | {results['peak_sessions']} | {args.sessions} |")
    print(f"| start-up, first screen (median / max) | {statistics.median(results['startup']):.1f} s / "
          f"{max(results['startup']):.1f} s | |")
    print(f"| key answered (median / p95 / max, {len(lat)} keys) | {statistics.median(lat):.2f} s / "
          f"{p95:.2f} s / {max(lat):.2f} s | every key within 1 s |")
    print(f"| keys answered within 1 s | {sum(x <= 1.0 for x in lat)} of {len(lat)} | all |")
    if "cores" in results:
        cores = results["cores"]
        dash = cores["ui"] + cores["rest"]
        print(f"| CPU the dashboards used while all ran | {dash:.2f} cores ({dash / args.sessions:.3f} "
              f"each: UI threads {cores['ui']:.2f}, training and others {cores['rest']:.2f}) | "
              f"{os.cpu_count()} cores here |")
        print(f"| CPU the server used meanwhile (relaying the frames) | {cores['server']:.2f} cores | |")
        print(f"| CPU this benchmark's clients used (a class's browsers are elsewhere) | "
              f"{cores['clients']:.2f} cores | |")
        print(f"| terminal output relayed to the clients | {results['relayed'] / 2**10:.0f} KiB/s "
              f"({results['relayed'] / 2**10 / args.sessions:.1f} each) | |")
    print(f"| one dashboard's RSS after the run (median / max) | {mib(statistics.median(per))} / {mib(max(per))} | |")
    print(f"| all dashboards' RSS (peak) | {mib(max(totals))} | the memory a class needs |")
    print(f"| server's RSS: at start / peak / at the end | {mib(server_start)} / {mib(max(server_rss))} / "
          f"{mib(server_rss[-1])} | flat |")
    print(f"| every dashboard gone after the clients closed | {results['gone_after']:.1f} s "
          f"({results['left']} left) | within 10 s |")
    slow = sorted(results["keys"], reverse=True)[:5]
    if slow and results.get("all_running"):
        print("\nslowest keys: " + ", ".join(
            f"{latency:.2f} s ({word}, session {index}, {pressed - results['all_running']:+.0f} s)"
            for latency, pressed, word, index in slow) + " (time since every session was running)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
