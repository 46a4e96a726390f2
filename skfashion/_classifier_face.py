"""The classifiers' scikit-learn face, whatever their network.

``BaseClassifier`` is what every classifier does (labels of any kind through
``classes_``, ``predict``, ``predict_proba``, ``decision_function``).
``FeedForwardClassifier`` is this face on the fully connected family,
``ConvClassifier`` on the convolutional one, each in its own module.
"""

from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EpochScoring
from skorch.utils import to_numpy

from ._base import BaseNeuralEstimator
from ._compat import StrOptions, _fit_context
from ._net import ClassifierNet, split_target
from ._state import array
from ._validation import Number, _as_tensor_ready, as_rows, fit_weights


def _accuracy_of_logits(net, X, y):
    """Accuracy scorer for skorch's EpochScoring: argmax of the (cached) logits."""
    logits = net.forward(X)
    return float((logits.argmax(dim=1).numpy() == np.asarray(y)).mean())


def _labels(y):
    """The labels of a batch's targets (a dict with sample weights, or labels)."""
    return to_numpy(split_target(y)[0])


class BaseClassifier(ClassifierMixin, BaseNeuralEstimator):
    """The classifier face, whatever the network.

    A subclass names its parameters in ``__init__`` and builds its module in
    ``_module_and_kwargs``: a module whose ``forward`` returns the class
    logits (n, c) and whose ``features`` returns the last hidden layer.
    """

    _parameter_constraints: dict = {
        **BaseNeuralEstimator._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Number(Real, 0, 1, closed="left")],
    }
    _net_class = ClassifierNet

    def _net_kwargs(self, fitted):
        return {"label_smoothing": self.label_smoothing}

    def _fitted_spec(self):
        required, optional = super()._fitted_spec()
        # Labels of any kind fit accepts: numbers, booleans, strings, objects.
        return {**required, "classes_": array("biufUSO", 1)}, optional

    def _fitted_agree(self, fitted):
        classes = fitted["classes_"]
        try:  # as fit makes them: np.unique's sorted, distinct labels
            unique = len(classes) >= 1 and np.array_equal(np.unique(classes), classes)
        except TypeError:  # labels that do not compare
            unique = False
        return [*super()._fitted_agree(fitted), ("classes_", unique)]

    def _module_and_kwargs(self, X, fitted):
        """The family's classifier module, with a logit per class."""
        return self._classifier_module, dict(
            n_classes=len(fitted["classes_"]), **self._family_kwargs(X, fitted)
        )

    def _extra_callbacks(self, validation):
        scorings = [("train_acc", True)]
        if validation:
            scorings.append(("valid_acc", False))
        return [
            (
                name,
                EpochScoring(
                    _accuracy_of_logits,
                    lower_is_better=False,
                    on_train=on_train,
                    name=name,
                    use_caching=True,
                    target_extractor=_labels,
                ),
            )
            for name, on_train in scorings
        ]

    def _validate_fit_data(self, X, y, sample_weight, warm, classes, runtime):
        X, y = validate_data(
            self, as_rows(X), y, reset=not warm, dtype=runtime.data_dtype
        )
        check_classification_targets(y)
        if self.class_weight is not None:
            if self.class_weight == "balanced" and (warm or classes is not None):
                raise ValueError(
                    "class_weight='balanced' weighs the classes by their "
                    "frequencies in the data of one fit; partial_fit and warm "
                    "fits see part of the data. Give the weights as a dict, e.g. "
                    "from sklearn.utils.class_weight.compute_class_weight on all "
                    "the labels."
                )
        if warm:
            known = self.classes_
            if classes is not None and not np.array_equal(np.unique(classes), known):
                raise ValueError(
                    f"classes={np.asarray(classes).tolist()} is not the same as "
                    f"on the first call to partial_fit, {known.tolist()}. Pass "
                    "the same classes, or fit anew."
                )
        elif classes is not None:
            known = np.unique(classes)
        else:
            # Every class of y, whatever its weight, as scikit-learn's
            # classifiers keep them: predict_proba has a column for each.
            known = np.unique(y)
            if len(known) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes; "
                    f"got 1 class ({known[0]!r})."
                )
        X, y, weights = fit_weights(sample_weight, X, y, self.class_weight)
        if classes is None and not warm and len(np.unique(y)) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes with "
                f"a weight above 0; only class {y[0]!r} has any."
            )
        unknown = np.setdiff1d(np.unique(y), known)
        if len(unknown):
            where = (
                "the classes of the fitted classifier"
                if warm
                else "the classes given to partial_fit"
            )
            raise ValueError(
                f"y has labels {unknown.tolist()} that are not among {where}, "
                f"{known.tolist()}. Fit with warm_start=False (or pass every "
                "class in classes= on the first partial_fit call)."
            )
        y_encoded = np.searchsorted(known, y).astype(np.int64)
        return _as_tensor_ready(X), y_encoded, weights, {"classes_": known}

    def _fitted_after_training(self, net, X, y, fitted):
        # The trivial baseline predicts the class frequencies for every sample:
        # its cross-entropy is their entropy.
        logits = net.apply(X, "forward")
        loss = float(F.cross_entropy(logits.double(), torch.as_tensor(y)))
        frequencies = np.bincount(y) / len(y)
        frequencies = frequencies[frequencies > 0]
        baseline = float(-(frequencies * np.log(frequencies)).sum())
        self._warn_if_no_better(
            loss,
            baseline,
            "cross-entropy",
            "predicting the class frequencies",
            "Lower learning_rate, train for more epochs, or scale the data",
        )
        return {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the classifier.

        The fit is all or nothing: if it stops (an error, Ctrl-C), the
        classifier is left as it was. A model no better than predicting the
        class frequencies warns with
        :class:`~sklearn.exceptions.ConvergenceWarning`. With
        ``warm_start=True``, a fitted classifier goes on training from its
        weights and optimizer state (on labels among its ``classes_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data, cast to float32. Image arrays of shape (n, h, w) or
            (n, c, h, w), as ``fetch_*().images`` gives them, are flattened
            into rows.

        y : array-like of shape (n_samples,)
            Class labels, of any kind.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (a weighted mean of their
            cross-entropies), multiplied by ``class_weight``'s; a weight of 0
            leaves the sample out.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass over ``(X, y)``, going on from the fitted network if any.

        For data larger than memory: call it on chunks (of a ``numpy.memmap``,
        say), as many passes as needed. Each call trains one epoch at the
        constant ``learning_rate`` (no schedule, no early stopping), in
        batches of ``batch_size`` (``'auto'`` is resolved on the first call).
        All or nothing, as ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            A chunk of training data.

        y : array-like of shape (n_samples,)
            Its labels.

        classes : array-like of shape (n_classes,), default=None
            Every class of the whole data. Required on the first call (a chunk
            may lack some); later calls may leave it out, or must give the
            same classes, as in scikit-learn.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The classifier, trained one more epoch.
        """
        if not hasattr(self, "net_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every "
                "class of the whole data, e.g. classes=np.unique(y_all)."
            )
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def _logits(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._apply_net(X, "forward").numpy().astype(np.float64)

    def decision_function(self, X):
        """The logits: one unnormalised score per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            The logits; for two classes, as scikit-learn's binary classifiers
            do, one score per sample (the second class's logit minus the
            first's), positive for ``classes_[1]``.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities, the softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), dtype float64
            Columns in the order of ``classes_``; rows sum to 1.
        """
        return softmax(self._logits(X), axis=1)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._logits(X)  # checks first that the model is fitted
        return self.classes_[logits.argmax(axis=1)]

    def extract_features(self, X):
        """The activations of the last hidden layer, in evaluation mode.

        A learned representation of the data: the feature space of the
        Frechet distance in :mod:`skfashion.metrics`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        features : ndarray of shape (n_samples, hidden_layer_sizes[-1])
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._apply_net(X, "features").numpy()
