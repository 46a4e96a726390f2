"""Settings as skorch spells them, a validation split without early stopping,
a user's LRScheduler, and skorch's own tools on the inner net (issue 36)."""

import json
import pickle

import numpy as np
import pytest
import torch
from _crafting import signed
from _registry import CLASSES, NAMES, TINY
from safetensors import safe_open
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback, EpochScoring, LRScheduler
from torch.optim.lr_scheduler import StepLR

from skfashion import (
    Autoencoder,
    FeedForwardClassifier,
    io,
)
from skfashion._state import ModelFileError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ALL = [CLASSES[name] for name in NAMES]
SMALL = dict(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def rows():
    rng = np.random.RandomState(0)
    X = rng.rand(120, 16).astype(np.float32)
    return X, (X[:, 0] > 0.5).astype(int)


def _group(est):
    return est.net_.optimizer_.param_groups[0]


# -- routed settings: optimizer__*, module__* -----------------------------------


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_routed_settings_are_parameters(cls):
    est = cls(optimizer="sgd", optimizer__momentum=0.9, optimizer__nesterov=True)
    params = est.get_params()
    assert params["optimizer__momentum"] == 0.9
    assert params["optimizer__nesterov"] is True
    copy = clone(est)
    assert copy.get_params()["optimizer__momentum"] == 0.9
    est.set_params(optimizer__momentum=0.5, optimizer__dampening=0.0)
    assert est.optimizer__momentum == 0.5 and est.optimizer__dampening == 0.0
    assert "optimizer__momentum=0.5" in repr(est)
    assert "optimizer__" not in repr(cls())


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_an_unknown_keyword_is_refused_at_fit(cls):
    # Stored as given (nothing raises in __init__, scikit-learn's rule), and
    # refused at fit as Python refuses an unexpected keyword argument.
    est = cls(momentum=0.9, criterion__reduction="sum", optimizer__1x=1)
    assert clone(est).get_params()["momentum"] == 0.9
    with pytest.raises(TypeError, match="unexpected keyword argument 'criterion__"):
        est.fit(np.zeros((4, 784)), np.arange(4) % 2)
    for name in ("bias_", "optimizer__", "_private"):
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
            cls(**{name: 1})
    with pytest.raises(ValueError, match="Invalid parameter 'criterion'"):
        cls().set_params(criterion__reduction="sum")


def test_sgd_settings_reach_the_optimizer_and_change_the_fit(rows):
    X, _ = rows
    plain = Autoencoder(optimizer="sgd", **SMALL).fit(X)
    est = Autoencoder(
        optimizer="sgd", optimizer__momentum=0.9, optimizer__nesterov=True, **SMALL
    ).fit(X)
    group = _group(est)
    assert group["momentum"] == 0.9 and group["nesterov"] is True
    assert group["fused"] is True  # the device's fused kernel still applies
    assert not np.array_equal(plain.transform(X), est.transform(X))


def test_adam_settings_and_fused_off(rows):
    X, _ = rows
    est = Autoencoder(optimizer__betas=(0.8, 0.99), optimizer__eps=1e-6, **SMALL).fit(X)
    assert tuple(_group(est)["betas"]) == (0.8, 0.99)
    assert _group(est)["eps"] == 1e-6
    est = Autoencoder(optimizer__fused=False, **SMALL).fit(X)
    assert not _group(est)["fused"]


def test_grid_search_over_a_routed_setting(rows):
    X, y = rows
    search = GridSearchCV(
        FeedForwardClassifier(optimizer="sgd", **SMALL),
        {"optimizer__momentum": [0.0, 0.9]},
        cv=2,
    ).fit(X, y)
    assert search.best_params_["optimizer__momentum"] in (0.0, 0.9)
    assert (
        _group(search.best_estimator_)["momentum"]
        == (search.best_params_["optimizer__momentum"])
    )


@pytest.mark.parametrize(
    "settings, match",
    [
        (dict(optimizer__momentum=0.9), "Adam has no parameter 'momentum'; its par"),
        (dict(optimizer__lr=0.1), "use learning_rate=0.1"),
        (dict(optimizer__weight_decay=0.1), "use weight_decay=0.1"),
        (dict(optimizer__betas=(2.0, 0.9)), "optimizer__betas=.*beta"),
        (dict(optimizer__eps=-1.0), "optimizer__eps=-1.0"),
        (dict(optimizer__betas="high"), "optimizer__betas="),
        (dict(optimizer__betas=[0.9, 0.99]), "not plain data"),
        (dict(optimizer__eps=np.array([1e-8])), "not plain data"),
        (dict(optimizer__eps=lambda: 1), "not plain data"),
        (dict(optimizer="sgd", optimizer__nesterov=True), "Nesterov"),
        (dict(optimizer__fused=True, optimizer__foreach=True), "fused"),
        (dict(module__n_components=3), "module__n_components=3: use n_components="),
        (dict(module__width=3), "module__ settings go to a user's own torch mod"),
    ],
)
def test_routed_settings_that_fail_are_refused_with_the_fix(rows, settings, match):
    X, _ = rows
    est = Autoencoder(**SMALL, **settings)
    with pytest.raises(ValueError, match=match):
        est.fit(X)
    assert not hasattr(est, "net_")


def test_a_warm_fit_applies_changed_settings(rows):
    X, _ = rows
    est = Autoencoder(optimizer="sgd", optimizer__momentum=0.9, **SMALL).fit(X)
    est.set_params(warm_start=True, optimizer__momentum=0.5).fit(X)
    assert _group(est)["momentum"] == 0.5
    est.partial_fit(X)
    assert _group(est)["momentum"] == 0.5
    # A setting no longer given goes back to torch's default: none kept silently.
    del est.optimizer__momentum
    est.fit(X)
    assert _group(est)["momentum"] == 0
    # How the optimizer runs (its fused kernel) is the fitted one's.
    est.set_params(optimizer__fused=False)
    n_epochs = est.n_epochs_
    with pytest.raises(ValueError, match="warm_start=False"):
        est.fit(X)
    assert est.n_epochs_ == n_epochs
    # A setting the optimizer does not have: refused, estimator unchanged.
    est.set_params(optimizer__fused=True, optimizer__betas=(0.9, 0.9))
    with pytest.raises(ValueError, match="SGD has no parameter 'betas'"):
        est.partial_fit(X)
    assert est.n_epochs_ == n_epochs


def test_routed_settings_survive_pickle_and_model_files(rows, tmp_path):
    X, y = rows
    est = FeedForwardClassifier(
        optimizer="sgd", optimizer__momentum=0.9, optimizer__nesterov=True, **SMALL
    ).fit(X, y)
    for loaded in (pickle.loads(pickle.dumps(est)), _dumped(est, tmp_path)):
        assert loaded.get_params() == est.get_params()
        assert _group(loaded)["momentum"] == 0.9
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
        clone(loaded).fit(X, y)  # and trains anew with them
    unfitted = Autoencoder(optimizer__eps=1e-7, module__width=2)
    assert pickle.loads(pickle.dumps(unfitted)).get_params() == unfitted.get_params()


def _dumped(est, tmp_path):
    path = tmp_path / "m.safetensors"
    io.dump(est, path)
    return io.load(path)


@pytest.mark.parametrize(
    "key, value",
    [
        ("optimizer__momentum", {"__dict__": {}}),  # a dict, not plain data
        ("optimizer__momentum", {"__tuple__": [{"__tuple__": [1]}]}),  # nested
        ("optimizer__momentum", "x" * 1000),
        ("optimizer__", 1),  # no name
        ("optimizer__1x", 1),  # not a name
        ("criterion__reduction", "sum"),  # no such prefix
    ],
)
def test_crafted_routed_settings_in_a_model_file_are_refused(
    rows, tmp_path, key, value
):
    X, y = rows
    est = FeedForwardClassifier(optimizer="sgd", **SMALL).fit(X, y)
    path = tmp_path / "m.safetensors"
    io.dump(est, path)
    with safe_open(path, framework="pt") as f:
        document = json.loads(f.metadata()["skfashion"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    state = document["state"]["__dict__"]
    state[key] = value
    path.write_bytes(signed(document, tensors))
    with pytest.raises(ModelFileError):
        io.load(path)


def test_crafted_routed_settings_in_a_state_are_refused():
    est = Autoencoder()
    for key, value in [
        ("optimizer__eps", object()),
        ("optimizer__eps", [1e-8]),
        ("module__x y", 1),
        ("module__width", torch.zeros(1)),
    ]:
        with pytest.raises(ModelFileError, match="routed setting"):
            est.__setstate__({**Autoencoder().__getstate__(), key: value})
    assert "optimizer__eps" not in est.get_params()


# -- a validation split without early stopping ---------------------------------


class _ReadsValidLoss(Callback):
    """What an Optuna pruner does: read the epoch's validation loss."""

    def __init__(self):
        self.seen = []

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(net.history[-1, "valid_loss"])


def test_a_validation_split_without_early_stopping(rows):
    X, y = rows
    reader = _ReadsValidLoss()
    clf = FeedForwardClassifier(
        validation_fraction=0.2, callbacks=[reader], **{**SMALL, "max_epochs": 4}
    ).fit(X, y)
    assert clf.n_epochs_ == 4  # every epoch runs
    assert len(reader.seen) == 4
    assert clf.validation_loss_curve_ == pytest.approx(reader.seen)
    assert all("valid_acc" in row for row in clf.history_)
    assert clf.best_validation_loss_ == min(reader.seen)
    ae = Autoencoder(validation_fraction=0.2, **SMALL).fit(X)
    assert len(ae.validation_loss_curve_) == ae.n_epochs_ == 2
    # The defaults hold nothing out, as before; early stopping holds out 0.1.
    plain = Autoencoder(**SMALL).fit(X)
    assert not hasattr(plain, "validation_loss_curve_")
    assert "valid_loss" not in plain.history_[-1]
    stopped = Autoencoder(early_stopping=True, **SMALL).fit(X)
    assert stopped.history_[0, "valid_batch_count"] == 1
    # partial_fit holds nothing out.
    partial = Autoencoder(validation_fraction=0.2, **SMALL).partial_fit(X)
    assert "valid_loss" not in partial.history_[-1]


def test_early_stopping_uses_the_split_asked_for(rows):
    X, _ = rows
    a = Autoencoder(early_stopping=True, validation_fraction=0.5, **SMALL).fit(X)
    b = Autoencoder(validation_fraction=0.5, **SMALL).fit(X)
    assert a.validation_loss_curve_ == b.validation_loss_curve_


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, "0.1", True, float("nan")])
def test_a_wrong_validation_fraction_is_refused(rows, fraction):
    X, _ = rows
    with pytest.raises(ValueError, match="validation_fraction"):
        Autoencoder(validation_fraction=fraction, **SMALL).fit(X)


def test_a_split_that_leaves_nothing_to_train_says_so():
    X = np.random.RandomState(0).rand(3, 4)
    with pytest.raises(ValueError, match="validation_fraction=None"):
        Autoencoder(validation_fraction=0.9, **SMALL).fit(X)


# -- a user's LRScheduler --------------------------------------------------------


def test_a_users_lr_scheduler_needs_lr_schedule_none(rows):
    X, _ = rows
    scheduler = LRScheduler(policy=StepLR, step_size=1, gamma=0.5)
    for callbacks in ([scheduler], [("mine", scheduler)], [LRScheduler]):
        est = Autoencoder(callbacks=callbacks, **SMALL)
        with pytest.raises(ValueError, match="lr_schedule=None"):
            est.fit(X)
        assert not hasattr(est, "net_")
    est = Autoencoder(callbacks=[scheduler], lr_schedule=None, **SMALL)
    est.set_params(learning_rate=0.01, max_epochs=3).fit(X)
    assert list(est.history_[:, "event_lr"]) == pytest.approx([0.01, 0.005, 0.0025])


# -- skorch's tools on the inner net -----------------------------------------------


@pytest.mark.parametrize("use_caching", [True, False])
def test_epoch_scoring_by_name_on_a_classifier(rows, use_caching):
    X, y = rows
    scoring = EpochScoring(
        "accuracy", lower_is_better=False, name="acc", use_caching=use_caching
    )
    clf = FeedForwardClassifier(
        validation_fraction=0.25, callbacks=[scoring], **SMALL
    ).fit(X, y)
    assert clf.history_[:, "acc"] == pytest.approx(clf.history_[:, "valid_acc"])


def test_the_inner_net_predicts_as_skorch_defines_it(rows):
    X, y = rows
    clf = FeedForwardClassifier(**SMALL).fit(X, y)
    proba = clf.net_.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.classes_[clf.net_.predict(X)], clf.predict(X))
    assert torch.is_tensor(clf.net_.forward(X))
    ae = Autoencoder(**SMALL).fit(X)
    reconstruction = ae.net_.forward(X)
    assert torch.is_tensor(reconstruction) and reconstruction.shape == X.shape
    np.testing.assert_allclose(ae.net_.predict(X), ae.reconstruct(X), rtol=1e-6)


def test_epoch_scoring_on_an_autoencoder(rows):
    X, _ = rows
    # A scorer's name compares the reconstructions with the input, the
    # autoencoder's target: -MSE is the validation loss of loss='mse'.
    for use_caching in (True, False):
        scoring = EpochScoring(
            "neg_mean_squared_error", name="neg_mse", use_caching=use_caching
        )
        ae = Autoencoder(
            validation_fraction=0.25, loss="mse", callbacks=[scoring], **SMALL
        ).fit(X)
        assert [-v for v in ae.history_[:, "neg_mse"]] == pytest.approx(
            ae.validation_loss_curve_, rel=1e-5
        )

    def mse(net, X, y):  # the reconstruction against its input
        X = np.asarray(X)  # skorch gives the validation rows as a tensor
        return float(((net.predict(X) - X) ** 2).mean())

    ae = Autoencoder(
        validation_fraction=0.25,
        callbacks=[EpochScoring(mse, name="mse", use_caching=False)],
        **SMALL,
    ).fit(X)
    assert ae.history_[:, "mse"] == pytest.approx(ae.validation_loss_curve_)


def test_epoch_scoring_with_sample_weights(rows):
    X, y = rows
    weights = np.ones(len(X))
    cached = EpochScoring("accuracy", lower_is_better=False, name="acc")
    clf = FeedForwardClassifier(validation_fraction=0.25, callbacks=[cached], **SMALL)
    with pytest.raises(ValueError, match="use_caching=False"):
        clf.fit(X, y, sample_weight=weights)
    assert not hasattr(clf, "net_")
    clf.set_params(
        callbacks=[
            EpochScoring(
                "accuracy", lower_is_better=False, name="acc", use_caching=False
            )
        ]
    ).fit(X, y, sample_weight=weights)
    assert clf.history_[:, "acc"] == pytest.approx(clf.history_[:, "valid_acc"])


def test_routed_settings_in_a_pipeline_file(rows, tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, _ = rows
    pipe = make_pipeline(
        StandardScaler(), Autoencoder(optimizer="sgd", optimizer__momentum=0.9, **SMALL)
    ).fit(X)
    loaded = _dumped(pipe, tmp_path)  # through skops
    assert loaded[-1].optimizer__momentum == 0.9
    assert _group(loaded[-1])["momentum"] == 0.9
    np.testing.assert_array_equal(loaded.transform(X), pipe.transform(X))


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_estimator_trains_with_routed_settings(cls, sample_images):
    images, y = sample_images
    images, y = images[:60], y[:60]
    est = cls(
        optimizer="rmsprop",
        optimizer__momentum=0.5,
        optimizer__alpha=0.9,
        validation_fraction=0.2,
        max_epochs=1,
        random_state=0,
        **TINY[cls.__name__],
    ).fit(images, y)
    assert _group(est)["momentum"] == 0.5 and _group(est)["alpha"] == 0.9
    assert len(est.validation_loss_curve_) == 1
    with pytest.raises(ValueError, match="RMSprop has no parameter 'betas'"):
        clone(est).set_params(optimizer__betas=(0.9, 0.9)).fit(images, y)
