"""Which URLs may be fetched: http(s) only, and only to public addresses unless private ones are allowed.

A URL typed into the web chat runs on the server: without these checks it could reach the server's own
network (a database port on 127.0.0.1, a cloud metadata service on 169.254.169.254). The checks apply to
every address a host name resolves to, on every hop of a redirect, and the fetcher then connects to an
address it checked (never resolving the name again), so a name cannot resolve to a public address for
the check and a private one for the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOW_PRIVATE_HINT = "set QA_FETCH_ALLOW_PRIVATE=true to allow"
_DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class FetchError(Exception):
    """A URL that could not be fetched; the message is the reason a person reads in the report."""

    @property
    def reason(self) -> str:
        """The reason, as one line."""
        return str(self)


@dataclass(frozen=True)
class Target:
    """Where one request goes: the URL's parts, checked, and the addresses its host resolved to."""

    url: str
    scheme: str
    host: str  # lower case, without brackets for IPv6
    port: int
    addresses: tuple[str, ...]

    @property
    def origin(self) -> str:
        """`scheme://host[:port]`, the key of per-site state (robots.txt)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{host}" + ("" if default else f":{self.port}")


def is_web_url(text: str) -> bool:
    """Does `text` look like an http(s) URL (what `qa ingest` fetches rather than reads from disk)?"""
    return text.strip().lower().startswith(("http://", "https://"))


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL with a host; FetchError says what is wrong otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise FetchError(f"only http and https URLs are fetched, not {scheme or 'a URL without scheme'}:")
    if not parts.hostname:
        raise FetchError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URLs with a user name or password are not fetched")
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def blocked_kind(address: str) -> str | None:
    """Why a request to this IP address is refused ("loopback", "private" ...), or None for a public one."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind, test in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
    ):
        if test:
            return kind
    # Shared (carrier-grade NAT), documentation, 6to4 relays ...: anything not globally reachable.
    return None if ip.is_global else "non-public"


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself), in the resolver's order."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass  # a name (or an odd spelling of an address, "127.1": the resolver reads it)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"host {host} not found ({exc.strerror or exc})") from None
    except UnicodeError:
        raise FetchError(f"host {host!r} is not a valid host name") from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def target(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """The checked target of `url`: its scheme and host, and addresses that are all allowed."""
    scheme, host, port = check_url(url)
    addresses = resolver(host, port)
    if not addresses:
        raise FetchError(f"host {host} not found (no address)")
    if not allow_private:
        for address in addresses:
            kind = blocked_kind(address)
            if kind is not None:
                a_kind = ("an " if kind[0] in "aeiou" else "a ") + kind  # "an unspecified", "a private"
                what = f"is {a_kind} address" if host == address else f"resolves to {kind} address {address}"
                raise FetchError(f"refused: {host} {what} ({ALLOW_PRIVATE_HINT})")
    return Target(url.strip(), scheme, host.strip("[]"), port, tuple(addresses))
