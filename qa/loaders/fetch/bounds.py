"""What bounds one request of the Fetcher: a watchdog that ends it at its deadline or when cancelled,
and a decoder that unpacks gzip and deflate in bounded steps (and refuses every other encoding)."""

from __future__ import annotations

import contextlib
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from qa.loaders.fetch.urls import FetchError

# Only what is decoded here in bounded steps is asked for: httpx would decode brotli and zstd (when
# their modules are installed) a whole chunk at once, and 1.6 KB of brotli unpacks into gigabytes.
ACCEPT_ENCODING = "gzip, deflate"
_ZLIB_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
DECODE_STEP_BYTES = 64 * 1024  # most bytes one decompression step may give
WATCH_TICK_S = 0.1  # how often a request's watchdog looks at its deadline and the cancel event


class FetchCancelled(FetchError):
    """The fetch was cancelled (`Fetcher.cancel()`, or its cancel event set), from another thread."""


class Watchdog:
    """Ends one request at its deadline, or when cancelled, by shutting its connection down from its own
    thread: httpx's timeout is per read, so a server sending a byte every few seconds would never time
    out, and a read blocked on the socket wakes when the connection is shut down (TLS too)."""

    def __init__(self, seconds: float, clock: Callable[[], float], cancel: threading.Event) -> None:
        self.fired = False
        self._deadline = clock() + seconds
        self._clock = clock
        self._cancel = cancel
        self._connection: _Connection | None = None
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="fetch-watchdog", daemon=True)

    @property
    def expired(self) -> bool:
        """Has it fired, or is its deadline past (for transports without a socket)?"""
        return self.fired or self._clock() > self._deadline

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's trace extension: note the connection once made (shut at once if already fired)."""
        if event == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            connection = _Connection.of(sock) if sock is not None else None
            with self._lock:
                self._connection = connection
                fired = self.fired
            if fired and connection is not None:
                connection.shut()

    def fire(self) -> None:
        """End the request now."""
        with self._lock:
            self.fired = True
            connection = self._connection
        if connection is not None:
            connection.shut()

    def _watch(self) -> None:
        # It polls rather than sleeping to the deadline: a cancel event set by anyone (not only
        # Fetcher.cancel, which fires at once) ends the request within a tick.
        while not self._finished.wait(WATCH_TICK_S):
            if self._cancel.is_set() or self._clock() >= self._deadline:
                self.fire()
                return

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._finished.set()


@dataclass(frozen=True)
class _Connection:
    """A request's TCP connection, by its file descriptor and both ends. TLS takes the descriptor over
    from the plain socket object (which then reads as closed) before its handshake, so the descriptor is
    what reaches the connection in every phase, a dripped handshake included; the ends make sure it
    still is this connection when it is shut."""

    fd: int
    ends: tuple[Any, Any]

    @classmethod
    def of(cls, sock: socket.socket) -> _Connection | None:
        """The connection of a connected socket (None if it is closed already)."""
        try:
            return cls(sock.fileno(), (sock.getsockname(), sock.getpeername()))
        except OSError:
            return None

    def shut(self) -> None:
        """Shut the connection down both ways (a plain TCP shutdown: no TLS goodbye to wait on)."""
        with contextlib.suppress(OSError):  # closed meanwhile, or the descriptor is no socket now
            probe = socket.socket(fileno=self.fd)
            try:
                if (probe.getsockname(), probe.getpeername()) == self.ends:
                    probe.shutdown(socket.SHUT_RDWR)
            finally:
                probe.detach()  # the descriptor stays the connection's: not closed here


class BoundedDecoder:
    """Decodes a body's Content-Encoding (none, gzip or deflate) in steps of at most DECODE_STEP_BYTES,
    so the size cap is checked before a small body can unpack into gigabytes."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in _ZLIB_WBITS):
            raise FetchError(
                f"unsupported content-encoding {content_encoding.strip()} (asked for {ACCEPT_ENCODING})"
            )
        self._coding = codings[0] if codings else None
        self._inflate = zlib.decompressobj(_ZLIB_WBITS[self._coding]) if self._coding else None
        self._started = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of `data`, piece by piece, none longer than DECODE_STEP_BYTES."""
        if self._inflate is None:
            yield data
            return
        while data:
            yield self._step(data)
            data = self._inflate.unconsumed_tail

    def flush(self) -> bytes:
        """What is left once the body has ended (at most a few bytes: all input was consumed)."""
        return self._inflate.flush() if self._inflate is not None else b""

    def _step(self, data: bytes) -> bytes:
        assert self._inflate is not None
        try:
            out = self._inflate.decompress(data, DECODE_STEP_BYTES)
        except zlib.error as exc:
            if self._coding == "deflate" and not self._started:
                # "deflate" is raw deflate on some servers, not zlib's format (httpx allows both too).
                self._started = True
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._step(data)
            raise FetchError(f"the {self._coding} body could not be decoded ({exc})") from None
        self._started = True
        return out
