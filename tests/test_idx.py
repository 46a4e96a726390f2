import gzip
import os

import numpy as np
import pytest

from skfashion.datasets import parse_idx, read_idx, write_idx
from skfashion.datasets._idx import idx_bytes

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_any_type_and_rank(tmp_path, dtype, shape, suffix):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal(shape) * 100).astype(dtype)
    path = tmp_path / f"a-idx{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")


def test_header_is_the_published_one():
    # MNIST's label file: magic 0x00000801, then 60000 as a big-endian uint32.
    data = idx_bytes(np.zeros(60000, dtype=np.uint8))
    assert data[:8].hex() == "0000080100" + "00ea60"
    assert len(data) == 8 + 60000


@pytest.mark.parametrize(
    "data, match",
    [
        (b"\x00\x00", "only 2 bytes"),
        (b"\x01\x00\x08\x01" + b"\x00" * 8, "bad magic number"),
        (b"\x00\x00\x07\x01" + b"\x00" * 8, "bad magic number"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated"),
    ],
)
def test_bad_headers_are_refused(data, match):
    with pytest.raises(ValueError, match=match):
        parse_idx(data)


def test_truncated_and_overlong_files_are_errors_not_short_arrays(tmp_path):
    full = idx_bytes(np.arange(12, dtype=np.int32).reshape(3, 4))
    with pytest.raises(ValueError, match="truncated.*needs 48 bytes.*found 47"):
        parse_idx(full[:-1])
    with pytest.raises(ValueError, match="longer than its header says"):
        parse_idx(full + b"\x00")
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(full)[:-10])
    with pytest.raises(ValueError, match="damaged or truncated gzip"):
        read_idx(path)


def test_unsupported_dtype_is_refused(tmp_path):
    with pytest.raises(ValueError, match="IDX cannot store dtype int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "x-idx1-ubyte"
    write_idx(path, np.arange(3, dtype=np.uint8))

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, np.arange(5, dtype=np.uint8))
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["x-idx1-ubyte"]
    np.testing.assert_array_equal(read_idx(path), [0, 1, 2])
