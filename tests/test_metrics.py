import numpy as np
import pytest
from scipy import linalg

from skfashion import FeedForwardClassifier
from skfashion.datasets import load_mnist_sample
from skfashion.metrics import (
    frechet_distance,
    frechet_distance_from_moments,
    reconstruction_error,
)


def test_reconstruction_errors():
    X = np.array([[0.0, 1.0, 0.5, 0.5]])
    R = np.array([[0.1, 0.9, 0.5, 0.3]])
    assert reconstruction_error(X, R) == pytest.approx((0.01 + 0.01 + 0 + 0.04) / 4)
    assert reconstruction_error(X, R, metric="psnr") == pytest.approx(
        10 * np.log10(1 / 0.015)
    )
    expected = -np.mean(X * np.log(R) + (1 - X) * np.log(1 - R))
    assert reconstruction_error(X, R, metric="bce") == pytest.approx(expected)
    assert reconstruction_error(X, X, metric="psnr") == np.inf
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        reconstruction_error(X * 2, R, metric="bce")
    with pytest.raises(ValueError, match="shape"):
        reconstruction_error(X, R[:, :2])


def test_frechet_distance_of_known_gaussians_matches_the_direct_formula():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    cov1, cov2 = A @ A.T, B @ B.T + np.eye(4)
    mean1, mean2 = rng.normal(size=4), rng.normal(size=4)
    direct = np.sum((mean1 - mean2) ** 2) + np.trace(
        cov1 + cov2 - 2 * linalg.sqrtm(cov1 @ cov2).real
    )
    assert frechet_distance_from_moments(mean1, cov1, mean2, cov2) == pytest.approx(
        direct
    )
    # one dimension: (m1 - m2)^2 + (s1 - s2)^2
    assert frechet_distance_from_moments([0], [[4]], [3], [[1]]) == pytest.approx(10)
    assert frechet_distance_from_moments(mean1, cov1, mean1, cov1) == pytest.approx(
        0, abs=1e-8
    )


def test_frechet_distance_of_samples_estimates_the_gaussians():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, size=(20000, 2))
    Y = rng.normal(2, 3, size=(20000, 2))  # distance 2 * (4 + (3 - 1)^2) = 16
    assert frechet_distance(X, Y) == pytest.approx(16, rel=0.03)


def test_frechet_distance_in_classifier_features_separates_digit_sets():
    X, y = load_mnist_sample(return_X_y=True)
    clf = FeedForwardClassifier((64, 32), max_epochs=5, random_state=0).fit(X, y)
    X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
    same = frechet_distance(X_test[:500], X_test[500:], clf)
    ones = frechet_distance(X_test[:500], X_test[y_test == 1], clf)
    assert same < ones / 5
