"""The one way the product fetches from the web: polite, bounded, and never into the server's own network.

Every request goes through `Fetcher.get`: http(s) only; each hop of a redirect checked again (scheme,
every resolved address) and connected to the address that was checked; a clear User-Agent; a timeout
on the whole response; a size cap read as the body streams in (a lying or missing Content-Length
changes nothing); a delay between two requests to one host; robots.txt, fetched the same way and kept
per site; and conditional requests (ETag, Last-Modified), so an unchanged page costs a 304.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from qa.loaders.urls import FetchError, Resolver, Target, resolve, target
from qa.settings import Settings

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchError", "Fetcher", "Page"]

MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 500_000
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5"
)
_IGNORE_ROBOTS = "QA_FETCH_RESPECT_ROBOTS=false to ignore"


@dataclass(frozen=True)
class Page:
    """A response: the URL it finally came from, its status, media type, body and validators."""

    url: str
    status: int
    content_type: str  # the media type in lower case, without parameters ("text/html")
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """The server said the copy we have is current (304)."""
        return self.status == 304


class Fetcher:
    """GET with the product's safety and politeness rules, for one ingest (robots.txt kept per site)."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver = resolve,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,  # tests: httpx.MockTransport
    ) -> None:
        import httpx

        self.settings = settings
        self._resolver = resolver
        self._sleep = sleep
        self._clock = clock
        self._client = httpx.Client(
            timeout=httpx.Timeout(settings.fetch_timeout_s),
            follow_redirects=False,  # each hop is checked here
            trust_env=False,  # no proxy from the environment: the address checks must be the real ones
            # No connection reuse: a connection verified for one host name is never used for another.
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": settings.fetch_user_agent, "Accept": _ACCEPT},
            transport=transport,
        )
        self._robots: dict[str, RobotFileParser | str] = {}  # per site: the rules, or why none may be read
        self._last_request: dict[str, float] = {}  # per host: when the last request ended

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Page:
        """The page at `url` (a 304 when the validators still hold); FetchError says why there is none."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        page = self._follow(
            url, headers, robots=self.settings.fetch_respect_robots, max_bytes=self.settings.fetch_max_bytes
        )
        if page.status == 304 and headers:
            return page
        if not 200 <= page.status < 300:
            raise FetchError(f"HTTP {page.status}" + _phrase(page.status))
        return page

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _follow(
        self, url: str, headers: Mapping[str, str], *, robots: bool, max_bytes: int, what: str = "page"
    ) -> Page:
        """Request `url`, following up to MAX_REDIRECTS redirects, each hop checked like the first."""
        hops = [url]
        for _ in range(MAX_REDIRECTS + 1):
            checked = target(url, allow_private=self.settings.fetch_allow_private, resolver=self._resolver)
            if robots:
                self._check_robots(checked)
            page, location = self._request(checked, headers, max_bytes, what)
            if location is None:
                return page
            url = urljoin(url, location)
            if url in hops:
                raise FetchError("redirect loop: " + " -> ".join([*hops[hops.index(url) :], url]))
            hops.append(url)
        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")

    def _request(
        self, checked: Target, headers: Mapping[str, str], max_bytes: int, what: str
    ) -> tuple[Page, str | None]:
        """One GET to the checked addresses of `checked`, in order; the page, and where it redirects."""
        import httpx

        self._wait_turn(checked.host)
        failure: Exception | None = None
        try:
            for address in checked.addresses:
                try:
                    with self._client.stream(
                        "GET", _pinned(checked, address), headers=_host_headers(checked, headers),
                        extensions=_tls_name(checked),
                    ) as response:  # fmt: skip
                        return self._read(checked, response, max_bytes, what)
                except httpx.ConnectError as exc:
                    failure = exc  # try the host's next address
        except httpx.TimeoutException:
            raise FetchError(self._timed_out()) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"fetch failed ({type(exc).__name__}: {exc})") from None
        finally:
            self._last_request[checked.host] = self._clock()
        raise FetchError(f"could not connect to {checked.host} ({failure})")

    def _read(
        self, checked: Target, response: httpx.Response, max_bytes: int, what: str
    ) -> tuple[Page, str | None]:
        """The response as a Page, its body read up to `max_bytes` within the timeout."""
        location = response.headers.get("location")
        if response.status_code in _REDIRECTS and location:
            return Page(checked.url, response.status_code, "", b""), location
        too_big = f"{what} larger than {max_bytes:,} bytes (QA_FETCH_MAX_BYTES)"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(too_big)
        body = bytearray()
        if 200 <= response.status_code < 300:
            deadline = self._clock() + self.settings.fetch_timeout_s
            # Decoded (decompressed) bytes are counted: a small gzip body cannot unpack into gigabytes.
            for piece in response.iter_bytes():
                body += piece
                if len(body) > max_bytes:
                    raise FetchError(too_big)
                if self._clock() > deadline:
                    raise FetchError(self._timed_out())
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        page = Page(
            url=checked.url,
            status=response.status_code,
            content_type=media_type,
            body=bytes(body),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )
        return page, None

    def _timed_out(self) -> str:
        return f"timed out after {self.settings.fetch_timeout_s:g}s (QA_FETCH_TIMEOUT_S)"

    def _wait_turn(self, host: str) -> None:
        """Sleep until `fetch_host_delay_s` has passed since the last request to `host` ended."""
        last = self._last_request.get(host)
        if last is not None:
            remaining = self.settings.fetch_host_delay_s - (self._clock() - last)
            if remaining > 0:
                self._sleep(remaining)

    def _check_robots(self, checked: Target) -> None:
        rules = self._robots.get(checked.origin)
        if rules is None:
            rules = self._robots[checked.origin] = self._read_robots(checked.origin)
        if isinstance(rules, str):
            raise FetchError(rules)
        if not rules.can_fetch(self.settings.fetch_user_agent, checked.url):
            raise FetchError(f"disallowed by robots.txt of {checked.origin} ({_IGNORE_ROBOTS})")

    def _read_robots(self, origin: str) -> RobotFileParser | str:
        """The site's rules; no robots.txt (4xx) allows everything, an unreadable one (5xx, network)
        nothing (RFC 9309): the reason is returned instead."""
        rules = RobotFileParser()
        try:
            page = self._follow(
                origin + "/robots.txt", {}, robots=False, max_bytes=ROBOTS_MAX_BYTES, what="robots.txt"
            )
        except FetchError as exc:
            return _unreadable_robots(origin, exc.reason)
        if 400 <= page.status < 500:
            rules.parse([])  # no robots.txt: no rules, everything allowed
        elif not 200 <= page.status < 300:
            return _unreadable_robots(origin, f"HTTP {page.status}")
        else:
            rules.parse(page.body.decode("utf-8", errors="replace").splitlines())
        return rules


def _unreadable_robots(origin: str, why: str) -> str:
    return f"robots.txt of {origin} could not be read ({why}); not fetching ({_IGNORE_ROBOTS})"


def _pinned(checked: Target, address: str) -> str:
    """The URL with its host replaced by the checked address, so the connection goes where was checked."""
    parts = urlsplit(checked.url)
    host = f"[{address}]" if ":" in address else address
    return urlunsplit((checked.scheme, f"{host}:{checked.port}", parts.path or "/", parts.query, ""))


def _host_headers(checked: Target, headers: Mapping[str, str]) -> dict[str, str]:
    """The request's headers with the real Host (the URL now names an address)."""
    host = f"[{checked.host}]" if ":" in checked.host else checked.host
    default = {"http": 80, "https": 443}[checked.scheme] == checked.port
    return {**headers, "Host": host if default else f"{host}:{checked.port}"}


def _tls_name(checked: Target) -> dict[str, str]:
    """For https to a host name: the name the certificate is checked against (and sent as SNI)."""
    literal = checked.host.replace(".", "").isdigit() or ":" in checked.host
    return {"sni_hostname": checked.host} if checked.scheme == "https" and not literal else {}


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return f" {HTTPStatus(status).phrase}"
    except ValueError:
        return ""
