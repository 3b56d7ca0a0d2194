"""A `chroma run` server as a child process: started over a database directory on a host and port, ready
once it answers its heartbeat, stopped with SIGTERM. Used by `scripts/serve_stack.py` (the server
deployment), by the integration tests' `chroma_server` fixture and by `bench/retrieval_scale.py`.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from qa.errors import StoreError
from qa.ports import cannot_listen

HEARTBEAT_PATH = "/api/v2/heartbeat"
# chroma colours its banner and log lines: noise in an error message.
_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*m")
_PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal a child gets when its parent dies (Linux)


class ChromaServerError(StoreError):
    """The Chroma server could not be started: the message says why, with the end of its log."""


def chroma_executable() -> str:
    """The `chroma` command of this Python's environment (it comes with the chromadb package)."""
    # Beside the interpreter first: the chromadb version that wrote the index is the one this venv runs.
    beside_python = Path(sys.executable).with_name("chroma")
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        raise ChromaServerError("the `chroma` command is not installed: install the chromadb package")
    return found


def connect_host(bind_host: str) -> str:
    """The address a client on this machine uses for a server bound to `bind_host`."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(bind_host, bind_host)


def answers_heartbeat(host: str, port: int, *, timeout_s: float = 2) -> bool:
    """Whether a Chroma server answers its heartbeat at `host:port` now."""
    url_host = f"[{host}]" if ":" in host else host
    try:
        with urllib.request.urlopen(f"http://{url_host}:{port}{HEARTBEAT_PATH}", timeout=timeout_s):
            return True
    except OSError:
        return False


def die_with_parent() -> None:
    """In a child between fork and exec: ask Linux to SIGTERM it when its parent dies, even by SIGKILL,
    so that a killed supervisor leaves no orphan server. Does nothing where prctl is missing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class ChromaServerProcess:
    """One `chroma run` process over `db_path`, its output in `log_path`; `start` again after `stop`
    serves the same database on the same port."""

    def __init__(
        self, db_path: Path, *, host: str, port: int, log_path: Path, stop_with_parent: bool = False
    ) -> None:
        self.db_path, self.host, self.port, self.log_path = db_path, host, port, log_path
        # Only for a single-threaded parent: a pre-exec hook is not safe in a process with threads.
        self.stop_with_parent = stop_with_parent
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def client_host(self) -> str:
        """The address clients on this machine reach the server at."""
        return connect_host(self.host)

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def start(self, *, timeout_s: float = 60, should_abort: Callable[[], bool] = lambda: False) -> None:
        """Start the server and wait until it answers its heartbeat; ChromaServerError (with the end of
        its log) when it exits or stays silent for `timeout_s`. Returns early when `should_abort()`."""
        refusal = cannot_listen(self.host, self.port)
        if refusal is not None:
            raise ChromaServerError(f"the Chroma server cannot listen on {self.host}:{self.port}: {refusal}")
        self.db_path.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [chroma_executable(), "run", "--path", str(self.db_path), "--host", self.host]
        # Offline by default: no usage reports from the server.
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                # Its own session: a Ctrl-C in the terminal reaches the owner, which stops it in order.
                start_new_session=True,
                preexec_fn=die_with_parent if self.stop_with_parent else None,
            )
        deadline = time.monotonic() + timeout_s
        while not answers_heartbeat(self.client_host, self.port):
            if should_abort():
                return
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise ChromaServerError(f"chroma run exited with code {code}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ChromaServerError(
                    f"chroma run did not answer its heartbeat within {timeout_s:.0f}s:\n{self.log_tail()}"
                )
            time.sleep(0.3)
        if self._process.poll() is not None:  # something else took the port between the check and now
            code, self._process = self._process.returncode, None
            raise ChromaServerError(f"chroma run exited with code {code}:\n{self.log_tail()}")

    def exit_code(self) -> int | None:
        """None while the server runs, else its exit code."""
        return None if self._process is None else self._process.poll()

    def stop(self, *, timeout_s: float = 10) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL after `timeout_s`); its exit code, None if not started."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def log_tail(self, chars: int = 2000) -> str:
        """The last `chars` characters of the server's log, without its terminal colour codes."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return _TERMINAL_CODES.sub("", text)[-chars:]
