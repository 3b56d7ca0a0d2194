"""Unit tests for qa.files: atomic writes of files and directories, and what a failed write leaves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from qa import files
from qa.files import (
    directory_atomically,
    open_atomically,
    path_atomically,
    temporaries,
    write_atomically,
)

pytestmark = pytest.mark.unit


def test_a_file_is_written_through_a_temporary_in_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def recording_replace(src: Any, dst: Any) -> None:
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", recording_replace)
    path = tmp_path / "new" / "summary.json"
    write_atomically(path, "naïve\n")
    write_atomically(path, b"bytes")  # an existing file is replaced
    assert path.read_bytes() == b"bytes"
    assert [dst for _, dst in renames] == [path, path]
    assert renames[0][0].parent == path.parent and renames[0][0] != renames[1][0]  # a unique name each
    assert sorted(p.name for p in path.parent.iterdir()) == ["summary.json"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_atomically(path, "old")
    with pytest.raises(RuntimeError, match="killed"):
        _killed_while_writing(path)
    assert path.read_text() == "old"
    assert temporaries(path) == [] and sorted(os.listdir(tmp_path)) == ["report.html"]


def test_a_path_for_a_writer_that_opens_files_by_name_is_renamed_into_place_or_removed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cache" / "model.gguf"
    with path_atomically(path) as temporary:
        assert temporary.parent == path.parent and temporary in temporaries(path)
        temporary.write_bytes(b"GGUF whole")  # opened again by name, as gguf's writer does
    assert path.read_bytes() == b"GGUF whole" and path.stat().st_mode & 0o777 == 0o644
    with pytest.raises(RuntimeError, match="killed"):
        _killed_while_converting(path)
    assert path.read_bytes() == b"GGUF whole"
    assert sorted(os.listdir(path.parent)) == ["model.gguf"]


def test_a_directory_replaces_the_old_one_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "model"
    with directory_atomically(path) as staging:
        (staging / "a").write_text("1")
    with pytest.raises(RuntimeError, match="killed"):
        _killed_while_filling(path)
    assert sorted(os.listdir(path)) == ["a"] and sorted(os.listdir(tmp_path)) == ["model"]
    with directory_atomically(path) as staging:
        (staging / "c").write_text("3")
    assert sorted(os.listdir(path)) == ["c"]


def _killed_while_writing(path: Path) -> None:
    with open_atomically(path) as out:
        out.write(b"half of the n")
        raise RuntimeError("killed")


def _killed_while_converting(path: Path) -> None:
    with path_atomically(path) as temporary:
        temporary.write_bytes(b"GGUF ha")
        raise RuntimeError("killed")


def _killed_while_filling(path: Path) -> None:
    with directory_atomically(path) as staging:
        (staging / "b").write_text("2")
        raise RuntimeError("killed half way")


def test_a_directory_another_writer_put_in_place_first_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keywords.bm25"
    with directory_atomically(path) as staging:
        (staging / "mine").write_text("1")
        path.mkdir()  # another process, between our clearing the way and our rename
        (path / "theirs").write_text("2")
        monkeypatch.setattr(files.shutil, "rmtree", _rmtree_but_not(path))
    assert sorted(os.listdir(path)) == ["theirs"] and sorted(os.listdir(tmp_path)) == ["keywords.bm25"]


def _rmtree_but_not(kept: Path) -> Any:
    real = files.shutil.rmtree

    def rmtree(target: Any, ignore_errors: bool = False) -> None:
        if Path(target) != kept:
            real(target, ignore_errors=ignore_errors)

    return rmtree


def test_temporaries_lists_what_a_killed_writer_left(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    left = tmp_path / ".model.gguf.k2x9.tmp"
    left.write_bytes(b"half")
    (tmp_path / ".other.gguf.k2x9.tmp").write_bytes(b"not ours")
    assert temporaries(path) == [left]
