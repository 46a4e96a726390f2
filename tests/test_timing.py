import time

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
from sklearn.pipeline import Pipeline, make_pipeline

from skfashion import Autoencoder
from skfashion.timing import time_pipeline


class Sleepy(TransformerMixin, BaseEstimator):
    """A transformer that takes a known time in fit and transform."""

    def __init__(self, fit_s=0.0, transform_s=0.0):
        self.fit_s = fit_s
        self.transform_s = transform_s

    def fit(self, X, y=None):
        time.sleep(self.fit_s)
        return self

    def transform(self, X):
        time.sleep(self.transform_s)
        return X


@pytest.fixture(scope="module")
def data(mnist_sample):
    train, test = mnist_sample
    return train.data, train.target, test.data, test.target


def test_each_step_is_timed_where_the_time_is_spent(data):
    pipe = Pipeline(
        [
            ("slow_fit", Sleepy(fit_s=0.2)),
            ("slow_transform", Sleepy(transform_s=0.1)),
            ("nc", NearestCentroid()),
        ]
    )
    timing = time_pipeline(pipe, *data)
    slow_fit, slow_transform, nc = timing.steps
    # Each sleep lands in its own step and phase: lower bounds from the
    # sleeps, the rest compared with them (no wall-clock ceiling, which a
    # busy machine would break).
    assert slow_fit.fit_seconds >= 0.2 and slow_transform.transform_train_seconds >= 0.1
    assert slow_transform.transform_test_seconds >= 0.1
    assert slow_transform.fit_seconds < slow_fit.fit_seconds
    assert slow_fit.transform_train_seconds < slow_transform.transform_train_seconds
    assert slow_fit.transform_test_seconds < slow_transform.transform_test_seconds
    assert nc.predict_seconds > 0 and nc.transform_train_seconds == 0
    assert timing.total_seconds == pytest.approx(
        sum(s.total_seconds for s in timing.steps)
    )
    assert timing.fit_seconds >= 0.3 and timing.predict_seconds >= 0.1


def test_score_and_fitted_pipeline_match_an_ordinary_fit(data):
    X, y, X_test, y_test = data
    pipe = make_pipeline(PCA(32, random_state=0), KNeighborsClassifier(1))
    timing = time_pipeline(pipe, X, y, X_test, y_test)
    # the same computation, step by step (fit, then transform)
    pca = PCA(32, random_state=0).fit(X)
    knn = KNeighborsClassifier(1).fit(pca.transform(X), y)
    assert timing.score == knn.score(pca.transform(X_test), y_test)
    predicted = knn.predict(pca.transform(X_test))
    np.testing.assert_array_equal(timing.pipeline.predict(X_test), predicted)
    assert "pca_transform_seconds" in timing.as_dict()
    assert "kneighborsclassifier" in str(timing)
    f1 = time_pipeline(pipe, X, y, X_test, y_test, scoring="f1_macro")
    assert 0.5 < f1.score < 1


def test_works_with_the_autoencoder_and_a_lone_estimator(data):
    X, y, X_test, y_test = data
    ae = Autoencoder((64,), 16, max_epochs=10, learning_rate=3e-3, random_state=0)
    pipe = make_pipeline(ae, NearestCentroid())
    timing = time_pipeline(pipe, X, y, X_test, y_test)
    assert [s.name for s in timing.steps] == ["autoencoder", "nearestcentroid"]
    assert timing.steps[0].fit_seconds > 0 and timing.score > 0.6
    assert time_pipeline(NearestCentroid(), X, y, X_test, y_test).score > 0.7
