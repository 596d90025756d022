"""Where ``gradstep run --out`` writes: a full disk, devices and pipes, the format the name says.

Devices are never the machine's own when the tests run as root (root could replace
``/dev/null``): a node with the same device numbers is made in the test's folder with
``os.mknod``. As another user the machine's own are used; such a user cannot replace them.
"""

import contextlib
import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gradstep.tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
GRADSTEP = [sys.executable, "-m", "gradstep.tui.cli"]
WAIT = 120


def gradstep(*argv):
    return subprocess.run([*GRADSTEP, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=WAIT, stdin=subprocess.DEVNULL)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def character_device(tmp_path, name, numbers):
    """A character device with ``numbers`` (major, minor): made in ``tmp_path`` as root, the
    machine's ``/dev/<name>`` otherwise."""
    if os.geteuid() != 0:
        return Path("/dev") / name
    node = tmp_path / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(*numbers))
    except PermissionError:  # root without CAP_MKNOD: /dev's own would be at risk on a regression
        pytest.skip("root without the right to make device nodes; the test will not risk /dev")
    return node


def others(folder, *names):
    return sorted(p.name for p in folder.iterdir() if p.name not in names)


# -- a full disk --------------------------------------------------------------------------------
@contextlib.contextmanager
def small_disk(tmp_path):
    """A 16 KiB tmpfs (root, where mounting is allowed), else None."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], capture_output=True).returncode == 0
    try:
        yield folder if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


def test_a_run_onto_a_full_disk_says_so_in_one_line_and_leaves_nothing(tmp_path):
    with small_disk(tmp_path) as folder:
        if folder is None:
            pytest.skip("mounting a 16 KiB tmpfs needs root; "
                        "test_a_run_into_dev_full_... gives ENOSPC without it")
        target = folder / "trace.jsonl"
        target.write_text("an earlier trace\n" * 500)  # 8.5 KB of the 16 KiB
        done = gradstep("run", "sine-net", "--steps", "100000", "--full", "--out", str(target))
        assert done.returncode == 2, done.stderr
        assert done.stderr == f"gradstep: cannot write {target}: no space left on device\n"
        assert target.read_text() == "an earlier trace\n" * 500
        assert others(folder, "trace.jsonl") == []  # no temporary file


def test_a_run_into_dev_full_says_no_space_left_and_leaves_the_device(tmp_path):
    full = character_device(tmp_path, "full", (1, 7))  # writes to it fail with ENOSPC
    done = gradstep("run", "sine-net", "--steps", "2000", "--full", "--out", str(full))
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"gradstep: cannot write {full}: no space left on device\n"
    assert stat.S_ISCHR(full.stat().st_mode)  # still the device, never a regular file
    if full.parent == tmp_path:
        assert others(tmp_path, "full") == []


# -- targets that are not regular files -----------------------------------------------------------
def test_dev_null_is_written_in_place_not_replaced(tmp_path):
    null = character_device(tmp_path, "null", (1, 3))
    done = gradstep("run", "xor", "--steps", "5", "--out", str(null))
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(null.stat().st_mode) and os.major(null.stat().st_rdev) == 1
    if null.parent == tmp_path:
        assert others(tmp_path, "null") == []


def test_a_fifo_with_a_reader_gets_the_records_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "records"
    os.mkfifo(fifo)
    received = []
    # The reader opens first (without waiting for a writer) and reads once gradstep has ended:
    # five short records fit in the pipe's buffer.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        done = gradstep("run", "xor", "--steps", "5", "--out", str(fifo))
        os.set_blocking(reader, True)
        while chunk := os.read(reader, 65536):
            received.append(chunk)
    finally:
        os.close(reader)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in b"".join(received).decode().splitlines()]
    assert [row["step"] for row in rows] == [1, 2, 3, 4, 5]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert others(tmp_path, "records") == []


def test_a_fifo_nobody_reads_is_refused_at_once(tmp_path):
    fifo = tmp_path / "records"
    os.mkfifo(fifo)
    done = gradstep("run", "xor", "--steps", "5", "--out", str(fifo))  # a hang would time out
    assert done.returncode == 2
    assert done.stderr == f"gradstep: cannot write {fifo}: no program is reading this pipe\n"
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert others(tmp_path, "records") == []


def test_a_link_to_a_file_keeps_the_link_and_replaces_the_file(tmp_path, capsys):
    real = tmp_path / "real.jsonl"
    real.write_text("earlier\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    code, out, err = run(capsys, "run", "xor", "--steps", "3", "--out", str(link))
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real
    assert len(real.read_text().splitlines()) == 3
    assert others(tmp_path, "real.jsonl", "link.jsonl") == []


def test_a_socket_is_refused(tmp_path, capsys):
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        code, out, err = run(capsys, "run", "xor", "--steps", "3", "--out", str(path))
    assert code == 2
    assert err == f"gradstep: cannot write {path}: it is not a regular file, a terminal or a pipe\n"
    assert stat.S_ISSOCK(path.stat().st_mode)


# -- the format follows the name ----------------------------------------------------------------
@pytest.mark.parametrize("name, kind", [("x.csv", "csv"), ("X.CSV", "csv"), ("x.jsonl", "jsonl"),
                                        ("x.json", "jsonl"), ("x.txt", "jsonl"), ("x", "jsonl")])
def test_the_format_follows_the_out_name(tmp_path, capsys, name, kind):
    target = tmp_path / name
    code, _, err = run(capsys, "run", "moons", "--steps", "3", "--out", str(target))
    assert code == 0, err
    text = target.read_text()
    if kind == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row["step"] for row in rows] == ["1", "2", "3"]
    else:
        assert [json.loads(line)["step"] for line in text.splitlines()] == [1, 2, 3]


def test_an_explicit_format_that_agrees_with_the_name_or_names_no_suffix(tmp_path, capsys):
    code, _, err = run(capsys, "run", "moons", "--steps", "2", "--format", "csv", "--out",
                       str(tmp_path / "x.csv"))
    assert code == 0, err
    code, _, err = run(capsys, "run", "moons", "--steps", "2", "--format", "csv", "--out",
                       str(tmp_path / "x.txt"))
    assert code == 0, err
    assert (tmp_path / "x.txt").read_text().startswith("step,loss")


@pytest.mark.parametrize("asked, name", [("jsonl", "x.csv"), ("csv", "x.jsonl"), ("csv", "x.json")])
def test_a_format_that_contradicts_the_name_is_one_line_and_exit_2(tmp_path, capsys, asked, name):
    target = tmp_path / name
    code, out, err = run(capsys, "run", "moons", "--steps", "3", "--format", asked, "--out", str(target))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and f"--format {asked}" in err and str(target) in err, err
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file
