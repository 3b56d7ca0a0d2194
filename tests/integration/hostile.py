"""Hostile peers for the web app: a site on a loopback port that answers every GET with a status line,
then drips one header byte at a time, slowly, for as long as it runs (a fetch of it never ends on its
own); and a client that posts a huge body while the server's memory is watched."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class DrippingServer:
    """A ThreadingHTTPServer on 127.0.0.1 that drips its headers, one byte every `every_s` seconds."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.requested = threading.Event()  # set by the first GET: a fetch is under way
        self.hung_up = threading.Event()  # set when a fetcher closed its connection (gave up, cancelled)
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                server.requested.set()
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                    while not server.stop.wait(every_s):
                        self.wfile.write(b"a")
                        self.wfile.flush()
                except OSError:  # the fetcher gave up: fine
                    server.hung_up.set()
                    return

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/feed.xml"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)


@contextmanager
def dripping_server(every_s: float = 0.5) -> Iterator[DrippingServer]:
    """A running `DrippingServer`, stopped (and its drips ended) afterwards."""
    server = DrippingServer(every_s)
    server._thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server._httpd.shutdown()
        server._httpd.server_close()


def peak_rss_growth_kib(pid: int, send: Callable[[], T]) -> tuple[T, int, int]:
    """(what `send` returned, the process's peak RSS while it ran, how far that rose above the start),
    RSS in KiB, sampled every 20 ms from /proc."""
    before = peak = rss_kib(pid)
    with ThreadPoolExecutor(max_workers=1) as pool:
        sending = pool.submit(send)
        while not sending.done():
            peak = max(peak, rss_kib(pid))
            time.sleep(0.02)
        return sending.result(), peak, peak - before


def rss_kib(pid: int) -> int:
    """The resident memory of process `pid` now, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def post_huge_body(port: int, path: str, size: int, headers: Mapping[str, str], *, chunked: bool) -> int:
    """POST `size` bytes to `path`, 1 MB at a time, with a Content-Length or chunked (no length), until
    the server answers; returns its status (a server that reads it all answers after the last byte)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.putrequest("POST", path)
    for name, value in {"Content-Type": "application/json", **headers}.items():
        conn.putheader(name, value)
    if chunked:
        conn.putheader("Transfer-Encoding", "chunked")
    else:
        conn.putheader("Content-Length", str(size))
    conn.endheaders()
    piece = b" " * 1_000_000
    framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    pieces = [framed] * (size // len(piece)) + ([b"0\r\n\r\n"] if chunked else [])
    assert conn.sock is not None
    try:
        return _send_until_answered(conn.sock, pieces)
    finally:
        conn.close()


def _send_until_answered(sock: socket.socket, pieces: list[bytes]) -> int:
    def send() -> None:
        try:
            for piece in pieces:
                sock.sendall(piece)
        except OSError:  # the server answered and closed: sending more is pointless
            return

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    status_line = sock.makefile("rb").readline()  # the server may answer before the body is sent
    sock.shutdown(socket.SHUT_RDWR)
    sender.join(60)
    return int(status_line.split()[1])
