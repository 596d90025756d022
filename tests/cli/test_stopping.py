"""A headless command stopped by a signal, or whose reader goes away, ends cleanly.

Real processes: ``gradstep run --out`` is started, the test waits (polling, with a generous
bound) until its temporary file exists, then sends the signal. The exit statuses are the
shell's: 128 + the signal's number.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GRADSTEP = [sys.executable, "-m", "gradstep.tui.cli"]
WAIT = 120  # seconds: a bound for a busy machine, never a pace


def wait_until(condition, proc, what):
    """Poll ``condition`` until it holds; fail if ``proc`` ends first or WAIT passes."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"gradstep ended (status {proc.returncode}) before {what}: "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no {what} within {WAIT} s")
        time.sleep(0.05)


def temporary_files(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                            (signal.SIGINT, 130)], ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stopped_run_removes_its_temporary_file_and_exits_128_plus_the_signal(tmp_path, signum, status):
    target = tmp_path / "trace.jsonl"
    target.write_text("earlier\n")
    proc = subprocess.Popen([*GRADSTEP, "run", "sine-net", "--steps", "100000000", "--full",
                             "--out", str(target)], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_until(lambda: temporary_files(tmp_path), proc, "temporary file")
        # the run is writing: the temporary file grows
        wait_until(lambda: any(p.stat().st_size > 0 for p in tmp_path.glob(".trace.jsonl.*.tmp")),
                   proc, "record in the temporary file")
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == status, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert target.read_text() == "earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.jsonl"]  # no temporary file left


@pytest.mark.parametrize("argv", [["list"], ["run", "adam-fabc", "--steps", "100000"],
                                  ["check", "xor", "adam-fabc"]], ids=["list", "run", "check"])
def test_a_reader_that_is_gone_before_the_first_line_is_no_traceback(argv):
    proc = subprocess.Popen([*GRADSTEP, *argv], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # the reader goes away before gradstep writes anything
    _, err = proc.communicate(timeout=WAIT)
    assert err == "" and proc.returncode == 141  # 128 + SIGPIPE, as a shell reports it


def test_run_piped_into_head_stops_when_head_has_its_lines():
    """``gradstep run adam-fabc --steps 100000000 | head -2``: the run ends when head does,
    without a traceback, instead of training for 10^8 steps into a closed pipe."""
    proc = subprocess.Popen([*GRADSTEP, "run", "adam-fabc", "--steps", "100000000"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline() for _ in range(2)]
    proc.stdout.close()
    _, err = proc.communicate(timeout=WAIT)
    assert [json.loads(line)["step"] for line in lines] == [1, 2]
    assert err == "" and proc.returncode == 141


def test_list_into_head_through_a_shell():
    """The issue's own words, through a real shell pipeline (bash's PIPESTATUS gives gradstep's
    status): ``gradstep list | head -3``. The reader closes at once here (``exec 0<&-``) so that
    the pipe is closed before gradstep writes, whatever the machine's speed."""
    command = (f"{sys.executable} -m gradstep.tui.cli list | (exec 0<&-; true); "
               "echo status=${PIPESTATUS[0]}")
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True,
                          timeout=WAIT)
    assert done.stdout.strip() == "status=141" and done.stderr == "", done.stderr


def test_signals_do_not_outlive_the_command():
    """main() called in-process (a notebook, these tests) leaves SIGTERM and SIGHUP as it found
    them."""
    from gradstep.tui.cli import main

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    assert main(["list"]) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before


def test_sigterm_while_writing_to_stdout_exits_143_without_a_traceback():
    proc = subprocess.Popen([*GRADSTEP, "run", "adam-fabc", "--steps", "100000000"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert json.loads(proc.stdout.readline())["step"] == 1  # it runs
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143
    assert err.strip() == "gradstep: stopped by SIGTERM"


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                            (signal.SIGINT, 130)], ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_to_the_dashboard_gives_the_terminal_back(signum, status):
    """``kill`` on a running dashboard closes the app as Ctrl+C would: the terminal leaves the
    alternate screen and mouse reporting (a dashboard killed outright leaves both on), and the
    exit status says which signal it was. A real pseudo-terminal, 80 x 24."""
    import fcntl
    import os
    import select
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([*GRADSTEP, "adam-fabc"], cwd=ROOT, stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    screen = bytearray()

    def read_available(timeout):
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last holder of the terminal has closed it
            return None
        screen.extend(chunk)
        return bool(chunk)

    try:
        deadline = time.monotonic() + WAIT
        while b"quit" not in screen:  # the footer is drawn: the dashboard is up
            assert time.monotonic() < deadline and proc.poll() is None, bytes(screen[-500:])
            read_available(0.1)
        drawn = len(screen)
        proc.send_signal(signum)
        while True:  # read to the end: until the terminal is closed, or gradstep has ended and said all
            got = read_available(0.1)
            if got is None or (got is False and proc.poll() is not None):
                break
            assert time.monotonic() < deadline, bytes(screen[-500:])
        proc.wait(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    after = bytes(screen[drawn:])
    assert proc.returncode == status, after[-500:]
    assert b"\x1b[?1049l" in after  # the alternate screen is left
    assert b"\x1b[?1000l" in after  # mouse reporting is turned off
    assert b"Traceback" not in after


def test_a_terminal_that_closes_under_the_progress_bar_does_not_end_the_run(tmp_path):
    """stderr on a pseudo-terminal (so the progress bar is drawn) that closes mid-run: writes to
    it fail with EIO. The bar stops; the run and its --out file go on to the end."""
    import os
    import select

    master, slave = os.openpty()
    target = tmp_path / "trace.jsonl"
    proc = subprocess.Popen([*GRADSTEP, "run", "sine-net", "--steps", "20000", "--out", str(target)],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        ready, _, _ = select.select([master], [], [], WAIT)
        assert ready and b"/20000" in os.read(master, 4096)  # the bar is being drawn
    finally:
        os.close(master)  # the terminal goes away
    proc.wait(timeout=WAIT)
    assert proc.returncode == 0
    assert len(target.read_text().splitlines()) == 20000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.jsonl"]


@pytest.mark.parametrize("scenario, keys", [("adam-fabc", b""), ("adam-fabc", b"r"),
                                            ("rosenbrock-race", b"r")],
                         ids=["paused", "running", "race-running"])
def test_a_dashboard_whose_terminal_closes_ends(scenario, keys):
    """The terminal goes away under the dashboard with no signal (an ssh connection drops, a
    test's pseudo-terminal is closed): the dashboard ends with the hang-up's status instead of
    going on, unseen, for ever. Paused (it writes nothing) and while a run or a race runs."""
    import fcntl
    import os
    import select
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([*GRADSTEP, scenario], cwd=ROOT, stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    screen = bytearray()
    try:
        deadline = time.monotonic() + WAIT
        while b"quit" not in screen:  # the footer is drawn: the dashboard is up
            assert time.monotonic() < deadline and proc.poll() is None, bytes(screen[-500:])
            if select.select([master], [], [], 0.1)[0]:
                screen.extend(os.read(master, 65536))
        if keys:
            os.write(master, keys)
            drawn = len(screen)
            while len(screen) < drawn + 4096:  # it draws the run's frames
                assert time.monotonic() < deadline and proc.poll() is None, bytes(screen[-500:])
                if select.select([master], [], [], 0.1)[0]:
                    screen.extend(os.read(master, 65536))
        os.close(master)
        master = None
        proc.wait(timeout=WAIT)
    finally:
        if master is not None:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 129
