"""The convolutional family: image shapes, the modules' shapes, real images."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier

from skfashion import ConvAutoencoder, ConvClassifier
from skfashion._modules import ConvAutoencoderModule, ConvClassifierModule, halved


@pytest.fixture(scope="module")
def sample(fashion_sample):
    return fashion_sample


@pytest.mark.parametrize("downsampling", ["stride", "pool", "early-pool"])
@pytest.mark.parametrize("image_shape", [(1, 28, 28), (3, 15, 17), (1, 1, 10)])
def test_modules_halve_the_image_per_block_and_give_rows_back(
    downsampling, image_shape
):
    d = int(np.prod(image_shape))
    x = torch.rand(5, d)
    ae = ConvAutoencoderModule(image_shape, (4, 8), 6, downsampling=downsampling)
    out = ae(x)
    assert set(out) == {"reconstruction", "code"}
    assert out["reconstruction"].shape == (5, d) and out["code"].shape == (5, 6)
    _, h, w = image_shape
    assert ae.sides[-1] == (halved(h, 2), halved(w, 2))
    clf = ConvClassifierModule(image_shape, (4, 8), 3, downsampling=downsampling)
    assert clf(x).shape == (5, 3) and clf.features(x).shape == (5, 256)
    pooled = ConvClassifierModule(
        image_shape, (4, 8), 3, downsampling=downsampling, dense_units=0
    )
    assert pooled(x).shape == (5, 3) and pooled.features(x).shape == (5, 8)


def test_early_pooling_halves_a_blocks_work_and_global_pooling_reads_the_maps():
    pool, early = (
        _counted((1, 28, 28), (8, 16), 10, downsampling=d)
        for d in ("pool", "early-pool")
    )
    # two convolutions a block: the second runs on a quarter of the pixels
    assert 0.3 * pool < early < 0.6 * pool
    x = torch.rand(3, 784)
    pooled = ConvClassifierModule((1, 28, 28), (8, 16), 10, dense_units=0).eval()
    maps = pooled.blocks(x.reshape(-1, 1, 28, 28))  # (3, 16, 7, 7)
    torch.testing.assert_close(pooled.features(x), maps.amax(dim=(2, 3)))


def _counted(*args, **kwargs):
    """Multiply-adds of one image through ``ConvClassifierModule(*args, **kwargs)``."""
    from torch.utils.flop_counter import FlopCounterMode

    module = ConvClassifierModule(*args, **kwargs).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(torch.zeros(1, 784))
    return counter.get_total_flops() / 2


@pytest.mark.few_epochs
def test_a_globally_pooled_early_pooling_classifier_fits_saves_and_exports(
    sample, tmp_path
):
    from skfashion import io

    train, test = sample
    X, y = train.data[:300], train.target[:300]
    est = ConvClassifier(
        (4, 8), downsampling="early-pool", dense_units=0, max_epochs=2, random_state=0
    ).fit(X, y)
    assert est.net_.module_.head.in_features == 8
    assert est.extract_features(X[:5]).shape == (5, 8)
    io.dump(est, tmp_path / "m.safetensors")
    loaded = io.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(
        loaded.predict_proba(test.data[:50]), est.predict_proba(test.data[:50])
    )
    onnxruntime = pytest.importorskip("onnxruntime")
    from skfashion.onnx import to_onnx

    session = onnxruntime.InferenceSession(to_onnx(est).SerializeToString())
    _, proba = session.run(None, {"X": test.data[:50]})
    np.testing.assert_allclose(proba, est.predict_proba(test.data[:50]), atol=1e-5)


@pytest.mark.few_epochs
def test_auto_image_shape_comes_from_the_data(sample):
    train, _ = sample
    images = train.images[:64]
    params = dict(channels=4, n_components=2, max_epochs=1, random_state=0)
    assert ConvAutoencoder(**params).fit(images).image_shape_ == (1, 28, 28)
    four_d = images[:, None]
    assert ConvAutoencoder(**params).fit(four_d).image_shape_ == (1, 28, 28)
    rows = images.reshape(64, -1)
    assert ConvAutoencoder(**params).fit(rows).image_shape_ == (1, 28, 28)
    odd = rows[:, :30]  # not a square: an image one pixel high
    assert ConvAutoencoder(**params).fit(odd).image_shape_ == (1, 1, 30)
    given = ConvAutoencoder(image_shape=(28, 28), **params).fit(rows)
    assert given.image_shape_ == (1, 28, 28)
    # images, their (n, 1, h, w) form and rows give the same codes
    ae = ConvAutoencoder(**params).fit(images)
    np.testing.assert_array_equal(ae.transform(images), ae.transform(rows))
    np.testing.assert_array_equal(ae.transform(four_d), ae.transform(rows))


def test_bad_shapes_and_kernels_say_what_to_do(sample):
    train, _ = sample
    rows = train.data[:32]
    with pytest.raises(ValueError, match="image_shape=.*holds 900 values.*784"):
        ConvAutoencoder(image_shape=(30, 30), max_epochs=1).fit(rows)
    with pytest.raises(ValueError, match="image_shape must be 2 or 3 positive"):
        ConvClassifier(image_shape=(28,), max_epochs=1).fit(rows, train.target[:32])
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        ConvAutoencoder(kernel_size=4, max_epochs=1).fit(rows)
    with pytest.raises(ValueError, match="channels must be positive"):
        ConvAutoencoder(channels=(8, 0), max_epochs=1).fit(rows)


@pytest.mark.few_epochs
def test_a_failed_refit_keeps_the_fitted_model(sample):
    train, _ = sample
    ae = ConvAutoencoder(channels=4, n_components=2, max_epochs=1, random_state=0)
    ae.fit(train.images[:64])
    before = ae.transform(train.images[:5])
    with pytest.raises(ValueError):
        ae.set_params(kernel_size=2).fit(train.images[:64])
    assert ae.image_shape_ == (1, 28, 28)
    np.testing.assert_array_equal(ae.transform(train.images[:5]), before)


@pytest.mark.few_epochs
def test_conv_classifier_learns_real_images(sample):
    train, test = sample
    params = dict(channels=(8, 16), dense_units=64, max_epochs=3, random_state=0)
    clf = ConvClassifier(**params).fit(train.images[:2000], train.target[:2000])
    assert clf.score(test.images, test.target) > 0.75
    # labels of any kind come back as given
    names = np.asarray(train.target_names)[train.target[:300]]
    named = clone(clf).set_params(max_epochs=1).fit(train.images[:300], names)
    assert set(named.predict(test.images[:20])) <= set(train.target_names)


@pytest.mark.slow  # a quality check: ~15 s of conv training
def test_conv_autoencoder_codes_and_reconstructions_on_real_images(sample):
    train, test = sample
    ae = ConvAutoencoder((8, 16), 16, max_epochs=4, random_state=0)
    ae.fit(train.images[:2000])
    # beats the mean image by far, and its codes separate the classes
    mean_error = np.mean((test.data - train.data[:2000].mean(0)) ** 2)
    assert -ae.score(test.data) < 0.5 * mean_error
    codes = ae.transform(train.images[:2000])
    knn = KNeighborsClassifier(1).fit(codes, train.target[:2000])
    assert knn.score(ae.transform(test.images), test.target) > 0.6
    assert ae.sample(3, random_state=0).shape == (3, 784)
