"""A real `qa serve` process on a free loopback port, for tests that need the app as a user runs it:
another process (`qa ingest`) beside it, hostile clients, requests that must not stall other requests.

`served_app(data_dir, **env)` starts `python -m qa serve` with `QA_*` settings from `env` (the FAKE chat
model unless a test says otherwise: `QA_LLM_MODE=fake`), waits until the page answers, and stops the
process afterwards. `post_json` sends one request to the running app and returns (status, headers, JSON).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.ports import free_port

START_TIMEOUT_S = 180  # the embedding model loads before the app listens; a busy 2-core box is slow


@dataclass
class ServedApp:
    """A running `qa serve` process, its URL, and the environment its sibling commands should use."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path

    def qa(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run another `qa` command on the same data dir and collection (a second shell, as a user would)."""
        return run_qa(self.env, *args, timeout=timeout)

    def rss_kib(self) -> int:
        """The server process's resident memory now, in KiB (from /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def qa_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of `qa` commands on `data_dir`: the FAKE chat model unless `QA_LLM_MODE` is given."""
    return {**os.environ, "QA_DATA_DIR": str(data_dir), "QA_LLM_MODE": "fake", **settings}


def run_qa(env: Mapping[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m qa ARGS` in `env`, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def basic_auth(user: str, password: str) -> dict[str, str]:
    """The Authorization header of HTTP Basic credentials."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def post_json(
    url: str,
    body: bytes | Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    *,
    timeout: float = 120,
) -> tuple[int, dict[str, str], Any]:
    """POST `body` (bytes as they are, else as JSON) to `url`: (status, headers, decoded JSON or text)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, got, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        status, got, raw = err.code, dict(err.headers), err.read()
    try:
        return status, got, json.loads(raw)
    except ValueError:
        return status, got, raw.decode("utf-8", errors="replace")


@contextmanager
def served_app(data_dir: Path, **settings: str) -> Iterator[ServedApp]:
    """`qa serve` on a free loopback port over `data_dir`; `settings` are `QA_*` variables (fake LLM
    unless `QA_LLM_MODE` is given)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = qa_env(data_dir, QA_WEB_PORT=str(port), **settings)
    log = data_dir.parent / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "qa", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    app = ServedApp(f"http://127.0.0.1:{port}/", port, process, env, log)
    try:
        _wait_until_listening(app)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(app: ServedApp) -> None:
    """Until the page and the JSON API both answer: `/api/ask` is added just after Gradio starts
    listening, so a request in between would get Gradio's 404."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise AssertionError(f"qa serve exited {app.process.returncode}: {app.log.read_text()[-3000:]}")
        try:
            status, _, _ = post_json(app.url + "api/ask", b"{}", timeout=5)
        except OSError:
            status = 0  # not listening yet
        if status not in (0, 404):
            return  # the API answers (a 400 for the empty question, or a login wall)
        time.sleep(0.5)
    raise AssertionError(f"qa serve did not listen within {START_TIMEOUT_S}s: {app.log.read_text()[-3000:]}")
