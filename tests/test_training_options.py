"""Sample weights, class weights, warm starts and partial fits (streaming)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.metrics import recall_score
from sklearn.utils.class_weight import compute_sample_weight
from skorch.callbacks import Callback

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    FeedForwardClassifier,
    VariationalAutoencoder,
)


@pytest.fixture(scope="module")
def mnist(mnist_sample):
    train, test = mnist_sample
    return train.data, train.target, test.data, test.target


pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(64,), max_epochs=4, random_state=0)


# -- sample_weight and class_weight ----------------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [
        FeedForwardClassifier(**SMALL),
        Autoencoder(n_components=8, **SMALL),
        pytest.param(  # the conv family's weights: in the full suite (4 s)
            ConvClassifier(
                channels=(4, 8), dense_units=16, max_epochs=2, random_state=0
            ),
            marks=pytest.mark.slow,
        ),
    ],
    ids=lambda est: type(est).__name__,
)
def test_zero_weight_is_removal(mnist, estimator):
    # With batch norm, dropout and minibatches: the rows of weight 0 never
    # reach the network, so the fit is the fit on the other rows, bit for bit.
    X, y, X_test, _ = mnist
    X, y = X[:600], y[:600]
    keep = np.arange(len(X)) % 3 != 0
    weighted = clone(estimator).fit(X, y, sample_weight=keep.astype(float))
    subset = clone(estimator).fit(X[keep], y[keep])
    method = "predict_proba" if hasattr(estimator, "predict_proba") else "transform"
    assert_array_equal(
        getattr(weighted, method)(X_test), getattr(subset, method)(X_test)
    )


def test_sample_weight_shifts_the_classifier(mnist):
    # Up-weighting one class raises its recall on held-out data.
    X, y, X_test, y_test = mnist
    clf = FeedForwardClassifier(**SMALL)
    plain = clone(clf).fit(X, y)
    weighted = clone(clf).fit(X, y, sample_weight=np.where(y == 8, 20.0, 1.0))
    recall = lambda m: recall_score(y_test, m.predict(X_test), labels=[8], average=None)  # noqa: E731
    assert recall(weighted)[0] > recall(plain)[0]


def test_class_weight(mnist):
    X, y, X_test, y_test = mnist
    X, y = X[:900], y[:900]
    clf = FeedForwardClassifier(**SMALL)
    balanced = clone(clf).set_params(class_weight="balanced").fit(X, y)
    by_hand = clone(clf).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    assert_array_equal(balanced.predict_proba(X_test), by_hand.predict_proba(X_test))
    # a dict multiplies sample_weight
    as_dict = clone(clf).set_params(class_weight={8: 20.0}).fit(X, y)
    recall = lambda m: recall_score(y_test, m.predict(X_test), labels=[8], average=None)  # noqa: E731
    assert recall(as_dict)[0] > recall(clone(clf).fit(X, y))[0]


@pytest.mark.slow  # four autoencoder fits: ~7 s; the classifiers' weights stay fast
def test_weights_weigh_the_autoencoders(mnist):
    # Weighting the ones lowers their reconstruction error, for the VAE too
    # (whose noise makes weights and repetitions differ, see test_common).
    X, y, *_ = mnist
    X, y = X[:1000], y[:1000]
    weights = np.where(y == 1, 10.0, 1.0)
    small = dict(hidden_layer_sizes=(64,), n_components=4, max_epochs=5)
    for estimator in (
        Autoencoder(**small, random_state=0),
        VariationalAutoencoder(**small, random_state=0),
    ):
        weighted = clone(estimator).fit(X, sample_weight=weights)
        plain = clone(estimator).fit(X)
        ones = X[y == 1]
        assert -weighted.score(ones) < -plain.score(ones)


@pytest.mark.parametrize(
    "weights, match",
    [
        (np.full(30, -1.0), "[Nn]egative"),
        (np.zeros(30), "non-zero"),
        (np.ones(29), "shape"),
        (np.r_[np.ones(29), np.nan], "NaN|finite"),
    ],
)
def test_bad_sample_weight(mnist, weights, match):
    X, y, *_ = mnist
    clf = FeedForwardClassifier(**SMALL)
    with pytest.raises(ValueError, match=match):
        clf.fit(X[:30], y[:30], sample_weight=weights)
    assert not hasattr(clf, "n_features_in_")


def test_weights_leaving_one_class(mnist):
    X, y, *_ = mnist
    with pytest.raises(ValueError, match=r"2 classes.*weight above 0"):
        FeedForwardClassifier(**SMALL).fit(
            X[:100], y[:100], sample_weight=(y[:100] == 3).astype(float)
        )


# -- warm_start ------------------------------------------------------------------


def test_warm_start_goes_on(mnist):
    X, y, X_test, y_test = mnist
    clf = FeedForwardClassifier(**{**SMALL, "max_epochs": 2}).fit(X, y)
    first_loss = clf.loss_curve_[-1]
    weights = clf.net_.module_.state_dict()["body.0.weight"].clone()
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.n_epochs_ == 4 and len(clf.loss_curve_) == 4
    assert clf.loss_curve_[-1] < first_loss
    # it went on from the fitted weights: the cold fit of 2 epochs ends higher
    cold = clone(clf).set_params(warm_start=False).fit(X, y)
    assert cold.n_epochs_ == 2 and cold.loss_curve_[-1] > clf.loss_curve_[-1]
    assert not np.allclose(weights, clf.net_.module_.state_dict()["body.0.weight"])


def test_warm_start_refuses_other_data_all_or_nothing(mnist):
    X, y, X_test, _ = mnist
    clf = FeedForwardClassifier(**{**SMALL, "max_epochs": 1}, warm_start=True)
    clf.fit(X[:300], y[:300])
    proba = clf.predict_proba(X_test)
    with pytest.raises(ValueError, match="not among the classes"):
        clf.fit(X[:300], np.where(y[:300] == 3, 99, y[:300]))
    with pytest.raises(ValueError, match="hidden_layer_sizes|another"):
        clf.set_params(hidden_layer_sizes=(32,)).fit(X[:300], y[:300])
    clf.set_params(hidden_layer_sizes=(64,))
    with pytest.raises(ValueError, match="784 features"):
        clf.fit(X[:300, :700], y[:300])

    class Stop(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        clf.set_params(callbacks=[Stop()]).fit(X[:300], y[:300])
    # the failed warm fits trained a copy: the fitted model is untouched
    assert clf.n_epochs_ == 1
    assert_array_equal(clf.predict_proba(X_test), proba)


def test_warm_start_autoencoder_keeps_its_output(mnist):
    X, *_ = mnist
    ae = Autoencoder(n_components=8, max_epochs=1, warm_start=True).fit(X[:300])
    assert ae.output_activation_ == "sigmoid"
    with pytest.raises(ValueError, match="reconstructs values in \\[0, 1\\]"):
        ae.fit(X[:300] * 255)
    ae.fit(X[300:600])
    assert ae.n_epochs_ == 2


# -- partial_fit -----------------------------------------------------------------


def test_partial_fit_steps(mnist):
    X, y, *_ = mnist
    clf = FeedForwardClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:100], y[:100])
    clf.partial_fit(X[:100], y[:100], classes=np.unique(y))
    assert clf.n_epochs_ == 1 and clf.batch_size_ == 16
    assert_array_equal(clf.classes_, np.unique(y))
    clf.partial_fit(X[100:2100], y[100:2100])  # 'auto' stays the first call's
    assert clf.n_epochs_ == 2 and clf.batch_size_ == 16
    # a chunk with a label outside classes
    with pytest.raises(ValueError, match="not among"):
        clf.partial_fit(X[:10], np.full(10, 42))
    with pytest.raises(ValueError, match="balanced"):
        clone(clf).set_params(class_weight="balanced").partial_fit(
            X[:100], y[:100], classes=np.unique(y)
        )


def _memmap(tmp_path, name, array):
    mm = np.memmap(tmp_path / name, dtype=array.dtype, mode="w+", shape=array.shape)
    mm[:] = array
    mm.flush()
    return np.memmap(tmp_path / name, dtype=array.dtype, mode="r", shape=array.shape)


@pytest.mark.slow
def test_streaming_from_memmap_matches_fit(mnist, tmp_path):
    # Data larger than memory: read chunks from a memmap, partial_fit each,
    # several passes. The model is as good as the one fitted on the whole array.
    X, y, X_test, y_test = mnist
    X_mm, y_mm = _memmap(tmp_path, "X.dat", X), _memmap(tmp_path, "y.dat", y)
    epochs, chunk = 5, 1000
    small = dict(max_epochs=epochs, batch_size=32, lr_schedule=None, random_state=0)
    whole = FeedForwardClassifier((128,), **small).fit(X, y)
    streamed = clone(whole)
    rng = np.random.RandomState(0)
    for _ in range(epochs):
        for start in rng.permutation(np.arange(0, len(X_mm), chunk)):
            streamed.partial_fit(
                X_mm[start : start + chunk],
                y_mm[start : start + chunk],
                classes=np.arange(10),
            )
    assert streamed.n_epochs_ == epochs * len(range(0, len(X_mm), chunk))
    whole_acc, streamed_acc = (
        whole.score(X_test, y_test),
        streamed.score(X_test, y_test),
    )
    assert streamed_acc > 0.9 and streamed_acc > whole_acc - 0.02

    ae = Autoencoder((128,), **small)
    whole_ae = clone(ae).fit(X)
    for _ in range(epochs):
        for start in rng.permutation(np.arange(0, len(X_mm), chunk)):
            ae.partial_fit(X_mm[start : start + chunk])
    assert -ae.score(X_test) < 1.1 * -whole_ae.score(X_test)


def test_partial_fit_conv_keeps_its_image_shape(mnist):
    X, *_ = mnist
    images = X.reshape(-1, 28, 28)
    ae = ConvAutoencoder(channels=(4, 8), n_components=4, random_state=0)
    ae.partial_fit(images[:200])
    ae.partial_fit(X[200:400])  # rows of 784: the same 28 x 28 images
    assert ae.image_shape_ == (1, 28, 28) and ae.n_epochs_ == 2
    with pytest.raises(ValueError, match="images of shape"):
        ae.partial_fit(X[:200].reshape(-1, 1, 14, 56))
