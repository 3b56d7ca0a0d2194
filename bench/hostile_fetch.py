"""Hostile servers against whole `qa ingest URL` processes: compression bombs and slow servers.

    python bench/hostile_fetch.py [--timeout-s 5] [--bomb-mib 1024]

Starts a hostile server on 127.0.0.1 (`tests/hostileserver.py`) and runs one `qa ingest URL --json`
per case, each on a fresh temp data dir (in-memory store, FAKE embedder, QA_FETCH_ALLOW_PRIVATE=true,
no host delay): a gzip, a brotli and a zstd bomb of `--bomb-mib` MiB of zeros each (peak RSS of the
process must stay <= 300 MB), and headers or a body dripped one byte a second, and a chain of slow
redirects (the fetch must give up within QA_FETCH_TIMEOUT_S + 2 s of its request). Prints a Markdown
table (for docs/RELIABILITY.md). Issue 19.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostileserver import (  # noqa: E402  (the repository root, put on the path above)
    HostileServer,
    Reply,
    brotli_bomb,
    drip_body,
    drip_headers,
    encoded_page,
    gzip_bomb,
    hostile_server,
    respond,
    slow_redirect,
    zstd_bomb,
)

MAX_PEAK_MB = 300
SLACK_S = 2.0


@dataclass
class Case:
    """One hostile URL: what it serves, and what it is held to (peak memory, or time to give up)."""

    name: str
    reply: Reply | None  # None: the module to make it is missing
    limit: str  # "memory" or "time"
    path: str = "/case"


@dataclass
class Outcome:
    """What one `qa ingest` did: its wall time, the seconds from its request to its exit, peak RSS, and
    the reason in its report."""

    wall_s: float
    gave_up_s: float
    peak_mb: float
    reason: str


def _run_ingest(url: str, timeout_s: float, work: Path) -> tuple[float, float, str]:
    """`qa ingest URL --json` on a fresh data dir: wall seconds, peak RSS in MB, the first rejection."""
    data = Path(tempfile.mkdtemp(dir=work))
    env = {
        **os.environ,
        "QA_DATA_DIR": str(data),
        "QA_STORE_BACKEND": "memory",
        "QA_EMBEDDING_BACKEND": "fake",
        "QA_FETCH_ALLOW_PRIVATE": "true",
        "QA_FETCH_HOST_DELAY_S": "0",
        "QA_FETCH_TIMEOUT_S": f"{timeout_s:g}",
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "ingest", url, "--json", "--quiet"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _, _, usage = os.wait4(process.pid, 0)  # this child's own peak RSS (KiB on Linux)
    process.returncode = 0  # reaped above
    wall = time.monotonic() - started
    try:
        rejected = json.loads(out).get("rejected") or [{"reason": "(indexed)"}]
        reason = str(rejected[0].get("reason"))
    except ValueError:
        reason = "(no report)"
    return wall, usage.ru_maxrss / 1024, reason


def _measure(server: HostileServer, case: Case, timeout_s: float, work: Path) -> Outcome:
    assert case.reply is not None
    server.routes[case.path] = case.reply
    server.requests.clear()
    wall, peak, reason = _run_ingest(server.url(case.path), timeout_s, work)
    ended = time.monotonic()
    asked = next((at for path, at in server.requests if path == case.path), ended)
    return Outcome(wall, ended - asked, peak, reason)


def _cases(bomb_mib: int, timeout_s: float) -> list[Case]:
    def bomb(encoding: str, make: Callable[[int], bytes | None]) -> Reply | None:
        body = make(bomb_mib)
        return encoded_page(body, encoding) if body is not None else None

    page = b"<html><head><title>Quay</title></head><body><article><p>" + b"The quay reopens. " * 40
    hop_s = _hop_seconds(timeout_s)
    return [
        Case("a normal page (baseline)", respond(200, page + b"</p></article></body></html>"), "memory"),
        Case(f"gzip bomb ({bomb_mib:,} MiB of zeros)", bomb("gzip", gzip_bomb), "memory"),
        Case(f"brotli bomb ({bomb_mib:,} MiB of zeros)", bomb("br", brotli_bomb), "memory"),
        Case(f"zstd bomb ({bomb_mib:,} MiB of zeros)", bomb("zstd", zstd_bomb), "memory"),
        Case("headers dripped 1 byte/s", drip_headers(every_s=1.0, max_drip_s=60), "time"),
        Case("body dripped 1 byte/s", drip_body(every_s=1.0, max_drip_s=60), "time"),
        Case(f"5 redirects, each head {hop_s:g} s", slow_redirect("/hop/1", hop_s), "time", "/hop/0"),
    ]


def _hop_seconds(timeout_s: float) -> float:
    """How long each redirect's head takes: within a per-read timeout, the chain far past the deadline."""
    return 0.8 * timeout_s


def _install_chain(server: HostileServer, timeout_s: float) -> None:
    """Hops 1-4 of the slow redirect chain (the case asks for hop 0); hop 5 is a 404."""
    for n in range(1, 5):
        server.routes[f"/hop/{n}"] = slow_redirect(f"/hop/{n + 1}", _hop_seconds(timeout_s))


def main() -> None:
    """Run every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout-s", type=float, default=5.0, help="QA_FETCH_TIMEOUT_S for every run")
    parser.add_argument("--bomb-mib", type=int, default=1024, help="decoded size of each bomb, MiB")
    args = parser.parse_args()
    cases = _cases(args.bomb_mib, args.timeout_s)
    work = Path(tempfile.mkdtemp(prefix="newsdesk-hostile-"))
    rows = []
    try:
        with hostile_server() as server:
            _install_chain(server, args.timeout_s)
            for case in cases:
                if case.reply is None:
                    rows.append(f"| {case.name} | - | - | - | no module to make it | skipped |")
                    continue
                got = _measure(server, case, args.timeout_s, work)
                if case.limit == "memory":
                    verdict = "ok" if got.peak_mb <= MAX_PEAK_MB else "OVER"
                    limit = f"peak <= {MAX_PEAK_MB} MB"
                else:
                    verdict = "ok" if got.gave_up_s <= args.timeout_s + SLACK_S else "OVER"
                    limit = f"gave up <= {args.timeout_s + SLACK_S:g} s"
                rows.append(
                    f"| {case.name} | {got.wall_s:.1f} | {got.gave_up_s:.1f} | {got.peak_mb:.0f} | "
                    f"{got.reason} | {limit}: {verdict} |"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"`qa ingest URL` against a hostile loopback server, QA_FETCH_TIMEOUT_S={args.timeout_s:g}:\n")
    print("| served | process wall s | request to exit s | peak RSS MB | reason in the report | target |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
