"""Reading a save file's zip archive with every size bounded before anything is read.

A ``.gradstep`` file comes from anyone (files are shared), so nothing in it is trusted: the
archive's end record is read by hand first (how many members, how big the central directory
is) before :mod:`zipfile` parses it; each member's size claimed in the directory is checked
against what that member may hold before it is read, and the reading stops at that size; the
JSON is bounded in size and depth before :func:`json.loads`; an array's ``.npy`` header is read
first, its dtype and shape checked and its bytes checked against the memory budget
(:func:`gradstep.engine.memory.check`), and only then is it read, with ``allow_pickle=False``.
Every problem is a :class:`SaveFileError`: ``FILE: key: message`` on one line.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import zipfile

import numpy as np

from gradstep.engine import memory
from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _

__all__ = ["SaveFileError", "Archive", "MAX_MEMBERS", "MAX_JSON_BYTES", "MAX_JSON_DEPTH"]

MAX_MEMBERS = 64
"""The most members a save file may hold (it needs a handful: the JSON, θ and the state)."""

MAX_JSON_BYTES = 32 << 20
"""The most bytes ``session.json`` may take: the scenario text (5 MB at most) escaped, and the
changes."""

MAX_JSON_DEPTH = 8
"""How deeply ``session.json`` may nest arrays and objects (it needs four levels)."""

NPY_HEADER_BYTES = 4096
"""The most bytes an array's ``.npy`` header may take (NumPy writes 128)."""

ARRAY_DTYPES = ("float64", "float32")
"""The dtypes a save file's arrays may have: the session's own."""

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


class SaveFileError(ScenarioError):
    """A save file that cannot be read: damaged, truncated, hostile, from another version, or
    not a save file at all. Its text is ``FILE: key: message``."""


class Archive:
    """A save file's zip archive, opened with its end record checked.

    Args:
        path: The file.

    Raises:
        SaveFileError: Not a regular file, not a zip archive, or one with too many members or
            too big a directory.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.shown = str(path)
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except (OSError, ValueError) as exc:
            raise self.error(None, _("cannot read it: {problem}").format(
                problem=getattr(exc, "strerror", None) or str(exc))) from None
        self._file = os.fdopen(fd, "rb")
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise self.error(None, _("not a regular file"))
            os.set_blocking(fd, True)
            self._check_end_record()
            try:
                self._zip = zipfile.ZipFile(self._file)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                    NotImplementedError) as exc:
                raise self.error(None, _("not a gradstep save file (a damaged zip archive: "
                                         "{problem})").format(problem=exc)) from None
            self.members = {}
            for info in self._zip.infolist():
                if info.filename in self.members:
                    raise self.error(info.filename, _("this member appears twice in the archive"))
                self.members[info.filename] = info
        except BaseException:
            self._file.close()
            raise

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def error(self, key, message):
        return SaveFileError(message, file=self.shown, key=key)

    # -- the end record, before zipfile reads the directory ---------------------------------
    def _check_end_record(self):
        size = os.fstat(self._file.fileno()).st_size
        tail_size = min(size, _EOCD.size + 0xFFFF)
        self._file.seek(size - tail_size)
        tail = self._file.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _EOCD.size:
            raise self.error(None, _("not a gradstep save file (not a zip archive, or one cut short)"))
        _sig, _disk, _cd_disk, _here, entries, cd_size, _cd_offset, _comment = _EOCD.unpack_from(tail, at)
        if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: the real counts are further back
            locator = at - _ZIP64_LOCATOR.size
            if locator < 0 or tail[locator:locator + 4] != b"PK\x06\x07":
                raise self.error(None, _("not a gradstep save file (a damaged zip64 end record)"))
            offset = _ZIP64_LOCATOR.unpack_from(tail, locator)[2]
            if offset > size - _ZIP64_EOCD.size:
                raise self.error(None, _("not a gradstep save file (a damaged zip64 end record)"))
            self._file.seek(offset)
            record = self._file.read(_ZIP64_EOCD.size)
            if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
                raise self.error(None, _("not a gradstep save file (a damaged zip64 end record)"))
            fields = _ZIP64_EOCD.unpack(record)
            entries, cd_size = fields[7], fields[8]
        if entries > MAX_MEMBERS:
            raise self.error(None, _("the archive claims {count} members; a save file has at most "
                                     "{limit}").format(count=entries, limit=MAX_MEMBERS))
        if cd_size > MAX_MEMBERS * 1024 or cd_size > size:
            raise self.error(None, _("the archive's directory claims {size} bytes: a damaged or "
                                     "hostile file").format(size=f"{cd_size:,}"))
        self._file.seek(0)

    # -- members ----------------------------------------------------------------------------
    def read(self, name, limit, what):
        """The bytes of member ``name``, at most ``limit`` of them (checked against the size the
        directory claims before reading, and while reading)."""
        info = self.members.get(name)
        if info is None:
            raise self.error(name, _("missing from the archive"))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self.error(name, _("compressed with an unsupported method ({method})")
                             .format(method=info.compress_type))
        if info.flag_bits & 0x1:
            raise self.error(name, _("encrypted members are not supported"))
        if info.file_size > limit:
            raise self.error(name, _("claims {size} bytes, more than {what} can take ({limit})")
                             .format(size=f"{info.file_size:,}", what=what, limit=f"{limit:,}"))
        memory.check(info.file_size, what, key=name)
        try:
            with self._zip.open(info) as member:
                data = member.read(limit + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise self.error(name, _("damaged: {problem}").format(problem=exc)) from None
        except Exception as exc:  # zlib.error and the like: the archive's bytes are wrong
            raise self.error(name, _("damaged: {problem}").format(problem=exc)) from None
        if len(data) != info.file_size:
            raise self.error(name, _("damaged: {got} bytes where the archive says {size}")
                             .format(got=len(data), size=info.file_size))
        return data

    def read_json(self, name):
        """Member ``name`` as JSON (an object), bounded in size and depth."""
        raw = self.read(name, MAX_JSON_BYTES, _("the session's description"))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.error(name, _("not UTF-8 text ({problem})").format(problem=exc)) from None
        depth = json_depth(text)
        if depth > MAX_JSON_DEPTH:
            raise self.error(name, _("nested {depth} levels deep; a save file needs at most {limit}")
                             .format(depth=depth, limit=MAX_JSON_DEPTH))
        try:
            value = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise self.error(name, _("not valid JSON: {problem}").format(problem=exc)) from None
        if not isinstance(value, dict):
            raise self.error(name, _("expected a JSON object"))
        return value

    def read_array(self, name, shape, dtype):
        """Member ``name``, a ``.npy`` array that must have ``shape`` and ``dtype`` (checked in
        its header before its numbers are read and before the memory budget is asked)."""
        dtype = np.dtype(dtype)
        nbytes = memory.array_bytes(shape, dtype.itemsize)
        memory.check(nbytes, _("an array of the save file"), key=name)
        raw = self.read(name, nbytes + NPY_HEADER_BYTES, _("an array of this session"))
        stream = io.BytesIO(raw)
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(stream, max_header_size=NPY_HEADER_BYTES)
            elif version == (2, 0):
                header = np.lib.format.read_array_header_2_0(stream, max_header_size=NPY_HEADER_BYTES)
            else:
                raise ValueError(_("unsupported .npy version {version}").format(version=version))
            got_shape, fortran, got_dtype = header
            if got_dtype != dtype or tuple(got_shape) != tuple(shape):
                raise ValueError(_("holds a {dtype} array of shape {got}, expected {expected} of shape "
                                   "{shape}").format(dtype=got_dtype, got=tuple(got_shape),
                                                     expected=dtype, shape=tuple(shape)))
            if fortran and len(shape) > 1:
                raise ValueError(_("a Fortran-ordered array, which a save file never holds"))
            stream.seek(0)
            array = np.load(stream, allow_pickle=False)
        except (ValueError, OSError, EOFError, TypeError) as exc:
            raise self.error(name, _("not a valid array: {problem}").format(problem=exc)) from None
        if stream.tell() != len(raw):
            raise self.error(name, _("{extra} bytes after the array").format(extra=len(raw) - stream.tell()))
        return array


def _no_constant(text):
    raise ValueError(_("{value} is not a number JSON allows").format(value=text))


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text):
    """How deeply ``text`` nests arrays and objects (strings left out), without parsing it."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
