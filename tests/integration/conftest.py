"""Real services for integration tests: a `chroma run` server on a free loopback port, Debian's Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from qa.ports import free_port
from qa.store.chroma_server import ChromaServerError, ChromaServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser


class ChromaServer:
    """A real `chroma run` process on a loopback port, over one database directory; stop and start it
    again (same directory, same port) to test what clients do while it is away."""

    def __init__(self, path: Path, port: int) -> None:
        self.host, self.port, self.path = "127.0.0.1", port, path
        self._server = ChromaServerProcess(
            path / "db", host=self.host, port=port, log_path=path / "server.log"
        )

    def start(self) -> None:
        """Start the server and wait until it answers its heartbeat."""
        try:
            self._server.start()
        except ChromaServerError as exc:
            pytest.fail(f"chroma server did not start: {exc}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        self._server.stop()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """Start the real Chroma server (`chroma run`) and yield its (host, port); stop it afterwards."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"), free_port())
    server.start()
    try:
        yield server.host, server.port
    finally:
        server.stop()


# Debian's chromium, where scripts/install_chromium.sh looks for it too: the first `chromium` on PATH.
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; the browser tests skip without it (test.sh installs it if it can)."""
    if CHROMIUM is None:
        pytest.skip(
            "no chromium on PATH: the browser tests need Debian's chromium, "
            "sudo apt-get install --no-install-recommends chromium "
            "(scripts/test.sh installs it when run as root or with sudo)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
