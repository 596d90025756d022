"""Files written whole or not at all, and the one error writing them raises.

:class:`AtomicFile` writes a regular file under a hidden temporary name in the target's folder
and renames it over the target only when the text is complete, so an interrupted write (a full
disk, Ctrl+C, a closed terminal) leaves the earlier file as it was and no partial one. A target
that is not a regular file is never replaced by one: a character device (``/dev/null``,
``/dev/full``, a terminal) or a named pipe with a reader is written in place; a block device, a
socket, or a pipe nobody reads is refused. A symbolic link to a regular file keeps the link and
replaces the file it points to.

Every failure is an :class:`ExportError` whose text names the file and says why in the
learner's language (``cannot write trace.csv: no space left on device``).

Temporary files are created while the process holds its termination signals, and every one not
yet renamed or removed is known to :func:`abandon_unfinished`: a command stopped by a signal
removes them before it exits, wherever the signal found it.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile

from gradstep.engine.i18n import N_, _

__all__ = ["AtomicFile", "ExportError", "abandon_unfinished"]


class ExportError(OSError):
    """A file could not be written; the message names the path and the reason."""


_REASONS = {
    errno.ENOSPC: N_("no space left on device"),
    errno.EDQUOT: N_("disk quota exceeded"),
    errno.EFBIG: N_("the file is too large for this file system"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("operation not permitted"),
    errno.EROFS: N_("read-only file system"),
    errno.ENOENT: N_("no such file or folder"),
    errno.ENOTDIR: N_("a part of the path is not a folder"),
    errno.EISDIR: N_("it is a folder"),
    errno.ENAMETOOLONG: N_("the name is too long"),
    errno.EIO: N_("input/output error"),
    errno.ENXIO: N_("no program is reading this pipe"),
    errno.EPIPE: N_("the program reading it has stopped"),
}


def _cannot_write(path, exc):
    """The ExportError for ``exc``, an OSError met while writing ``path``: the common reasons in
    the learner's language, any other in the operating system's own words (strerror)."""
    reason = _REASONS.get(getattr(exc, "errno", None))
    reason = _(reason) if reason else (getattr(exc, "strerror", None) or str(exc))
    error = ExportError(_("cannot write {path}: {reason}").format(path=path, reason=reason))
    error.errno = getattr(exc, "errno", None)
    return error


# Temporary files created and not yet renamed or removed (their AtomicFiles).
_unfinished: set = set()
_HELD = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                  if hasattr(signal, name))


def abandon_unfinished():
    """Remove every temporary file an :class:`AtomicFile` of this process has not yet renamed
    or removed (a command stopped by a signal calls this before it exits)."""
    for atomic in list(_unfinished):
        atomic.abandon()


class AtomicFile:
    """A text file written under a temporary name in the target's folder and renamed over the
    target only by :meth:`commit`: an interrupted write never leaves a partial file, and an
    earlier file of that name stays intact until the new one is complete. A target that is a
    character device or a named pipe is written in place (see the module's text).

    As a context manager it commits when the block ends normally and abandons the file when it
    raises, turning an OSError into :class:`ExportError`::

        with AtomicFile(path) as out:
            out.stream.write(text)

    Raises:
        ExportError: The target is a folder or cannot be written (no such folder, no
            permission, a pipe nobody reads, ...).
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._tmp = None
        try:
            mode = os.stat(self.path).st_mode
        except FileNotFoundError:
            mode = None  # a new file (or a link to one): written beside its final name
        except OSError as exc:
            raise _cannot_write(self.path, exc) from None
        except ValueError:  # a NUL character: no file can have this name
            raise ExportError(_("cannot write {path}: a file name cannot contain a NUL character")
                              .format(path=self.path.replace("\0", "\\0"))) from None
        if mode is not None and stat.S_ISDIR(mode):
            raise ExportError(_("cannot write {path}: it is a folder").format(path=self.path))
        if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            self.stream = self._open_in_place(stat.S_ISFIFO(mode))
        elif mode is None or stat.S_ISREG(mode):
            self.stream = self._open_beside(os.path.realpath(self.path))
        else:
            raise ExportError(_("cannot write {path}: it is not a regular file, a terminal or a "
                                "pipe").format(path=self.path))

    def _open_in_place(self, fifo):
        # No O_CREAT, no O_TRUNC: the node is written as it is, never replaced. A pipe is opened
        # without blocking, so that one nobody reads is an error (ENXIO), not a hang.
        try:
            fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | (os.O_NONBLOCK if fifo else 0))
        except OSError as exc:
            raise _cannot_write(self.path, exc) from None
        os.set_blocking(fd, True)
        return os.fdopen(fd, "w", newline="")

    def _open_beside(self, target):
        folder = os.path.dirname(target)
        if not os.path.isdir(folder):
            raise ExportError(_("cannot write {path}: there is no folder {folder}").format(
                path=self.path, folder=folder))
        self._target = target
        # A signal that arrives between creating the temporary file and registering it would
        # leave it behind unknown: hold the termination signals for that moment (they are
        # delivered as soon as they are released, with the file known to abandon_unfinished).
        held = _hold_signals()
        try:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.",
                                             suffix=".tmp", dir=folder)
            _unfinished.add(self)
        except OSError as exc:
            raise _cannot_write(self.path, exc) from None
        finally:
            _release_signals(held)
        return os.fdopen(fd, "w", newline="")

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback):
        if kind is None:
            self.commit()
            return False
        self.abandon()
        if issubclass(kind, OSError) and not issubclass(kind, ExportError):
            raise _cannot_write(self.path, exc) from None
        return False

    def commit(self):
        """Finish the file: flush it and rename it over the target (a device or pipe: flush).

        Raises:
            ExportError: The last bytes or the rename failed; nothing is left behind.
        """
        try:
            self.stream.flush()
            if self._tmp is not None:
                os.fsync(self.stream.fileno())
                # mkstemp makes the file private (0600); give it the mode a new file gets here.
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(self.stream.fileno(), 0o666 & ~umask)
            self.stream.close()
            if self._tmp is not None:
                os.replace(self._tmp, self._target)
                _unfinished.discard(self)
        except OSError as exc:
            self.abandon()
            raise _cannot_write(self.path, exc) from None

    def abandon(self):
        """Close the stream and remove the temporary file; never raises (the bytes still in the
        stream's buffer are dropped: on a full disk, flushing them would fail again)."""
        try:
            self.stream.close()
        except OSError:
            pass  # the file descriptor is closed even when the final flush fails
        _unfinished.discard(self)
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass  # already renamed (the commit finished) or removed


def _hold_signals():
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)


def _release_signals(held):
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
