import dataclasses
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
import time
import urllib.request

import numpy as np
import pytest

from skfashion.datasets import (
    _base,
    fetch_fashion_mnist,
    fetch_mnist,
    get_data_home,
    load_fashion_mnist_sample,
    load_mnist_sample,
    read_idx,
)
from skfashion.datasets._build_samples import build_sample
from skfashion.datasets._idx import idx_bytes

LOADERS = [load_mnist_sample, load_fashion_mnist_sample]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


# --------------------------------------------------------------------------
# Bundled samples


@pytest.mark.parametrize("load", LOADERS)
def test_samples_load_with_no_data_home_and_no_network(load, no_network, monkeypatch):
    monkeypatch.setenv("SKFASHION_DATA", "/nonexistent/skfashion")
    sizes = {"train": 3000, "test": 1000, "all": 4000}
    for subset, n in sizes.items():
        bunch = load(subset=subset)
        assert bunch.data.shape == (n, 784)
        assert bunch.data.dtype == np.float32
        assert 0 <= bunch.data.min() and bunch.data.max() <= 1
        assert bunch.images.shape == (n, 28, 28)
        np.testing.assert_array_equal(bunch.images.reshape(n, -1), bunch.data)
        assert bunch.target.dtype == np.int64
        # stratified: the same number of images in every class
        np.testing.assert_array_equal(np.bincount(bunch.target), [n // 10] * 10)
        assert len(bunch.target_names) == 10
        assert "Licence" in bunch.DESCR and "sample" in bunch.DESCR


def test_sample_target_names_are_an_array_that_names_the_labels():
    assert load_mnist_sample().target_names.tolist() == [str(d) for d in range(10)]
    bunch = load_fashion_mnist_sample()
    names = bunch.target_names
    assert names[:3].tolist() == ["T-shirt/top", "Trouser", "Pullover"]
    assert names[-1] == "Ankle boot"
    # as with scikit-learn's Bunches: every label named at once
    named = names[bunch.target]
    assert named.shape == bunch.target.shape and named[0] == names[bunch.target[0]]


def test_sample_options():
    X, y = load_mnist_sample(subset="test", return_X_y=True, normalize=False)
    assert X.dtype == np.uint8 and X.max() == 255
    Xf, yf = load_mnist_sample(subset="test", return_X_y=True)
    np.testing.assert_array_equal(Xf * 255, X.astype(np.float32))
    np.testing.assert_array_equal(y, yf)


def test_sample_as_frame():
    pytest.importorskip("pandas")
    bunch = load_fashion_mnist_sample(subset="test", as_frame=True)
    assert bunch.data.shape == (1000, 784)
    assert list(bunch.data.columns[:2]) == ["pixel_0_0", "pixel_0_1"]
    assert bunch.target.name == "class"
    assert bunch.frame.shape == (1000, 785)


def test_bad_subset_is_a_clear_error():
    with pytest.raises(ValueError, match="subset"):
        load_mnist_sample(subset="validation")


def test_sample_builder_reproduces_the_bundled_files(full_data_home, tmp_path):
    per_class = {"train": 300, "test": 100}
    for dataset in (_base.MNIST, _base.FASHION_MNIST):
        sums = build_sample(dataset, full_data_home, tmp_path, per_class, seed=0)
        assert sums == _base._sample_checksums(dataset)


# --------------------------------------------------------------------------
# Full data sets from the data home


def test_data_home_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("SKFASHION_DATA", str(tmp_path))
    assert get_data_home() == str(tmp_path)
    assert get_data_home(tmp_path / "x") == str(tmp_path / "x")
    monkeypatch.delenv("SKFASHION_DATA")
    assert get_data_home() == os.path.join(os.path.expanduser("~"), "skfashion_data")


@pytest.mark.parametrize(
    "fetch, mean", [(fetch_mnist, 0.1307), (fetch_fashion_mnist, 0.2860)]
)
def test_full_data_sets(fetch, mean, full_data_home, no_network):
    train = fetch(data_home=full_data_home)
    assert train.data.shape == (60000, 784)
    assert train.data.dtype == np.float32
    assert round(float(train.data.mean()), 4) == mean
    np.testing.assert_array_equal(np.unique(train.target), np.arange(10))
    X_test, y_test = fetch(data_home=full_data_home, subset="test", return_X_y=True)
    assert X_test.shape == (10000, 784) and y_test.shape == (10000,)
    X_all, y_all = fetch(subset="all", return_X_y=True)  # SKFASHION_DATA
    assert X_all.shape == (70000, 784)
    np.testing.assert_array_equal(y_all, np.concatenate([train.target, y_test]))


def test_the_sample_is_a_subset_of_the_full_data(full_data_home):
    full = fetch_fashion_mnist(data_home=full_data_home, subset="test")
    sample = load_fashion_mnist_sample(subset="test")
    rows = {row.tobytes(): label for row, label in zip(full.data, full.target)}
    assert all(rows[r.tobytes()] == t for r, t in zip(sample.data, sample.target))


def test_a_label_file_with_one_changed_byte_is_refused(full_data_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(os.path.join(full_data_home, "mnist"), home / "mnist")
    path = home / "mnist" / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[100] = (content[100] + 1) % 10
    path.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz is corrupted"):
        fetch_mnist(data_home=home, subset="test", download_if_missing=False)
    # nothing was deleted or rewritten behind the user's back
    assert gzip.decompress(path.read_bytes()) == bytes(content)


def test_missing_files_without_download(tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_mnist(data_home=tmp_path, download_if_missing=False)


# --------------------------------------------------------------------------
# Downloads, against a local HTTP server standing in for the mirrors


class _Mirror(http.server.BaseHTTPRequestHandler):
    files = {}  # name -> bytes
    truncate = set()  # names sent with a Content-Length larger than the body
    requests = []

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        self.requests.append(name)
        if name not in self.files:
            self.send_error(404)
            return
        body = self.files[name]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in self.truncate:
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror():
    _Mirror.files, _Mirror.truncate, _Mirror.requests = {}, set(), []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Mirror)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _Mirror, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tiny_mnist(mirror, monkeypatch):
    """Make fetch_mnist download a tiny MNIST-like data set from the mirror."""
    handler, url = mirror
    rng = np.random.default_rng(0)
    files = {}
    for (subset, kind), datafile in _base.MNIST.files.items():
        n = 5 if subset == "train" else 3
        shape = (n, 28, 28) if kind == "images-idx3" else (n,)
        array = rng.integers(0, 10 if kind == "labels-idx1" else 256, shape)
        content = idx_bytes(array.astype(np.uint8))
        archive = gzip.compress(content)
        handler.files[datafile.name] = archive
        files[(subset, kind)] = dataclasses.replace(
            datafile, sha256=hashlib.sha256(content).hexdigest()
        )
    dataset = dataclasses.replace(
        _base.MNIST, mirrors=(f"http://127.0.0.1:{_closed_port()}/", url), files=files
    )
    monkeypatch.setattr(_base, "MNIST", dataset)
    handler.url = url
    return handler


def test_download_success_falls_back_to_a_working_mirror(tiny_mnist, tmp_path):
    bunch = fetch_mnist(data_home=tmp_path, subset="all")
    assert bunch.data.shape == (8, 784)
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(tiny_mnist.files)
    # a second fetch reads the files and downloads nothing
    tiny_mnist.requests.clear()
    fetch_mnist(data_home=tmp_path, subset="all")
    assert tiny_mnist.requests == []
    np.testing.assert_array_equal(
        read_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"), bunch.target[5:]
    )


def test_download_with_a_bad_checksum_leaves_nothing(tiny_mnist, tmp_path):
    name = "train-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(tiny_mnist.files[name]))
    content[-1] ^= 1
    tiny_mnist.files[name] = gzip.compress(bytes(content))
    with pytest.raises(OSError, match="(?s)every mirror failed.*SHA-256"):
        fetch_mnist(data_home=tmp_path)
    assert name not in os.listdir(tmp_path / "mnist")
    assert not [f for f in os.listdir(tmp_path / "mnist") if f.endswith(".part")]


def test_interrupted_download_leaves_nothing(tiny_mnist, tmp_path):
    tiny_mnist.truncate.add("train-images-idx3-ubyte.gz")
    with pytest.raises(OSError, match="IncompleteRead"):
        fetch_mnist(data_home=tmp_path)
    assert os.listdir(tmp_path) == []  # no file, no empty folder


def test_unreachable_host_is_a_clear_error(monkeypatch, tmp_path):
    dead = f"http://127.0.0.1:{_closed_port()}/"
    monkeypatch.setattr(
        _base,
        "FASHION_MNIST",
        dataclasses.replace(_base.FASHION_MNIST, mirrors=(dead,)),
    )
    with pytest.raises(OSError, match="(?s)Could not download Fashion-MNIST.*refused"):
        fetch_fashion_mnist(data_home=tmp_path / "new" / "home")
    assert os.listdir(tmp_path) == []  # no empty folder left behind


def _recompressed(archive):
    """The same content in another gzip archive (another level, another MD5)."""
    recompressed = gzip.compress(gzip.decompress(archive), compresslevel=1, mtime=1)
    assert recompressed != archive
    return recompressed


def test_base_url_and_the_mirror_variable_take_recompressed_copies(
    tiny_mnist, tmp_path, monkeypatch
):
    local = tmp_path / "copy" / "mnist"
    local.mkdir(parents=True)
    for name, archive in tiny_mnist.files.items():
        (local / name).write_bytes(_recompressed(archive))
    tiny_mnist.files.clear()  # the publishers' mirrors have nothing now
    bunch = fetch_mnist(data_home=tmp_path / "a", base_url=local.as_uri())
    assert bunch.data.shape == (5, 784)
    monkeypatch.setenv("SKFASHION_MIRROR", (tmp_path / "copy").as_uri())
    X, _ = fetch_mnist(data_home=tmp_path / "b", subset="test", return_X_y=True)
    assert X.shape == (3, 784)
    with pytest.raises(OSError, match=r"(?s)127\.0\.0\.1.*Not Found.*base_url"):
        fetch_mnist(data_home=tmp_path / "c", base_url=tiny_mnist.url)


def test_base_url_and_the_mirror_variable_take_a_plain_folder(
    tiny_mnist, tmp_path, monkeypatch
):
    # a folder as a str, as a pathlib.Path, and relative: no file:// needed
    local = tmp_path / "copy" / "mnist"
    local.mkdir(parents=True)
    for name, archive in tiny_mnist.files.items():
        (local / name).write_bytes(archive)
    tiny_mnist.files.clear()  # the publishers' mirrors have nothing now
    assert fetch_mnist(data_home=tmp_path / "a", base_url=local).data.shape[0] == 5
    assert fetch_mnist(data_home=tmp_path / "b", base_url=str(local)).data.shape[0]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKFASHION_MIRROR", "copy")
    X, _ = fetch_mnist(data_home=tmp_path / "c", subset="test", return_X_y=True)
    assert X.shape == (3, 784)
    monkeypatch.setenv("SKFASHION_MIRROR", str(tmp_path / "copy"))
    X, _ = fetch_mnist(data_home=tmp_path / "d", subset="test", return_X_y=True)
    assert X.shape == (3, 784)
    with pytest.raises(OSError, match="Could not download"):
        fetch_mnist(data_home=tmp_path / "e", base_url=tmp_path / "no-such-folder")


def test_a_killed_download_leaves_no_part_file_for_long(tiny_mnist, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    name = "train-images-idx3-ubyte.gz"
    stale = folder / f".{name}.x1y2z3.part"  # what a killed write leaves
    stale.write_bytes(b"half an archive")
    fresh = folder / f".{name}.a1b2c3.part"  # a download running right now
    fresh.write_bytes(b"")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    fetch_mnist(data_home=tmp_path)
    assert not stale.exists() and fresh.exists()


def test_an_empty_file_is_reported_as_empty(tiny_mnist, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty \(0 bytes\)"):
        fetch_mnist(data_home=tmp_path)
    tiny_mnist.files["t10k-labels-idx1-ubyte.gz"] = b""
    with pytest.raises(OSError, match="(?s)t10k-labels.*empty"):
        fetch_mnist(data_home=tmp_path / "other", subset="test")
