"""Real services for integration tests: a `chroma run` server on a free loopback port."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.ports import free_port


def _chroma_executable() -> str:
    beside_python = Path(sys.executable).with_name("chroma")
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the `chroma` command (package chromadb) is not installed")
    return found


class ChromaServer:
    """A real `chroma run` process on a loopback port, over one database directory; stop and start it
    again (same directory, same port) to test what clients do while it is away."""

    def __init__(self, path: Path, port: int) -> None:
        self.host, self.port, self.path = "127.0.0.1", port, path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers its heartbeat."""
        log = (self.path / "server.log").open("ab")
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        command = [_chroma_executable(), "run", "--path", str(self.path / "db"), "--host", self.host]
        self._process = subprocess.Popen(
            [*command, "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        log.close()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://{self.host}:{self.port}/api/v2/heartbeat", timeout=2):
                    return
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self._process.kill()
                    pytest.fail(
                        f"chroma server did not start: {(self.path / 'server.log').read_text()[-2000:]}"
                    )
                time.sleep(0.3)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process = None


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """Start the real Chroma server (`chroma run`) and yield its (host, port); stop it afterwards."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"), free_port())
    server.start()
    try:
        yield server.host, server.port
    finally:
        server.stop()
