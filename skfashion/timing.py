"""Time any scikit-learn Pipeline step by step.

``time_pipeline`` fits a clone of a pipeline on training data one step at a
time and applies it to test data, timing every step: the fit and the transform
(of the training and the test data) of each transformer, the fit and predict of
the final estimator, and the score. It works with any scikit-learn estimators,
not only skfashion's.
"""

import time
from dataclasses import dataclass, field

from sklearn.base import clone, is_classifier
from sklearn.metrics import accuracy_score, check_scoring, r2_score
from sklearn.pipeline import Pipeline, make_pipeline


@dataclass
class StepTiming:
    """Wall seconds of one pipeline step."""

    name: str
    fit_seconds: float = 0.0
    transform_train_seconds: float = 0.0  # transformers only
    transform_test_seconds: float = 0.0  # transformers only
    predict_seconds: float = 0.0  # the final step only

    @property
    def total_seconds(self):
        return (
            self.fit_seconds
            + self.transform_train_seconds
            + self.transform_test_seconds
            + self.predict_seconds
        )


@dataclass
class PipelineTiming:
    """Per-step times, their total and the test score of a timed pipeline.

    Attributes
    ----------
    steps : list of StepTiming
        One entry per step, in order.
    score : float
        The score on the test data.
    scoring_seconds : float
        Time to compute the score from the predictions' step, beyond
        ``predict``: zero for the default scorers, which reuse the predictions.
    pipeline : Pipeline
        The fitted clone.
    """

    steps: list = field(default_factory=list)
    score: float = float("nan")
    scoring_seconds: float = 0.0
    pipeline: Pipeline = None

    @property
    def fit_seconds(self):
        """Training time: every fit, and the transforms of the training data."""
        return sum(s.fit_seconds + s.transform_train_seconds for s in self.steps)

    @property
    def predict_seconds(self):
        """Test time: the transforms of the test data and the final predict."""
        return sum(s.transform_test_seconds + s.predict_seconds for s in self.steps)

    @property
    def total_seconds(self):
        return self.fit_seconds + self.predict_seconds + self.scoring_seconds

    def as_dict(self):
        """Flat dict, for a JSON file or a table row."""
        out = {
            "score": self.score,
            "total_seconds": self.total_seconds,
            "fit_seconds": self.fit_seconds,
            "predict_seconds": self.predict_seconds,
        }
        for s in self.steps:
            out[f"{s.name}_fit_seconds"] = s.fit_seconds
            if s.transform_train_seconds or s.transform_test_seconds:
                out[f"{s.name}_transform_seconds"] = (
                    s.transform_train_seconds + s.transform_test_seconds
                )
            if s.predict_seconds:
                out[f"{s.name}_predict_seconds"] = s.predict_seconds
        return out

    def __str__(self):
        lines = [f"{'step':<20}{'fit':>10}{'transform':>12}{'predict':>10}"]
        for s in self.steps:
            transform = s.transform_train_seconds + s.transform_test_seconds
            lines.append(
                f"{s.name:<20}{s.fit_seconds:>9.3f}s{transform:>11.3f}s"
                f"{s.predict_seconds:>9.3f}s"
            )
        lines.append(f"total {self.total_seconds:.3f}s, score {self.score:.4f}")
        return "\n".join(lines)


class Timer:
    """Wall seconds of a block: ``with Timer() as t: ...``, then ``t.seconds``.

    ``time.perf_counter`` (monotonic, the finest clock there is); ``seconds``
    is set when the block ends, also when it raises.

    Examples
    --------
    >>> from skfashion.timing import Timer
    >>> with Timer() as t:
    ...     total = sum(range(1000))
    >>> t.seconds >= 0
    True
    """

    seconds = None

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        return False


def _timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def time_pipeline(pipeline, X_train, y_train, X_test, y_test, *, scoring=None):
    """Fit and evaluate a clone of ``pipeline``, timing each step.

    Each transformer is fitted, then applied to the training data (what the
    next step is fitted on) and to the test data, separately timed; the final
    step is fitted and predicts the test data. The result adds them up into the
    training time (fits and training transforms) and the test time.

    Parameters
    ----------
    pipeline : Pipeline or estimator
        What to time. A lone estimator is treated as a one-step pipeline.
        Steps set to ``'passthrough'`` or None are skipped.

    X_train, y_train : array-like
        Training data.

    X_test, y_test : array-like
        Test data, for the predictions and the score.

    scoring : str, callable or None, default=None
        A scikit-learn scorer; None uses the final estimator's ``score``
        (accuracy for a classifier), computed from the timed predictions.

    Returns
    -------
    timing : PipelineTiming
        The per-step times, the score and the fitted clone (``pipeline``).

    Examples
    --------
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from skfashion.datasets import load_mnist_sample
    >>> from skfashion.timing import time_pipeline
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
    >>> timing = time_pipeline(
    ...     make_pipeline(PCA(64, random_state=0), KNeighborsClassifier(1)),
    ...     X, y, X_test, y_test,
    ... )
    >>> [step.name for step in timing.steps]
    ['pca', 'kneighborsclassifier']
    >>> round(timing.score, 2)
    0.94
    """
    if not isinstance(pipeline, Pipeline):
        pipeline = make_pipeline(pipeline)
    pipeline = clone(pipeline)
    timing = PipelineTiming(pipeline=pipeline)
    Xt_train, Xt_test = X_train, X_test
    *transformers, (final_name, final) = pipeline.steps
    for name, step in transformers:
        if step is None or step == "passthrough":
            continue
        entry = StepTiming(name)
        _, entry.fit_seconds = _timed(step.fit, Xt_train, y_train)
        Xt_train, entry.transform_train_seconds = _timed(step.transform, Xt_train)
        Xt_test, entry.transform_test_seconds = _timed(step.transform, Xt_test)
        timing.steps.append(entry)
    entry = StepTiming(final_name)
    _, entry.fit_seconds = _timed(final.fit, Xt_train, y_train)
    y_pred, entry.predict_seconds = _timed(final.predict, Xt_test)
    timing.steps.append(entry)
    if scoring is None:
        metric = accuracy_score if is_classifier(final) else r2_score
        timing.score = float(metric(y_test, y_pred))
    else:
        scorer = check_scoring(final, scoring=scoring)
        timing.score, timing.scoring_seconds = _timed(scorer, final, Xt_test, y_test)
        timing.score = float(timing.score)
    return timing
