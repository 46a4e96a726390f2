"""Metrics for autoencoders and generated images."""

import numpy as np
from sklearn.utils.validation import check_array, check_consistent_length


def reconstruction_error(X, X_reconstructed, *, metric="mse", data_range=1.0):
    """How far reconstructions are from the originals, averaged over all values.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Originals.

    X_reconstructed : array-like of shape (n_samples, n_features)
        Reconstructions (for example ``Autoencoder.reconstruct(X)``).

    metric : {'mse', 'bce', 'psnr'}, default='mse'
        'mse': mean squared error. 'bce': mean binary cross-entropy of the
        reconstructions as probabilities of the originals (both in [0, 1]).
        'psnr': peak signal-to-noise ratio in dB, ``10 log10(data_range^2 /
        mse)``, higher is better.

    data_range : float, default=1.0
        Peak-to-peak range of the data, for 'psnr' (1 for pixels in [0, 1],
        255 for uint8).

    Returns
    -------
    error : float

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.metrics import reconstruction_error
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> reconstruction_error(X, X + 0.1)
    0.01...
    >>> round(reconstruction_error(X, X + 0.1, metric="psnr"), 1)
    20.0
    """
    X = check_array(X, dtype=np.float64)
    R = check_array(X_reconstructed, dtype=np.float64)
    check_consistent_length(X, R)
    if X.shape != R.shape:
        raise ValueError(f"X has shape {X.shape} but X_reconstructed {R.shape}.")
    if metric == "mse":
        return float(np.mean((X - R) ** 2))
    if metric == "psnr":
        mse = np.mean((X - R) ** 2)
        return float("inf") if mse == 0 else float(10 * np.log10(data_range**2 / mse))
    if metric == "bce":
        if X.min() < 0 or X.max() > 1 or R.min() < 0 or R.max() > 1:
            raise ValueError("metric='bce' needs X and X_reconstructed in [0, 1].")
        eps = 1e-7  # as the clamped logs of torch's BCELoss: finite at 0 and 1
        R = np.clip(R, eps, 1 - eps)
        return float(-np.mean(X * np.log(R) + (1 - X) * np.log(1 - R)))
    raise ValueError(f"metric must be 'mse', 'bce' or 'psnr', got {metric!r}.")


def _symmetric_sqrt(matrix):
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance_from_moments(mean1, cov1, mean2, cov2):
    """Frechet distance between the Gaussians N(mean1, cov1) and N(mean2, cov2).

    ``|mean1 - mean2|^2 + Tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2))``. The trace of
    the matrix square root is computed as the sum of the square roots of the
    eigenvalues of the symmetric ``cov1^(1/2) cov2 cov1^(1/2)``, which has
    the same eigenvalues as ``cov1 cov2`` and stays real and stable where a
    general ``sqrtm`` of the product goes complex.

    Parameters
    ----------
    mean1, mean2 : array-like of shape (n_features,)
    cov1, cov2 : array-like of shape (n_features, n_features)
        Symmetric positive semi-definite.

    Returns
    -------
    distance : float
        The squared 2-Wasserstein distance between the two Gaussians.
    """
    mean1, mean2 = np.asarray(mean1, np.float64), np.asarray(mean2, np.float64)
    cov1, cov2 = (
        np.atleast_2d(cov1).astype(np.float64),
        np.atleast_2d(cov2).astype(np.float64),
    )
    root1 = _symmetric_sqrt(cov1)
    cross = root1 @ cov2 @ root1
    trace_sqrt = np.sum(
        np.sqrt(np.clip(np.linalg.eigvalsh((cross + cross.T) / 2), 0, None))
    )
    distance = (
        np.sum((mean1 - mean2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * trace_sqrt
    )
    return float(max(distance, 0.0))


def frechet_distance(X, Y, feature_extractor=None):
    """Frechet distance between two sets of images, in a feature space.

    Each set is summarised by the mean and covariance of its features, and the
    distance between the two Gaussians is returned. With a fitted
    :class:`~skfashion.FeedForwardClassifier` as ``feature_extractor`` the
    features are its last hidden layer: the MNIST / Fashion-MNIST analogue of
    the FID, which uses an Inception network trained on ImageNet. Lower is
    closer; two samples of the same distribution are near 0 (not exactly 0,
    for finite samples).

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_features)
        The two sets of images (for example test images and generated ones).

    feature_extractor : estimator with ``extract_features`` or ``transform``, \
            default=None
        Maps images to features. None compares the pixels themselves.

    Returns
    -------
    distance : float

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.metrics import frechet_distance
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(2000, 3)), rng.normal(size=(2000, 3))
    >>> frechet_distance(a, b) < 0.05 < frechet_distance(a, b + 1)
    True
    """
    if feature_extractor is not None:
        extract = getattr(feature_extractor, "extract_features", None)
        extract = extract or feature_extractor.transform
        X, Y = extract(X), extract(Y)
    X = check_array(X, dtype=np.float64, ensure_min_samples=2)
    Y = check_array(Y, dtype=np.float64, ensure_min_samples=2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but Y has {Y.shape[1]}.")
    return frechet_distance_from_moments(
        X.mean(0), np.cov(X, rowvar=False), Y.mean(0), np.cov(Y, rowvar=False)
    )
