"""A small news site on a loopback port for fetch tests: article pages, RSS and Atom feeds, and the
broken things the web has (404, a PDF, an oversized page, a redirect loop, a broken feed).

It serves `routes` (path -> Route, editable while it runs), answers conditional requests for routes
with `etag=True`, and logs every request, so a test can say what was fetched and how.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = False  # answer If-None-Match with 304 when the body is unchanged


@dataclass(frozen=True)
class Hit:
    """One request the server saw."""

    path: str
    headers: dict[str, str]
    status: int


class NewsServer:
    """A ThreadingHTTPServer on 127.0.0.1 in a thread, serving `routes`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                server._answer(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return self.base + path

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self._lock:
            return [hit.path for hit in self.hits]

    def pages(self) -> list[str]:
        """The paths requested so far, robots.txt left out."""
        return [path for path in self.paths() if path != "/robots.txt"]

    def clear(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.hits.clear()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        # A query string (tracking parameters) does not change the page, as on most news sites.
        route = self.routes.get(handler.path) or self.routes.get(handler.path.split("?")[0])
        route = route or Route(b"not found", "text/plain", 404)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        tag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
        status = route.status
        if route.etag and headers.get("if-none-match") == tag:
            status = 304
        with self._lock:
            self.hits.append(Hit(handler.path, headers, status))
        handler.send_response(status)
        if status != 304:
            handler.send_header("Content-Type", route.content_type)
            handler.send_header("Content-Length", str(len(route.body)))
        if route.etag:
            handler.send_header("ETag", tag)
        for name, value in route.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if status != 304:
            handler.wfile.write(route.body)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def news_server() -> Iterator[NewsServer]:
    """A running NewsServer, stopped afterwards."""
    server = NewsServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def article_page(title: str, paragraphs: list[str], *, canonical: str | None = None) -> bytes:
    """An article page as news sites write one: headline, outlet, author and date in the markup."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title} | Harbour Times</title><meta property='og:title' content='{title}'>"
        "<meta property='og:site_name' content='Harbour Times'>"
        "<meta name='author' content='Ada Reporter'>"
        f"{link}</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2024 Harbour Times</footer></body></html>"
    ).encode()


def rss_feed(items: list[dict[str, str]], *, title: str = "Harbour Times") -> bytes:
    """An RSS 2.0 feed; each item has `title`, `link`, `date` (RFC 2822) and optionally `summary`,
    `author`, `guid`."""
    entries = "".join(
        "<item>"
        f"<title>{item['title']}</title><link>{item['link']}</link>"
        f"<guid>{item.get('guid', item['link'])}</guid><pubDate>{item['date']}</pubDate>"
        + (f"<author>{item['author']}</author>" if "author" in item else "")
        + (f"<description><![CDATA[{item['summary']}]]></description>" if "summary" in item else "")
        + "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.invalid/</link><description>news</description>"
        f"{entries}</channel></rss>"
    ).encode()


def rfc2822(year: int, month: int, day: int) -> str:
    """A date as RSS writes it."""
    from datetime import UTC, datetime

    return format_datetime(datetime(year, month, day, 9, 30, tzinfo=UTC))
