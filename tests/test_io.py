"""skfashion.io: files are written whole or not at all."""

import os

import pytest

from skfashion import io


def test_a_file_is_written_whole_or_keeps_its_old_content(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    io.atomic_write_bytes(path, b"old")
    assert path.read_bytes() == b"old" and oct(path.stat().st_mode)[-3:] == "644"

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        io.atomic_write_bytes(path, b"new content")
    assert path.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["results.json"]  # no temporary left
