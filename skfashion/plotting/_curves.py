"""Learning curves, latent spaces and class distributions."""

import numpy as np

from ._base import axes, label_names


class LearningCurveDisplay:
    """Training and validation loss per epoch (and accuracy, for a classifier).

    Not scikit-learn's ``LearningCurveDisplay`` (score against training-set
    size): this one shows the epochs of one fit, from ``history_``.

    Parameters
    ----------
    curves : dict of str to list of float
        Per-epoch series by history key: ``train_loss``, optionally
        ``valid_loss``, ``train_acc``, ``valid_acc``.
    title : str, default=None

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One Axes for the losses, a second for accuracies when there are any.
    lines_ : dict of str to matplotlib Line2D
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfashion.plotting import LearningCurveDisplay
    >>> d = LearningCurveDisplay({"train_loss": [0.9, 0.5, 0.4]}).plot()
    >>> sorted(d.lines_)
    ['train_loss']
    """

    _KEYS = ("train_loss", "valid_loss", "train_acc", "valid_acc")

    def __init__(self, curves, *, title=None):
        self.curves = curves
        self.title = title

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Read the curves from a fitted skfashion estimator's ``history_``.

        Epochs without a value (a ``partial_fit`` epoch has no validation) are
        gaps in the curve. An unfitted estimator is a ``NotFittedError``.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator, "history_")
        history = estimator.history_
        curves = {}
        for key in cls._KEYS:
            values = [epoch.get(key) for epoch in history]
            if any(v is not None for v in values):
                curves[key] = [np.nan if v is None else float(v) for v in values]
        return cls(curves, title=type(estimator).__name__).plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw the losses (and accuracies on a second Axes); returns self.

        Parameters
        ----------
        ax : matplotlib Axes or array of two Axes, default=None
            None makes a new figure with one or two Axes.
        """
        import matplotlib.pyplot as plt

        has_acc = any(k.endswith("_acc") for k in self.curves)
        if ax is None:
            _, ax = plt.subplots(
                1,
                2 if has_acc else 1,
                figsize=(9 if has_acc else 5, 3.5),
                layout="constrained",
            )
        self.axes_ = np.atleast_1d(ax)
        self.lines_ = {}
        for key, values in self.curves.items():
            target = (
                self.axes_[1]
                if key.endswith("_acc") and len(self.axes_) > 1
                else self.axes_[0]
            )
            epochs = np.arange(1, len(values) + 1)
            style = "-" if key.startswith("train") else "--"
            (self.lines_[key],) = target.plot(
                epochs, values, style, label=key.replace("_", " ")
            )
        for a, ylabel in zip(self.axes_, ["loss", "accuracy"]):
            a.set_xlabel("epoch")
            a.set_ylabel(ylabel)
            a.legend()
        if self.title:
            self.axes_[0].set_title(self.title)
        self.figure_ = self.axes_[0].figure
        return self


class LatentSpaceDisplay:
    """Codes projected to 2-D, coloured by class, with a legend of class names.

    Parameters
    ----------
    embedding : ndarray of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    target_names : list or dict of str, default=None
        A list names the integer labels 0..n-1, a dict any labels; None shows
        the labels as they are (strings included).
    method : str, default=''
        How the 2-D embedding was made, for the title.

    Attributes
    ----------
    ax_, figure_
    collections_ : list of matplotlib PathCollection, one per class

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfashion.plotting import LatentSpaceDisplay
    >>> d = LatentSpaceDisplay(np.random.rand(6, 2), [0, 1, 2] * 2,
    ...                        target_names=["a", "b", "c"]).plot()
    >>> [t.get_text() for t in d.ax_.get_legend().get_texts()]
    ['a', 'b', 'c']
    """

    def __init__(self, embedding, y, *, target_names=None, method=""):
        self.embedding = embedding
        self.y = y
        self.target_names = target_names
        self.method = method

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        method="pca",
        target_names=None,
        random_state=None,
        ax=None,
        **kwargs,
    ):
        """Encode ``X`` with ``estimator.transform`` and project the codes to 2-D.

        Parameters
        ----------
        method : {'pca', 'tsne'}, default='pca'
            scikit-learn's PCA or t-SNE (slower: use a few thousand points).
        **kwargs
            Passed on to :meth:`plot` (``s``, ``alpha``).
        """
        codes = estimator.transform(X)
        if method == "pca":
            from sklearn.decomposition import PCA

            embedding = PCA(2, random_state=random_state).fit_transform(codes)
        elif method == "tsne":
            from sklearn.manifold import TSNE

            embedding = TSNE(2, random_state=random_state, init="pca").fit_transform(
                codes
            )
        else:
            raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}.")
        display = cls(embedding, y, target_names=target_names, method=method)
        return display.plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, s=6, alpha=0.7):
        """Scatter the points by class; returns self."""
        self.ax_ = axes(ax, (6, 5))
        y = np.asarray(self.y)
        self.collections_ = []
        labels = np.unique(y)
        for label, name in zip(labels, label_names(labels, self.target_names)):
            mine = self.embedding[y == label]
            self.collections_.append(
                self.ax_.scatter(
                    mine[:, 0], mine[:, 1], s=s, alpha=alpha, label=str(name)
                )
            )
        self.ax_.legend(markerscale=3, fontsize=8, loc="best")
        self.ax_.set_title(
            f"codes in 2-D ({self.method})" if self.method else "codes in 2-D"
        )
        self.figure_ = self.ax_.figure
        return self


class ClassDistributionDisplay:
    """The number of images per class, as bars.

    Parameters
    ----------
    counts : ndarray of shape (n_classes,)
    names : list of str

    Attributes
    ----------
    ax_, figure_
    bars_ : matplotlib BarContainer

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfashion.plotting import ClassDistributionDisplay
    >>> d = ClassDistributionDisplay.from_targets([0, 0, 1], target_names=["a", "b"])
    >>> [int(b.get_height()) for b in d.bars_]
    [2, 1]
    """

    def __init__(self, counts, names):
        self.counts = counts
        self.names = names

    @classmethod
    def from_targets(cls, y, *, target_names=None, ax=None, **kwargs):
        """Count the labels of ``y``, of any kind.

        ``target_names`` names them (a list for the integer labels 0..n-1, or
        a dict); other keyword arguments go to :meth:`plot`.
        """
        labels, counts = np.unique(np.asarray(y), return_counts=True)
        names = list(label_names(labels, target_names))
        return cls(counts, names).plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, color="tab:blue"):
        """Draw the bars; returns self."""
        self.ax_ = axes(ax, (7, 3.5))
        self.bars_ = self.ax_.bar(self.names, self.counts, color=color)
        self.ax_.set_ylabel("images")
        self.ax_.tick_params(axis="x", labelrotation=45)
        self.ax_.set_title("images per class")
        self.figure_ = self.ax_.figure
        return self
