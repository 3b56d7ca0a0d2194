"""Install newsdesk-qa into the running Python (scripts/setup.sh runs it with .venv's), PyTorch CPU-only.

On Linux, PyPI's torch wheel is the CUDA build: with it pip also pulls cuda-toolkit, some fifteen
nvidia-* packages and triton, several GB. PyTorch's CPU wheels (version `X+cpu`) live on their own
index, so on Linux that index is added to the install, unless torch is installed at the pinned version
already or pip's own configuration (a local wheel directory, a mirror) already offers a CPU build. PyPI's
macOS wheels are CPU-only: off Linux nothing is added.

    python scripts/install.py [--extras dev] [--dry-run REPORT.json] [--isolated]

QA_TORCH_INDEX_URL chooses the index torch comes from, skipping the checks: a URL, or "none" for pip's
configured indexes alone (for instance to get the CUDA build on purpose). Standard library only: it runs
before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX_URL = "https://download.pytorch.org/whl/cpu"
INDEX_ENV = "QA_TORCH_INDEX_URL"
# What a CUDA build of torch brings along; none of these is needed on a CPU.
CUDA_PACKAGE = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")


def torch_pin(pyproject: Path = REPO_ROOT / "pyproject.toml") -> str:
    """The torch version pyproject.toml pins (`torch==X`), the one place it is written."""
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [m.group(1) for d in dependencies if (m := re.fullmatch(r"torch\s*==\s*([^\s;+]+)", d.strip()))]
    if len(pins) != 1:
        raise SystemExit(f"{pyproject}: expected one `torch==VERSION` dependency, found {len(pins)}")
    return pins[0]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def cuda_packages(report: dict[str, Any], *, system: str | None = None) -> list[str]:
    """What in a `pip install --report` plan belongs to a CUDA build: nvidia-*, cuda-*, triton, and on
    Linux a torch whose version is not a `+cpu` one."""
    system = platform.system() if system is None else system
    found = []
    for item in report.get("install", []):
        name, version = _canonical(item["metadata"]["name"]), item["metadata"]["version"]
        if CUDA_PACKAGE.match(name) or (
            name == "torch" and system == "Linux" and not version.partition("+")[2].startswith("cpu")
        ):
            found.append(f"{name}=={version}")
    return found


def installed_version(name: str) -> str | None:
    """The version of `name` installed in the running Python, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pip_command(*, isolated: bool) -> list[str]:
    """pip of the running Python; `isolated` ignores pip's configuration files and PIP_* variables."""
    return [sys.executable, "-m", "pip", *(["--isolated"] if isolated else [])]


def configured_indexes_offer_cpu_torch(pin: str, *, isolated: bool) -> bool:
    """Whether pip, as configured, would install a CPU build of torch==`pin` (resolved, not installed)."""
    # Without its dependencies (8 s instead of 35 against PyPI): on Linux the build shows in torch's own
    # version, X+cpu from a CPU index, a plain X for PyPI's CUDA build.
    plan = subprocess.run(
        [*pip_command(isolated=isolated), "install", "--quiet", "--dry-run", "--ignore-installed"]
        + ["--no-deps", "--report", "-", f"torch=={pin}"],
        capture_output=True,
        text=True,
    )
    # No answer (offline, no such version) is not a CPU build: the real install will say what is wrong.
    try:
        return plan.returncode == 0 and not cuda_packages(json.loads(plan.stdout))
    except ValueError:
        return False


def torch_index(pin: str, *, isolated: bool, fresh: bool) -> str | None:
    """The extra index to take torch from, or None when pip's configured indexes will do.

    Args:
        fresh: plan as for an empty environment (a dry run), ignoring a torch installed here.
    """
    chosen = os.environ.get(INDEX_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "none") else chosen.strip()
    if platform.system() != "Linux":
        return None
    installed = installed_version("torch")
    if not fresh and installed is not None and installed.partition("+")[0] == pin:
        return None
    if configured_indexes_offer_cpu_torch(pin, isolated=isolated):
        return None
    return CPU_INDEX_URL


def install_command(extras: str, index: str | None, *, isolated: bool, report: Path | None) -> list[str]:
    """The one pip command that installs the project (editable) with its extras, torch from `index`."""
    command = [*pip_command(isolated=isolated), "install", "--quiet", "-e", f".[{extras}]" if extras else "."]
    if index:
        # An extra index, not a replacement: every other package still comes from PyPI. pip takes the
        # highest version, and 2.13.0+cpu sorts above PyPI's 2.13.0, both matching the pin torch==2.13.0.
        command += ["--extra-index-url", index]
    if report is not None:
        command += ["--dry-run", "--ignore-installed", "--report", str(report)]
    return command


def main(argv: Sequence[str] | None = None) -> int:
    """Install (or with --dry-run, plan) the project; the exit status is pip's."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extras", default="", help='optional dependencies to add, e.g. "dev"')
    parser.add_argument(
        "--dry-run",
        metavar="REPORT",
        type=Path,
        help="resolve as for an empty environment and write pip's JSON report to REPORT; install nothing",
    )
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="ignore pip's configuration files and PIP_* variables: what a machine without local wheels gets",
    )
    args = parser.parse_args(argv)
    index = torch_index(torch_pin(), isolated=args.isolated, fresh=args.dry_run is not None)
    if index and args.dry_run is None:
        print(f"PyTorch: the CPU build, from {index} ({INDEX_ENV} to change)", file=sys.stderr)
    command = install_command(args.extras, index, isolated=args.isolated, report=args.dry_run)
    return subprocess.run(command, cwd=REPO_ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
