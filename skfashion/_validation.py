"""Input checks that every estimator shares: data, weights, arguments.

Images and rows (``as_rows``), the sample and class weights (``fit_weights``,
the one place where they are validated and normalised), the arguments of
``sample`` and ``callbacks``, and ``Number``, the parameter constraint that
refuses booleans.
"""

from numbers import Integral

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight
from skorch.callbacks import Callback

from ._compat import Interval, _check_sample_weight


class Number(Interval):
    """An ``Interval`` of ints or reals that refuses booleans.

    ``True`` is an ``int`` to Python, so scikit-learn's ``Interval`` takes
    ``batch_size=True`` as 1; a flag passed where a number belongs is a mistake.
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val)


def _as_tensor_ready(X):
    """C-contiguous and writable, as torch.as_tensor wants, copying only if needed."""
    return np.require(X, requirements=["C", "W"])


def as_rows(X):
    """Image arrays (n, h, w) or (n, c, h, w) -> rows (n, c * h * w).

    ``fetch_*().images`` gives (n, 28, 28); the fully connected estimators take
    one row per sample, in C order, as ``X.reshape(len(X), -1)`` gives them.
    Anything that is not an array of three or more dimensions is returned as is.
    """
    if getattr(X, "ndim", 0) >= 3 and hasattr(X, "reshape"):
        return X.reshape(len(X), -1)
    return X


def check_n_samples(n_samples):
    """``n_samples`` of ``sample``: a positive int, else a clear ValueError."""
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, Integral):
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got n_samples={n_samples}.")
    return int(n_samples)


def check_callbacks(callbacks):
    """``callbacks`` as skorch takes them, else a ``ValueError`` that says how.

    skorch callbacks (instances, or classes that skorch instantiates) and
    ``(name, callback)`` pairs; None is no callback.
    """
    checked = []
    for entry in callbacks or []:
        callback = entry
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str):
            callback = entry[1]
        is_class = isinstance(callback, type) and issubclass(callback, Callback)
        if not (isinstance(callback, Callback) or is_class):
            raise ValueError(
                f"callbacks must hold skorch callbacks (skorch.callbacks.Callback "
                f"instances) or (name, callback) pairs, got {entry!r}. Wrap a "
                "function in a Callback subclass, e.g. one that overrides "
                "on_epoch_end(self, net, **kwargs)."
            )
        checked.append(entry)
    return checked


def fit_weights(sample_weight, X, y=None, class_weight=None):
    """Validated weights -> ``(X, y, weights)`` without the rows of weight 0.

    The one place where weights are checked and normalised. ``class_weight``
    (a classifier's: None, 'balanced' or a dict) multiplies ``sample_weight``.
    A weight of 0 removes the sample, as in scikit-learn (batch norm and the
    batches never see it); the others are scaled to a mean of 1, so that the
    loss keeps its scale and the learning rate its meaning. All zero,
    negative or non-finite weights are a ``ValueError``. No weights at all
    give ``(X, y, None)``: the unweighted loss.
    """
    if sample_weight is None and class_weight is None:
        return X, y, None
    weights = np.ones(len(X))
    if sample_weight is not None:
        try:
            weights = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        except ValueError as exc:  # scikit-learn's words, then the fix
            raise ValueError(
                f"sample_weight is refused: {exc} Give one finite weight >= 0 "
                "per sample, at least one of them above 0."
            ) from exc
    if class_weight is not None:
        weights = weights * compute_sample_weight(class_weight, y)
        if (weights < 0).any():
            raise ValueError(
                "class_weight must be non-negative; it gives some samples a "
                "negative weight."
            )
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight must be finite; it has NaN or inf.")
    keep = weights > 0
    if not keep.all():
        X = _as_tensor_ready(X[keep])
        y = None if y is None else y[keep]
        weights = weights[keep]
    # Scaled by the largest first, so that the mean of any finite weights
    # (1e308, say) does not overflow.
    weights = weights / weights.max()
    return X, y, (weights / weights.mean()).astype(X.dtype)
