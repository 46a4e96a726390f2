"""The score landscape of a parameter search, as a heat map."""

import numpy as np

from ._base import axes


def _plain(value):
    """A numpy scalar as the Python value it holds (``np.int64(5)`` -> 5)."""
    return value.item() if isinstance(value, np.generic) else value


def _values(column):
    """The distinct values of a ``cv_results_['param_...']`` column, in order.

    Sorted where they compare (numbers, strings), else in the order the
    search tried them; masked entries (a parameter absent from a grid) are
    left out.
    """
    mask = np.ma.getmaskarray(column)
    present = [_plain(v) for v, m in zip(column.data, mask) if not m]
    distinct = list(dict.fromkeys(present))
    try:
        return sorted(distinct)
    except TypeError:
        return distinct


class SearchLandscapeDisplay:
    """A search's scores over two of its parameters, as an annotated heat map.

    Each cell is the best score among the candidates with those two values
    (the best over the search's other parameters, if it has more); a pair the
    search did not try is blank. Rows and columns are labelled by the values
    read from ``cv_results_``, whatever the order of the grid.

    Parameters
    ----------
    scores : ndarray of shape (n_y_values, n_x_values)
    x_values, y_values : list
        The values of the two parameters, in the order of the columns and rows.
    x_name, y_name : str
        The parameters' names.
    score_name : str, default='mean_test_score'

    Attributes
    ----------
    ax_, figure_
    image_ : matplotlib AxesImage
    texts_ : ndarray of matplotlib Text, shape of ``scores``
        The value written in each cell (None where blank).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skfashion.plotting import SearchLandscapeDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> grid = {"weights": ["uniform", "distance"], "n_neighbors": [1, 5, 15]}
    >>> search = GridSearchCV(KNeighborsClassifier(), grid, cv=3).fit(X, y)
    >>> d = SearchLandscapeDisplay.from_search(search, x="n_neighbors", y="weights")
    >>> d.x_values, d.y_values
    ([1, 5, 15], ['distance', 'uniform'])
    """

    def __init__(
        self,
        scores,
        x_values,
        y_values,
        *,
        x_name,
        y_name,
        score_name="mean_test_score",
    ):
        self.scores = scores
        self.x_values = x_values
        self.y_values = y_values
        self.x_name = x_name
        self.y_name = y_name
        self.score_name = score_name

    @classmethod
    def from_search(cls, search, *, x, y, score="mean_test_score", ax=None, **kwargs):
        """The landscape of a fitted search (``GridSearchCV`` and the like).

        Parameters
        ----------
        search : fitted search with ``cv_results_``
        x, y : str
            Parameter names as the search knows them (``"ae__n_components"``).
        score : str, default='mean_test_score'
            The ``cv_results_`` column to show (with several metrics,
            ``'mean_test_<name>'``).
        ax : matplotlib Axes, default=None
        **kwargs
            Passed on to :meth:`plot`.

        Returns
        -------
        display : SearchLandscapeDisplay
        """
        results = search.cv_results_
        for name in (x, y):
            if f"param_{name}" not in results:
                searched = sorted(
                    k[len("param_") :] for k in results if k[:6] == "param_"
                )
                raise ValueError(
                    f"{name!r} is not a parameter of this search; it searched "
                    f"{searched}."
                )
        if score not in results:
            raise ValueError(
                f"cv_results_ has no column {score!r}; use one of "
                f"{sorted(k for k in results if k.startswith('mean_test'))}."
            )
        x_column, y_column = results[f"param_{x}"], results[f"param_{y}"]
        x_values, y_values = _values(x_column), _values(y_column)
        scores = np.full((len(y_values), len(x_values)), np.nan)
        for xv, yv, value in zip(x_column, y_column, results[score]):
            if xv is np.ma.masked or yv is np.ma.masked or np.isnan(value):
                continue
            i, j = y_values.index(_plain(yv)), x_values.index(_plain(xv))
            scores[i, j] = np.nanmax([scores[i, j], value])
        display = cls(scores, x_values, y_values, x_name=x, y_name=y, score_name=score)
        return display.plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, cmap="viridis", fmt=".3f", colorbar=True, title=None):
        """Draw the heat map with each cell's score written in it; returns self.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        cmap : str, default='viridis'
        fmt : str, default='.3f'
            Format of the numbers in the cells.
        colorbar : bool, default=True
        title : str, default=None
        """
        n_y, n_x = self.scores.shape
        self.ax_ = axes(ax, (1.6 + 1.1 * n_x, 1.0 + 0.55 * n_y))
        self.image_ = self.ax_.imshow(self.scores, cmap=cmap, aspect="auto")
        self.ax_.set_xticks(range(n_x), [str(v) for v in self.x_values])
        self.ax_.set_yticks(range(n_y), [str(v) for v in self.y_values])
        self.ax_.set_xlabel(self.x_name)
        self.ax_.set_ylabel(self.y_name)
        finite = self.scores[np.isfinite(self.scores)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0
        self.texts_ = np.empty(self.scores.shape, dtype=object)
        for (i, j), value in np.ndenumerate(self.scores):
            if np.isfinite(value):
                # dark text on the bright end of the map, white on the dark
                color = "black" if value > middle else "white"
                self.texts_[i, j] = self.ax_.text(
                    j, i, format(value, fmt), ha="center", va="center", color=color
                )
        if colorbar:
            self.ax_.figure.colorbar(self.image_, ax=self.ax_, label=self.score_name)
        if title:
            self.ax_.set_title(title)
        self.figure_ = self.ax_.figure
        return self
