"""The server deployment as an operator runs it: `scripts/serve_stack.py` starts a real `chroma run` over
a data dir and a real `qa serve` on it, ingests an article first, and stops both on a signal.

Fakes, labelled: the hashing embedder and the fake chat model (`QA_EMBEDDING_BACKEND=fake`,
`QA_LLM_MODE=fake`). These tests are about processes, wiring and signals; the real MiniLM against a
Chroma server is tested in test_store_chroma.py and test_end_to_end.py, and loading it in both the ingest
and the chat would triple the time here on a busy machine. Everything else is the real code.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qa.ports import cannot_listen, free_port
from tests.integration.served import post_json, qa_env, run_qa

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "serve_stack.py"
USER_SUITE_ARTICLES = REPO_ROOT / "tests" / "data" / "user_suite" / "articles.jsonl"
FAKES = {"QA_EMBEDDING_BACKEND": "fake", "QA_LLM_MODE": "fake"}
READY_TIMEOUT_S = 120  # a busy 2-core machine; about 20 s when it is quiet


@dataclass
class RunningStack:
    """The script's process, where its output goes, and the ports it was given."""

    process: subprocess.Popen[bytes]
    output: Path
    web_port: int
    chroma_port: int

    def text(self) -> str:
        """Everything the script and its processes have printed so far."""
        return self.output.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout_s: float = READY_TIMEOUT_S) -> re.Match[str]:
        """The first match of `pattern` in the output, waiting for it; fails if the script exits first."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            if self.process.poll() is not None:
                pytest.fail(f"serve_stack exited {self.process.returncode} first:\n{self.text()[-3000:]}")
            time.sleep(0.3)
        pytest.fail(f"no {pattern!r} within {timeout_s:.0f}s:\n{self.text()[-3000:]}")

    def stop(self, signum: int = signal.SIGTERM, timeout_s: float = 60) -> int:
        """Send `signum` and wait for the script to exit; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=timeout_s)


@contextmanager
def serve_stack(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[RunningStack]:
    """Run the script with the fakes on two free loopback ports; kill what is left afterwards."""
    web_port, chroma_port = _two_free_ports()
    output = tmp_path / f"stack-{web_port}.log"
    command = [sys.executable, str(SCRIPT), "--port", str(web_port), "--chroma-port", str(chroma_port), *args]
    with output.open("wb") as out:
        process = subprocess.Popen(
            command, env={**os.environ, **FAKES, **(env or {})}, stdout=out, stderr=subprocess.STDOUT
        )
    stack = RunningStack(process, output, web_port, chroma_port)
    try:
        yield stack
    finally:
        if process.poll() is None:
            process.kill()  # a failed test: its children get SIGTERM from the kernel (PDEATHSIG)
            process.wait()


def test_the_stack_serves_an_article_from_its_chroma_server_and_sigterm_stops_both(tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    article = tmp_path / "article.jsonl"
    first_record = USER_SUITE_ARTICLES.read_text(encoding="utf-8").splitlines()[0]
    article.write_text(first_record + "\n", encoding="utf-8")
    article_id = json.loads(first_record)["id"]

    started = time.monotonic()
    with serve_stack(tmp_path, "--data-dir", str(volume), "--ingest", str(article)) as stack:
        chroma_pid = int(stack.wait_for(r"Chroma server \(pid (\d+)\)")[1])
        chat_pid = int(stack.wait_for(r"chat \(pid (\d+)\)")[1])
        stack.wait_for(r"stack: ready: chat at ")
        ready_s = time.monotonic() - started
        url = f"http://127.0.0.1:{stack.web_port}/"

        # The chat's HTTP API reads the index on the server, without the LLM: the Articles tab's list.
        library_html = _call_gradio(url, "library", [""])[0]
        assert article_id in library_html
        # The product's own JSON API is up (an empty body is refused before any model runs).
        status, _, reply = post_json(url + "api/ask", b"{}", timeout=30)
        assert status == 400 and "question" in reply["error"]

        # A second shell, wired by hand as docs/DEPLOYMENT.md says, sees the article on the server.
        settings = {"QA_CHROMA_HOST": "127.0.0.1", "QA_CHROMA_PORT": str(stack.chroma_port), **FAKES}
        stats = run_qa(qa_env(volume, **settings), "stats", "--json", timeout=120)
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["articles"] == 1
        assert f"chroma server 127.0.0.1:{stack.chroma_port}" in json.loads(stats.stdout)["store"]

        stop_started = time.monotonic()
        exit_code = stack.stop(signal.SIGTERM)
        stop_s = time.monotonic() - stop_started

    output = stack.text()
    assert exit_code == 0, output[-3000:]
    assert "stack: stopped (chat exit 0, Chroma exit 0)" in output
    assert not _alive(chroma_pid) and not _alive(chat_pid)
    assert cannot_listen("127.0.0.1", stack.web_port) is None
    assert cannot_listen("127.0.0.1", stack.chroma_port) is None
    # The index outlives the processes, in the volume: the server's own database there holds the article.
    assert article_id in _registered_articles(volume / "chroma-server")
    print(f"serve_stack: ready in {ready_s:.1f}s, stopped by SIGTERM in {stop_s:.1f}s")


def test_a_taken_port_is_one_clear_line_and_nothing_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--data-dir", str(tmp_path / "v"), "--chroma-port", str(port)],
            env={**os.environ, **FAKES},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"stack: error: the Chroma server cannot listen on 127.0.0.1:{port}: already in use; "
        "choose another port with --chroma-port"
    )
    assert not (tmp_path / "v").exists()  # refused before anything was created


def test_a_chroma_server_that_fails_to_start_shows_its_log_and_leaves_nothing_running(tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    (volume / "chroma-server").mkdir(parents=True)
    # A database file that is not one: `chroma run` panics at start.
    (volume / "chroma-server" / "chroma.sqlite3").write_bytes(b"not a database " * 100)
    with serve_stack(tmp_path, "--data-dir", str(volume)) as stack:
        exit_code = stack.process.wait(timeout=READY_TIMEOUT_S)
    output = stack.text()
    assert exit_code == 1
    assert "stack: error: chroma run exited with code 1" in output
    assert "file is not a database" in output  # the end of its log, shown
    assert "chat (pid" not in output  # the chat was never started
    assert cannot_listen("127.0.0.1", stack.chroma_port) is None


def test_a_killed_script_leaves_no_orphan_process(tmp_path: Path) -> None:
    with serve_stack(tmp_path, "--data-dir", str(tmp_path / "volume")) as stack:
        chroma_pid = int(stack.wait_for(r"Chroma server \(pid (\d+)\)")[1])
        chat_pid = int(stack.wait_for(r"chat \(pid (\d+)\)")[1])
        assert stack.stop(signal.SIGKILL) == -signal.SIGKILL  # no handler runs: only the kernel is left
    # The kernel sends each child SIGTERM when its parent dies (prctl PDEATHSIG).
    deadline = time.monotonic() + 30
    while (_alive(chroma_pid) or _alive(chat_pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    orphans = [pid for pid in (chroma_pid, chat_pid) if _alive(pid)]
    for pid in orphans:  # not left running after a failure
        os.kill(pid, signal.SIGKILL)
    assert orphans == []


def _two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def _alive(pid: int) -> bool:
    """Whether `pid` is a process that has not finished (a zombie has finished)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _call_gradio(url: str, endpoint: str, data: list[Any]) -> list[Any]:
    """Call one of the page's Gradio endpoints over HTTP, as gradio_client does: post, then read the
    event stream for the result."""
    status, _, started = post_json(f"{url}gradio_api/call/{endpoint}", {"data": data}, timeout=30)
    assert status == 200, started
    with urllib.request.urlopen(f"{url}gradio_api/call/{endpoint}/{started['event_id']}", timeout=60) as got:
        stream = got.read().decode("utf-8")
    event = stream.split("event: complete", 1)
    assert len(event) == 2, stream[-2000:]
    return list(json.loads(event[1].split("data:", 1)[1].strip().splitlines()[0]))


def _registered_articles(chroma_db: Path) -> list[str]:
    """The article ids in the registry collections of a Chroma database directory, read directly."""
    import chromadb

    client = chromadb.PersistentClient(
        path=str(chroma_db), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    ids: list[str] = []
    for collection in client.list_collections():
        if collection.name.endswith("-articles"):  # the store's article registry beside its chunks
            ids.extend(client.get_collection(collection.name).get()["ids"])
    return ids
