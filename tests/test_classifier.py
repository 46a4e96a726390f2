import pickle

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfashion import FeedForwardClassifier


@pytest.fixture(scope="module")
def data(fashion_sample):
    train, test = fashion_sample
    return train.data, train.target, test.data, test.target, train.target_names


def small(**kwargs):
    params = dict(hidden_layer_sizes=(64, 32), max_epochs=10, random_state=0)
    return FeedForwardClassifier(**{**params, **kwargs})


def test_learns_real_data_and_returns_labels_as_given(data):
    X, y, X_test, y_test, names = data
    names = np.array(names, dtype=object)
    clf = small().fit(X, names[y])
    assert list(clf.classes_) == sorted(names)
    predicted = clf.predict(X_test)
    assert set(predicted) <= set(names)
    assert np.mean(predicted == names[y_test]) > 0.78  # chance: 0.1
    proba = clf.predict_proba(X_test)
    assert proba.shape == (1000, 10) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], predicted)


def test_integer_labels_with_gaps_and_binary_decision_function(data):
    X, y, *_ = data
    X, y = X[:400], y[:400]
    labels = np.array([3, 17, 90])[y % 3]
    clf = small(max_epochs=3).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, [3, 17, 90])
    assert set(clf.predict(X)) <= {3, 17, 90}
    binary = small(max_epochs=3).fit(X, np.where(y < 5, "top", "bottom"))
    scores = binary.decision_function(X)
    assert scores.shape == (400,)
    np.testing.assert_array_equal(
        binary.classes_[(scores > 0).astype(int)], binary.predict(X)
    )


def test_one_class_is_a_clear_error(data):
    X = data[0][:20]
    with pytest.raises(ValueError, match="at least 2 classes; got 1 class"):
        small().fit(X, np.zeros(20))


def test_bad_targets_are_refused(data):
    X = data[0][:20]
    with pytest.raises(ValueError, match="Unknown label type"):
        small().fit(X, np.linspace(0, 1, 20))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        small().fit(X, np.zeros(19))


@pytest.mark.slow  # 5 s; test_routing checks the validation split's records fast
def test_history_records_accuracy_and_early_stopping_keeps_the_best(data):
    X, y, *_ = data
    clf = small(early_stopping=True, n_iter_no_change=3, max_epochs=100).fit(X, y)
    assert clf.n_epochs_ < 100
    history = clf.history_
    assert all(0 <= a <= 1 for a in history[:, "train_acc"])
    assert all(0 <= a <= 1 for a in history[:, "valid_acc"])
    assert len(history[:, "valid_acc"]) == clf.n_epochs_
    # the weights kept are the best epoch's: predicting the validation data
    # again gives that epoch's validation loss
    assert clf.best_validation_loss_ == min(clf.validation_loss_curve_)


@pytest.mark.few_epochs
def test_features_of_the_last_hidden_layer(data):
    X = data[0][:50]
    clf = small(max_epochs=2).fit(X, data[1][:50])
    features = clf.extract_features(X)
    assert features.shape == (50, 32) and features.dtype == np.float32
    assert features.min() >= 0  # after ReLU


def test_reproducible_and_picklable(data):
    X, y, X_test, *_ = data
    a = small(max_epochs=3).fit(X[:500], y[:500])
    b = small(max_epochs=3).fit(X[:500], y[:500])
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a.predict_proba(X_test), loaded.predict_proba(X_test))


def test_grid_search_over_any_parameter_in_a_pipeline(data):
    X, y, *_ = data
    pipe = make_pipeline(StandardScaler(), small(max_epochs=5))
    grid = {
        "feedforwardclassifier__dropout": [0.0, 0.5],
        "feedforwardclassifier__hidden_layer_sizes": [(16,), (64, 32)],
    }
    search = GridSearchCV(pipe, grid, cv=2).fit(X[:600], y[:600])
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert search.best_score_ > 0.6


def test_invalid_parameters_are_named():
    X, y = np.random.rand(10, 3), np.arange(10) % 2
    with pytest.raises(ValueError, match="'optimizer' parameter"):
        small(optimizer="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="'dropout' parameter"):
        small(dropout=1.5).fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive"):
        small(hidden_layer_sizes=(16, 0)).fit(X, y)
