"""Writing files as open(path, "wb") would, all or nothing; reading them whole.

The tests run as root on the CI machines, so a read-only file is checked by
its mode bits, not by whether the write would fail.
"""

import os
import pathlib
import stat
import threading
import time
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skfashion import FeedForwardClassifier, io


class _PathLike:
    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        return str(self.path)


@pytest.mark.parametrize("kind", [str, pathlib.Path, _PathLike])
def test_any_path_like_is_written(tmp_path, kind):
    path = tmp_path / "f.bin"
    io.atomic_write_bytes(kind(path), b"data")
    assert path.read_bytes() == b"data"


def test_a_new_file_gets_its_mode_from_the_umask_an_old_one_keeps_its_own(
    tmp_path,
):
    old = os.umask(0o077)
    try:
        io.atomic_write_bytes(tmp_path / "private", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600
    path = tmp_path / "shared"
    path.write_bytes(b"old")
    path.chmod(0o664)
    io.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"old")
    link = tmp_path / "link"
    link.symlink_to(target)
    io.atomic_write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "created")
    io.atomic_write_bytes(dangling, b"made")  # as open() creates the target
    assert dangling.is_symlink() and (tmp_path / "created").read_bytes() == b"made"


def test_special_files_and_directories_are_refused(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO") as info:
        io.atomic_write_bytes(fifo, b"x")
    assert info.value.filename == str(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still the FIFO
    with pytest.raises(IsADirectoryError):
        io.atomic_write_bytes(tmp_path, b"x")
    link = tmp_path / "to-null"
    link.symlink_to("/dev/null")
    with pytest.raises(OSError, match="character device"):
        io.atomic_write_bytes(link, b"x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(os.listdir(tmp_path)) == ["fifo", "to-null"]  # no temporary


def test_a_read_only_file_is_refused_and_kept(tmp_path):
    path = tmp_path / "ro"
    path.write_bytes(b"keep")
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only") as info:
        io.atomic_write_bytes(path, b"x")
    assert info.value.filename == str(path)
    assert path.read_bytes() == b"keep"


def test_errors_name_the_users_path_never_the_temporary(tmp_path):
    missing = tmp_path / "no-such-folder" / "f.bin"
    with pytest.raises(FileNotFoundError) as info:
        io.atomic_write_bytes(missing, b"x")
    assert info.value.filename == str(missing)
    assert ".part" not in str(info.value)


def test_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    io.atomic_write_bytes("~/home.bin", b"x")
    assert (tmp_path / "home.bin").read_bytes() == b"x"


@pytest.fixture(scope="module")
def two_models(sample_images):
    images, y = sample_images
    X = images[:60].reshape(60, -1)
    models = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in (0, 1):
            clf = FeedForwardClassifier((8,), max_epochs=1, random_state=seed)
            models.append(clf.fit(X, y[:60]))
    return X, models


def test_dump_follows_the_same_rules(tmp_path, two_models):
    X, (clf, _) = two_models
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO"):
        io.dump(clf, fifo)
    target = tmp_path / "model.safetensors"
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    io.dump(clf, link)
    assert link.is_symlink()
    np.testing.assert_array_equal(io.load(target).predict(X), clf.predict(X))
    target.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        io.dump(clf, link)


def test_a_reader_gets_the_old_file_or_the_new_one_whole(tmp_path, two_models):
    """A writer replaces the file again and again while loads run: every load
    gives one of the two models, none is refused as damaged."""
    X, models = two_models
    expected = [m.predict_proba(X[:5]) for m in models]
    path = tmp_path / "m.safetensors"
    io.dump(models[0], path)
    stop = threading.Event()
    errors = []

    def write():
        i = 0
        while not stop.is_set():
            try:
                io.dump(models[i % 2], path)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    seen = set()
    try:
        deadline = time.monotonic() + 4
        loads = 0
        while time.monotonic() < deadline and loads < 60:
            proba = io.load(path).predict_proba(X[:5])
            matches = [i for i, e in enumerate(expected) if np.array_equal(proba, e)]
            assert matches, "a load gave a model that was never written"
            seen.add(matches[0])
            loads += 1
    finally:
        stop.set()
        writer.join()
    assert not errors
    assert loads >= 10


def test_load_refuses_special_files_without_waiting(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero", tmp_path):
        with pytest.raises(io.ModelFileError, match="not a regular file"):
            io.load(path)
