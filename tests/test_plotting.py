import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from skfashion import Autoencoder, FeedForwardClassifier, VariationalAutoencoder  # noqa: E402
from skfashion.plotting import (  # noqa: E402
    ClassDistributionDisplay,
    LatentSpaceDisplay,
    LearningCurveDisplay,
    MisclassifiedDisplay,
    ReconstructionDisplay,
    SamplesDisplay,
)
from skfashion.plotting._grid import mosaic  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data(fashion_sample):
    train, _ = fashion_sample
    X, y = train.data[:600], train.target[:600]
    ae = Autoencoder((64,), 8, max_epochs=3, random_state=0).fit(X)
    clf = FeedForwardClassifier(
        (64,), max_epochs=3, early_stopping=True, random_state=0
    ).fit(X, y)
    return X, y, train.target_names, ae, clf


def test_mosaic_places_each_image_in_its_cell():
    images = np.arange(4 * 9).reshape(4, 9).astype(float)
    grid = mosaic(images, n_cols=3, image_shape=(3, 3), pad=1, fill=-1)
    assert grid.shape == (2 * 4 + 1, 3 * 4 + 1)
    np.testing.assert_array_equal(grid[1:4, 1:4], images[0].reshape(3, 3))
    np.testing.assert_array_equal(grid[5:8, 1:4], images[3].reshape(3, 3))
    assert (grid[5:8, 5:8] == -1).all()  # empty cell


def test_reconstruction_display_shows_originals_above_reconstructions(data):
    X, _, _, ae, _ = data
    display = ReconstructionDisplay.from_estimator(ae, X)
    assert display.originals.shape == (15, 784)
    drawn = display.image_.get_array()
    np.testing.assert_allclose(drawn[2:30, 2:30], X[0].reshape(28, 28))
    np.testing.assert_allclose(
        drawn[32:60, 2:30], ae.reconstruct(X[:1])[0].reshape(28, 28), atol=1e-6
    )
    assert f"{display.error:.4f}" in display.ax_.get_title()
    assert display.error == pytest.approx(-ae.score(X[:15]))
    fig, ax = plt.subplots()
    assert ReconstructionDisplay.from_estimator(ae, X, n_images=4, ax=ax).ax_ is ax


def test_reconstruction_display_takes_any_transformer_with_an_inverse(data):
    X = data[0]
    pca = PCA(8).fit(X)
    display = ReconstructionDisplay.from_estimator(pca, X, n_images=5)
    expected = pca.inverse_transform(pca.transform(X[:5]))
    np.testing.assert_allclose(display.reconstructions, expected, rtol=1e-5)
    assert display.error == pytest.approx(((X[:5] - expected) ** 2).mean(), rel=1e-5)


@pytest.mark.few_epochs
def test_samples_display(data):
    X = data[0]
    vae = VariationalAutoencoder((32,), 4, max_epochs=2, random_state=0).fit(X)
    display = SamplesDisplay.from_estimator(vae, n_samples=12, random_state=0)
    np.testing.assert_array_equal(display.images, vae.sample(12, random_state=0))
    assert display.image_.get_array().shape == (2 * 30 + 2, 8 * 30 + 2)
    fitted = SamplesDisplay.from_estimator(data[3], 4, distribution="standard")
    assert "distribution=standard" in fitted.ax_.get_title()


def test_misclassified_display_titles_predicted_over_true(data):
    X, y, names, _, clf = data
    display = MisclassifiedDisplay.from_estimator(clf, X, y, target_names=names)
    predicted = clf.predict(X)
    wrong = np.flatnonzero(predicted != y)[:20]
    expected = [f"{names[predicted[i]]} / {names[y[i]]}" for i in wrong]
    assert [t.get_text() for t in display.texts_] == expected


def test_learning_curves_from_history(data):
    _, _, _, ae, clf = data
    display = LearningCurveDisplay.from_estimator(clf)
    assert set(display.lines_) == {"train_loss", "valid_loss", "train_acc", "valid_acc"}
    assert len(display.axes_) == 2
    np.testing.assert_allclose(
        display.lines_["train_loss"].get_ydata(), clf.loss_curve_
    )
    ae_display = LearningCurveDisplay.from_estimator(ae)
    assert list(ae_display.lines_) == ["train_loss"] and len(ae_display.axes_) == 1


@pytest.mark.parametrize(
    "method", ["pca", pytest.param("tsne", marks=pytest.mark.slow)]
)
def test_latent_space_display(data, method):
    X, y, names, ae, _ = data
    display = LatentSpaceDisplay.from_estimator(
        ae, X[:200], y[:200], method=method, target_names=names, random_state=0
    )
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == [names[label] for label in np.unique(y[:200])]
    assert sum(len(c.get_offsets()) for c in display.collections_) == 200
    with pytest.raises(ValueError, match="method"):
        LatentSpaceDisplay.from_estimator(ae, X, y, method="umap")


def test_class_distribution_display(data):
    _, y, names, _, _ = data
    display = ClassDistributionDisplay.from_targets(y, target_names=names)
    assert [b.get_height() for b in display.bars_] == list(np.bincount(y))
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == list(names)


def test_confusion_matrix_is_scikit_learns_with_class_names(data):
    X, y, names, _, clf = data
    display = ConfusionMatrixDisplay.from_estimator(clf, X, y, display_labels=names)
    assert display.confusion_matrix.sum() == len(y)
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == list(names)


def test_displays_take_string_labels(data):
    # A classifier fitted on names predicts names; every Display shows them,
    # with target_names=None, a dict, or the names themselves.
    X, y, names, ae, _ = data
    y_names = np.asarray(names, dtype=object)[y]
    clf = FeedForwardClassifier((32,), max_epochs=2, random_state=0).fit(X, y_names)
    display = MisclassifiedDisplay.from_estimator(clf, X, y_names, n_cols=4)
    predicted = clf.predict(X)
    wrong = np.flatnonzero(predicted != y_names)[:20]
    assert [t.get_text() for t in display.texts_] == [
        f"{predicted[i]} / {y_names[i]}" for i in wrong
    ]
    latent = LatentSpaceDisplay.from_estimator(ae, X[:200], y_names[:200], s=3)
    legend = [t.get_text() for t in latent.ax_.get_legend().get_texts()]
    assert legend == sorted(set(y_names[:200]))
    assert latent.collections_[0].get_sizes()[0] == 3  # plot's option, forwarded
    short = {name: name[:3] for name in names}
    bars = ClassDistributionDisplay.from_targets(y_names, target_names=short)
    assert [t.get_text() for t in bars.ax_.get_xticklabels()] == [
        short[n] for n in sorted(set(y_names))
    ]
    ClassDistributionDisplay.from_targets(y_names, target_names=names)  # as is
    with pytest.raises(ValueError, match="integer labels 0..n-1"):
        ClassDistributionDisplay.from_targets(["a", "b"], target_names=["x", "y"])
    with pytest.raises(ValueError, match="labels go from 0 to 9"):
        ClassDistributionDisplay.from_targets(y, target_names=names[:5])


def test_plot_options_are_keyword_only(data):
    _, y, names, _, _ = data
    display = ClassDistributionDisplay(np.bincount(y), names)
    with pytest.raises(TypeError):
        display.plot(plt.gca())
    assert display.plot(ax=plt.gca(), color="red") is display


def test_search_landscape_labels_follow_cv_results():
    # The grid's keys in an order that ParameterGrid sorts differently: the
    # heat map's rows and columns follow the values in cv_results_, and each
    # cell holds the score of its pair.
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier

    from skfashion.plotting import SearchLandscapeDisplay

    X, y = load_iris(return_X_y=True)
    grid = {"weights": ["uniform", "distance"], "n_neighbors": [15, 1, 5], "p": [1, 2]}
    search = GridSearchCV(KNeighborsClassifier(), grid, cv=3).fit(X, y)
    d = SearchLandscapeDisplay.from_search(search, x="weights", y="n_neighbors")
    assert d.x_values == ["distance", "uniform"] and d.y_values == [1, 5, 15]
    results = search.cv_results_
    for i, k in enumerate(d.y_values):
        for j, weights in enumerate(d.x_values):
            mine = [
                s
                for s, params in zip(results["mean_test_score"], results["params"])
                if params["n_neighbors"] == k and params["weights"] == weights
            ]
            assert d.scores[i, j] == max(mine)  # best over p
            assert d.texts_[i, j].get_text() == f"{max(mine):.3f}"
    assert [t.get_text() for t in d.ax_.get_yticklabels()] == ["1", "5", "15"]
    with pytest.raises(ValueError, match="searched"):
        SearchLandscapeDisplay.from_search(search, x="k", y="p")


def test_sample_grids_fill_their_figure(data):
    *_, ae, _ = data
    display = SamplesDisplay.from_estimator(ae, 16, random_state=0, n_cols=8)
    width, height = display.figure_.get_size_inches()
    # two rows of eight square images: about four times wider than high
    assert 3 < width / height < 5


# -- colour images and unfitted estimators (issue 34, item 8) --------------------


def test_mosaic_of_colour_images_keeps_the_channels_last():
    rng = np.random.default_rng(0)
    images = rng.random((5, 3, 4, 6))  # (n, c, h, w), as a conv network takes
    grid = mosaic(images, n_cols=3, pad=1)
    assert grid.shape == (2 * 5 + 1, 3 * 7 + 1, 3)
    np.testing.assert_array_equal(grid[1:5, 1:7], np.moveaxis(images[0], 0, -1))
    rows = mosaic(images.reshape(5, -1), n_cols=3, image_shape=(3, 4, 6), pad=1)
    np.testing.assert_array_equal(rows, grid)  # rows with their image_shape


@pytest.mark.parametrize("shape", [(6, 3, 8, 8), (6, 4, 8, 8), (6, 1, 8, 8)])
def test_displays_show_colour_images(shape):
    rng = np.random.default_rng(0)
    images = rng.random(shape)
    d = SamplesDisplay(images).plot(n_cols=3)
    drawn = d.image_.get_array()
    assert drawn.ndim == (2 if shape[1] == 1 else 3)
    y = rng.integers(0, 2, shape[0])
    d = MisclassifiedDisplay.from_predictions(images, y, 1 - y, n_images=4)
    assert d.image_.get_array().ndim == drawn.ndim
    # rows of colour images with the image_shape of a conv estimator
    d = SamplesDisplay(images.reshape(6, -1), image_shape=shape[1:]).plot(n_cols=3)
    np.testing.assert_array_equal(d.image_.get_array(), drawn)


@pytest.mark.parametrize(
    "images, image_shape, match",
    [
        (np.zeros((2, 2, 4, 4)), None, "channels"),
        (np.zeros((2, 5, 4, 4)), None, "channels"),
        (np.zeros((2, 48)), (3, 4, 5), "cannot be shown as"),
        (np.zeros((2, 30)), None, "square image"),
        (np.zeros((2, 16)), (2, 2, 2, 2), "image_shape must be"),
    ],
)
def test_images_of_no_known_shape_are_a_value_error(images, image_shape, match):
    with pytest.raises(ValueError, match=match):
        SamplesDisplay(images, image_shape=image_shape).plot()


def test_learning_curves_of_an_unfitted_estimator_are_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LearningCurveDisplay.from_estimator(FeedForwardClassifier())
    with pytest.raises(NotFittedError):
        LearningCurveDisplay.from_estimator(Autoencoder())
