"""Searches: cached pipelines, and the same search on a Dask cluster."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from skfashion import Autoencoder

# One entry per training run; module-level, so that copies of the callback share it.
FITS = []


class CountFits(Callback):
    def on_train_begin(self, net, **kwargs):
        FITS.append(1)


@pytest.fixture(scope="module")
def data(mnist_sample):
    train, _ = mnist_sample
    return train.data[:400], train.target[:400]


def _search(memory):
    ae = Autoencoder((32,), 8, max_epochs=2, random_state=0, callbacks=[CountFits()])
    pipe = Pipeline([("ae", ae), ("knn", KNeighborsClassifier())], memory=memory)
    grid = {"knn__n_neighbors": [1, 3, 5, 7]}
    return GridSearchCV(pipe, grid, cv=2)


@pytest.mark.few_epochs
def test_cached_pipeline_fits_each_autoencoder_once_per_fold(data, tmp_path):
    FITS.clear()
    plain = _search(None).fit(*data)
    assert len(FITS) == 4 * 2 + 1  # every candidate and fold, and the refit
    FITS.clear()
    cached = _search(str(tmp_path / "cache")).fit(*data)
    assert len(FITS) == 2 + 1  # once per fold, and the refit
    np.testing.assert_array_equal(
        plain.cv_results_["mean_test_score"], cached.cv_results_["mean_test_score"]
    )
    assert plain.best_params_ == cached.best_params_


@pytest.mark.few_epochs
@pytest.mark.slow  # starts a cluster: the full suite's
def test_search_on_a_dask_cluster_matches_the_sequential_one(data, tmp_path):
    distributed = pytest.importorskip("distributed")
    grid = {"ae__n_components": [4, 16], "ae__learning_rate": [1e-3, 1e-2]}
    pipe = Pipeline(
        [
            ("ae", Autoencoder((32,), max_epochs=3, random_state=0)),
            ("knn", KNeighborsClassifier(1)),
        ]
    )
    sequential = GridSearchCV(pipe, grid, cv=2).fit(*data)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with joblib.parallel_backend("dask"):
            on_dask = GridSearchCV(pipe, grid, cv=2, n_jobs=-1).fit(*data)
    assert on_dask.best_params_ == sequential.best_params_
    np.testing.assert_array_equal(
        on_dask.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
