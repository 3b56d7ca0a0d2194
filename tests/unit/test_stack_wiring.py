"""scripts/serve_stack.py and qa.store.chroma_server without starting anything: how the stack is wired.

The processes themselves (a real `chroma run`, a real `qa serve`, signals) are tested in
tests/integration/test_serve_stack.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from qa.store.chroma_server import ChromaServerProcess, connect_host
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("serve_stack", REPO_ROOT / "scripts" / "serve_stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _plan(script: ModuleType, argv: list[str]) -> Any:
    args: argparse.Namespace = script.build_parser().parse_args(argv)
    return script.plan_from_args(args)


@pytest.mark.parametrize(
    ("bind", "client"),
    [("0.0.0.0", "127.0.0.1"), ("::", "::1"), ("127.0.0.1", "127.0.0.1"), ("10.1.2.3", "10.1.2.3")],
)
def test_clients_on_this_machine_reach_a_server_bound_to_every_address_on_loopback(
    bind: str, client: str
) -> None:
    assert connect_host(bind) == client


def test_the_chat_is_wired_to_the_stacks_chroma_server_and_volume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the repository's
    monkeypatch.setenv("QA_STORE_BACKEND", "memory")  # a leftover from a demo must not win
    monkeypatch.setenv("QA_CHROMA_HOST", "index.example.internal")  # nor another server
    monkeypatch.setenv("QA_WEB_AUTH_USER", "editor")  # the chat's own settings pass through
    script = _script()
    plan = _plan(script, ["--data-dir", "vol", "--chroma-host", "0.0.0.0", "--chroma-port", "8100"])
    env = plan.qa_environment()

    assert env["QA_STORE_BACKEND"] == "chroma"
    assert (env["QA_CHROMA_HOST"], env["QA_CHROMA_PORT"]) == ("127.0.0.1", "8100")
    assert env["QA_DATA_DIR"] == str(tmp_path / "vol")
    assert env["QA_WEB_AUTH_USER"] == "editor"
    assert env["PYTHONPATH"].split(":")[0] == str(REPO_ROOT)  # the children run this checkout's code
    assert plan.chroma_db == tmp_path / "vol" / "chroma-server"


def test_defaults_come_from_the_products_settings_and_flags_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("QA_WEB_PORT", "9000")
    monkeypatch.setenv("QA_CHROMA_PORT", "9001")
    script = _script()

    from_env = _plan(script, [])
    assert (from_env.data_dir, from_env.web_port, from_env.chroma_port) == (
        tmp_path / "from-env",
        9000,
        9001,
    )
    assert (from_env.web_host, from_env.chroma_host) == ("127.0.0.1", "127.0.0.1")
    flags = _plan(script, ["--port", "9100", "--host", "0.0.0.0"])
    assert (flags.web_port, flags.chat_url) == (9100, "http://127.0.0.1:9100/")


def test_the_chat_and_chroma_may_not_share_a_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    script = _script()
    plan = _plan(script, ["--port", "8000", "--chroma-port", "8000"])
    with pytest.raises(script.StackError, match="cannot share port 8000"):
        script.check_ports(plan)


def test_the_chroma_log_tail_leaves_out_terminal_colours(tmp_path: Path) -> None:
    log = tmp_path / "chroma.log"
    log.write_text("\x1b[2m2026-01-01\x1b[0m \x1b[32m INFO\x1b[0m started\nfile is not a database\n")
    server = ChromaServerProcess(tmp_path / "db", host="127.0.0.1", port=1, log_path=log)
    assert server.log_tail() == "2026-01-01  INFO started\nfile is not a database\n"
    assert server.log_tail(chars=23) == "file is not a database\n"
    assert (
        ChromaServerProcess(tmp_path, host="h", port=1, log_path=tmp_path / "none").log_tail() == "(no log)"
    )
