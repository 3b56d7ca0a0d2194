"""A hostile web server on a loopback port, for fetch tests and bench/hostile_fetch.py: headers or a
body dripped a byte at a time, compression bombs, slow redirect chains.

It speaks HTTP/1.1 by hand on raw sockets (http.server would buffer and finish what a test wants left
hanging). Each path maps to a `Reply` that writes to the client's socket; every drip ends when the
client hangs up, after `max_drip_s`, or when the server stops.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Reply = Callable[[socket.socket, threading.Event], None]


class HostileServer:
    """A threading TCP server on 127.0.0.1 answering GETs by path with `routes`; 404 otherwise."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls  # serve https with this context (its certificate and key loaded)
        self.routes: dict[str, Reply] = {}
        self.on_connect: Reply | None = None  # answers every connection before any request is read
        self.requests: list[tuple[str, float]] = []  # path, and when it was asked for (monotonic)
        self.stopping = threading.Event()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server._answer(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._tcp.daemon_threads = True
        self.port = int(self._tcp.server_address[1])
        self._thread = threading.Thread(target=self._tcp.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def _answer(self, sock: socket.socket) -> None:
        if self.on_connect is not None:
            with contextlib.suppress(OSError):
                self.on_connect(sock, self.stopping)
            return
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except OSError:
                return  # the client gave up during the handshake
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            data = sock.recv(4096)
            if not data:
                return
            head += data
        path = head.split(b" ", 2)[1].decode("latin-1") if head.count(b" ") >= 2 else "/"
        self.requests.append((path, time.monotonic()))
        reply = self.routes.get(path, respond(404, b"not found", "text/plain"))
        with contextlib.suppress(OSError):  # the client hung up: what a timeout looks like from here
            reply(sock, self.stopping)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """End every drip, stop serving and close the socket."""
        self.stopping.set()
        self._tcp.shutdown()
        self._tcp.server_close()


@contextmanager
def hostile_server(tls: ssl.SSLContext | None = None) -> Iterator[HostileServer]:
    """A running HostileServer (https with `tls`), stopped afterwards."""
    server = HostileServer(tls)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(status: int, body: bytes, content_type: str = "text/html", **headers: str) -> Reply:
    """A plain response, sent at once."""
    fields = {"Content-Type": content_type, "Content-Length": str(len(body)), **headers}
    return lambda sock, stopping: sock.sendall(_head(status, fields) + body)


def _drip(sock: socket.socket, data: bytes, every_s: float, stopping: threading.Event, max_s: float) -> None:
    ends = time.monotonic() + max_s
    for byte in data:
        if stopping.wait(every_s) or time.monotonic() > ends:
            return
        sock.sendall(bytes([byte]))


def drip_headers(every_s: float = 1.0, max_drip_s: float = 20.0) -> Reply:
    """The status line at once, then header bytes one every `every_s` seconds: never a whole head."""
    junk = "".join(f"X-Slow-{n}: {'z' * 40}\r\n" for n in range(1000)).encode()

    def reply(sock: socket.socket, stopping: threading.Event) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\n")
        _drip(sock, junk, every_s, stopping, max_drip_s)

    return reply


def drip_body(every_s: float = 1.0, max_drip_s: float = 20.0) -> Reply:
    """Headers at once (an HTML page of 1 MB), then the body one byte every `every_s` seconds."""
    size = 1_000_000
    head = _head(200, {"Content-Type": "text/html", "Content-Length": str(size)})

    def reply(sock: socket.socket, stopping: threading.Event) -> None:
        sock.sendall(head)
        _drip(sock, b"p" * size, every_s, stopping, max_drip_s)

    return reply


def drip_tls_handshake(every_s: float = 1.0, max_drip_s: float = 20.0) -> Reply:
    """The start of a TLS handshake record (16 KB announced), then its bytes one every `every_s` seconds:
    a client waits for the whole record before the handshake can go on."""

    def reply(sock: socket.socket, stopping: threading.Event) -> None:
        sock.sendall(b"\x16\x03\x03\x40\x00")  # handshake record, TLS 1.2, 16,384 bytes to come
        _drip(sock, bytes(16384), every_s, stopping, max_drip_s)

    return reply


def slow_redirect(location: str, head_s: float) -> Reply:
    """A redirect whose head takes `head_s` seconds to arrive (a byte at a time, each within the
    per-read timeout of a client that only times single reads)."""
    head = _head(302, {"Location": location, "Content-Length": "0"})
    return lambda sock, stopping: _drip(sock, head, head_s / len(head), stopping, head_s + 5)


def _zeros_through(megabytes: int, compress: Callable[[bytes], bytes], finish: Callable[[], bytes]) -> bytes:
    """`megabytes` MiB of zeros through a streaming compressor, a MiB at a time."""
    block = bytes(1 << 20)
    return b"".join(compress(block) for _ in range(megabytes)) + finish()


def gzip_bomb(megabytes: int) -> bytes:
    """`megabytes` MiB of zeros, gzipped (about 1 KB per MiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return _zeros_through(megabytes, compressor.compress, compressor.flush)


def brotli_bomb(megabytes: int) -> bytes | None:
    """`megabytes` MiB of zeros as brotli; None without the brotli module."""
    try:
        import brotli
    except ImportError:
        return None
    compressor = brotli.Compressor(quality=5)
    return _zeros_through(megabytes, compressor.process, compressor.finish)


def zstd_bomb(megabytes: int) -> bytes | None:
    """`megabytes` MiB of zeros as zstd; None without the zstandard module."""
    try:
        import zstandard
    except ImportError:
        return None
    compressor = zstandard.ZstdCompressor(level=19).compressobj()
    return _zeros_through(megabytes, compressor.compress, compressor.flush)


def encoded_page(body: bytes, encoding: str) -> Reply:
    """An HTML page sent with this Content-Encoding."""
    return respond(200, body, "text/html", **{"Content-Encoding": encoding})
