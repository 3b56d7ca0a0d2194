"""The one way the product fetches from the web: polite, bounded, and never into the server's own network.

Every request goes through `Fetcher.get`: http(s) only; each hop of a redirect checked again (scheme,
every resolved address) and connected to the address that was checked; a clear User-Agent; one
deadline for the whole fetch, redirects included, from connecting to the last byte (a watchdog shuts
the socket down, so a server dripping its headers a byte at a time cannot hold a fetch); a size cap
counted on the decoded body as it streams in, decoded in bounded steps (only gzip and deflate are
asked for: a 1 KB brotli or zstd bomb cannot unpack into gigabytes); a delay between two requests to
one host; robots.txt, fetched the same way and kept per site; conditional requests (ETag,
Last-Modified), so an unchanged page costs a 304; and `Fetcher.cancel()`, from any thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from qa.loaders.fetch.bounds import ACCEPT_ENCODING, BoundedDecoder, FetchCancelled, Watchdog
from qa.loaders.fetch.config import FetchConfig
from qa.loaders.fetch.urls import FetchError, Resolver, Target, resolve, target

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchCancelled", "FetchError", "Fetcher", "Page"]

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
        config: FetchConfig,
        *,
        resolver: Resolver = resolve,
        sleep: Callable[[float], object] | None = None,  # default: wait, unless cancelled meanwhile
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,  # tests: httpx.MockTransport
        cancel: threading.Event | None = None,  # set from any thread: the same as calling cancel()
    ) -> None:
        import httpx

        self.config = config
        self._resolver = resolver
        self._cancelled = cancel if cancel is not None else threading.Event()
        self._sleep = sleep if sleep is not None else self._cancelled.wait
        self._clock = clock
        self._client = httpx.Client(
            timeout=httpx.Timeout(config.fetch_timeout_s),
            follow_redirects=False,  # each hop is checked here
            trust_env=False,  # no proxy from the environment: the address checks must be the real ones
            # No connection reuse: a connection verified for one host name is never used for another.
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={
                "User-Agent": config.fetch_user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            transport=transport,
        )
        self._robots: dict[str, RobotFileParser | str] = {}  # per site: the rules, or why none may be read
        self._last_request: dict[str, float] = {}  # per host: when the last request ended
        self._in_flight: Watchdog | None = None

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Page:
        """The page at `url` (a 304 when the validators still hold); FetchError says why there is none."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        page = self._follow(
            url, headers, robots=self.config.fetch_respect_robots, max_bytes=self.config.fetch_max_bytes
        )
        if page.status == 304 and headers:
            return page
        if not 200 <= page.status < 300:
            raise FetchError(f"HTTP {page.status}" + _phrase(page.status))
        return page

    def cancel(self) -> None:
        """Stop fetching, from any thread: the request in flight ends now (FetchCancelled), and so does
        every later `get`."""
        self._cancelled.set()
        watchdog = self._in_flight
        if watchdog is not None:
            watchdog.fire()

    @property
    def cancelled(self) -> bool:
        """Has `cancel()` been called?"""
        return self._cancelled.is_set()

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _follow(
        self, url: str, headers: Mapping[str, str], *, robots: bool, max_bytes: int, what: str = "page"
    ) -> Page:
        """Request `url`, following up to MAX_REDIRECTS redirects, each hop checked like the first; all
        hops share one time budget (robots.txt has its own)."""
        hops = [url]
        budget = _Budget(self.config.fetch_timeout_s)
        for _ in range(MAX_REDIRECTS + 1):
            checked = target(url, allow_private=self.config.fetch_allow_private, resolver=self._resolver)
            if robots:
                self._check_robots(checked)
            page, location = self._request(checked, headers, max_bytes, what, budget)
            if location is None:
                return page
            url = urljoin(url, location)
            if url in hops:
                raise FetchError("redirect loop: " + " -> ".join([*hops[hops.index(url) :], url]))
            hops.append(url)
        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")

    def _request(
        self, checked: Target, headers: Mapping[str, str], max_bytes: int, what: str, budget: _Budget
    ) -> tuple[Page, str | None]:
        """One GET to the checked addresses of `checked`, in order, within what is left of `budget`;
        the page, and where it redirects."""
        self._wait_turn(checked.host)
        started = self._clock()
        try:
            return self._request_within(checked, headers, max_bytes, what, budget.left)
        finally:
            budget.left -= self._clock() - started  # the politeness wait before it does not count
            self._last_request[checked.host] = self._clock()

    def _request_within(
        self, checked: Target, headers: Mapping[str, str], max_bytes: int, what: str, seconds: float
    ) -> tuple[Page, str | None]:
        import httpx

        if self.cancelled:
            raise FetchCancelled("cancelled")
        if seconds <= 0:
            raise FetchError(self._timed_out())
        failure: Exception | None = None
        with self._watchdog(seconds) as watchdog:
            try:
                for address in checked.addresses:
                    try:
                        with self._client.stream(
                            "GET", _pinned(checked, address), headers=_host_headers(checked, headers),
                            extensions={**_tls_name(checked), "trace": watchdog.trace},
                            timeout=httpx.Timeout(seconds),  # connecting, too, within what is left
                        ) as response:  # fmt: skip
                            result = self._read(checked, response, max_bytes, what, watchdog)
                        if watchdog.fired:  # a body cut short by the watchdog is no body
                            raise self._stopped()
                        return result
                    except httpx.ConnectError as exc:
                        failure = exc  # try the host's next address
                        if watchdog.fired:
                            raise self._stopped() from None
            except httpx.TimeoutException:
                raise self._stopped() from None
            except httpx.HTTPError as exc:
                if watchdog.fired:  # the watchdog shut the socket: that is why the read failed
                    raise self._stopped() from None
                raise FetchError(f"fetch failed ({type(exc).__name__}: {exc})") from None
        raise FetchError(f"could not connect to {checked.host} ({failure})")

    def _watchdog(self, seconds: float) -> Watchdog:
        """A watchdog for the request about to start, which `cancel()` can trip."""
        watchdog = Watchdog(seconds, self._clock, self._cancelled)
        self._in_flight = watchdog
        if self.cancelled:  # cancelled between the check and now: trip it at once
            watchdog.fire()
        return watchdog

    def _read(
        self, checked: Target, response: httpx.Response, max_bytes: int, what: str, watchdog: Watchdog
    ) -> tuple[Page, str | None]:
        """The response as a Page, its body decoded and read up to `max_bytes` before the deadline."""
        location = response.headers.get("location")
        if response.status_code in _REDIRECTS and location:
            return Page(checked.url, response.status_code, "", b""), location
        too_big = f"{what} larger than {max_bytes:,} bytes (QA_FETCH_MAX_BYTES)"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(too_big)
        body = b""
        if 200 <= response.status_code < 300:
            decoder = BoundedDecoder(response.headers.get("content-encoding", ""))
            body = self._read_body(response, decoder, max_bytes, too_big, watchdog)
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        page = Page(
            url=checked.url,
            status=response.status_code,
            content_type=media_type,
            body=body,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )
        return page, None

    def _read_body(
        self,
        response: httpx.Response,
        decoder: BoundedDecoder,
        max_bytes: int,
        too_big: str,
        watchdog: Watchdog,
    ) -> bytes:
        """The decoded body: decoded bytes are counted as they come (a small gzip body cannot unpack
        into gigabytes), and so are the bytes received (trailing junk after a gzip stream)."""
        body = bytearray()
        received = 0
        for raw in response.iter_raw():
            received += len(raw)
            if received > max_bytes:
                raise FetchError(too_big)
            for piece in decoder.decode(raw):
                body += piece
                if len(body) > max_bytes:
                    raise FetchError(too_big)
            if watchdog.expired:
                raise self._stopped()
        body += decoder.flush()
        if len(body) > max_bytes:
            raise FetchError(too_big)
        return bytes(body)

    def _stopped(self) -> FetchError:
        """Why a request was ended early: cancelled, or out of time."""
        return FetchCancelled("cancelled") if self.cancelled else FetchError(self._timed_out())

    def _timed_out(self) -> str:
        return f"timed out after {self.config.fetch_timeout_s:g}s (QA_FETCH_TIMEOUT_S)"

    def _wait_turn(self, host: str) -> None:
        """Sleep until `fetch_host_delay_s` has passed since the last request to `host` ended."""
        last = self._last_request.get(host)
        if last is not None:
            remaining = self.config.fetch_host_delay_s - (self._clock() - last)
            if remaining > 0:
                self._sleep(remaining)

    def _check_robots(self, checked: Target) -> None:
        rules = self._robots.get(checked.origin)
        if rules is None:
            rules = self._robots[checked.origin] = self._read_robots(checked.origin)
        if isinstance(rules, str):
            raise FetchError(rules)
        if not rules.can_fetch(self.config.fetch_user_agent, checked.url):
            raise FetchError(f"disallowed by robots.txt of {checked.origin} ({_IGNORE_ROBOTS})")

    def _read_robots(self, origin: str) -> RobotFileParser | str:
        """The site's rules; no robots.txt (4xx) allows everything, an unreadable one (5xx, network)
        nothing (RFC 9309): the reason is returned instead."""
        rules = RobotFileParser()
        try:
            page = self._follow(
                origin + "/robots.txt", {}, robots=False, max_bytes=ROBOTS_MAX_BYTES, what="robots.txt"
            )
        except FetchCancelled:
            raise
        except FetchError as exc:
            return _unreadable_robots(origin, exc.reason)
        if 400 <= page.status < 500:
            rules.parse([])  # no robots.txt: no rules, everything allowed
        elif not 200 <= page.status < 300:
            return _unreadable_robots(origin, f"HTTP {page.status}")
        else:
            rules.parse(page.body.decode("utf-8", errors="replace").splitlines())
        return rules


@dataclass
class _Budget:
    """The seconds one fetch has left for its requests (its redirects share them)."""

    left: float


def _unreadable_robots(origin: str, why: str) -> str:
    return f"robots.txt of {origin} could not be read ({why}); not fetching ({_IGNORE_ROBOTS})"


def _pinned(checked: Target, address: str) -> str:
    """The URL with its host replaced by the checked address, so the connection goes where was checked."""
    parts = urlsplit(checked.url)
    host = f"[{address}]" if ":" in address else address
    return urlunsplit((checked.scheme, f"{host}:{checked.port}", parts.path or "/", parts.query, ""))


def _host_headers(checked: Target, headers: Mapping[str, str]) -> dict[str, str]:
    """The request's headers with the real Host (the URL now names an address)."""
    return {**headers, "Host": checked.netloc}


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
