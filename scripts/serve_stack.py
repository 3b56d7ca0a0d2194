"""Run newsdesk-qa as a server with one command: a `chroma run` server over DATA_DIR/chroma-server, then
the web chat (`qa serve`) pointed at it; Ctrl-C or SIGTERM stops both, the chat first.

    .venv/bin/python scripts/serve_stack.py [--data-dir DIR] [--host H] [--port P]
        [--chroma-host H] [--chroma-port P] [--ingest PATH_OR_URL ...]

1. Checks that both ports are free (a taken port is one clear line, before anything starts).
2. Starts `chroma run --path DATA_DIR/chroma-server` (its output in DATA_DIR/chroma-server.log) and waits
   for its heartbeat; if it exits or stays silent, prints the end of its log and exits 1.
3. With `--ingest`, runs `qa ingest PATH…` against the server (exit 0, or 3 when some files were
   rejected, go on; anything else stops the stack).
4. Starts `qa serve` with QA_CHROMA_HOST/QA_CHROMA_PORT/QA_DATA_DIR/QA_WEB_HOST/QA_WEB_PORT set, every
   other QA_* setting (login, LLM, collection) taken from the environment or `.env` as usual, and prints
   one "ready" line when the chat answers HTTP.
5. Watches both: on SIGINT/SIGTERM it stops the chat (SIGINT, as Ctrl-C would) and then the Chroma server
   (SIGTERM) and exits 0; if either dies on its own, it stops the other and exits 1. The children die
   with this script even if it is killed (SIGKILL): Linux sends them SIGTERM (prctl PDEATHSIG).

Defaults come from the product's settings: --data-dir QA_DATA_DIR (`data`), --host QA_WEB_HOST
(127.0.0.1), --port QA_WEB_PORT (7860), --chroma-port QA_CHROMA_PORT (8000); --chroma-host is
127.0.0.1, so the index (Chroma has no login here) is reachable from this machine only. docs/DEPLOYMENT.md
describes the deployment; tests/integration/test_serve_stack.py runs this script.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from qa.errors import UserError  # noqa: E402
from qa.ports import PORT_IN_USE, cannot_listen  # noqa: E402
from qa.store.chroma_server import ChromaServerProcess, connect_host, die_with_parent  # noqa: E402

CHAT_STOP_TIMEOUT_S = 30  # the chat closes its server and the local LLM; then it is killed
POLL_S = 0.3
INGEST_EXIT_OK = (0, 3)  # 3: some files were rejected (reported), the rest is indexed


class StackError(UserError):
    """The stack could not start or lost one of its processes; the message says which and why."""


@dataclass(frozen=True)
class StackPlan:
    """Where each process listens and keeps its data."""

    data_dir: Path
    web_host: str
    web_port: int
    chroma_host: str
    chroma_port: int
    ingest: tuple[str, ...]

    @property
    def chroma_db(self) -> Path:
        """The Chroma server's database: its own folder, so an embedded `qa` on this data dir (one that
        forgot QA_CHROMA_HOST) opens an empty index of its own, never the server's files."""
        return self.data_dir / "chroma-server"

    @property
    def chroma_log(self) -> Path:
        """The Chroma server's output."""
        return self.data_dir / "chroma-server.log"

    @property
    def chat_url(self) -> str:
        """Where a browser on this machine opens the chat."""
        return f"http://{_url_host(connect_host(self.web_host))}:{self.web_port}/"

    def qa_environment(self) -> dict[str, str]:
        """The environment of the `qa` commands: this environment, wired to the stack's server."""
        python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        return {
            **os.environ,
            # The children run this checkout's code, whatever the working directory.
            "PYTHONPATH": python_path,
            "PYTHONUNBUFFERED": "1",
            "QA_STORE_BACKEND": "chroma",
            "QA_DATA_DIR": str(self.data_dir),
            "QA_CHROMA_HOST": connect_host(self.chroma_host),
            "QA_CHROMA_PORT": str(self.chroma_port),
            "QA_CHROMA_SSL": "false",
            "QA_WEB_HOST": self.web_host,
            "QA_WEB_PORT": str(self.web_port),
        }


class StopRequest:
    """Records SIGINT/SIGTERM instead of dying at once, so that the processes stop in order."""

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def install(self) -> None:
        """Catch SIGINT and SIGTERM from now on."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._record)

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name

    def requested(self) -> bool:
        """Whether a stop signal has arrived."""
        return self.signal_name is not None


def build_parser() -> argparse.ArgumentParser:
    """The command line; defaults are filled from the product's settings in `plan_from_args`."""
    parser = argparse.ArgumentParser(
        description="Start a Chroma server and the web chat on it; Ctrl-C or SIGTERM stops both."
    )
    parser.add_argument("--data-dir", type=Path, help="the volume: index, logs, feedback (QA_DATA_DIR)")
    parser.add_argument("--host", help="chat bind address (QA_WEB_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="chat port (QA_WEB_PORT, 7860)")
    parser.add_argument("--chroma-host", default="127.0.0.1", help="Chroma bind address (127.0.0.1)")
    parser.add_argument("--chroma-port", type=int, help="Chroma port (QA_CHROMA_PORT, 8000)")
    parser.add_argument(
        "--ingest",
        nargs="+",
        action="extend",
        default=[],
        metavar="PATH_OR_URL",
        help="run `qa ingest` on these before the chat starts",
    )
    return parser


def plan_from_args(args: argparse.Namespace) -> StackPlan:
    """Flags first, then the product's settings (environment and .env), then their defaults."""
    from qa.settings import Settings

    settings = Settings()  # type: ignore[call-arg]  # pydantic-settings fills the fields
    return StackPlan(
        data_dir=(args.data_dir or settings.data_dir).resolve(),
        web_host=args.host or settings.web_host,
        web_port=args.port or settings.web_port,
        chroma_host=args.chroma_host,
        chroma_port=args.chroma_port or settings.chroma_port,
        ingest=tuple(args.ingest),
    )


def check_ports(plan: StackPlan) -> None:
    """StackError naming the first port that is taken, before anything starts."""
    if plan.web_port == plan.chroma_port:
        raise StackError(f"the chat and Chroma cannot share port {plan.web_port}: change one of them")
    for what, host, port, flags in (
        ("Chroma server", plan.chroma_host, plan.chroma_port, ("--chroma-host", "--chroma-port")),
        ("chat", plan.web_host, plan.web_port, ("--host", "--port")),
    ):
        refusal = cannot_listen(host, port)
        if refusal is not None:
            # A port in use wants another port; any other refusal is about the address.
            fix = f"choose another port with {flags[1]}" if refusal == PORT_IN_USE else f"check {flags[0]}"
            raise StackError(f"the {what} cannot listen on {host}:{port}: {refusal}; {fix}")


def start_child(command: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child process sharing this terminal's output, stopped by this script (not by the terminal's
    Ctrl-C, which reaches this script only) and sent SIGTERM if this script dies."""
    return subprocess.Popen(
        list(command), env=env, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent
    )


def stop_child(process: subprocess.Popen[bytes] | None, *, timeout_s: float) -> int | None:
    """SIGINT (the chat and `qa ingest` end cleanly on it), SIGKILL after `timeout_s`; the exit code."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        say(f"process {process.pid} ignored SIGINT for {timeout_s:.0f}s: killing it")
        process.kill()
        return process.wait()


def run_ingest(plan: StackPlan, env: dict[str, str], stop: StopRequest) -> None:
    """`qa ingest` the plan's paths against the server; StackError when nothing useful went in."""
    ingest = start_child([sys.executable, "-m", "qa", "ingest", *plan.ingest], env)
    while ingest.poll() is None:
        if stop.requested():
            stop_child(ingest, timeout_s=CHAT_STOP_TIMEOUT_S)
            return
        time.sleep(POLL_S)
    if ingest.returncode not in INGEST_EXIT_OK:
        raise StackError(f"qa ingest exited with code {ingest.returncode} (its report is above)")


def chat_answers(url: str) -> bool:
    """Whether the chat answers HTTP at `url` (any status: a login page is an answer too)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_for_chat(
    plan: StackPlan, chat: subprocess.Popen[bytes], chroma: ChromaServerProcess, stop: StopRequest
) -> None:
    """Until the chat answers HTTP. No time limit: the first start may assemble and load the local LLM
    for minutes; what ends the wait is the chat or the server exiting, or a stop signal."""
    while not stop.requested() and not chat_answers(plan.chat_url):
        check_alive(chat, chroma)
        time.sleep(POLL_S)


def check_alive(chat: subprocess.Popen[bytes], chroma: ChromaServerProcess) -> None:
    """StackError when the chat or the Chroma server has exited."""
    if chat.poll() is not None:
        raise StackError(f"the chat (qa serve) exited with code {chat.returncode} (its output is above)")
    code = chroma.exit_code()
    if code is not None:
        tail = chroma.log_tail()
        raise StackError(f"the Chroma server exited with code {code}; the end of its log:\n{tail}")


def run_stack(plan: StackPlan, stop: StopRequest) -> int:
    """Start the server, ingest, start the chat, and watch both until a signal; the exit code."""
    check_ports(plan)
    plan.data_dir.mkdir(parents=True, exist_ok=True)
    chroma = ChromaServerProcess(
        plan.chroma_db,
        host=plan.chroma_host,
        port=plan.chroma_port,
        log_path=plan.chroma_log,
        stop_with_parent=True,
    )
    chat: subprocess.Popen[bytes] | None = None
    try:
        chroma.start(should_abort=stop.requested)
        say(
            f"Chroma server (pid {chroma.pid}) on {plan.chroma_host}:{plan.chroma_port} over {plan.chroma_db}"
        )
        env = plan.qa_environment()
        if plan.ingest and not stop.requested():
            run_ingest(plan, env, stop)
        if stop.requested():
            return 0
        chat = start_child([sys.executable, "-m", "qa", "serve"], env)
        say(f"chat (pid {chat.pid}) starting: qa serve on {plan.web_host}:{plan.web_port}")
        wait_for_chat(plan, chat, chroma, stop)
        if not stop.requested():
            say(f"ready: chat at {plan.chat_url}, data in {plan.data_dir}; Ctrl-C stops both")
        while not stop.requested():
            check_alive(chat, chroma)
            time.sleep(POLL_S)
        say(f"{stop.signal_name}: stopping the chat, then the Chroma server")
        return 0
    finally:
        # The chat first: it is the server's client, and a chat without its index answers only errors.
        chat_code = stop_child(chat, timeout_s=CHAT_STOP_TIMEOUT_S)
        chroma_code = chroma.stop()
        if (chat_code, chroma_code) != (None, None):
            say(f"stopped (chat exit {chat_code}, Chroma exit {chroma_code})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stack until a signal; 0 after a clean stop, 1 when it could not start or lost a process."""
    args = build_parser().parse_args(argv)
    stop = StopRequest()
    stop.install()  # before any child exists: none may be left behind by an early Ctrl-C
    from pydantic import ValidationError

    try:
        plan = plan_from_args(args)
    except ValidationError as exc:
        print(f"stack: error: invalid settings:\n{exc}", file=sys.stderr, flush=True)
        return 2
    try:
        return run_stack(plan, stop)
    except UserError as exc:
        print(f"stack: error: {exc}", file=sys.stderr, flush=True)
        return 1


def say(line: str) -> None:
    """One line of the stack's own, told apart from its processes' output by its prefix."""
    print(f"stack: {line}", flush=True)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


if __name__ == "__main__":
    sys.exit(main())
