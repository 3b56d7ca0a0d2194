"""scripts/install_chromium.sh, the browser step of scripts/test.sh, run with FAKE system commands.

The script runs with a PATH holding only fakes (apt-get, apt-cache, id, sudo and chromium as the case
needs; each records how it was called) and the real `env` and `cat`, so nothing is installed and the
machine's own chromium is out of sight.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit

SCRIPT = REPO_ROOT / "scripts" / "install_chromium.sh"
TEST_SH = REPO_ROOT / "scripts" / "test.sh"
BASH = shutil.which("bash") or "/bin/bash"


@dataclass
class Run:
    """What the script did: its exit status and stderr, and each fake command's calls."""

    returncode: int
    stderr: str
    calls: list[str]


def _fake(bin_dir: Path, name: str, exit_status: int, stdout: str) -> None:
    """A FAKE command: appends `name ARGS` to $FAKE_CALLS, prints `stdout`, exits with `exit_status`."""
    script = bin_dir / name
    script.write_text(f'#!{BASH}\necho "{name} $*" >> "$FAKE_CALLS"\necho "{stdout}"\nexit {exit_status}\n')
    script.chmod(0o755)


def _run(tmp_path: Path, *, uid: int = 0, fakes: dict[str, int]) -> Run:
    """Run the script with fake commands; `fakes` maps each command present to its exit status."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for real in ("env", "cat"):
        found = shutil.which(real)
        assert found, real
        (bin_dir / real).symlink_to(found)
    _fake(bin_dir, "id", 0, stdout=str(uid))
    for name, status in fakes.items():
        _fake(bin_dir, name, status, stdout=f"{name} talks at length")
    calls = tmp_path / "calls"
    calls.touch()
    env = {"PATH": str(bin_dir), "FAKE_CALLS": str(calls), "TMPDIR": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [BASH, str(SCRIPT)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )
    recorded = [line for line in calls.read_text().splitlines() if not line.startswith("id ")]
    return Run(done.returncode, done.stderr, recorded)


APT = {"apt-get": 0, "apt-cache": 0}


def test_with_chromium_present_nothing_is_installed(tmp_path: Path) -> None:
    run = _run(tmp_path, fakes={"chromium": 0, **APT, "sudo": 0})
    assert run.returncode == 0
    assert run.calls == []
    assert run.stderr == ""


def test_a_missing_chromium_is_installed_alone_without_upgrades_and_quietly(tmp_path: Path) -> None:
    run = _run(tmp_path, fakes=APT)
    assert run.returncode == 0, run.stderr
    assert run.calls == [
        "apt-get update -qq",
        "apt-cache show chromium",
        "apt-get install -y -qq --no-install-recommends --no-upgrade chromium",
    ]
    # One line on the terminal; apt's chatter is in the log.
    assert run.stderr.startswith("Installing Debian's chromium") and run.stderr.count("\n") == 1
    assert "apt-get talks at length" in (tmp_path / "newsdesk-qa-apt-chromium.log").read_text()


def test_without_root_it_goes_through_sudo_when_sudo_needs_no_password(tmp_path: Path) -> None:
    run = _run(tmp_path, uid=1000, fakes={**APT, "sudo": 0})
    assert run.returncode == 0, run.stderr
    assert run.calls[0] == "sudo -n true"
    assert "sudo apt-get update -qq" in run.calls


@pytest.mark.parametrize(
    ("uid", "fakes", "reason"),
    [
        (1000, APT, "installing it needs root or sudo"),
        (1000, {**APT, "sudo": 1}, "installing it needs root or sudo"),  # sudo wants a password
        (0, {}, "there is no apt-get to install it"),
        (0, {"apt-get": 0, "apt-cache": 100}, "apt has no package named chromium"),
    ],
)
def test_when_it_cannot_be_installed_it_says_so_and_the_run_goes_on(
    tmp_path: Path, uid: int, fakes: dict[str, int], reason: str
) -> None:
    run = _run(tmp_path, uid=uid, fakes=fakes)
    assert run.returncode == 0
    assert reason in run.stderr
    assert "sudo apt-get install --no-install-recommends chromium" in run.stderr
    assert not any(call.startswith("apt-get install") for call in run.calls)


def test_a_failing_apt_get_fails_the_run_and_shows_its_log(tmp_path: Path) -> None:
    run = _run(tmp_path, fakes={"apt-get": 100, "apt-cache": 0})
    assert run.returncode == 1
    assert "apt-get could not install chromium" in run.stderr
    assert "apt-get talks at length" in run.stderr


def test_test_sh_leaves_apt_to_the_script() -> None:
    text = TEST_SH.read_text()
    assert "bash scripts/install_chromium.sh" in text
    assert "apt-get" not in text
