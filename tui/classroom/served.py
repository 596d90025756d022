"""A dashboard served to a classroom: what it may open, and where its files go.

``gradstep serve`` starts each browser tab's dashboard with :data:`FOLDER_VARIABLE` set to the
folder of scenarios it offers (``--scenarios DIR``, by default the served scenario's folder).
Such a dashboard is driven by a student, not by the owner of the computer, so:

- ``o`` lists the bundled scenarios and the ``*.toml`` files of that folder, and a typed path is
  accepted only when it resolves (symbolic links followed, ``..`` taken away) to one of them;
  anything else gets one refusal that says nothing of the file (not whether it exists);
- ``e`` (the trace) and ``p`` (the pictures) are delivered to the student's own browser as
  downloads (Textual's ``App.deliver_binary``, relayed by textual-serve), built in memory:
  nothing is written on the teacher's disk.

A dashboard in a terminal has no such variable and behaves as before.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from gradstep.tui.i18n import _

__all__ = ["FOLDER_VARIABLE", "active", "folder", "choices", "confine", "download_name",
           "trace_download", "deliver", "MIME_TYPES"]

FOLDER_VARIABLE = "GRADSTEP_SERVED_FOLDER"
"""The environment variable ``gradstep serve`` sets for its dashboards: the folder they offer."""

MIME_TYPES = {".jsonl": "application/x-ndjson", ".csv": "text/csv", ".png": "image/png",
              ".svg": "image/svg+xml", ".gradstep": "application/zip"}


def active() -> bool:
    """Whether this dashboard is served to a classroom."""
    return bool(os.environ.get(FOLDER_VARIABLE))


def folder() -> Path:
    """The one folder whose scenarios a served dashboard may open (resolved)."""
    return Path(os.environ[FOLDER_VARIABLE]).resolve()


def _bundled() -> dict[Path, tuple[str, str]]:
    """Each bundled scenario's resolved path -> (name, description)."""
    from gradstep.engine.scenario import bundled_scenarios
    from gradstep.tui.i18n import language

    return {Path(path).resolve(): (name, description)
            for name, description, path in bundled_scenarios(language())}


def _offered(path: Path, bundled, home: Path) -> bool:
    """Whether the resolved ``path`` is a bundled scenario or a ``.toml`` file in ``home``."""
    if path in bundled:
        return True
    return path.suffix.lower() == ".toml" and path.parent == home and path.is_file()


def choices() -> list[tuple[str, str]]:
    """``(label, path)`` of the bundled scenarios, then of the served folder's ``*.toml`` files
    (those whose link leads out of the folder are left out)."""
    bundled = _bundled()
    out = [(f"{name}  {description}".rstrip(), str(path)) for path, (name, description) in bundled.items()]
    home = folder()
    try:
        files = sorted(home.glob("*.toml"))
    except OSError:
        files = []
    for path in files:
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real not in bundled and _offered(real, bundled, home):
            out.append((path.name, str(real)))
    return out


def confine(text: str) -> Path:
    """The scenario file a typed ``text`` names, if a served dashboard may open it.

    ``text`` is a bundled scenario's name, or a path: relative ones are read from the served
    folder. The path is resolved with every symbolic link followed; it must then be a bundled
    scenario or a ``.toml`` file directly in the served folder.

    Raises:
        ValueError: Anything else, with one sentence that says nothing of the file (the same for
            a file that exists and one that does not).
    """
    bundled = _bundled()
    text = text.strip()
    for path, (name, _description) in bundled.items():
        if text == name:
            return path
    home = folder()
    refusal = ValueError(_("not offered here: a served dashboard opens the bundled scenarios and "
                           "the .toml files of {folder} only").format(folder=home.name or home))
    if not text or "\0" in text:
        raise refusal
    candidate = Path(text)
    if not candidate.is_absolute():
        candidate = home / candidate
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a loop of links, unreadable: all the same answer
        raise refusal from None
    if not _offered(real, bundled, home):
        raise refusal
    return real


def download_name(text: str, default_suffix: str = ".jsonl") -> str:
    """The file name a download is offered under: the last part of what was typed, made safe."""
    name = re.split(r"[\\/]", text.strip())[-1]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return name or f"gradstep-trace{default_suffix}"


def trace_download(app, export, name: str, format: str) -> int:
    """Write the trace into memory with ``export(stream, format)`` and deliver it as ``name``
    (call from a worker thread); returns the number of steps written.

    Raises:
        OSError: The dashboard is not in a browser (nothing is written anywhere then).
    """
    if not app.is_web:  # say so before the work of writing the trace
        raise OSError(_("downloads need the dashboard to be in a web browser"))
    stream = io.StringIO(newline="")
    steps = export(stream, format)
    deliver(name, stream.getvalue().encode("utf-8"), app=app)
    return steps


def deliver(name: str | os.PathLike, data: bytes, app=None) -> None:
    """Send ``data`` to the student's browser as a download called ``name`` (its last part).

    Call from a worker thread (the export's, the pictures'); ``app`` defaults to that
    worker's app.

    Raises:
        OSError: There is no browser to deliver to (a served dashboard opened in a terminal):
            the file is not written to the disk instead.
    """
    if app is None:
        from textual.worker import get_current_worker

        app = get_current_worker().node.app
    if not app.is_web:
        raise OSError(_("downloads need the dashboard to be in a web browser"))
    file_name = Path(name).name
    mime = MIME_TYPES.get(Path(file_name).suffix.lower(), "application/octet-stream")
    app.call_from_thread(app.deliver_binary, io.BytesIO(data), save_filename=file_name, mime_type=mime)
