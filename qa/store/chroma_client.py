"""The Chroma client the stores of one database share, and what happens when its server is away."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import httpx

from qa.errors import StoreError

# What a Chroma client raises when its server is not there: connection errors from httpx, and the
# ValueError HttpClient raises when its first heartbeat fails.
UNREACHABLE: tuple[type[Exception], ...] = (httpx.TransportError, ConnectionError, ValueError)


def unreachable(location: str, err: Exception) -> StoreError:
    """The one clear error for a Chroma server that does not answer."""
    return StoreError(
        f"cannot reach the {location} ({err}); start it again (`chroma run --path DIR --port PORT`) and "
        "retry: nothing needs restarting here. Or unset QA_CHROMA_HOST to use the embedded database."
    )


def _lost_server(embedded: bool, err: Exception) -> bool:
    # A ValueError from anywhere else, or any error of the embedded database, is not a lost server.
    return not embedded and (not isinstance(err, ValueError) or "connect" in str(err).lower())


def server_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a lost server into a StoreError for this call; the next call tries the server again."""

    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def iterate(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                yield from method(self, *args, **kwargs)
            except UNREACHABLE as err:
                if not _lost_server(self._client.embedded, err):
                    raise
                raise unreachable(self.location, err) from err

        return iterate

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as err:
            if not _lost_server(self._client.embedded, err):
                raise
            raise unreachable(self.location, err) from err

    return call


class ChromaClient:
    """The Chroma client the stores of one database share. An embedded one can be reopened: it keeps
    its vector index in memory and does not see what another process (`qa ingest` beside a running
    `qa serve`) writes to the same files until then."""

    def __init__(self, make: Callable[[], Any], *, embedded: bool, location: str = "chroma") -> None:
        self._make = make
        self.embedded = embedded
        self.location = location
        try:
            self.api: Any = make()
        except UNREACHABLE as err:
            if not _lost_server(embedded, err):
                raise
            raise unreachable(location, err) from err
        self.opened = 1  # counts (re)openings, so each store knows when its collections are stale

    def reopen(self) -> None:
        """Drop the cached database (its in-memory vector index) and open it again from disk."""
        self.api.clear_system_cache()
        self.api = self._make()
        self.opened += 1
