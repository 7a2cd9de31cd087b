"""pyvirt.files: the atomic state-file writer the drivers share."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pyvirt.files import remove, write_atomic


@pytest.mark.parametrize("durable", [True, False])
def test_replaces_the_content_with_the_mode_and_leaves_no_temporary(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "state.xml"
    target.write_text("old")
    write_atomic(target, "new", 0o640, durable=durable)
    write_atomic(str(tmp_path / "raw"), b"\x00\xff")
    assert target.read_text() == "new"
    assert (tmp_path / "raw").read_bytes() == b"\x00\xff"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 & ~_umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw", "state.xml"]


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state"
    target.mkdir()  # a directory cannot be replaced by a file
    (target / "inside").write_text("kept")
    with pytest.raises(IsADirectoryError):
        write_atomic(target, "new")
    assert (target / "inside").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["state"]


def test_remove_ignores_missing_files(tmp_path: Path) -> None:
    present = tmp_path / "present"
    present.write_text("")
    remove(present, tmp_path / "missing")
    assert not present.exists()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
