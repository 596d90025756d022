"""``gradstep serve``: the dashboard as a web page, for a classroom (issues 8 and 14).

textual-serve is a small aiohttp server. For every browser tab that opens its page it runs a
*command* in a subprocess with Textual's web driver and relays the terminal through a websocket
to xterm.js in the page; closing the tab ends that subprocess. Here the command is this same
Python running ``gradstep.tui.cli open`` on the scenario's absolute path, so serving works whether
or not ``gradstep`` is on ``PATH`` and whatever the directory the server was started from.

A teacher may open it to the room (``--host 0.0.0.0``): the server then needs a token (printed
in the link), answers only to this computer's names, caps the number of dashboards, the page
size and idle time, and its dashboards open only the bundled scenarios and one folder and send
their files to the student's browser. The server itself is :mod:`gradstep.tui.classroom.server`;
this module reads the options, prints the link and runs it.
"""

from __future__ import annotations

import argparse
import errno
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from gradstep.tui.classroom.access import is_loopback
from gradstep.tui.i18n import LANGUAGES, _, language

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_IDLE_MINUTES", "is_loopback", "parse_port",
           "add_arguments", "dashboard_command", "serve_dashboard"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_IDLE_MINUTES = 60
EXIT_OK, EXIT_INVALID = 0, 2
NICENESS = 5
"""How much lower the dashboards' priority is than the server's."""


def parse_port(text: str) -> int:
    """The ``--port`` argument: a TCP port from 1 to 65535 (argparse ``type``)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            _("expected a port number from 1 to 65535, got {text}").format(text=repr(text)))
    return port


def _positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(_("expected a whole number >= 1, got {text}").format(text=repr(text)))
    return value


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(_("expected a number of minutes > 0, got {text}").format(text=repr(text)))
    return value


def _size(text: str) -> str:
    from gradstep.engine.memory import parse_size

    try:
        parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_arguments(parser) -> None:
    """The options of ``gradstep serve`` (beside ``--lang``)."""
    parser.add_argument("scenario", nargs="?", metavar=_("SCENARIO"),
                        help=_("scenario file or bundled name (default: the bundled default)"))
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=_("address to listen on (default {host}); 0.0.0.0 opens the server to "
                               "the other computers of the network").format(host=DEFAULT_HOST))
    parser.add_argument("--port", type=parse_port, default=DEFAULT_PORT, metavar="PORT",
                        help=_("TCP port to listen on (default {port})").format(port=DEFAULT_PORT))
    parser.add_argument("--token", metavar=_("TEXT"),
                        help=_("the token every page needs (default: a random one, printed in the "
                               "link to share)"))
    parser.add_argument("--no-token", action="store_true",
                        help=_("no token: allowed only on a loopback address such as 127.0.0.1"))
    parser.add_argument("--scenarios", metavar=_("DIR"), type=Path,
                        help=_("the folder whose .toml files the dashboards may open with o, beside "
                               "the bundled ones (default: the served scenario's folder)"))
    parser.add_argument("--max-sessions", type=_positive_count, metavar="N",
                        help=_("at most N dashboards at once; the next visitor reads that the class "
                               "is full (default: as many as the free memory holds, printed at start)"))
    parser.add_argument("--idle-minutes", type=_minutes, default=DEFAULT_IDLE_MINUTES, metavar="M",
                        help=_("end a dashboard nobody has typed in for M minutes (default {minutes})")
                        .format(minutes=DEFAULT_IDLE_MINUTES))
    parser.add_argument("--allow-host", action="append", default=[], metavar=_("NAME"),
                        help=_("also answer to this host name (the server answers only to this "
                               "computer's names and addresses); may be repeated"))
    parser.add_argument("--memory-limit", type=_size, metavar=_("SIZE"),
                        help=_("the memory budget of each dashboard's arrays, such as 500M or 2G "
                               "(default 1G)"))


def dashboard_command(path: Path, memory_limit: str | None = None) -> str:
    """The shell command that runs the dashboard on ``path`` for one browser tab.

    textual-serve hands the command to the shell, so every word is quoted for it. On POSIX
    the shell ``exec``s the dashboard: one process per tab, which gets the server's signals
    itself rather than through a waiting shell. The dashboards run at a lower priority
    (``nice``) than the server, so that a full class on few cores still has its pages served,
    its keys relayed and its closed tabs cleaned up.
    """
    argv = [sys.executable, "-m", "gradstep.tui.cli", "open", str(path)]
    if memory_limit is not None:
        argv += ["--memory-limit", memory_limit]
    if os.name == "nt":
        return subprocess.list2cmdline(argv)
    nice = shutil.which("nice")
    return "exec " + shlex.join([nice, "-n", str(NICENESS), *argv] if nice else argv)


def serve_dashboard(args) -> int:
    """Serve the dashboard on ``args.scenario`` until Ctrl+C (``args`` as :func:`add_arguments`).

    Returns:
        The exit status: 0 after Ctrl+C, 2 when an option is refused, textual-serve is missing or
        the address cannot be listened on (the reason goes to stderr).

    Raises:
        gradstep.engine.errors.ScenarioError: When the scenario cannot be read, before anything listens.
    """
    from gradstep.engine.scenario import DEFAULT_SCENARIO, load_scenario, resolve_scenario

    path = resolve_scenario(args.scenario or DEFAULT_SCENARIO).resolve()
    loaded = load_scenario(path)  # a broken file is reported now, not in every browser tab
    problem = _refused(args)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_INVALID
    try:
        from gradstep.tui.classroom.server import ClassroomServer
    except ImportError:
        print(_("gradstep: serving the dashboard needs textual-serve: "
                "pip install 'gradstep[serve]'"), file=sys.stderr)
        return EXIT_INVALID
    from gradstep.tui.classroom import access, limits
    from gradstep.tui.classroom.served import FOLDER_VARIABLE

    folder = (args.scenarios or path.parent).resolve()
    # Each tab's dashboard inherits this environment: the language chosen here, and the folder
    # that makes it a served dashboard (confined `o`, downloads for `e` and `p`).
    os.environ["LANGUAGE"] = LANGUAGES[language()] or "en"
    os.environ[FOLDER_VARIABLE] = str(folder)
    token = None if args.no_token else (args.token or access.new_token())
    per_session = limits.footprint(loaded)
    available = limits.available_memory()
    max_sessions = args.max_sessions or limits.default_max_sessions(per_session, available)
    urls = [_display_url(host, args.port, token) for host in _display_hosts(args.host)]

    def announce(*_args) -> None:
        # aiohttp calls this once every address is bound, so no link is printed for a server
        # that then fails to start.
        print(_("gradstep: serving {scenario} at {url}").format(scenario=loaded.name, url=urls[0]), flush=True)
        for url in urls[1:]:
            print(_("  other computers of the network: {url}").format(url=url), flush=True)
        print(_sessions_line(max_sessions, per_session, available, args.max_sessions is not None), flush=True)
        print(_("Open that address in a web browser: each tab gets its own dashboard. "
                "Ctrl+C stops the server."), flush=True)

    if not is_loopback(args.host):
        print(_("gradstep: warning: listening on {host}: anyone who can reach this computer on "
                "port {port} and has the link with its token can open dashboards")
              .format(host=args.host, port=args.port),
              file=sys.stderr, flush=True)
    server = ClassroomServer(
        dashboard_command(path, args.memory_limit), host=args.host, port=args.port,
        title=f"gradstep — {loaded.name}", token=token,
        policy=access.HostPolicy(args.host, args.allow_host), max_sessions=max_sessions,
        idle_seconds=args.idle_minutes * 60)
    try:
        server.run(announce)
    except OSError as exc:
        print(_bind_error(exc, args.host, args.port), file=sys.stderr)
        return EXIT_INVALID
    print(_("gradstep: server stopped"), file=sys.stderr)
    return EXIT_OK


def _refused(args) -> str | None:
    """Why the options cannot be served as given (one line), or None."""
    if args.no_token and not is_loopback(args.host):
        return _("gradstep: --no-token is allowed only on a loopback address (127.0.0.1); on {host} "
                 "anyone on the network could drive the dashboards").format(host=args.host)
    if args.no_token and args.token:
        return _("gradstep: --token and --no-token cannot be used together")
    if args.token is not None and not args.token.strip():
        return _("gradstep: --token: the token cannot be empty")
    if args.scenarios is not None and not args.scenarios.is_dir():
        return _("gradstep: --scenarios: {path} is not a folder").format(path=args.scenarios)
    return None


def _sessions_line(count: int, per_session: int, available: int | None, chosen: bool) -> str:
    from gradstep.engine.memory import human

    if chosen:
        return _("At most {count} dashboards at once (--max-sessions), about {size} of memory "
                 "each.").format(count=count, size=human(per_session))
    if available is None:
        return _("At most {count} dashboards at once (the free memory is unknown; --max-sessions "
                 "changes it).").format(count=count)
    return _("At most {count} dashboards at once: about {size} each, {free} of memory free "
             "(--max-sessions changes it).").format(count=count, size=human(per_session),
                                                   free=human(available))


def _display_hosts(host: str) -> list[str]:
    """The addresses to print: a wildcard host becomes loopback, then this computer's address."""
    name = host.strip("[]")
    if name not in ("", "0.0.0.0", "::"):
        return [name]
    hosts = ["127.0.0.1" if name != "::" else "::1"]
    from gradstep.tui.classroom.access import machine_names

    from gradstep.tui.classroom.access import outbound_address

    lan = [outbound_address()] + sorted(machine_names())
    return hosts + [name for name in lan if _is_lan_address(name)][:1]


def _is_lan_address(name: str | None) -> bool:
    """An IPv4 address other computers may reach this one by (not loopback, link-local, 0.x)."""
    import ipaddress

    try:
        address = ipaddress.ip_address(name or "")
    except ValueError:
        return False
    return (address.version == 4 and not address.is_loopback and not address.is_link_local
            and address not in ipaddress.ip_network("0.0.0.0/8"))


def _display_url(host: str, port: int, token: str | None) -> str:
    name = f"[{host}]" if ":" in host else host
    query = f"?token={token}" if token else ""
    return f"http://{name}:{port}/{query}"


def _bind_error(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return _("gradstep: port {port} on {host} is already in use; choose another with "
                 "--port").format(port=port, host=host)
    if exc.errno == errno.EADDRNOTAVAIL:
        return _("gradstep: {host} is not an address of this computer; use 127.0.0.1, or "
                 "0.0.0.0 for all of its addresses").format(host=host)
    if exc.errno == errno.EACCES:
        return _("gradstep: not allowed to listen on port {port}; choose one above 1023 with "
                 "--port").format(port=port)
    reason = exc.strerror or str(exc)
    return _("gradstep: cannot listen on {host} port {port}: {reason}").format(
        host=host, port=port, reason=reason)
