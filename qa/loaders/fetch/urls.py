"""What a URL is: the one test of "is this a URL?", canonical URLs, and which URLs may be fetched
(http(s) only, and only to public addresses unless private ones are allowed).

A URL typed into the web chat runs on the server: without these checks it could reach the server's own
network (a database port on 127.0.0.1, a cloud metadata service on 169.254.169.254). The checks apply to
every address a host name resolves to, on every hop of a redirect, and the fetcher then connects to an
address it checked (never resolving the name again), so a name cannot resolve to a public address for
the check and a private one for the connection.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ALLOW_PRIVATE_HINT = "set QA_FETCH_ALLOW_PRIVATE=true to allow"
# The schemes fetched, and the port a URL of each means when it names none.
DEFAULT_PORTS = {"http": 80, "https": 443}
# Any `scheme://`, and the schemes written without `//` (`data:text/html,…`, `javascript:…`): text that
# is a URL, so that it is refused as one rather than looked for on disk.
_SCHEME = re.compile(
    r"^(?:([a-z][a-z0-9+.-]*)://|(data|javascript|vbscript|mailto|about|blob|file|view-source|http|https):)",
    re.IGNORECASE,
)
_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "ref"})

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
        return f"{self.scheme}://{self.netloc}"

    @property
    def netloc(self) -> str:
        """`host[:port]` as a URL or a Host header writes it: the port only when not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"


def is_url(source: Path | str, *, web: bool = False, file_wins: bool = False) -> bool:
    """Is `source` written as a URL rather than a path? The one test every caller uses.

    Args:
        web: only an `http://` or `https://` URL (one the Fetcher may fetch) counts.
        file_wins: a name an existing file has is a file (`qa ingest about:notes.md`), not a URL.
    """
    found = _SCHEME.match(str(source).strip())
    if found is None or (web and (found[1] or "").lower() not in DEFAULT_PORTS):
        return False
    if not file_wins:
        return True
    try:
        return not Path(source).exists()
    except OSError:  # a name the file system cannot even look up (too long): not a file
        return True


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL with a host; FetchError says what is wrong otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchError(f"only http and https URLs are fetched, not {scheme or 'a URL without scheme'}:")
    if not parts.hostname:
        raise FetchError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URLs with a user name or password are not fetched")
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


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


def canonical_url(url: str) -> str:
    """Normalise a URL so that links to the same article compare equal (no tracking, no fragment)."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.netloc:
        return urlunsplit(parts._replace(fragment=""))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:  # a malformed port: keep the host only rather than fail on a URL
        port = None
    netloc = host
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{host}:{port}"
    if parts.username:
        userinfo = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{userinfo}@{netloc}"
    # Sorted, so `?a=1&b=2` and `?b=2&a=1` are the same article.
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, urlencode(sorted(_untracked_query(parts.query))), ""))


def without_tracking(url: str) -> str:
    """The URL without tracking parameters (utm_*, fbclid, ...) and fragment, otherwise as given: the
    link an article keeps, so that it opens where it was found."""
    parts = urlsplit(url.strip())
    query = _untracked_query(parts.query)
    if len(query) == len(parse_qsl(parts.query, keep_blank_values=True)):
        return urlunsplit(parts._replace(fragment=""))  # nothing to drop: keep the query as written
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def _untracked_query(query: str) -> list[tuple[str, str]]:
    return [
        (key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in _TRACKING_PARAMS
    ]
