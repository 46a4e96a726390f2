"""skfashion.io against crafted files, and what an estimator holds coming back.

A crafted file here is one an attacker who knows the format writes: its
digest matches (``_signed``), so that the checks behind the digest are what
refuses it.
"""

import dataclasses
import json
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import skops.io as sio
from _crafting import signed
from safetensors import safe_open
from safetensors.torch import save as safetensors_bytes
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from skorch.exceptions import DeviceWarning

from skfashion import (
    Autoencoder,
    ConvClassifier,
    FeedForwardClassifier,
    VariationalAutoencoder,
    io,
)
from skfashion._model_file import _DTYPE_NAMES, _digest

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _read(path):
    with safe_open(path, framework="pt") as f:
        return json.loads(f.metadata()["skfashion"]), {
            k: f.get_tensor(k) for k in f.keys()
        }


def _craft(path, change):
    """Rewrite ``path`` with ``change(state_dict, tensors)`` applied, signed."""
    document, tensors = _read(path)
    change(document["state"]["__dict__"], tensors)
    path.write_bytes(signed(document, tensors))


@pytest.fixture(scope="module")
def data(sample_images):
    images, y = sample_images
    return images[:60].reshape(60, -1), y[:60]


@pytest.fixture(scope="module")
def clf(data):
    X, y = data
    labels = np.array(["top", "trouser", "pullover", "dress", "coat"] * 2)[y]
    return FeedForwardClassifier((8,), max_epochs=1, random_state=0).fit(X, labels)


@pytest.fixture
def clf_file(clf, tmp_path):
    path = tmp_path / "clf.safetensors"
    io.dump(clf, path)
    return path


def test_any_flipped_byte_of_the_document_is_refused(clf_file):
    """The issue's first finding: a flipped byte in a class label loaded."""
    data = clf_file.read_bytes()
    n = int.from_bytes(data[:8], "little")
    label = data.index(b"trouser"[:1], 8)  # any byte in the header
    positions = list(range(8, 8 + n, max(1, n // 60))) + [label]
    tensors = range(8 + n, len(data), max(1, (len(data) - 8 - n) // 30))
    for position in [*positions, *tensors]:
        changed = bytearray(data)
        changed[position] ^= 0x20
        if changed[8 : 8 + n].strip() == data[8 : 8 + n].strip():
            continue  # the header's padding
        clf_file.write_bytes(bytes(changed))
        with pytest.raises(io.ModelFileError):
            io.load(clf_file)


def test_a_class_label_tensor_changed_is_refused(clf_file):
    document, tensors = _read(clf_file)
    name = document["state"]["__dict__"]["classes_"]["__array__"]
    tensors[name][0, 0] += 1  # 'coat' -> 'doat'
    metadata = {"skfashion": json.dumps(document)}
    with safe_open(clf_file, framework="pt") as f:
        metadata["skfashion_sha256"] = f.metadata()["skfashion_sha256"]
    clf_file.write_bytes(safetensors_bytes(tensors, metadata=metadata))
    with pytest.raises(io.ModelFileError, match="SHA-256"):
        io.load(clf_file)


def _set(key, value):
    def change(state, tensors):
        state[key] = value

    return change


@pytest.mark.parametrize(
    "change, match",
    [
        (_set("predict", 1), "'predict'"),
        (_set("unknown_", 1), "'unknown_'"),
        (_set("batch_size_", 0), "'batch_size_'"),
        (_set("n_epochs_", -5), "'n_epochs_'"),
        (_set("precision_", "float16"), "'precision_'"),
        (_set("precision", "float16"), "precision"),
        (_set("n_features_in_", 10**12), "'n_features_in_'"),
        (_set("hidden_layer_sizes", {"__tuple__": [10**12]}), "body|refused"),
        (_set("input_range_", {"__tuple__": [1.0, 0.0]}), "'input_range_'"),
        (_set("loss_curve_", [0.1, 0.2, 0.3]), "'loss_curve_'"),
        (_set("_private", 1), "'_private'"),
    ],
    ids=[
        "method",
        "unknown",
        "batch0",
        "epochs-5",
        "precision_",
        "precision",
        "features",
        "hidden1e12",
        "range",
        "curve",
        "private",
    ],
)
def test_a_crafted_state_is_refused_naming_what(clf_file, change, match):
    _craft(clf_file, change)
    with pytest.raises(io.ModelFileError, match=match):
        io.load(clf_file)


def test_a_classes_dtype_widened_is_refused_before_allocating(clf_file):
    def widen(state, tensors):
        state["classes_"]["dtype"] = "<U100000000"

    _craft(clf_file, widen)
    with pytest.raises(io.ModelFileError, match="U100000000"):
        io.load(clf_file)


def _nested(depth):
    return "[" * depth + "]" * depth


def test_deep_or_huge_json_is_refused(clf_file):
    document, tensors = _read(clf_file)
    text = json.dumps(document)[:-1] + ', "deep": ' + _nested(100_000) + "}"
    parts = {
        name: (_DTYPE_NAMES[t.dtype], tuple(t.shape), t.numpy().tobytes())
        for name, t in tensors.items()
    }
    metadata = {"skfashion": text, "skfashion_sha256": _digest(text, parts)}
    clf_file.write_bytes(safetensors_bytes(tensors, metadata=metadata))
    with pytest.raises(io.ModelFileError, match="nests"):
        io.load(clf_file)
    data = clf_file.read_bytes()
    header = json.dumps({"__metadata__": {"x": "y"}, "deep": json.loads("[]")})
    header = header[:-1].replace('"deep": []', '"deep": ' + _nested(50_000)) + "}"
    raw = header.encode()
    clf_file.write_bytes(len(raw).to_bytes(8, "little") + raw)
    with pytest.raises(io.ModelFileError, match="nests"):
        io.load(clf_file)
    clf_file.write_bytes((2**62).to_bytes(8, "little") + data[8:])
    with pytest.raises(io.ModelFileError, match="header declares"):
        io.load(clf_file)
    for cut in (0, 7, 100, len(data) - 1):
        clf_file.write_bytes(data[:cut])
        with pytest.raises(io.ModelFileError):
            io.load(clf_file)


_MEMORY = """
import resource, sys, warnings
warnings.simplefilter("ignore")
from skfashion import io
try:
    io.load(sys.argv[1])
except io.ModelFileError as exc:
    print("refused:", str(exc)[-80:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _peak_mb(path):
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    lines = out.stdout.split("\n")
    assert lines[0].startswith("refused"), out.stdout + out.stderr
    return int(lines[-2])


@pytest.mark.slow  # subprocesses under memory limits: ~30 s
def test_crafted_declarations_take_no_memory(clf_file, tmp_path):
    """Refused within the memory of a load of the genuine file plus 100 MB."""
    baseline = subprocess.run(
        [sys.executable, "-c", _MEMORY.replace("refused", "loaded"), str(clf_file)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    base = int(baseline.stdout.split("\n")[-2])
    wide = tmp_path / "wide.safetensors"
    wide.write_bytes(clf_file.read_bytes())
    _craft(wide, lambda s, t: s["classes_"].__setitem__("dtype", "<U100000000"))
    huge = tmp_path / "huge.safetensors"
    huge.write_bytes(clf_file.read_bytes())
    _craft(huge, _set("hidden_layer_sizes", {"__tuple__": [10**12]}))
    for path in (wide, huge):
        assert _peak_mb(path) < base + 100


def test_a_tensor_named_many_times_is_refused_before_it_is_copied(clf_file):
    """One tensor named 1500 times would be copied 1500 times: refused."""

    def change(state, tensors):
        weight = next(n for n in tensors if "weight" in n)
        state["zz_"] = [{"__array__": weight, "dtype": "<f4"}] * 1500

    _craft(clf_file, change)
    with pytest.raises(io.ModelFileError, match="twice"):
        io.load(clf_file)


def test_a_zip_bomb_in_the_skops_part_is_refused_from_its_directory(tmp_path):
    """A skops part whose zip unpacks to 80 MB from 80 KB is refused before
    skops reads it."""
    import io as stdio
    import zipfile

    import torch

    pipe = Pipeline([("scale", StandardScaler())]).fit(np.ones((4, 3)))
    genuine = zipfile.ZipFile(stdio.BytesIO(sio.dumps(pipe)))
    out = stdio.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        for name in genuine.namelist():
            bomb.writestr(name, genuine.read(name))
        bomb.writestr("zeros.npy", bytes(80 << 20))
    part = torch.from_numpy(np.frombuffer(out.getvalue(), np.uint8).copy())
    document = {
        "format": "skfashion-model",
        "format_version": 2,
        "skfashion_version": "0",
        "class": "skops",
        "skops": "skops#0",
    }
    path = tmp_path / "bomb.safetensors"
    path.write_bytes(signed(document, {"skops#0": part}))
    with pytest.raises(io.ModelFileError, match="unpacks to 83"):
        io.load(path)


def test_a_model_fitted_on_a_gpu_loads_on_the_cpu(clf, data, tmp_path):
    """The device is stored as the fit resolved it; the loader chooses: the
    fitted one where the machine has it, else the CPU with a warning."""
    X, _ = data
    gpu = pickle.loads(pickle.dumps(clf))
    # What a fit on a GPU leaves (the tensors are saved from the CPU anyway).
    gpu.runtime_ = dataclasses.replace(gpu.runtime_, device="cuda:0")
    gpu.net_.device = "cuda:0"
    path = tmp_path / "gpu.safetensors"
    io.dump(gpu, path)
    document, _ = _read(path)
    assert "cuda:0" in json.dumps(document)
    with pytest.warns(DeviceWarning, match="cuda:0"):
        default = io.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a chosen device: no warning
        chosen = io.load(path, device="cpu")
    for loaded in (default, chosen):
        assert loaded.runtime_.device == "cpu" and loaded.net_.device == "cpu"
        assert str(next(loaded.net_.module_.parameters()).device) == "cpu"
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with pytest.warns(DeviceWarning):  # pickle and skops: the same state
        again = pickle.loads(pickle.dumps(gpu))
    assert again.runtime_.device == "cpu"
    with pytest.raises(io.ModelFileError, match="no such device"):
        io.load(path, device="cuda:7")


def _fit(est, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.fixture(scope="module")
def composites(data):
    X, y = data
    ae = Autoencoder((8,), 2, max_epochs=1, random_state=0)
    trees = {
        "pipeline": Pipeline([("ae", ae), ("knn", KNeighborsClassifier(3))]),
        "union": Pipeline(
            [
                (
                    "features",
                    FeatureUnion(
                        [
                            ("ae", ae),
                            ("vae", VariationalAutoencoder((8,), 2, max_epochs=1)),
                        ]
                    ),
                ),
                ("clf", FeedForwardClassifier((4,), max_epochs=1, random_state=0)),
            ]
        ),
        "columns": Pipeline(
            [
                (
                    "columns",
                    ColumnTransformer(
                        [
                            ("ae", ae, list(range(784))),
                            ("scale", StandardScaler(), [0, 1]),
                        ]
                    ),
                ),
                (
                    "nested",
                    Pipeline([("knn", KNeighborsClassifier(3))]),
                ),
            ]
        ),
    }
    return {name: _fit(tree, X, y) for name, tree in trees.items()}


@pytest.mark.parametrize("name", ["pipeline", "union", "columns"])
def test_any_tree_of_meta_estimators_saves_and_loads(composites, data, name, tmp_path):
    X, _ = data
    tree = composites[name]
    path = tmp_path / "tree.safetensors"
    io.dump(tree, path)
    # skops does not trust a KNeighborsClassifier's KDTree by default
    trusted = [
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.neighbors._kd_tree.KDTree",
    ]
    for loaded in (io.load(path, trusted=trusted), pickle.loads(pickle.dumps(tree))):
        np.testing.assert_array_equal(loaded.predict(X), tree.predict(X))


@pytest.mark.parametrize("name", ["pipeline", "union", "columns"])
def test_skops_saves_them_without_pickle(composites, data, name, monkeypatch):
    """MLflow's default skops format: skops.io.dump, then load trusting
    skfashion's estimators by name."""
    X, _ = data
    tree = composites[name]
    blob = sio.dumps(tree)
    untrusted = sio.get_untrusted_types(data=blob)
    assert "skfashion._autoencoder.Autoencoder" in untrusted
    assert all(t.startswith(("skfashion.", "sklearn.")) for t in untrusted)

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    loaded = sio.loads(blob, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict(X), tree.predict(X))


def test_set_output_and_metadata_requests_come_back(data, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = data
    ae = _fit(Autoencoder((8,), 2, max_epochs=1, random_state=0), X)
    ae.set_output(transform="pandas")
    clf = _fit(FeedForwardClassifier((4,), max_epochs=1, random_state=0), X, y)
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(sample_weight=True).set_score_request(
            sample_weight="weights"
        )
        for est in (ae, clf):
            path = tmp_path / "m.safetensors"
            io.dump(est, path)
            for loaded in (
                io.load(path),
                sio.loads(
                    sio.dumps(est), trusted=sio.get_untrusted_types(data=sio.dumps(est))
                ),
            ):
                assert (
                    loaded._get_metadata_request()._serialize()
                    == est._get_metadata_request()._serialize()
                )
        assert isinstance(io.load(tmp_path / "m.safetensors"), FeedForwardClassifier)
    path = tmp_path / "ae.safetensors"
    io.dump(ae, path)
    codes = io.load(path).transform(X)
    assert isinstance(codes, pd.DataFrame)
    pd.testing.assert_frame_equal(codes, ae.transform(X))


@pytest.mark.parametrize(
    "labels, class_weight",
    [
        (np.array([0, 1]), {0: 2.0, 1: 0.5}),
        (np.array([3, 9], dtype=np.int8), {np.int8(3): 2.0, np.int8(9): 0.5}),
        (np.array(["a", "bb"]), {"a": 2.0, "bb": 0.5}),
        (np.array(["a", "bb"], dtype=object), None),
        (np.array([False, True]), None),
        (np.array([2**64 - 1, 7], dtype=np.uint64), None),
        (np.array([-1, 2], dtype=np.int16), {-1: 1.0, 2: 3.0}),
    ],
    ids=["int", "int8", "str", "object", "bool", "uint64", "int16"],
)
def test_labels_and_class_weights_of_any_kind_come_back(
    data, labels, class_weight, tmp_path
):
    X, y = data
    y = labels[y % 2]
    clf = FeedForwardClassifier(
        (4,), max_epochs=1, class_weight=class_weight, random_state=0
    )
    clf = _fit(clf, X, y)
    path = tmp_path / "m.safetensors"
    io.dump(clf, path)
    loaded = io.load(path)
    assert loaded.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.get_params()["class_weight"] == class_weight
    if class_weight:
        assert [type(k) for k in loaded.class_weight] == [type(k) for k in class_weight]


def test_a_conv_model_with_a_crafted_image_shape_is_refused(data, tmp_path):
    X, y = data
    conv = _fit(ConvClassifier((2,), dense_units=4, max_epochs=1), X, y)
    path = tmp_path / "conv.safetensors"
    io.dump(conv, path)
    _craft(path, _set("image_shape_", {"__tuple__": [1, 28, 29]}))
    with pytest.raises(io.ModelFileError, match="image_shape_"):
        io.load(path)


def test_a_format_1_file_with_widened_strings_is_refused(tmp_path):
    """Format 1 held strings as JSON with a declared dtype: a width beyond
    the longest string given is refused before any array is made."""
    source = os.path.join(os.path.dirname(__file__), "data")
    with safe_open(os.path.join(source, "model_format_1.safetensors"), "pt") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    document = json.loads(metadata["skfashion"])
    document["fitted"]["__dict__"]["classes_"] = {
        "__strings__": [str(i) for i in range(10)],
        "dtype": "<U100000000",
        "shape": [10],
    }
    path = tmp_path / "v1.safetensors"
    metadata = {"skfashion": json.dumps(document)}
    path.write_bytes(safetensors_bytes(tensors, metadata=metadata))
    with pytest.raises(io.ModelFileError, match="wider than given"):
        io.load(path)
