"""skfashion.onnx: the estimators' graphs give their outputs under onnxruntime."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
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


# -- hostile calls and precisions (issue 34, item 6) ------------------------------


@pytest.fixture(scope="module")
def small_clf(data):
    X, names, _ = data
    return _fit(FeedForwardClassifier((4,), max_epochs=1, random_state=0), X, names)


@pytest.mark.slow  # 4 to 8 s each: exports of float64 conv graphs
@pytest.mark.parametrize(
    "est",
    [
        ConvClassifier((2,), dense_units=4, max_epochs=1, precision="float64"),
        ConvAutoencoder((2,), 3, max_epochs=1, precision="float64"),
    ],
    ids=["conv-classifier", "conv-autoencoder"],
)
def test_a_float64_conv_model_runs_under_onnxruntime_and_matches(est, data):
    # onnxruntime has no float64 Conv: the graph casts around a float32 inside
    X, _, ints = data
    X = X[:100].astype(np.float64)
    is_clf = isinstance(est, ConvClassifier)
    est = _fit(est.set_params(random_state=0), X, ints[:100] if is_clf else None)
    outputs = _run(to_onnx(est, X[:1]), X=X)
    if is_clf:
        np.testing.assert_array_equal(outputs[0], est.predict(X))
        np.testing.assert_allclose(outputs[1], est.predict_proba(X), atol=1e-5)
    else:
        assert outputs[0].dtype == np.float64
        np.testing.assert_allclose(outputs[0], est.transform(X), atol=1e-5)
        (rebuilt,) = _run(to_onnx(est, method="inverse_transform"), codes=outputs[0])
        np.testing.assert_allclose(
            rebuilt, est.inverse_transform(outputs[0]), atol=1e-5
        )


@pytest.mark.parametrize(
    "sample, match",
    [
        (np.zeros((0, 784), np.float32), "empty"),
        (np.zeros((2, 10), np.float32), "10 features per row"),
        (np.zeros((2, 783), np.float32), "783 features per row"),
        (np.zeros(784, np.float32), "2-D rows"),
        (np.array([["a"] * 784]), "must hold numbers"),
        ([[1.0, 2.0], [3.0]], "array of numbers"),
    ],
    ids=["empty", "narrow", "one-short", "1-D", "strings", "ragged"],
)
def test_a_bad_sample_is_a_value_error_that_says_what_to_pass(small_clf, sample, match):
    with pytest.raises(ValueError, match=match):
        to_onnx(small_clf, sample)


def test_images_are_a_sample_of_as_many_pixels(small_clf, data):
    X, _, _ = data
    model = to_onnx(small_clf, X[:2].reshape(2, 1, 28, 28))
    label, _ = _run(model, X=X[:5])
    np.testing.assert_array_equal(label, small_clf.predict(X[:5]))


@pytest.mark.parametrize("opset", [17, 1, 0, -18, 10**6, "18", 18.0, True, None])
def test_an_opset_out_of_range_is_a_value_error(small_clf, opset):
    with pytest.raises(ValueError, match="opset must be"):
        to_onnx(small_clf, opset=opset)


@pytest.mark.parametrize("missing", ["onnx", "onnxscript"])
def test_a_missing_package_is_an_import_error_that_says_what_to_install(
    small_clf, missing, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, missing, None)  # import raises ImportError
    with pytest.raises(ImportError, match=f"needs {missing}.*pip install onnx"):
        to_onnx(small_clf)


def test_a_missing_skl2onnx_is_an_import_error_that_says_what_to_install(
    monkeypatch,
):
    import sys

    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match="pip install skl2onnx"):
        register_skl2onnx_converters()


def _pipeline_session(pipe, sample, **options):
    register_skl2onnx_converters()
    model = skl2onnx.to_onnx(pipe, sample, **options)
    return onnxruntime.InferenceSession(model.SerializeToString())


@pytest.mark.slow
@pytest.mark.parametrize(
    "precision, sample_dtype",
    [("float64", np.float32), ("float32", np.float64)],
    ids=["float64-step-float32-sample", "float32-step-float64-sample"],
)
def test_a_pipeline_step_of_another_precision_than_the_sample_exports_right(
    precision, sample_dtype, data
):
    X, names, _ = data
    X = X.astype(sample_dtype)
    pipe = Pipeline(
        [
            ("ae", Autoencoder((8,), 4, max_epochs=1, precision=precision)),
            ("knn", KNeighborsClassifier(3)),
        ]
    )
    pipe = _fit(pipe.set_params(ae__random_state=0), X, names)
    if sample_dtype != np.float64:
        session = _pipeline_session(pipe, X[:1])
    if sample_dtype == np.float64:  # skl2onnx's ZipMap takes no doubles: off
        options = {id(pipe[-1]): {"zipmap": False}}
        session = _pipeline_session(pipe, X[:1], options=options)
    names_out = [o.name for o in session.get_outputs()]
    if sample_dtype == np.float64:  # skl2onnx's names without ZipMap
        assert names_out == ["label", "probabilities"]
    else:
        assert names_out == ["output_label", "output_probability"]
    label, proba = session.run(None, {"X": X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    if sample_dtype == np.float64:
        np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=1e-5)
    else:  # the default ZipMap: a list of dicts {class: probability}
        assert isinstance(proba, list) and set(proba[0]) == set(pipe.classes_)
    # an autoencoder at the end: "variable", the codes
    ae = pipe.named_steps["ae"]
    session = _pipeline_session(Pipeline([("ae", ae)]), X[:1])
    assert [o.name for o in session.get_outputs()] == ["variable"]
    (codes,) = session.run(None, {"X": X})
    np.testing.assert_allclose(codes, ae.transform(X), atol=1e-5)


def test_skl2onnx_with_a_too_low_opset_says_what_to_pass(small_clf, data):
    X, _, _ = data
    register_skl2onnx_converters()
    with pytest.raises(ValueError, match="target_opset"):
        skl2onnx.to_onnx(small_clf, X[:1], target_opset={"": 15, "ai.onnx.ml": 3})


def test_every_output_name_is_documented():
    import pathlib

    import skfashion.onnx

    names = ["label", "probabilities", "code", "reconstruction", "codes"]
    pipeline = ["output_label", "output_probability", "variable", "zipmap"]
    for name in names:
        assert f"``{name}``" in skfashion.onnx.to_onnx.__doc__
    for name in pipeline:
        assert name in skfashion.onnx.register_skl2onnx_converters.__doc__
    page = pathlib.Path(__file__).parent.parent / "docs/user_guide/model_files.rst"
    text = page.read_text()
    for name in names + pipeline:
        assert f"``{name}``" in text or f'"{name}"' in text, name
