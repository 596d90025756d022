"""The one writer of every file gradstep makes (``gradstep run --out``, the dashboard's export,
its pictures): devices and pipes are written in place or refused, never replaced; a write that
fails leaves neither a partial file nor a temporary one, and says why in one line.

Device nodes are made in the test's folder when root (``os.mknod``), so that a regression could
only ever replace that copy; as another user, ``/dev``'s own are used (and cannot be replaced).
"""

import os
import stat
from pathlib import Path

import pytest

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.atomic_file import AtomicFile, ExportError, abandon_unfinished
from gradstep.engine.training.session import Session


def character_device(tmp_path, name, numbers):
    if os.geteuid() != 0:
        return Path("/dev") / name
    node = tmp_path / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(*numbers))
    except PermissionError:
        pytest.skip("root without the right to make device nodes; the test will not risk /dev")
    return node


def session(steps=3):
    s = Session(load_scenario(resolve_scenario("sine-net")))
    s.run(steps)
    return s


def test_an_export_to_dev_full_is_no_space_left_and_the_device_stays(tmp_path):
    full = character_device(tmp_path, "full", (1, 7))
    with pytest.raises(ExportError) as info:
        session().export(full)
    assert str(info.value) == f"cannot write {full}: no space left on device"
    assert stat.S_ISCHR(full.stat().st_mode)
    if full.parent == tmp_path:
        assert [p.name for p in tmp_path.iterdir()] == ["full"]


def test_an_export_to_dev_null_is_written_in_place(tmp_path):
    null = character_device(tmp_path, "null", (1, 3))
    session().export(null)
    assert stat.S_ISCHR(null.stat().st_mode)
    if null.parent == tmp_path:
        assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_a_picture_into_a_pipe_nobody_reads_is_refused_not_replaced(tmp_path):
    from gradstep.tui.pictures import write_text

    fifo = tmp_path / "screen.svg"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match="no program is reading this pipe"):
        write_text("<svg/>", fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["screen.svg"]


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ExportError, match="it is a folder"):
        AtomicFile(tmp_path)


def test_a_nul_in_the_name_is_one_clear_line(tmp_path):
    with pytest.raises(ExportError) as info:
        AtomicFile(str(tmp_path / "a\0b.jsonl"))
    assert str(info.value) == (f"cannot write {tmp_path}/a\\0b.jsonl: a file name cannot contain "
                               "a NUL character")
    assert list(tmp_path.iterdir()) == []


def test_abandon_unfinished_removes_every_temporary_file_and_keeps_the_earlier_files(tmp_path):
    """What a command stopped by a signal calls, wherever the signal found it."""
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("earlier\n")
    files = [AtomicFile(first), AtomicFile(second)]
    for atomic in files:
        atomic.stream.write("half a record")
    assert len(list(tmp_path.glob(".*.tmp"))) == 2
    abandon_unfinished()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]
    assert first.read_text() == "earlier\n"
    abandon_unfinished()  # nothing left to do, nothing raised


def test_a_committed_file_is_no_longer_unfinished(tmp_path):
    target = tmp_path / "t.jsonl"
    with AtomicFile(target) as out:
        out.stream.write("{}\n")
    abandon_unfinished()
    assert target.read_text() == "{}\n"


def test_a_failed_write_in_the_block_is_an_export_error_and_leaves_nothing(tmp_path):
    target = tmp_path / "t.jsonl"
    target.write_text("earlier\n")
    with pytest.raises(ExportError, match=r"t\.jsonl: input/output error"):
        with AtomicFile(target) as out:
            out.stream.write("x")
            raise OSError(5, "Input/output error")  # EIO, as a failing disk reports it
    assert target.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.jsonl"]


def test_the_reasons_are_in_portuguese(tmp_path):
    from gradstep.tui import i18n

    full = character_device(tmp_path, "full", (1, 7))
    i18n.install("pt")
    try:
        with pytest.raises(ExportError) as info:
            session().export(full)
        assert str(info.value) == f"não foi possível gravar {full}: não há espaço livre no dispositivo"
    finally:
        i18n.install("en")
