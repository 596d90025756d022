"""Who may use the classroom server: the token, and the Host and Origin checks.

As in Jupyter's server: a random token by default, printed in the link the teacher shares
(``http://ADDRESS:8000/?token=...``); the page then sets a cookie, so the page's websocket and
downloads carry it without it in their address. Tokens are compared in constant time
(:func:`hmac.compare_digest`). A request without the right one gets 403.

The Host header must name this computer (one of its addresses, its host name) or a name the
teacher allowed (``--allow-host``): a web page of another site whose name was pointed at this
computer (DNS rebinding) is refused. On a loopback address only loopback names are answered. An
``Origin`` header, when a browser sends one, must be the page's own address (a page of another
site opening the websocket is refused).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["new_token", "cookie_name", "token_matches", "is_loopback", "host_name", "machine_names",
           "outbound_address", "HostPolicy", "same_origin"]


def new_token() -> str:
    """A random token: 24 bytes, URL-safe text (as Jupyter's is 24 random bytes in hex)."""
    return secrets.token_urlsafe(24)


def cookie_name(port: int) -> str:
    """The cookie that holds the token; one per port, so two servers on one computer do not mix."""
    return f"gradstep-token-{port}"


def token_matches(expected: str | None, given: str | None) -> bool:
    """Whether ``given`` is the token (always True when the server has none: ``--no-token``)."""
    if expected is None:
        return True
    if not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogateescape"))


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this computer only: ``localhost``, ``127.0.0.0/8`` or ``::1``."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(netloc: str) -> str:
    """The host part of a ``Host`` header (``[::1]:8000`` -> ``::1``), lower case."""
    try:
        return (urlsplit(f"//{netloc}").hostname or "").rstrip(".").lower()
    except ValueError:  # a malformed port or bracket
        return ""


def _local_addresses() -> set[str]:
    """The addresses of this computer's interfaces, as far as the system tells (Linux: all)."""
    found: set[str] = set()
    try:  # IPv4: the routing table lists each local address as "/32 host LOCAL"
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
        for previous, line in zip(lines, lines[1:]):
            if "/32 host LOCAL" in line:
                found.add(previous.split()[-1])
    except OSError:
        pass
    try:  # IPv6: 32 hex digits per address
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            digits = line.split()[0]
            found.add(str(ipaddress.ip_address(int(digits, 16))))
    except (OSError, ValueError, IndexError):
        pass
    return found


def machine_names() -> set[str]:
    """This computer's names and addresses, lower case: what a Host header may say."""
    names = {"localhost"}
    for name in (socket.gethostname(), socket.getfqdn()):
        if name:
            names.add(name.lower())
            try:
                for info in socket.getaddrinfo(name, None):
                    names.add(str(info[4][0]).split("%")[0].lower())
            except OSError:
                pass
    names |= _local_addresses()
    outbound = outbound_address()
    if outbound:
        names.add(outbound)
    return names


def outbound_address() -> str | None:
    """The IPv4 address this computer's traffic leaves by (the one to print for the room), or
    None. A UDP socket is pointed at a documentation address: no packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            return probe.getsockname()[0]
        except OSError:
            return None


class HostPolicy:
    """Which Host headers the server answers.

    Args:
        listen: The address the server listens on (as given to ``--host``).
        allowed: Further names given with ``--allow-host``.
        names: This computer's names (default: :func:`machine_names`).
    """

    def __init__(self, listen: str, allowed=(), names: set[str] | None = None) -> None:
        self.loopback_only = is_loopback(listen)
        self.allowed = {host_name(name) or name.lower() for name in allowed}
        listen_name = listen.strip("[]").lower()
        self.names = (machine_names() if names is None else set(names)) | self.allowed
        if listen_name not in ("", "0.0.0.0", "::"):
            self.names.add(listen_name)

    def accepts(self, host_header: str | None) -> bool:
        """Whether a request with this ``Host`` header is for this server."""
        name = host_name(host_header or "")
        if not name:
            return False
        if name in self.allowed:
            return True
        if self.loopback_only:
            return is_loopback(name)
        return is_loopback(name) or name in self.names


def same_origin(origin: str | None, host_header: str | None) -> bool:
    """Whether a browser's ``Origin`` header (None when absent) is the page's own address."""
    if origin is None:
        return True
    try:
        return urlsplit(origin).netloc.lower() == (host_header or "").lower()
    except ValueError:
        return False
