"""skfashion.io: model files that run no code; files written whole or not at all."""

import copy
import json
import os
import pickle
import warnings

import numpy as np
import pytest
import torch
from _crafting import signed
from safetensors import safe_open
from safetensors.torch import save as safetensors_bytes
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from skorch.callbacks import PrintLog

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    ConvVariationalAutoencoder,
    FeedForwardClassifier,
    VariationalAutoencoder,
    io,
)


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


# -- model files -----------------------------------------------------------------

DATA = os.path.join(os.path.dirname(__file__), "data")

ESTIMATORS = [
    FeedForwardClassifier((16,), max_epochs=2, early_stopping=True, random_state=0),
    pytest.param(
        ConvClassifier((4,), dense_units=8, max_epochs=1, random_state=0),
        marks=pytest.mark.slow,
    ),
    Autoencoder((16,), 4, max_epochs=2, random_state=np.random.RandomState(3)),
    VariationalAutoencoder((16,), 4, max_epochs=2, random_state=0),
    pytest.param(
        ConvAutoencoder((4,), 4, max_epochs=1, precision="float64", random_state=0),
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ConvVariationalAutoencoder((4,), 4, max_epochs=1, random_state=0),
        marks=pytest.mark.slow,
    ),
]


def _methods(est, X):
    """Every output of the estimator's methods on X, by name."""
    if hasattr(est, "predict"):
        return {
            "predict": est.predict(X),
            "predict_proba": est.predict_proba(X),
            "decision_function": est.decision_function(X),
            "extract_features": est.extract_features(X),
            "score": est.score(X, est.predict(X)),
        }
    codes = est.transform(X)
    return {
        "transform": codes,
        "inverse_transform": est.inverse_transform(codes),
        "reconstruct": est.reconstruct(X),
        "score": est.score(X),
        "sample": est.sample(5, random_state=1),
    }


def _plain(params):
    """Parameters comparable with ==: a RandomState by its state."""
    return {
        k: v.get_state()[1].tolist() if isinstance(v, np.random.RandomState) else v
        for k, v in params.items()
    }


def _fit(est, X, labels):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny fits learn little
        if hasattr(est, "predict"):
            return est.fit(X, labels), labels
        return est.fit(X), None


@pytest.fixture(scope="module")
def data(sample_images):
    images, y = sample_images
    names = np.array(["top", "trouser", "pullover", "dress", "coat"] * 2)
    return images[:240], names[y[:240]]  # images (n, 28, 28), string labels


@pytest.mark.parametrize(
    "est",
    ESTIMATORS,
    ids=[
        "FeedForwardClassifier",
        "ConvClassifier",
        "Autoencoder",
        "VariationalAutoencoder",
        "ConvAutoencoder-float64",
        "ConvVariationalAutoencoder",
    ],
)
def test_a_loaded_model_gives_every_output_and_trains_on_as_the_original(
    est, data, tmp_path
):
    X, labels = data
    est, y = _fit(copy.deepcopy(est), X, labels)
    path = tmp_path / "model.safetensors"
    io.dump(est, path)
    loaded = io.load(path)
    assert type(loaded) is type(est)
    assert sorted(vars(loaded)) == sorted(vars(est))  # every fitted attribute
    assert _plain(loaded.get_params()) == _plain(est.get_params())
    for name, expected in _methods(est, X).items():
        got = _methods(loaded, X)[name]
        np.testing.assert_array_equal(got, expected, err_msg=name)
        assert np.asarray(got).dtype == np.asarray(expected).dtype, name
    assert loaded.history_.to_list() == est.history_.to_list()
    assert loaded.runtime_ == est.runtime_
    # the optimizer's state comes back too: a step of partial_fit is the same
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, y) if y is not None else est.partial_fit(X)
        loaded.partial_fit(X, y) if y is not None else loaded.partial_fit(X)
    for name, expected in _methods(est, X).items():
        np.testing.assert_array_equal(_methods(loaded, X)[name], expected)


def test_loading_unpickles_nothing(data, tmp_path, monkeypatch):
    X, labels = data
    est, _ = _fit(FeedForwardClassifier((8,), max_epochs=1, random_state=0), X, labels)
    io.dump(est, tmp_path / "m.safetensors")

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    loaded = io.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def _rewrite(path, change_document=None, change_tensors=None, sign=True):
    """Rewrite a model file with its JSON or tensors changed, as an attacker
    would: with a digest that matches (``sign``), or the original one."""
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
        document = json.loads(metadata["skfashion"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if change_document:
        change_document(document)
    if change_tensors:
        change_tensors(tensors)
    if sign:
        path.write_bytes(signed(document, tensors))
    else:
        metadata["skfashion"] = json.dumps(document)
        path.write_bytes(safetensors_bytes(tensors, metadata=metadata))


@pytest.fixture
def model_file(data, tmp_path):
    X, labels = data
    est, _ = _fit(FeedForwardClassifier((8,), max_epochs=1, random_state=0), X, labels)
    path = tmp_path / "m.safetensors"
    io.dump(est, path)
    return path


def _set(key, value):
    def change(document):
        document[key] = value

    return change


def _scale_first_tensor(tensors):
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] * 2


@pytest.mark.parametrize(
    "document, tensors, sign, match",
    [
        (_set("class", "os.system"), None, True, "not a skfashion estimator"),
        (_set("class", "Autoencoder"), None, True, "Autoencoder"),
        (_set("format_version", 99), None, True, "upgrade skfashion"),
        (_set("format", "other"), None, True, "not a skfashion model file"),
        (None, _scale_first_tensor, False, "SHA-256"),
        (_set("class", "Autoencoder"), None, False, "SHA-256"),
    ],
    ids=["class", "other-class", "version", "format", "tensor", "unsigned-json"],
)
def test_a_file_that_does_not_match_itself_is_refused(
    model_file, document, tensors, sign, match
):
    _rewrite(model_file, document, tensors, sign)
    with pytest.raises(io.ModelFileError, match=match):
        io.load(model_file)


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="not a model file"):
        io.load(path)
    path.write_bytes(safetensors_bytes({"w": torch.zeros(2)}))
    with pytest.raises(ValueError, match="no skfashion metadata"):
        io.load(path)


def test_dump_refuses_what_it_cannot_write_without_code(data, tmp_path):
    X, labels = data
    est = FeedForwardClassifier((8,), max_epochs=1, callbacks=[PrintLog()])
    with pytest.raises(ValueError, match="not fitted"):
        io.dump(est, tmp_path / "m.safetensors")
    est, _ = _fit(est, X, labels)
    with pytest.raises(ValueError, match="callbacks=None"):
        io.dump(est, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="skfashion's estimators"):
        io.dump(object(), tmp_path / "m.safetensors")
    # a file that dump writes, load reads: not a step with callbacks, nor a
    # function that cannot be imported by name
    with pytest.raises(ValueError, match="'feedforwardclassifier'.*callbacks=None"):
        io.dump(make_pipeline(est), tmp_path / "m.safetensors")

    def local(X):
        return X

    for function, name in ((lambda X: X, "<lambda>"), (local, r"\.local,")):
        with pytest.raises(ValueError, match=f"{name}.*importable module"):
            io.dump(make_pipeline(FunctionTransformer(function)), tmp_path / "m")
    assert not os.listdir(tmp_path)  # nothing half-written


def test_a_file_of_format_version_1_still_loads(data):
    """A model file written by skfashion 0.2 (format 1), committed: later
    versions must read it and give the same predictions."""
    X, _ = data
    loaded = io.load(os.path.join(DATA, "model_format_1.safetensors"))
    expected = np.load(os.path.join(DATA, "model_format_1_proba.npy"))
    np.testing.assert_allclose(loaded.predict_proba(X[:10]), expected, rtol=1e-6)
    assert list(loaded.classes_) == sorted(set(data[1]))


def test_a_pipeline_is_written_whole(data, tmp_path):
    """The package's main use, Autoencoder -> KNN, and a scaler before a
    classifier: one file each, the same predictions after load."""
    X, labels = data
    rows = X.reshape(len(X), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        knn = Pipeline(
            [
                ("ae", Autoencoder((16,), 4, max_epochs=2, random_state=0)),
                ("knn", KNeighborsClassifier(3)),
            ]
        ).fit(rows, labels)
        scaled = make_pipeline(
            StandardScaler(),
            "passthrough",
            FeedForwardClassifier((8,), max_epochs=1, random_state=0),
        ).fit(rows, labels)
    # skops does not trust a KDTree by default: named by whoever trusts it
    knn_types = [
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.neighbors._kd_tree.KDTree",
    ]
    for pipe, trusted in ((knn, knn_types), (scaled, None)):
        io.dump(pipe, tmp_path / "pipe.safetensors")
        if trusted:
            with pytest.raises(io.ModelFileError, match="KDTree"):
                io.load(tmp_path / "pipe.safetensors")
        loaded = io.load(tmp_path / "pipe.safetensors", trusted=trusted)
        assert [name for name, _ in loaded.steps] == [name for name, _ in pipe.steps]
        np.testing.assert_array_equal(loaded.predict(rows), pipe.predict(rows))
        np.testing.assert_array_equal(
            loaded.predict_proba(rows), pipe.predict_proba(rows)
        )


def _negate(X):
    return -X


def test_a_pipeline_step_of_foreign_code_is_refused_unless_trusted(data, tmp_path):
    X, _ = data
    rows = X.reshape(len(X), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(
            FunctionTransformer(_negate),
            Autoencoder((8,), 2, max_epochs=1, random_state=0),
        ).fit(rows)
    path = tmp_path / "pipe.safetensors"
    io.dump(pipe, path)
    with pytest.raises(io.ModelFileError, match="_negate"):
        io.load(path)
    loaded = io.load(path, trusted=[f"{__name__}._negate"])
    np.testing.assert_array_equal(loaded.transform(rows), pipe.transform(rows))


def test_a_pipeline_of_numpy_functions_is_refused_unless_trusted(tmp_path):
    """numpy's and scikit-learn's names are not all safe: a FunctionTransformer
    of ``numpy.full_like`` then ``runstring`` runs a shell command when used.
    Only what skops trusts by default and skfashion's estimators load."""
    import numpy.testing._private.utils as np_utils

    payload = "__import__('os').system('echo PWNED')"
    evil = make_pipeline(
        FunctionTransformer(
            np.full_like, kw_args={"fill_value": payload, "dtype": "O"}
        ),
        FunctionTransformer(np.max),
        FunctionTransformer(np_utils.runstring, kw_args={"dict": {}}),
    )
    path = tmp_path / "evil.safetensors"
    io.dump(evil, path)
    with pytest.raises(io.ModelFileError, match="runstring.*trusted="):
        io.load(path)
    with pytest.raises(io.ModelFileError, match="numpy.full_like"):
        io.load(path)
