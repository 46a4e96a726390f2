"""skfashion.onnx: the estimators' graphs give their outputs under onnxruntime."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skfashion import (
    Autoencoder,
    ConvClassifier,
    ConvVariationalAutoencoder,
    FeedForwardClassifier,
)

onnxruntime = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")
from skfashion.onnx import register_skl2onnx_converters, to_onnx  # noqa: E402


@pytest.fixture(scope="module")
def data(fashion_sample):
    train, _ = fashion_sample
    names = np.array(["top", "trouser", "pullover", "dress", "coat"] * 2)
    return train.data[:300], names[train.target[:300]], train.target[:300]


def _fit(est, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny fits learn little
        return est.fit(X, y) if y is not None else est.fit(X)


def _run(model, **inputs):
    session = onnxruntime.InferenceSession(model.SerializeToString())
    return session.run(None, inputs)


@pytest.mark.parametrize(
    "est, labels",
    [
        pytest.param(
            FeedForwardClassifier((16,), max_epochs=1, random_state=0),
            "strings",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            ConvClassifier((4,), dense_units=8, max_epochs=1, random_state=0),
            "ints",
            marks=pytest.mark.slow,
        ),
    ],
    ids=["dense-strings", "conv-ints"],
)
def test_a_classifier_graph_gives_labels_and_probabilities(est, labels, data):
    X, names, ints = data
    est = _fit(est, X, names if labels == "strings" else ints)
    label, proba = _run(to_onnx(est, X[:1]), X=X)
    np.testing.assert_array_equal(label, est.predict(X))
    np.testing.assert_allclose(proba, est.predict_proba(X), atol=1e-5)
    one, _ = _run(to_onnx(est), X=X[:1])  # any number of rows, one included
    np.testing.assert_array_equal(one, est.predict(X[:1]))


@pytest.mark.parametrize(
    "est",
    [
        Autoencoder((16,), 4, max_epochs=1, random_state=0),
        pytest.param(
            ConvVariationalAutoencoder((4,), 4, max_epochs=1, random_state=0),
            marks=pytest.mark.slow,
        ),
    ],
    ids=["dense", "conv-vae"],
)
def test_an_autoencoder_graph_gives_codes_and_reconstructions(est, data):
    X, _, _ = data
    est = _fit(est, X)
    (codes,) = _run(to_onnx(est, X[:1]), X=X)
    np.testing.assert_allclose(codes, est.transform(X), atol=1e-5)
    (rebuilt,) = _run(to_onnx(est, method="inverse_transform"), codes=codes)
    np.testing.assert_allclose(rebuilt, est.inverse_transform(codes), atol=1e-5)


def test_bad_calls_say_what_to_do(data):
    X, names, _ = data
    with pytest.raises(NotFittedError):
        to_onnx(FeedForwardClassifier())
    clf = _fit(FeedForwardClassifier((4,), max_epochs=1, random_state=0), X, names)
    with pytest.raises(ValueError, match="method must be one of"):
        to_onnx(clf, method="transform")


@pytest.mark.slow
def test_skl2onnx_exports_the_autoencoder_knn_pipeline(data):
    """The package's main use, exported whole by skl2onnx."""
    X, names, _ = data
    register_skl2onnx_converters()
    pipe = Pipeline(
        [
            ("ae", Autoencoder((16,), 4, max_epochs=1, random_state=0)),
            ("knn", KNeighborsClassifier(3)),
        ]
    )
    pipe = _fit(pipe, X, names)
    model = skl2onnx.to_onnx(pipe, X[:1])
    session = onnxruntime.InferenceSession(model.SerializeToString())
    label = session.run(None, {session.get_inputs()[0].name: X})[0]
    np.testing.assert_array_equal(label, pipe.predict(X))
