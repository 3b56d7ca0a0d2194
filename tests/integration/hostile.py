"""A hostile web server on a loopback port: it answers every GET with a status line, then drips one
header byte at a time, slowly, for as long as it runs. A fetch of it never ends on its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class DrippingServer:
    """A ThreadingHTTPServer on 127.0.0.1 that drips its headers, one byte every `every_s` seconds."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.requested = threading.Event()  # set by the first GET: a fetch is under way
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
