"""Random crossings of the options: each works consistently or is a clear ValueError.

Estimator x precision x input layout x sample weights x fit mode x method,
drawn by hypothesis on small data so that this runs in the fast tier. A
combination either works (shapes, dtypes, classes_, repeatable with an int
seed for a given thread count) or raises a ValueError of the package's own
checks (raised in skfashion's code or scikit-learn's input validation) that
names a parameter or the input; never an error from inside torch, never a
hang. And most of them work: a run fails when fewer than ``MIN_WORKING`` of
its examples fit and give their outputs, so that an estimator that refused
every combination would not pass.
"""

import collections
import functools
import os
import re
import traceback

import numpy as np
import pytest
from _registry import NAMES, tiny
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

SIDE = 6  # images of 6 x 6: small enough for dozens of fits a second
MAKERS = {name: functools.partial(tiny, name) for name in NAMES}
AUTOENCODER_METHODS = [
    "transform",
    "inverse_transform",
    "reconstruct",
    "score",
    "sample",
]
CLASSIFIER_METHODS = ["predict", "predict_proba", "decision_function", "score"]

# What a ValueError must name, as a word: a parameter of the crossing, an
# argument, or the input.
NAMES = re.compile(
    r"\b(precision|sample_weight|batch_size|batch_norm|image_shape|n_threads|"
    r"warm_start|partial_fit|random_shift|random_flip|label_smoothing|classes|"
    r"class_weight|X|y|n_samples)\b"
)
# Where such a ValueError may be raised: the package's own checks, or the
# input validation of scikit-learn that they call (validate_data,
# check_array, _check_sample_weight).
_SKFASHION = os.path.dirname(os.path.abspath(__import__("skfashion").__file__))
_SKLEARN_VALIDATION = (
    os.path.join("sklearn", "utils", "validation.py"),
    os.path.join("sklearn", "utils", "_param_validation.py"),
    os.path.join("sklearn", "utils", "multiclass.py"),
)
# The share of the examples that must work: 20 of the fast tier's 40 and 68
# of the full suite's 150 do (the all-zero and negative weights, batches of
# one sample under batch norm and images of another shape are refused by
# design).
MIN_WORKING = 0.3


def _raised_by_own_checks(exc):
    """Whether ``exc`` was raised in skfashion or scikit-learn's validation."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = os.path.abspath(frames[-1].filename) if frames else ""
    return where.startswith(_SKFASHION) or where.endswith(_SKLEARN_VALIDATION)


def _layout(X, layout):
    if layout == "rows":
        return X
    if layout == "images":
        return X.reshape(len(X), SIDE, SIDE)
    return X.reshape(len(X), 1, SIDE, SIDE)


def _call(est, method, X, y):
    if method == "inverse_transform":
        return est.inverse_transform(est.transform(X))
    if method == "sample":
        return est.sample(3, random_state=0)
    if method == "score":
        return est.score(X, y) if y is not None else est.score(X)
    return getattr(est, method)(X)


def _fit(est, mode, X, y, weights):
    args = (X,) if y is None else (X, y)
    if mode == "partial_fit":
        kwargs = {} if y is None else {"classes": np.unique(y)}
        est.partial_fit(*args, sample_weight=weights, **kwargs)
        return est.partial_fit(*args, sample_weight=weights)
    est.fit(*args, sample_weight=weights)
    if mode == "warm_start":
        est.set_params(warm_start=True).fit(*args, sample_weight=weights)
    return est


# The crossings drawn: 40 in the fast tier, 150 in the full suite (slow).
CROSSINGS = dict(
    name=st.sampled_from(sorted(MAKERS)),
    precision=st.sampled_from(["float32", "bfloat16", "float64", "auto"]),
    layout=st.sampled_from(["rows", "images", "channel_images"]),
    weights=st.sampled_from(
        [None, "positive", "some_zero", "huge", "all_zero", "negative"]
    ),
    mode=st.sampled_from(["fit", "warm_start", "partial_fit"]),
    batch_size=st.sampled_from(["auto", 1, 7]),
    n_threads=st.sampled_from([None, 1, 2]),
    later=st.sampled_from(["same", "rows", "other_shape"]),
    data=st.data(),
)
SETTINGS = dict(
    deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _run_crossings(max_examples):
    """Draw ``max_examples`` crossings and check each; then check the share
    that worked."""
    outcomes = collections.Counter()

    @settings(max_examples=max_examples, **SETTINGS)
    @given(**CROSSINGS)
    def crossing(**drawn):
        outcomes[_check_crossing(**drawn)] += 1

    crossing()
    share = outcomes["works"] / max(sum(outcomes.values()), 1)
    assert share >= MIN_WORKING, (
        f"only {share:.0%} of the crossings worked ({dict(outcomes)}): the "
        f"estimators refuse what they should take (at least {MIN_WORKING:.0%})"
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_crossings_work_or_say_what_to_change():
    _run_crossings(40)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_crossing_works_or_says_what_to_change():
    _run_crossings(150)


def _check_crossing(
    name, precision, layout, weights, mode, batch_size, n_threads, later, data
):
    rng = np.random.RandomState(0)
    X = rng.rand(24, SIDE * SIDE).astype(np.float32)
    classifier = "Classifier" in name
    y = np.array(["a", "b", "c"] * 8) if classifier else None
    w = {
        None: None,
        "positive": rng.rand(24) + 0.1,
        "some_zero": np.r_[np.zeros(6), np.ones(18)],
        "huge": np.full(24, 1e300),
        "all_zero": np.zeros(24),
        "negative": np.r_[-np.ones(3), np.ones(21)],
    }[weights]
    method = data.draw(
        st.sampled_from(CLASSIFIER_METHODS if classifier else AUTOENCODER_METHODS)
    )
    Xl = _layout(X, layout)
    # What the fitted model is given later: the same layout, rows, or images
    # of another shape (the same number of values).
    Xp = {"same": Xl, "rows": X, "other_shape": X.reshape(24, 1, 4, 9)}[later]
    # The training-only options cross the others too: augmentation on the
    # convolutional estimators, label smoothing on the classifiers.
    extras = {}
    if "Conv" in name and data.draw(st.booleans(), label="augment"):
        extras.update(random_shift=1, random_flip=True)
    if classifier and data.draw(st.booleans(), label="label_smoothing"):
        extras["label_smoothing"] = 0.1
    outputs = []
    for _ in range(2):  # twice: an int seed repeats the fit bit for bit
        est = MAKERS[name](
            precision=precision, batch_size=batch_size, n_threads=n_threads, **extras
        )
        try:
            _fit(est, mode, Xl, y, w)
            out = _call(est, method, Xp, y)
        except ValueError as exc:
            assert _raised_by_own_checks(exc), (
                "a ValueError from outside the package's checks: "
                + "".join(traceback.format_exception(exc))
            )
            assert NAMES.search(str(exc)), f"a ValueError that names nothing: {exc}"
            event(f"ValueError: {str(exc)[:60]}")
            return "refused"
        outputs.append(out)
    first, again = outputs
    event("works")
    _check_outputs(est, name, method, precision, later, first, again)
    return "works"


def _check_outputs(est, name, method, precision, later, first, again):
    classifier = "Classifier" in name
    # A convolutional model reads images of its fitted shape only.
    assert not (later == "other_shape" and "Conv" in name and method != "sample")
    np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
    double = precision == "float64"
    if classifier:
        np.testing.assert_array_equal(est.classes_, ["a", "b", "c"])
        if method == "predict":
            assert first.shape == (24,) and set(first) <= {"a", "b", "c"}
        elif method in ("predict_proba", "decision_function"):
            assert first.shape == (24, 3) and np.isfinite(first).all()
        else:
            assert 0 <= first <= 1
    elif method == "score":
        assert np.isfinite(first) and first <= 0
    else:
        rows = {"transform": (24, 3), "sample": (3, 36)}.get(method, (24, 36))
        assert first.shape == rows and np.isfinite(first).all()
        assert first.dtype == (np.float64 if double else np.float32)
