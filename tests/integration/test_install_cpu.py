"""The install pulls no CUDA package: scripts/install.py (what scripts/setup.sh runs) resolved against PyPI.

pip runs `--isolated` (no local wheel directory, none of this machine's pip configuration) with
`--dry-run --report`, so nothing is installed. download.pytorch.org/whl/cpu is stood in for by a real
loopback HTTP server: a PEP 503 simple index holding the CPU torch wheel from this machine's wheel
directory (with its PEP 658 metadata, so pip reads 20 kB of it, not 190 MB), and QA_TORCH_INDEX_URL, the
override the README documents, points the script at it. Every other package comes from the real PyPI.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install.py"
PYPI = "https://pypi.org/simple/"
WHEEL_DIR = Path(os.environ.get("QA_TEST_WHEEL_DIR", "/opt/wheels"))
CUDA_NAMES = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")
DRY_RUN_TIMEOUT_S = 300  # measured: 63 to 87 s on a busy 2-core machine


def _install_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install", INSTALL_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pinned_torch() -> str:
    return str(_install_script().torch_pin())


def _cpu_wheel() -> Path:
    """The CPU torch wheel for this Python and machine, or skip saying where it was looked for."""
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    pattern = f"torch-{_pinned_torch()}+cpu-{tag}-{tag}-*_{platform.machine()}.whl"
    found = sorted(WHEEL_DIR.glob(pattern))
    if not found:
        pytest.skip(f"no {pattern} in {WHEEL_DIR} (QA_TEST_WHEEL_DIR) to serve as the CPU index")
    return found[0]


def _require_pypi() -> None:
    try:
        with urllib.request.urlopen(PYPI + "pip/", timeout=15):
            pass
    except OSError as exc:
        pytest.skip(f"{PYPI} is unreachable ({exc}): the plan is resolved against the real PyPI")


@pytest.fixture(scope="module")
def cpu_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PEP 503 simple index on a loopback port with one project, torch: the CPU wheel and its metadata."""
    wheel = _cpu_wheel()
    root = tmp_path_factory.mktemp("cpu-index")
    project = root / "whl" / "cpu" / "torch"
    project.mkdir(parents=True)
    (project / wheel.name).symlink_to(wheel)
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        core_metadata = archive.read(name)
    (project / f"{wheel.name}.metadata").write_bytes(core_metadata)
    metadata_hash = hashlib.sha256(core_metadata).hexdigest()
    href = html.escape(wheel.name)  # the "+" stays: pip unquotes the link either way
    (project / "index.html").write_text(
        f'<!DOCTYPE html><html><body><a href="{href}" data-dist-info-metadata="sha256={metadata_hash}" '
        f'data-core-metadata="sha256={metadata_hash}" data-requires-python="&gt;=3.10">{href}</a>'
        "</body></html>\n"
    )
    handler = partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/whl/cpu"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the index directory; the 404s for every project but torch are expected, not logged."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def _plan(tmp_path: Path, index_url: str, *extra: str) -> tuple[dict, float]:
    report = tmp_path / "report.json"
    env = {**os.environ, "QA_TORCH_INDEX_URL": index_url}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(INSTALL_SCRIPT), "--isolated", "--dry-run", str(report), *extra],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DRY_RUN_TIMEOUT_S,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, f"the dry run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(report.read_text()), elapsed


def test_the_cpu_path_installs_no_cuda_package(cpu_index: str, tmp_path: Path) -> None:
    """The dev install (a superset of the plain one) against PyPI plus the CPU index: torch is the
    `+cpu` wheel from that index and nothing of CUDA comes along."""
    _require_pypi()
    report, elapsed = _plan(tmp_path, cpu_index, "--extras", "dev")
    planned = {item["metadata"]["name"].lower(): item for item in report["install"]}
    print(f"dry run: {len(planned)} packages resolved in {elapsed:.0f} s")

    cuda = sorted(name for name in planned if CUDA_NAMES.match(name))
    assert cuda == [], f"the CPU install would pull CUDA packages: {cuda}"
    torch = planned["torch"]
    assert torch["metadata"]["version"] == f"{_pinned_torch()}+cpu"
    assert torch["download_info"]["url"].startswith(cpu_index)
    assert "sentence-transformers" in planned and "newsdesk-qa" in planned  # the whole project was planned
    assert elapsed < 120, f"the dry run took {elapsed:.0f} s"


def test_on_a_plain_linux_machine_the_script_chooses_the_cpu_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its probe finds PyPI's torch for Linux a CUDA build (the reason for the CPU index, and proof that
    the check above can fail), so the script takes torch from PyTorch's CPU index."""
    _require_pypi()
    if platform.system() != "Linux":
        pytest.skip("PyPI's torch wheels are CPU-only off Linux: the script adds no index there")
    monkeypatch.delenv("QA_TORCH_INDEX_URL", raising=False)
    script = _install_script()
    started = time.monotonic()
    chosen = script.torch_index(_pinned_torch(), isolated=True, fresh=True)
    print(f"probe: {time.monotonic() - started:.0f} s")
    assert chosen == "https://download.pytorch.org/whl/cpu"
