"""A user's own torch module as the network (``module=``): every face, the
lifecycle, model files and ONNX, and the modules that do not fit."""

import os
import pickle

import numpy as np
import pytest
import torch
from _user_modules import (
    MLP,
    ColourNet,
    GaussianNet,
    NoHeads,
    ReadsValues,
    ResNetAE,
    WrongCode,
)
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skfashion import Autoencoder, FeedForwardClassifier, VariationalAutoencoder
from skfashion.io import ModelFileError, dump, load

pytestmark = pytest.mark.few_epochs  # short fits on small data, on purpose

SMALL = dict(max_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def images(fashion_sample):
    train, test = fashion_sample
    return train.images[:600], train.target[:600], test.images[:200], test.target[:200]


@pytest.fixture(scope="module")
def colour():
    rng = np.random.RandomState(0)
    X = rng.rand(120, 3, 32, 32).astype(np.float32)
    X[:60, 0] += 0.5  # two kinds: red-heavy or not
    return np.clip(X, 0, 1), np.repeat([0, 1], 60)


@pytest.fixture(scope="module")
def resnet_pipe(images):
    X, y, _, _ = images
    ae = Autoencoder(module=ResNetAE, module__width=4, n_components=16, **SMALL)
    return Pipeline([("ae", ae), ("knn", KNeighborsClassifier())]).fit(X, y)


def test_a_resnet_like_encoder_for_28x28_images_in_a_pipeline(resnet_pipe, images):
    _, _, X_test, y_test = images
    ae = resnet_pipe[0]
    assert ae.input_shape_ == (1, 28, 28)
    assert isinstance(ae.net_.module_.inner, ResNetAE)
    assert ae.net_.module_.inner.block.conv1.out_channels == 4  # module__width
    assert ae.transform(X_test[:5]).shape == (5, 16)
    assert ae.inverse_transform(ae.transform(X_test[:5])).shape == (5, 784)
    assert resnet_pipe.score(X_test, y_test) > 0.3  # 10 classes: chance is 0.1
    # Rows of as many values are the same images.
    np.testing.assert_array_equal(
        ae.transform(X_test[:5].reshape(5, -1)), ae.transform(X_test[:5])
    )
    with pytest.raises(ValueError, match=r"fitted on \(1, 28, 28\)"):
        ae.transform(X_test[:5].reshape(5, 1, 14, 56))


def test_a_network_for_colour_arrays_in_a_pipeline(colour):
    X, y = colour
    pipe = Pipeline(
        [
            ("ae", Autoencoder(module=ColourNet, n_components=8, **SMALL)),
            ("knn", KNeighborsClassifier(1)),
        ]
    ).fit(X, y)
    ae = pipe[0]
    assert ae.input_shape_ == (3, 32, 32) and ae.n_features_in_ == 3072
    assert ae.net_.module_.inner.shape == (3, 32, 32)  # input_shape asked for
    assert ae.reconstruct(X[:4]).shape == (4, 3072)
    assert pipe.score(X, y) > 0.6


def test_saved_and_loaded_only_when_its_module_is_trusted(
    resnet_pipe, images, tmp_path
):
    ae, X = resnet_pipe[0], images[2][:20]
    path = tmp_path / "ae.safetensors"
    dump(ae, path)
    with pytest.raises(ModelFileError, match=r"trusted=\['_user_modules.ResNetAE'\]"):
        load(path)
    loaded = load(path, trusted=["_user_modules.ResNetAE"])
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))
    assert loaded.get_params()["module__width"] == 4
    again = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(again.transform(X), ae.transform(X))
    # The pipeline, through skops: the module is one more type to trust.
    pipe_path = tmp_path / "pipe.safetensors"
    dump(resnet_pipe, pipe_path)
    with pytest.raises(ModelFileError):
        load(pipe_path)


def test_a_file_naming_another_class_as_its_module_is_refused(resnet_pipe, tmp_path):
    # The name a file gives is imported only when trusted, and then only a
    # torch module class is taken: a trusted name of anything else is refused.
    import json

    from _crafting import signed
    from safetensors import safe_open

    path = tmp_path / "ae.safetensors"
    dump(resnet_pipe[0], path)
    with safe_open(path, "pt") as f:
        document = json.loads(f.metadata()["skfashion"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    document["state"]["__dict__"]["module"] = "os.path.join"
    crafted = tmp_path / "crafted.safetensors"
    crafted.write_bytes(signed(document, tensors))
    with pytest.raises(ModelFileError, match="trusted"):
        load(crafted)
    with pytest.raises(ModelFileError, match="not a torch.nn.Module"):
        load(crafted, trusted=["os.path.join"])


def test_a_colour_network_is_saved_loaded_and_exported(colour, tmp_path):
    X, _ = colour
    ae = Autoencoder(module=ColourNet, n_components=8, max_epochs=1, random_state=0)
    ae.fit(X)
    dump(ae, tmp_path / "colour.safetensors")
    loaded = load(tmp_path / "colour.safetensors", trusted=["_user_modules.ColourNet"])
    np.testing.assert_array_equal(loaded.transform(X[:5]), ae.transform(X[:5]))
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from skfashion.onnx import to_onnx

    session = onnxruntime.InferenceSession(to_onnx(ae, X[:1]).SerializeToString())
    rows = X[:6].reshape(6, -1)
    codes = session.run(None, {session.get_inputs()[0].name: rows})[0]
    np.testing.assert_allclose(codes, ae.transform(X[:6]), rtol=1e-4, atol=1e-5)


def test_onnx_export_gives_the_codes(resnet_pipe, images):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from skfashion.onnx import to_onnx

    ae, X = resnet_pipe[0], images[2][:8]
    model = to_onnx(ae, X[:1])
    session = onnxruntime.InferenceSession(model.SerializeToString())
    rows = X.reshape(len(X), -1).astype(np.float32)
    codes = session.run(None, {session.get_inputs()[0].name: rows})[0]
    np.testing.assert_allclose(codes, ae.transform(X), rtol=1e-4, atol=1e-5)


def test_the_variational_face_trains_a_gaussian_code_head(fashion_sample):
    X = fashion_sample[0].data[:400]
    vae = VariationalAutoencoder(
        module=GaussianNet, module__width=16, n_components=3, **SMALL
    ).fit(X)
    assert vae.net_.module_.outputs == ("reconstruction", "code", "log_var")
    assert vae.sample(4, random_state=0).shape == (4, 784)
    assert vae.transform(X[:5]).shape == (5, 3)
    with pytest.raises(ValueError, match=r"encode must return \(mean, log_var\)"):
        VariationalAutoencoder(module=NoHeads, n_components=3, **SMALL).fit(X)


def test_the_classifier_keeps_every_option_of_the_built_in_networks(fashion_sample):
    train, test = fashion_sample
    X, y = train.data[:500], train.target[:500]
    clf = FeedForwardClassifier(module=MLP, module__width=32, **SMALL)
    clf.fit(X, y, sample_weight=np.r_[np.zeros(50), np.ones(450)])
    proba = clf.predict_proba(test.data[:10])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert clf.extract_features(test.data[:3]).shape == (3, 32)
    # warm start and partial_fit go on; float64 runs in float64
    n = clf.n_epochs_
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.n_epochs_ == 2 * n
    clf.partial_fit(X[:100], y[:100])
    double = clone(clf).set_params(precision="float64", warm_start=False).fit(X, y)
    assert double.predict_proba(X[:3]).dtype == np.float64
    assert next(double.net_.module_.parameters()).dtype == torch.float64
    # a grid search over the module's own setting
    search = GridSearchCV(
        FeedForwardClassifier(module=MLP, **SMALL), {"module__width": [8, 16]}, cv=2
    ).fit(X, y)
    assert search.best_params_["module__width"] in (8, 16)


@pytest.mark.parametrize(
    "est, match",
    [
        (FeedForwardClassifier(module=MLP(784, 10)), "must be None or an instance"),
        (FeedForwardClassifier(module=dict), "torch.nn.Module class"),
        (Autoencoder(module=MLP), r"encode\(...\) and decode\(...\)"),
        (FeedForwardClassifier(module=MLP, module__depth=3), "no parameter 'depth'"),
        (
            FeedForwardClassifier(module=MLP, hidden_layer_sizes=(5,)),
            "hidden_layer_sizes=.* sets the built-in network",
        ),
        (Autoencoder(module=WrongCode, n_components=4), "n_components=4"),
        (Autoencoder(module=ResNetAE, n_components=4), "Give X in the shape"),
    ],
    ids=[
        "instance",
        "not-a-module",
        "no-encode",
        "unknown-setting",
        "built-in-parameter",
        "code-width",
        "rows-to-a-conv",
    ],
)
def test_modules_that_do_not_fit_are_refused_with_the_fix(est, match, fashion_sample):
    X, y = fashion_sample[0].data[:60], fashion_sample[0].target[:60]
    with pytest.raises(ValueError, match=match):
        est.set_params(max_epochs=1).fit(X, y)
    assert not any(k.endswith("_") for k in vars(est))  # nothing fitted


def test_a_module_defined_in_a_function_cannot_be_written(fashion_sample, tmp_path):
    class Local(MLP):
        pass

    X, y = fashion_sample[0].data[:60], fashion_sample[0].target[:60]
    clf = FeedForwardClassifier(module=Local, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="cannot be imported by name"):
        dump(clf, tmp_path / "local.safetensors")
    assert not os.path.exists(tmp_path / "local.safetensors")


def test_a_module_that_reads_values_trains(fashion_sample):
    # Not runnable on the meta device: checked and counted on the CPU instead.
    with pytest.raises(RuntimeError), torch.device("meta"):
        ReadsValues(4, 2)(torch.zeros(2, 4))
    X, y = fashion_sample[0].data[:100], fashion_sample[0].target[:100]
    clf = FeedForwardClassifier(module=ReadsValues, max_epochs=1, random_state=0)
    assert clf.fit(X, y).predict_proba(X[:3]).shape == (3, 10)


def test_plots_show_the_fitted_shape_of_colour_images(colour):
    import matplotlib

    matplotlib.use("Agg")
    from skfashion.plotting import ReconstructionDisplay, SamplesDisplay

    X, _ = colour
    ae = Autoencoder(module=ColourNet, n_components=8, max_epochs=1, random_state=0)
    ae.fit(X)
    # rows of 3,072 values: drawn as the fitted (3, 32, 32), not guessed
    display = ReconstructionDisplay.from_estimator(ae, X.reshape(len(X), -1)[:4])
    assert display.image_shape == (3, 32, 32)
    assert SamplesDisplay.from_estimator(ae, 4).image_shape == (3, 32, 32)
