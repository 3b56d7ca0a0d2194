"""scripts/install.py: where torch comes from, and the pip command that installs the project.

The probe that asks pip what it would install is replaced by a FAKE here (unit tests are offline);
tests/integration/test_install_cpu.py runs the real one against PyPI.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit


@pytest.fixture
def install() -> ModuleType:
    """scripts/install.py as a module."""
    spec = importlib.util.spec_from_file_location("install", REPO_ROOT / "scripts" / "install.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(*packages: tuple[str, str]) -> dict:
    return {"install": [{"metadata": {"name": name, "version": version}} for name, version in packages]}


def test_the_pin_is_read_from_pyproject_as_one_exact_version_without_local_label(install: ModuleType) -> None:
    # A local label (`+cpu`) in pyproject would make the project uninstallable from PyPI (macOS has no
    # +cpu wheels); the CPU build is chosen by the index instead.
    pin = install.torch_pin()
    assert re.fullmatch(r"\d+(\.\d+)+", pin)
    assert f'"torch=={pin}"' in (REPO_ROOT / "pyproject.toml").read_text()


def test_a_pin_that_is_not_one_exact_version_is_refused(install: ModuleType, tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["torch>=2.13", "numpy"]\n')
    with pytest.raises(SystemExit, match="one `torch==VERSION`"):
        install.torch_pin(pyproject)


def test_cuda_packages_names_what_a_cuda_build_brings(install: ModuleType) -> None:
    cuda = _report(
        ("torch", "2.13.0"), ("nvidia-cublas", "13.1"), ("cuda-toolkit", "13.0"), ("triton", "3.7")
    )
    assert install.cuda_packages(cuda, system="Linux") == [
        "torch==2.13.0",
        "nvidia-cublas==13.1",
        "cuda-toolkit==13.0",
        "triton==3.7",
    ]
    cpu = _report(("torch", "2.13.0+cpu"), ("numpy", "2.3"), ("Jinja2", "3.1"))
    assert install.cuda_packages(cpu, system="Linux") == []
    # PyPI's macOS wheel has no local label and is CPU-only.
    assert install.cuda_packages(_report(("torch", "2.13.0")), system="Darwin") == []


@dataclass
class FakeProbe:
    """A FAKE of the pip probe: answers `offers_cpu`, counts how often it was asked."""

    offers_cpu: bool = False
    calls: int = 0

    def __call__(self, pin: str, *, isolated: bool) -> bool:
        self.calls += 1
        return self.offers_cpu


@pytest.fixture
def probe(install: ModuleType, monkeypatch: pytest.MonkeyPatch) -> FakeProbe:
    """A Linux machine without torch and without QA_TORCH_INDEX_URL, with a fake probe."""
    fake = FakeProbe()
    monkeypatch.setattr(install, "configured_indexes_offer_cpu_torch", fake)
    monkeypatch.setattr(install.platform, "system", lambda: "Linux")
    monkeypatch.setattr(install, "installed_version", lambda name: None)
    monkeypatch.delenv(install.INDEX_ENV, raising=False)
    return fake


def test_on_linux_torch_comes_from_the_cpu_index_unless_pip_already_offers_a_cpu_build(
    install: ModuleType, probe: FakeProbe
) -> None:
    assert install.torch_index("2.13.0", isolated=False, fresh=False) == install.CPU_INDEX_URL
    probe.offers_cpu = True  # a local wheel directory or a mirror with the +cpu wheel, as on the dev machine
    assert install.torch_index("2.13.0", isolated=False, fresh=False) is None
    assert probe.calls == 2


def test_a_torch_installed_at_the_pin_needs_no_probe_but_a_dry_run_plans_from_scratch(
    install: ModuleType, probe: FakeProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(install, "installed_version", lambda name: "2.13.0+cpu")
    assert install.torch_index("2.13.0", isolated=False, fresh=False) is None
    assert probe.calls == 0  # the second run of setup.sh asks pip nothing for this
    assert install.torch_index("2.13.0", isolated=False, fresh=True) == install.CPU_INDEX_URL


def test_a_torch_at_another_version_is_replaced_from_the_cpu_index(
    install: ModuleType, probe: FakeProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(install, "installed_version", lambda name: "2.12.0")
    assert install.torch_index("2.13.0", isolated=False, fresh=False) == install.CPU_INDEX_URL


def test_off_linux_pypi_is_enough(
    install: ModuleType, probe: FakeProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(install.platform, "system", lambda: "Darwin")
    assert install.torch_index("2.13.0", isolated=False, fresh=True) is None
    assert probe.calls == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("https://mirror.example/whl/cpu", "https://mirror.example/whl/cpu"), ("none", None), ("", None)],
)
def test_the_environment_variable_overrides_the_choice(
    install: ModuleType, probe: FakeProbe, monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None
) -> None:
    monkeypatch.setenv(install.INDEX_ENV, value)
    assert install.torch_index("2.13.0", isolated=False, fresh=True) == expected
    assert probe.calls == 0


def test_install_command_adds_the_index_and_the_dry_run_report(install: ModuleType, tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip"]
    plain = install.install_command("", None, isolated=False, report=None)
    assert plain == [*pip, "install", "--quiet", "-e", "."]
    report = tmp_path / "r.json"
    assert install.install_command("dev", "https://i.example/cpu", isolated=True, report=report) == [
        *pip,
        "--isolated",
        "install",
        "--quiet",
        "-e",
        ".[dev]",
        "--extra-index-url",
        "https://i.example/cpu",
        "--dry-run",
        "--ignore-installed",
        "--report",
        str(report),
    ]


def test_setup_sh_installs_through_the_script(install: ModuleType) -> None:
    setup = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    assert "scripts/install.py" in setup
    assert not re.search(r"pip install[^\n]*-e", setup), "the project is installed by scripts/install.py only"
