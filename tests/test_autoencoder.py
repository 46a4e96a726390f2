import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning

from skfashion import Autoencoder, VariationalAutoencoder
from skfashion._runtime import available_cores, resolve_device
from skfashion.datasets import load_mnist_sample
from skfashion.metrics import frechet_distance


@pytest.fixture(scope="module")
def data(fashion_sample):
    train, test = fashion_sample
    return train.data, train.target, test.data, test.target


def small(**kwargs):
    params = dict(
        hidden_layer_sizes=(32,),
        n_components=8,
        max_epochs=2,
        batch_size=32,
        random_state=0,
    )
    return Autoencoder(**{**params, **kwargs})


@pytest.mark.slow
def test_pipeline_into_knn_on_real_data_beats_chance_by_far(data):
    X, y, X_test, y_test = data
    pipe = Pipeline(
        [
            ("ae", Autoencoder(n_components=32, max_epochs=10, random_state=0)),
            ("knn", KNeighborsClassifier(5)),
        ]
    )
    accuracy = pipe.fit(X, y).score(X_test, y_test)
    assert accuracy > 0.7  # 10 classes: chance is 0.1


@pytest.mark.slow  # a quality check: ~10 s of training
def test_learns_better_than_pca_with_the_same_code_size(data):
    X, _, X_test, _ = data
    ae = Autoencoder((128,), 16, max_epochs=20, learning_rate=3e-3, random_state=0)
    ae.fit(X)
    pca = PCA(16).fit(X)
    pca_mse = np.mean((X_test - pca.inverse_transform(pca.transform(X_test))) ** 2)
    assert -ae.score(X_test) < pca_mse
    loss = ae.loss_curve_
    assert len(loss) == ae.n_epochs_ == 20 and loss[-1] < loss[0] / 2


def test_grid_search_ranks_autoencoders_by_reconstruction(data):
    X = data[0][:1000]
    search = GridSearchCV(
        small(max_epochs=10, learning_rate=3e-3), {"n_components": [2, 16]}, cv=2
    )
    search.fit(X)
    assert search.best_params_ == {"n_components": 16}
    assert search.best_score_ < 0  # a negative error


@pytest.mark.few_epochs
def test_transform_inverse_transform_reconstruct_and_sample(data):
    X = data[0][:300]
    ae = small().fit(X)
    codes = ae.transform(X)
    assert codes.shape == (300, 8) and codes.dtype == np.float32
    decoded = ae.inverse_transform(codes)
    np.testing.assert_allclose(decoded, ae.reconstruct(X), atol=1e-6)
    assert np.isclose(ae.score(X), -np.mean((X - ae.reconstruct(X)) ** 2))
    np.testing.assert_allclose(ae.code_mean_, codes.mean(0), atol=1e-5)
    for distribution in ("fitted", "standard"):
        new = ae.sample(5, random_state=1, distribution=distribution)
        assert new.shape == (5, 784) and 0 <= new.min() and new.max() <= 1
        np.testing.assert_array_equal(
            new, ae.sample(5, random_state=1, distribution=distribution)
        )
    assert list(ae.get_feature_names_out()[:2]) == ["autoencoder0", "autoencoder1"]
    with pytest.raises(ValueError, match="expects codes of 8 features"):
        ae.inverse_transform(codes[:, :3])
    with pytest.raises(ValueError, match="distribution"):
        ae.sample(2, distribution="uniform")


@pytest.mark.few_epochs
def test_set_output_pandas(data):
    pd = pytest.importorskip("pandas")
    ae = small().set_output(transform="pandas").fit(data[0][:100])
    codes = ae.transform(pd.DataFrame(data[0][:3]))
    assert list(codes.columns) == [f"autoencoder{i}" for i in range(8)]


@pytest.mark.few_epochs
def test_any_numeric_input_gives_the_same_result(tmp_path):
    X = (load_mnist_sample(return_X_y=True)[0][:200] > 0.5).astype(np.float32)
    reference = small().fit(X).transform(X)
    pd = pytest.importorskip("pandas")
    memmap = np.lib.format.open_memmap(tmp_path / "x.npy", "w+", np.float64, X.shape)
    memmap[:] = X
    memmap.flush()
    readonly = np.load(tmp_path / "x.npy", mmap_mode="r")
    for variant in (
        X.astype(np.int64),
        X.astype(np.uint8),
        X.astype(np.float64),
        X.tolist(),
        pd.DataFrame(X),
        readonly,
        np.asfortranarray(X),
    ):
        np.testing.assert_array_equal(
            small().fit(variant).transform(variant), reference
        )


@pytest.mark.parametrize(
    "X, match",
    [
        ([[0.5, np.nan]] * 4, "NaN"),
        ([[0.5, np.inf]] * 4, "infinity"),
        ([0.1, 0.2, 0.3], "Expected 2D array"),
        (np.empty((0, 4)), "0 sample"),
        ([["a", "b"]] * 4, "could not convert"),
    ],
)
def test_bad_input_is_a_clear_value_error(X, match):
    with pytest.raises(ValueError, match=match):
        small().fit(X)


@pytest.mark.few_epochs
def test_wrong_width_at_transform(data):
    ae = small().fit(data[0][:50])
    with pytest.raises(ValueError, match="784 features"):
        ae.transform(data[0][:5, :100])


@pytest.mark.few_epochs
def test_input_outside_unit_interval_names_the_fix():
    X = np.random.default_rng(0).normal(size=(50, 10))
    with pytest.raises(ValueError, match=r"Scale the data to \[0, 1\].*'identity'"):
        small(output_activation="sigmoid").fit(X)
    with pytest.raises(
        ValueError, match="loss='bce' needs output_activation='sigmoid'"
    ):
        small(loss="bce", output_activation="identity").fit(X)
    small(output_activation="identity").fit(X)  # the fix works
    assert small().fit(X).output_activation_ == "identity"  # and the default


def test_diverging_training_stops_with_an_error():
    X = np.random.default_rng(0).normal(size=(64, 10)) * 1e4
    with pytest.raises(FloatingPointError, match="training diverged"):
        small(
            output_activation="identity",
            learning_rate=1e6,
            optimizer="sgd",
            max_epochs=50,
        ).fit(X)


@pytest.mark.few_epochs
def test_random_state_makes_fits_bit_identical_and_leaves_global_rng_alone(data):
    X = data[0][:300]
    params = dict(dropout=0.2, noise=0.1, batch_norm=True, early_stopping=True)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = small(**params).fit(X)
    assert torch.equal(torch.get_rng_state(), state)
    b = small(**params).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert a.loss_curve_ == b.loss_curve_
    c = small(random_state=1, **params).fit(X)
    assert not np.array_equal(a.transform(X), c.transform(X))


@pytest.mark.few_epochs
@pytest.mark.parametrize("cls", [Autoencoder, VariationalAutoencoder])
def test_pickle_and_joblib_round_trips(cls, data, tmp_path):
    X = data[0][:200]
    ae = cls(hidden_layer_sizes=(16,), n_components=4, max_epochs=2, random_state=0)
    ae.fit(X)
    expected = ae.transform(X), ae.reconstruct(X), ae.sample(3, random_state=0)
    joblib.dump(ae, tmp_path / "ae.joblib")
    for loaded in (pickle.loads(pickle.dumps(ae)), joblib.load(tmp_path / "ae.joblib")):
        got = (
            loaded.transform(X),
            loaded.reconstruct(X),
            loaded.sample(3, random_state=0),
        )
        for e, g in zip(expected, got):
            np.testing.assert_array_equal(e, g)


@pytest.mark.few_epochs
def test_a_net_saved_on_a_gpu_loads_on_the_cpu(data):
    # skorch maps CUDA tensors to the CPU when no GPU is present; a net whose
    # device says 'cuda' stands in for one trained on a GPU.
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    X = data[0][:100]
    ae = small().fit(X)
    expected = ae.transform(X)
    ae.net_.device = "cuda"
    buffer = io.BytesIO()
    pickle.dump(ae, buffer)
    with pytest.warns(DeviceWarning, match="cuda"):
        loaded = pickle.loads(buffer.getvalue())
    assert torch.device(loaded.net_.device).type == "cpu"
    np.testing.assert_array_equal(loaded.transform(X), expected)


@pytest.mark.few_epochs
def test_verbose_shows_an_epoch_table_and_quiet_shows_nothing(data, capsys):
    small().fit(data[0][:100])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    small(verbose=1).fit(data[0][:100])
    out = capsys.readouterr().out
    assert "epoch" in out and "train_loss" in out


@pytest.mark.few_epochs
def test_early_stopping_and_the_step_schedule(data):
    X = data[0][:400]
    ae = small(
        early_stopping=True, n_iter_no_change=2, max_epochs=200, learning_rate=3e-2
    ).fit(X)
    assert ae.n_epochs_ < 200
    assert len(ae.validation_loss_curve_) == ae.n_epochs_
    assert ae.best_validation_loss_ == min(ae.validation_loss_curve_)
    ae = small(
        learning_rate=1e-3,
        lr_schedule="step",
        lr_step_size=0.4,
        lr_gamma=0.1,
        max_epochs=5,
    ).fit(X)
    lrs = list(ae.history_[:, "event_lr"])
    np.testing.assert_allclose(lrs, [1e-3, 1e-3, 1e-4, 1e-4, 1e-5])


@pytest.mark.few_epochs
def test_sparse_autoencoder_has_smaller_codes(data):
    X = data[0][:500]
    dense = small(max_epochs=5).fit(X)
    sparse = small(max_epochs=5, l1_activity=1e-2).fit(X)
    assert np.abs(sparse.transform(X)).mean() < np.abs(dense.transform(X)).mean()


class RecordThreads(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("threads", torch.get_num_threads())


def _threads_in_a_fit(X):
    ae = small(callbacks=[RecordThreads()]).fit(X)
    return max(ae.history_[:, "threads"])


@pytest.mark.slow  # fits in joblib's processes: ~12 s
@pytest.mark.few_epochs
def test_parallel_fits_never_oversubscribe_the_cores(data):
    X = data[0][:100]
    cores = available_cores()
    assert _threads_in_a_fit(X) <= cores
    threads = joblib.Parallel(n_jobs=2)(
        joblib.delayed(_threads_in_a_fit)(X) for _ in range(2)
    )
    assert 2 * max(threads) <= max(cores, 2)


@pytest.mark.few_epochs
def test_device_auto_picks_a_gpu_only_when_there_is_one(monkeypatch, data):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert small().fit(data[0][:50]).net_.device == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="torch sees no GPU"):
        small(device="cuda").fit(data[0][:50])
    with pytest.raises(ValueError, match="not a torch device"):
        small(device="gpu0").fit(data[0][:50])


@pytest.mark.few_epochs
def test_variational_autoencoder_samples_from_the_prior(data):
    X = data[0][:300]
    vae = VariationalAutoencoder((32,), 4, max_epochs=3, random_state=0).fit(X)
    assert vae.transform(X).shape == (300, 4)
    new = vae.sample(6, random_state=0, distribution="prior")
    assert new.shape == (6, 784)
    codes = np.random.RandomState(0).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_array_equal(new, vae.inverse_transform(codes))


@pytest.mark.slow  # a quality check: ~9 s of training
def test_vae_samples_from_the_mixture_of_its_codes_look_like_the_data(data):
    # Prior codes fall where the encoder put no training image; the mixture
    # fitted to the codes does not (Ghosh et al. 2020): on real images its
    # samples are far closer to held-out ones, in pixels.
    X, _, X_test, _ = data
    vae = VariationalAutoencoder((128,), max_epochs=8, random_state=0).fit(X)
    k = vae.sample_mixture
    assert vae.code_mixture_weights_.shape == (k,)
    assert vae.code_mixture_means_.shape == (k, vae.n_components)
    assert vae.code_mixture_covariances_.shape == (
        k,
        vae.n_components,
        vae.n_components,
    )
    assert vae.code_mixture_weights_.sum() == pytest.approx(1)
    n = len(X_test)
    mixture = vae.sample(n, random_state=0)
    np.testing.assert_array_equal(
        mixture, vae.sample(n, random_state=0, distribution="mixture")
    )
    prior = vae.sample(n, random_state=0, distribution="prior")
    assert frechet_distance(X_test, mixture) < 0.6 * frechet_distance(X_test, prior)


@pytest.mark.few_epochs
def test_vae_without_a_mixture_samples_from_the_prior_and_says_so(data):
    X = data[0][:200]
    vae = VariationalAutoencoder((16,), 4, max_epochs=1, random_state=0)
    vae.fit(X)
    assert hasattr(vae, "code_mixture_means_")
    vae.set_params(sample_mixture=None).fit(X)  # a refit drops the old mixture
    assert not hasattr(vae, "code_mixture_means_")
    np.testing.assert_array_equal(
        vae.sample(3, random_state=0),
        vae.sample(3, random_state=0, distribution="prior"),
    )
    with pytest.raises(ValueError, match="sample_mixture=None.*refit"):
        vae.sample(3, distribution="mixture")
    with pytest.raises(ValueError, match="distribution must be one of"):
        vae.sample(3, distribution="gmm")
    # A single training image is a mixture of one, not an error.
    one = VariationalAutoencoder((16,), 4, max_epochs=1, random_state=0).fit(X[:1])
    assert one.code_mixture_weights_.tolist() == [1.0]
    assert one.sample(2, random_state=0).shape == (2, 784)


# -- smaller cases of issue 34, item 8 -------------------------------------------


@pytest.mark.few_epochs
def test_a_mixture_larger_than_the_data_warns(data):
    X = data[0][:12]
    vae = VariationalAutoencoder((8,), 2, max_epochs=1, random_state=0)
    with pytest.warns(UserWarning, match="sample_mixture=30 Gaussians, but the fit"):
        vae.fit(X)
    assert vae.code_mixture_weights_.shape == (12,)
    with warnings.catch_warnings():
        # as many as the data, or none: no such warning
        warnings.filterwarnings("error", message="sample_mixture")
        vae.set_params(sample_mixture=12).fit(X)
        vae.set_params(sample_mixture=None).fit(X)


@pytest.mark.few_epochs
def test_a_warm_start_refuses_another_output_activation(data):
    X = data[0][:200]
    ae = Autoencoder((8,), 2, max_epochs=1, warm_start=True, random_state=0)
    ae.fit(X)
    assert ae.output_activation_ == "sigmoid"
    before = {k: v.clone() for k, v in ae.net_.module_.state_dict().items()}
    for other in ("identity",):
        with pytest.raises(ValueError, match="output_activation: 'sigmoid' -> "):
            ae.set_params(output_activation=other).fit(X)
        with pytest.raises(ValueError, match="warm_start=False"):
            ae.partial_fit(X)
    assert ae.n_epochs_ == 1  # left as it was
    torch.testing.assert_close(ae.net_.module_.state_dict(), before)
    ae.set_params(output_activation="sigmoid").fit(X)  # the same: goes on
    ae.set_params(output_activation="auto").fit(X)  # 'auto': the fitted one
    assert ae.n_epochs_ == 3


@pytest.mark.few_epochs
def test_sampling_from_a_singular_covariance_is_quiet(data):
    # 16 codes from 4 hidden units: the codes' covariance has rank 4 at most,
    # which numpy found "not positive-semidefinite" by rounding, and warned
    X = data[0][:300]
    ae = Autoencoder((4,), 16, max_epochs=1, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = ae.sample(50, random_state=0)
    assert new.shape == (50, 784) and np.isfinite(new).all()
    np.testing.assert_array_equal(new, ae.sample(50, random_state=0))
