"""Data augmentation and label smoothing: training batches only, repeatable."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.base import clone

from skfashion import ConvAutoencoder, ConvClassifier, FeedForwardClassifier
from skfashion._net import ShiftAndFlip


def _moved(image, dy, dx):
    """``image`` (c, h, w) moved down by dy and right by dx, zeros moved in."""
    out = np.zeros_like(image)
    c, h, w = image.shape
    ys, yd = slice(max(0, -dy), min(h, h - dy)), slice(max(0, dy), min(h, h + dy))
    xs, xd = slice(max(0, -dx), min(w, w - dx)), slice(max(0, dx), min(w, w + dx))
    out[:, yd, xd] = image[:, ys, xs]
    return out


def test_each_image_is_moved_by_at_most_shift_pixels_and_maybe_mirrored():
    rng = np.random.default_rng(0)
    images = rng.random((64, 2, 7, 9), dtype=np.float32)  # two channels, not square
    augment = ShiftAndFlip((2, 7, 9), shift=2, flip=True)
    torch.manual_seed(0)
    out = augment(torch.as_tensor(images.reshape(64, -1))).numpy().reshape(images.shape)
    offsets, mirrored = set(), 0
    for image, result in zip(images, out):
        found = [
            (dy, dx, flip)
            for flip in (False, True)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(
                result, _moved(image[:, :, ::-1] if flip else image, dy, dx)
            )
        ]
        assert found, "not a move of at most 2 pixels, nor a mirrored one"
        offsets.add(found[0][:2])
        mirrored += found[0][2]
    assert len(offsets) > 10 and 10 < mirrored < 54  # the draws vary
    torch.manual_seed(0)  # the fit's seed makes it repeatable
    again = augment(torch.as_tensor(images.reshape(64, -1))).numpy()
    np.testing.assert_array_equal(again, out.reshape(64, -1))


def test_no_augmentation_leaves_the_batch_as_it_is():
    X = torch.rand(5, 16)
    assert torch.equal(ShiftAndFlip((1, 4, 4))(X), X)


@pytest.fixture(scope="module")
def data(sample_images):
    images, y = sample_images
    return images[:300], y[:300]


@pytest.mark.few_epochs
def test_augmented_fits_are_repeatable_and_predict_without_augmentation(data):
    X, y = data
    clf = ConvClassifier(
        (4,),
        dense_units=8,
        max_epochs=2,
        random_shift=2,
        random_flip=True,
        label_smoothing=0.1,
        random_state=0,
        n_threads=1,
    )
    a, b = clone(clf).fit(X, y), clone(clf).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    plain = clone(clf).set_params(random_shift=0, random_flip=False).fit(X, y)
    assert a.loss_curve_ != plain.loss_curve_  # the batches were augmented...
    # ...but never at predict: the same images, the same outputs
    np.testing.assert_array_equal(a.predict_proba(X[:7]), a.predict_proba(X[:7]))
    rows = torch.as_tensor(X[:16].reshape(16, -1))
    module = a.net_.module_.eval()
    with torch.no_grad():
        expected = torch.softmax(module(rows), 1).numpy()
    np.testing.assert_allclose(a.predict_proba(X[:16]), expected, atol=1e-6)


def test_augmentation_is_grid_searchable_and_checked(data):
    X, y = data
    ae = ConvAutoencoder((4,), 4, max_epochs=1, random_state=0)
    assert clone(ae.set_params(random_shift=3)).get_params()["random_shift"] == 3
    with pytest.raises(ValueError, match="random_shift"):
        clone(ae).set_params(random_shift=-1).fit(X)
    with pytest.raises(ValueError, match="out of view"):
        clone(ae).set_params(random_shift=28).fit(X)


def test_label_smoothing_is_the_cross_entropy_of_smoothed_targets(data):
    X, y = data
    clf = FeedForwardClassifier((8,), max_epochs=1, label_smoothing=0.2).fit(X, y)
    net = clf.net_
    logits = torch.randn(6, 10)
    target = torch.arange(6)
    expected = F.cross_entropy(logits, target, label_smoothing=0.2)
    assert torch.allclose(net.get_loss(logits, target), expected)
    weighted = {"y": target, "sample_weight": torch.ones(6)}
    assert torch.allclose(net.get_loss(logits, weighted), expected)
    with pytest.raises(ValueError, match="label_smoothing"):
        clone(clf).set_params(label_smoothing=1.0).fit(X, y)
