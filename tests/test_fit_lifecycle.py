"""A fit is all or nothing, says when it learned nothing, and refuses bad setups."""

import os
import pickle
import signal
import warnings

import joblib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    FeedForwardClassifier,
    VariationalAutoencoder,
)
from skfashion._recipe import Triangle
from skfashion._runtime import resolve_device
from skfashion.datasets import load_fashion_mnist_sample


@pytest.fixture(scope="module")
def data(fashion_sample):
    train, _ = fashion_sample
    return train.data[:600], train.target[:600]


def small_ae(**kwargs):
    params = dict(hidden_layer_sizes=(32,), n_components=8, max_epochs=3, batch_size=32)
    return Autoencoder(**{**params, "random_state": 0, **kwargs})


def small_clf(**kwargs):
    params = dict(hidden_layer_sizes=(32,), max_epochs=3)
    return FeedForwardClassifier(**{**params, "random_state": 0, **kwargs})


# the convolutional family shares the base's fit: the same all-or-nothing promise
def small_conv_ae(**kwargs):
    params = dict(channels=4, n_components=8, max_epochs=3, batch_size=32)
    return ConvAutoencoder(**{**params, "random_state": 0, **kwargs})


def small_conv_clf(**kwargs):
    params = dict(channels=4, dense_units=16, max_epochs=3)
    return ConvClassifier(**{**params, "random_state": 0, **kwargs})


class SigintAt(Callback):
    """Send SIGINT to this very process at the end of epoch ``epoch``."""

    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


class FailAt(Callback):
    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise RuntimeError("callback failed")


def _state(estimator):
    """Everything a fitted estimator holds, as bytes: equal means unchanged."""
    return pickle.dumps(vars(estimator))


@pytest.mark.parametrize("make", [small_ae, small_clf, small_conv_ae, small_conv_clf])
def test_ctrl_c_reaches_the_caller_and_leaves_an_unfitted_estimator_unfitted(
    make, data
):
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's KeyboardInterrupt here")
    X, y = data
    est = make(max_epochs=50, callbacks=[SigintAt(2)])
    fresh = _state(est)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert _state(est) == fresh
    for method in ("predict", "transform"):
        if hasattr(est, method):
            with pytest.raises(NotFittedError):
                getattr(est, method)(X)


# The conv networks' refits (4 to 5 s each) run in the full suite.
@pytest.mark.parametrize(
    "make",
    [
        small_ae,
        small_clf,
        pytest.param(small_conv_ae, marks=pytest.mark.slow),
        pytest.param(small_conv_clf, marks=pytest.mark.slow),
    ],
)
def test_ctrl_c_during_a_refit_keeps_the_previous_model(make, data):
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's KeyboardInterrupt here")
    X, y = data
    est = make().fit(X, y)
    out = est.predict(X) if hasattr(est, "predict") else est.transform(X)
    before = _state(est)
    net = est.net_
    est.set_params(max_epochs=50, callbacks=[SigintAt(2)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    est.set_params(max_epochs=3, callbacks=None)
    assert est.net_ is net and _state(est) == before
    again = est.predict(X) if hasattr(est, "predict") else est.transform(X)
    np.testing.assert_array_equal(again, out)


def test_a_failed_refit_on_other_data_leaves_every_fitted_attribute(data):
    X, y = data
    clf = small_clf().fit(X, y)
    proba = clf.predict_proba(X)
    before = _state(clf)
    # other width, other (string) labels, and a callback that fails mid-way
    X_other = X[:, :100]
    y_other = np.array(["a", "b", "c"])[y % 3]
    clf.set_params(callbacks=[FailAt(2)])
    with pytest.raises(RuntimeError, match="callback failed"):
        clf.fit(X_other, y_other)
    clf.set_params(callbacks=None)
    assert _state(clf) == before
    assert list(clf.classes_) == list(range(10)) and clf.n_features_in_ == 784
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_a_diverging_refit_leaves_the_previous_model(data):
    X = data[0]
    ae = small_ae().fit(X)
    codes = ae.transform(X)
    before = _state(ae)
    X_wild = np.random.default_rng(0).normal(size=(64, 10)) * 1e4
    ae.set_params(learning_rate=1e6, optimizer="sgd", max_epochs=50)
    with pytest.raises(FloatingPointError, match="training diverged"):
        ae.fit(X_wild)
    ae.set_params(learning_rate=2e-3, optimizer="adam", max_epochs=3)
    assert _state(ae) == before
    np.testing.assert_array_equal(ae.transform(X), codes)


class CountFits(Callback):
    calls = []

    def on_train_begin(self, net, **kwargs):
        CountFits.calls.append(1)
        raise KeyboardInterrupt


def test_ctrl_c_stops_a_grid_search_at_once(data):
    X = data[0][:200]
    CountFits.calls.clear()
    search = GridSearchCV(
        small_ae(callbacks=[CountFits()]), {"n_components": [2, 4, 8]}, cv=3
    )
    with pytest.raises(KeyboardInterrupt):
        search.fit(X)
    assert len(CountFits.calls) == 1


def test_a_model_that_learned_nothing_warns(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="mean of the training data"):
        Autoencoder(learning_rate=1e6, optimizer="sgd", max_epochs=3).fit(X)
    with pytest.warns(ConvergenceWarning, match="class frequencies.*learning_rate"):
        FeedForwardClassifier(learning_rate=1e3, max_epochs=3).fit(X, y)
    # labels that cannot be learned from the data: nothing to learn either
    noise = np.zeros_like(X)
    with pytest.warns(ConvergenceWarning):
        small_clf().fit(noise, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        small_ae().fit(X)
        small_clf().fit(X, y)


def test_a_convergence_warning_made_an_error_leaves_the_estimator_as_it_was(data):
    X = data[0]
    ae = small_ae()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            ae.set_params(learning_rate=1e6, optimizer="sgd").fit(X)
    with pytest.raises(NotFittedError):
        ae.transform(X)


@pytest.mark.parametrize("schedule", ["cosine", "step"])
def test_schedules_stretch_with_the_run(schedule):
    def rates(max_epochs):
        X = np.random.default_rng(0).random((40, 6))
        ae = Autoencoder(
            (8,),
            2,
            lr_schedule=schedule,
            lr_step_size=0.5,
            lr_gamma=0.1,
            max_epochs=max_epochs,
            learning_rate=1.0,
            optimizer="sgd",
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return np.array(ae.fit(X).history_[:, "event_lr"])

    short, long = rates(10), rates(100)
    # the same shape over the run, whatever its length
    np.testing.assert_allclose(short, long[::10], rtol=0, atol=0.05)
    assert long[-1] < 0.11 and long[-1] > 0 and long[0] == 1.0
    if schedule == "step":
        assert sorted(set(long)) == pytest.approx([0.1, 1.0])


@pytest.mark.parametrize("validation_fraction", [None, 0.2])
def test_onecycle_rises_over_a_fifth_of_the_steps_then_falls_to_the_last(
    validation_fraction,
):
    X = np.random.default_rng(0).random((50, 6))
    ae = Autoencoder(
        (8,),
        2,
        lr_schedule="onecycle",
        validation_fraction=validation_fraction,
        batch_size=8,
        max_epochs=4,
        learning_rate=1.0,
        optimizer="sgd",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X)
    # one rate a training batch: 40 or 50 samples in batches of 8, 4 epochs
    batches = [b for epoch in ae.history_ for b in epoch["batches"]]
    rates = [b["event_lr"] for b in batches if "event_lr" in b]
    total = 4 * (5 if validation_fraction else 7)
    warmup = round(0.2 * total)
    expected = [(k + 1) / warmup for k in range(warmup)]
    expected += [(total - k) / (total - warmup) for k in range(warmup, total)]
    np.testing.assert_allclose(rates, expected)


def test_onecycle_fits_a_run_of_a_single_step():
    # One epoch of one batch: the schedule's step after it has no fall to
    # divide by.
    X = np.random.default_rng(0).random((10, 4))
    ae = Autoencoder((4,), 2, lr_schedule="onecycle", max_epochs=1, batch_size=16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X)
    assert ae.n_epochs_ == 1


@settings(max_examples=200, deadline=None)
@given(total=st.integers(1, 10**6), share=st.floats(0, 1))
def test_the_triangle_rises_to_one_then_falls_and_never_stops(total, share):
    triangle = Triangle(total, round(share * total))
    steps = np.unique(np.linspace(0, total, 50).astype(int))  # and the step after
    steps = np.union1d(steps, [triangle.warmup - 1, triangle.warmup])
    factors = np.array([triangle(k) for k in steps])
    assert np.all(factors > 0) and factors.max() == 1.0
    peak = int(np.searchsorted(steps, triangle.warmup - 1))
    assert np.all(np.diff(factors[: peak + 1]) > 0)
    assert np.all(np.diff(factors[peak:]) <= 0)


@pytest.mark.slow  # six fits of up to 100 epochs
def test_more_epochs_never_train_worse_on_small_data():
    X = load_fashion_mnist_sample(return_X_y=True)[0][:1000]
    losses = [
        Autoencoder(max_epochs=epochs, random_state=0).fit(X).loss_curve_[-1]
        for epochs in (5, 20)
    ]
    assert losses[1] < losses[0]


def test_batch_norm_with_batches_of_one_is_a_clear_error(data):
    X, y = data
    with pytest.raises(ValueError, match="batch_norm=True needs batch_size >= 2"):
        FeedForwardClassifier(batch_size=1).fit(X, y)
    with pytest.raises(ValueError, match="batch_size.*batch_norm"):
        Autoencoder(batch_norm=True, batch_size=1).fit(X)
    with pytest.raises(ValueError, match="leaves 1 after early_stopping"):
        small_ae(batch_norm=True, early_stopping=True).fit(X[:2])
    small_clf(batch_norm=False, batch_size=1, max_epochs=1).fit(X[:50], y[:50])


@pytest.mark.few_epochs
def test_devices_are_checked_by_skfashion(monkeypatch, data):
    X = data[0][:50]
    assert small_ae(device=torch.device("cpu")).fit(X).net_.device == "cpu"
    for device in ("meta", "xla", "gpu0", "cuda:x"):
        with pytest.raises(ValueError, match="device="):
            small_ae(device=device).fit(X)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match="sees 1 GPU"):
        resolve_device("cuda:3")
    assert resolve_device(torch.device("cuda", 0)) == "cuda:0"
    monkeypatch.setattr("skfashion._runtime._mps_available", lambda: False)
    with pytest.raises(ValueError, match="MPS"):
        resolve_device("mps")
    monkeypatch.setattr("skfashion._runtime._mps_available", lambda: True)
    assert resolve_device("mps") == "mps"


@pytest.mark.few_epochs
def test_sample_needs_a_positive_count_and_the_vae_takes_standard(data):
    X = data[0]
    ae = small_ae().fit(X)
    for n in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n_samples"):
            ae.sample(n)
    vae = VariationalAutoencoder((16,), 4, max_epochs=2, random_state=0).fit(X)
    np.testing.assert_array_equal(
        vae.sample(3, random_state=0, distribution="standard"),
        vae.sample(3, random_state=0, distribution="prior"),
    )


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28)])
def test_image_arrays_are_taken_as_flattened_rows(shape, data):
    X, y = data
    images = X.reshape(len(X), *shape)
    ae = small_ae().fit(images)
    np.testing.assert_array_equal(ae.transform(images), small_ae().fit(X).transform(X))
    assert ae.n_features_in_ == 784
    clf = small_clf().fit(images, y)
    np.testing.assert_array_equal(clf.predict(images), clf.predict(X))


@pytest.mark.parametrize(
    "params",
    [
        {"batch_size": True},
        {"max_epochs": True},
        {"n_components": True},
        {"learning_rate": True},
        {"hidden_layer_sizes": True},
        {"hidden_layer_sizes": (16, False)},
    ],
)
def test_booleans_are_not_numbers(params, data):
    with pytest.raises(ValueError, match="must be|positive integers"):
        small_ae(**params).fit(data[0][:50])


@pytest.mark.few_epochs
def test_auto_output_fits_any_numeric_data_and_explicit_choices_refuse():
    X = np.random.default_rng(0).normal(size=(100, 10))
    ae = Autoencoder((16,), 4, max_epochs=20, random_state=0).fit(X)
    assert ae.output_activation_ == "identity" and ae.loss_ == "mse"
    assert ae.score(X) > -np.var(X, axis=0).mean()
    vae = VariationalAutoencoder((16,), 4, max_epochs=2, random_state=0).fit(X)
    assert vae.loss_ == "mse"
    unit = (X - X.min()) / (X.max() - X.min())
    assert Autoencoder((16,), 4, max_epochs=2).fit(unit).output_activation_ == (
        "sigmoid"
    )
    assert VariationalAutoencoder((16,), 4, max_epochs=2).fit(unit).loss_ == "bce"
    with pytest.raises(ValueError, match=r"Scale the data to \[0, 1\]"):
        Autoencoder(output_activation="sigmoid").fit(X)
    with pytest.raises(ValueError, match=r"Scale the data to \[0, 1\]"):
        Autoencoder(loss="bce").fit(X)


def _seeded_fit(X):
    ae = small_ae(dropout=0.3, noise=0.2, max_epochs=4, random_state=3)
    return ae.fit(X).transform(X)


@pytest.mark.few_epochs
def test_seeded_fits_in_threads_equal_the_fit_alone(data):
    X = data[0][:300]
    alone = _seeded_fit(X)
    results = joblib.Parallel(n_jobs=4, backend="threading")(
        joblib.delayed(_seeded_fit)(X) for _ in range(4)
    )
    for result in results:
        np.testing.assert_array_equal(result, alone)


def test_a_clone_of_a_fitted_estimator_fits_like_the_original(data):
    X, y = data
    clf = small_clf().fit(X, y)
    np.testing.assert_array_equal(clone(clf).fit(X, y).predict(X), clf.predict(X))


class RecordEpochs(Callback):
    def __init__(self):
        self.epochs = []

    def on_epoch_end(self, net, **kwargs):
        self.epochs.append(len(net.history))


@pytest.mark.few_epochs
def test_callbacks_are_used_as_given_and_checked(data):
    X = data[0][:100]
    recorder = RecordEpochs()
    ae = small_ae(max_epochs=3, callbacks=[("record", recorder)]).fit(X)
    assert recorder.epochs == [1, 2, 3]  # the user's own object saw the fit
    assert ae.get_params()["callbacks"][0][1] is recorder
    for wrong in (lambda net: None, "print", ("record", object())):
        with pytest.raises(ValueError, match="callbacks must hold skorch callbacks"):
            small_ae(callbacks=[wrong]).fit(X)
