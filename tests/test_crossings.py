"""Where two options cross: each case that once broke, as a user would meet it."""

import numpy as np
import pytest
from sklearn.base import clone

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    ConvVariationalAutoencoder,
    FeedForwardClassifier,
    VariationalAutoencoder,
)

AUTOENCODERS = [
    Autoencoder((16,), 4, max_epochs=2),
    VariationalAutoencoder((16,), 4, max_epochs=2),
    ConvAutoencoder((4,), 4, max_epochs=1),
    ConvVariationalAutoencoder((4,), 4, max_epochs=1),
]


@pytest.fixture(scope="module")
def rows(sample_images):
    images, y = sample_images
    return images[:200].reshape(200, -1), y[:200]


@pytest.mark.few_epochs
@pytest.mark.parametrize("ae", AUTOENCODERS, ids=lambda e: type(e).__name__)
def test_float64_autoencoders_decode_and_sample_in_float64(ae, rows):
    X, _ = rows
    ae = clone(ae).set_params(precision="float64", random_state=0).fit(X)
    codes = ae.transform(X[:5])
    assert codes.dtype == np.float64
    decoded = ae.inverse_transform(codes)
    assert decoded.dtype == np.float64 and decoded.shape == (5, 784)
    np.testing.assert_array_equal(decoded, ae.reconstruct(X[:5]))
    assert ae.sample(3, random_state=0).dtype == np.float64
    # codes given as float32 (or lists) are cast, not refused
    assert ae.inverse_transform(codes.astype(np.float32).tolist()).shape == (5, 784)


@pytest.mark.few_epochs
def test_a_tiny_step_size_builds_no_more_milestones_than_epochs(rows):
    X, _ = rows
    ae = Autoencoder((16,), 4, max_epochs=3, lr_schedule="step", lr_step_size=1e-9)
    scheduler = ae._lr_scheduler()
    assert scheduler.kwargs["milestones"] == [1, 2]
    ae.set_params(lr_gamma=0.5, random_state=0).fit(X)  # at once, not minutes
    lrs = list(ae.history_[:, "event_lr"])
    np.testing.assert_allclose(lrs, [2e-3, 1e-3, 5e-4])


def test_huge_weights_are_scaled_before_they_are_summed(rows):
    X, y = rows
    weights = np.ones(len(X))
    weights[:2] = 1e308  # their sum overflows float64
    clf = FeedForwardClassifier((16,), max_epochs=2, random_state=0)
    clf.fit(X, y, sample_weight=weights)
    assert all(np.isfinite(clf.loss_curve_)) and min(clf.loss_curve_) > 0


def test_a_class_of_weight_zero_keeps_its_column(rows):
    X, y = rows
    weights = np.where(y == 3, 0.0, 1.0)
    clf = FeedForwardClassifier((16,), max_epochs=2, random_state=0)
    clf.fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert clf.predict_proba(X[:4]).shape == (4, len(np.unique(y)))


def test_partial_fit_refuses_other_classes_on_a_later_call(rows):
    X, y = rows
    clf = FeedForwardClassifier((16,), random_state=0)
    clf.partial_fit(X, y, classes=np.arange(10))
    clf.partial_fit(X, y)  # left out: fine
    clf.partial_fit(X, y, classes=np.arange(10)[::-1])  # the same set: fine
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=np.arange(11))


@pytest.mark.few_epochs
def test_a_refit_leaves_only_what_a_fresh_fit_would(rows):
    X, _ = rows
    ae = Autoencoder((16,), 4, max_epochs=2, early_stopping=True, random_state=0)
    ae.fit(X)
    assert hasattr(ae, "validation_loss_curve_")
    ae.set_params(early_stopping=False).fit(X)
    fresh = clone(ae).fit(X)
    fitted = {k for k in vars(ae) if k.endswith("_") and not k.startswith("_")}
    assert fitted == {k for k in vars(fresh) if k.endswith("_")} - {"_"}
    assert not hasattr(ae, "validation_loss_curve_")


@pytest.mark.few_epochs
def test_autoencoders_score_with_sample_weight(rows):
    X, _ = rows
    ae = Autoencoder((16,), 4, max_epochs=2, random_state=0).fit(X)
    errors = ((X - ae.reconstruct(X)) ** 2).mean(axis=1)
    weights = np.arange(len(X), dtype=float)
    assert ae.score(X, sample_weight=weights) == pytest.approx(
        -np.average(errors, weights=weights), rel=1e-6
    )
    assert ae.score(X, sample_weight=np.ones(len(X))) == pytest.approx(ae.score(X))


@pytest.fixture(scope="module")
def conv_classifier(sample_images):
    images, y = sample_images
    return ConvClassifier((4,), dense_units=8, max_epochs=1, random_state=0).fit(
        images[:100], y[:100]
    )


@pytest.mark.few_epochs
def test_images_of_another_shape_are_refused_at_every_method(
    conv_classifier, sample_images
):
    images, _ = sample_images
    wrong = images[:5].reshape(5, 14, 56)
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(ValueError, match="fitted on images of shape"):
            getattr(conv_classifier, method)(wrong)
    with pytest.raises(ValueError, match="fitted on images of shape"):
        conv_classifier.score(wrong, np.zeros(5))
    # the fitted shape, with or without its channel axis, and rows are fine
    conv_classifier.predict(images[:5])
    conv_classifier.predict(images[:5, None])
    conv_classifier.predict(images[:5].reshape(5, -1))


@pytest.mark.few_epochs
def test_channels_last_images_are_refused_with_the_fix(sample_images):
    rgb = np.random.RandomState(0).rand(20, 8, 8, 3).astype(np.float32)
    ae = ConvAutoencoder((4,), 2, max_epochs=1)
    with pytest.raises(ValueError, match=r"transpose\(0, 3, 1, 2\)"):
        ae.fit(rgb)
    ae.fit(rgb.transpose(0, 3, 1, 2))
    assert ae.image_shape_ == (3, 8, 8)
    with pytest.raises(ValueError, match=r"transpose\(0, 3, 1, 2\)"):
        ae.transform(rgb)


@pytest.mark.few_epochs
def test_an_image_shape_that_contradicts_the_images_is_refused(sample_images):
    images, _ = sample_images
    ae = ConvAutoencoder((4,), 2, image_shape=(14, 56), max_epochs=1)
    with pytest.raises(ValueError, match="contradicts the shape of the images"):
        ae.fit(images[:20])
    ae.fit(images[:20].reshape(20, -1))  # rows: the shape says how to read them
    assert ae.image_shape_ == (1, 14, 56)


def test_data_far_outside_the_fitted_range_warn(conv_classifier, sample_images):
    images, _ = sample_images
    with pytest.warns(UserWarning, match=r"X / 255"):
        conv_classifier.predict(images[:5] * 255)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        conv_classifier.predict(images[100:105])  # new images, same range
