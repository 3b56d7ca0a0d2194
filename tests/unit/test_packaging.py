"""Packaging: `pip install -e .` (scripts/setup.sh, run by every scripts/run.sh) builds without a
setuptools warning, which pip would print on every run, and puts the project root on the path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit

# Builds the editable wheel the way pip asks setuptools to (PEP 660), recording the Python warnings the
# build gives: pip shows those to the user as "BuildBackendWarning", even with --quiet.
BUILD = """
import json, sys, warnings
from setuptools import build_meta
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wheel = build_meta.build_editable(sys.argv[1])
print(json.dumps({"wheel": wheel, "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}))
"""


def test_the_editable_install_builds_without_a_warning(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    project = tmp_path / "project"  # a copy: the build writes its egg-info beside pyproject.toml
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, project / name)
    shutil.copytree(REPO_ROOT / "qa", project / "qa", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(wheels)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    built = json.loads(done.stdout.strip().splitlines()[-1])
    assert built["warnings"] == []
    with zipfile.ZipFile(wheels / built["wheel"]) as wheel:
        (pth,) = [name for name in wheel.namelist() if name.endswith(".pth")]
        assert Path(wheel.read(pth).decode().strip()) == project
