"""scikit-learn's own estimator checks, on every skfashion estimator."""

import pytest
from _user_modules import MLP, DenseAE
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    parametrize_with_checks,
)

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    ConvVariationalAutoencoder,
    FeedForwardClassifier,
    VariationalAutoencoder,
)

# scikit-learn's checks fit a few epochs on a few rows of noise: that the
# models learn nothing there (ConvergenceWarning) is expected.
pytestmark = pytest.mark.few_epochs

# Every estimator with its default parameters, but for small networks and few
# epochs, which keep the ~50 checks per estimator fast (the behaviour checked
# does not depend on the size): the fast tier checks these.
DEFAULTS = [
    Autoencoder(hidden_layer_sizes=(16,), n_components=4, max_epochs=5),
    VariationalAutoencoder(hidden_layer_sizes=(16,), n_components=4, max_epochs=5),
    # 60 epochs: enough for class_weight={0: 1000, ...} to turn every prediction
    FeedForwardClassifier(hidden_layer_sizes=(32, 16), max_epochs=60),
    # The checks' data are rows of a few numbers: 'auto' views them as images
    # one pixel high (or square ones).
    ConvAutoencoder(channels=(4, 8), n_components=4, max_epochs=5),
    ConvVariationalAutoencoder(channels=(4, 8), n_components=4, max_epochs=5),
    ConvClassifier(channels=(4, 8), dense_units=16, max_epochs=30),
]
# The options that change the training path: the full suite checks these too.
OTHERS = [
    Autoencoder(
        hidden_layer_sizes=(16,),
        n_components=4,
        batch_norm=True,
        dropout=0.2,
        noise=0.1,
        l1_activity=1e-3,
        early_stopping=True,
        max_epochs=5,
    ),
    FeedForwardClassifier(
        batch_norm=False, dropout=0.0, early_stopping=True, lr_schedule="onecycle"
    ),
    ConvAutoencoder(
        channels=4,
        n_components=4,
        downsampling="stride",
        convs_per_block=1,
        noise=0.1,
        max_epochs=5,
    ),
    ConvVariationalAutoencoder(
        channels=4, n_components=2, downsampling="stride", beta=0.5, max_epochs=5
    ),
    ConvClassifier(
        channels=8,
        convs_per_block=1,
        downsampling="stride",
        dense_units=16,
        early_stopping=True,
        max_epochs=30,
    ),
]
# A user's own modules (module=), as the built-in networks are checked.
USER_MODULES = [
    Autoencoder(module=DenseAE, n_components=4, max_epochs=5),
    FeedForwardClassifier(module=MLP, module__width=32, max_epochs=60),
]
OTHERS += USER_MODULES
ESTIMATORS = DEFAULTS + OTHERS

# Minibatch training draws its batches (and dropout masks, noise) from the data
# it is given, and bfloat16 rounds them: weights and repetitions agree only in
# expectation. Equivalence is checked on full-batch float64 networks below, as
# scikit-learn checks MLPClassifier's with solver='lbfgs' only.
MINIBATCH = (
    "minibatch training: a weight of 2 and a repeated sample agree in expectation "
    "only; test_sample_weight_equivalence checks full-batch float64 networks"
)
EXPECTED_FAILED_CHECKS = {
    repr(est): {"check_sample_weight_equivalence_on_dense_data": MINIBATCH}
    for est in ESTIMATORS
}

# One batch (batch_size above the repeated data's ~30 rows), float64, no batch
# norm or dropout: the weighted mean of the losses is then the mean over the
# repeated samples, exactly but for rounding.
FULL_BATCH = dict(batch_size=256, precision="float64", max_epochs=20)
EQUIVALENT = [
    Autoencoder(hidden_layer_sizes=(16,), n_components=4, **FULL_BATCH),
    FeedForwardClassifier(
        hidden_layer_sizes=(16,), batch_norm=False, dropout=0.0, **FULL_BATCH
    ),
    ConvAutoencoder(channels=(4, 8), n_components=4, batch_norm=False, **FULL_BATCH),
    ConvClassifier(
        channels=(4, 8), dense_units=16, batch_norm=False, dropout=0.0, **FULL_BATCH
    ),
]


# The fast tier runs the checks on every face (autoencoder, variational,
# classifier) of the dense family and on the convolutional family's
# autoencoder; the full suite on all six. The conv classifier's and conv VAE's
# checks train 30 and 5 epochs of convolutions per check (about 80 s).
FAST_CHECKED = (
    Autoencoder,
    VariationalAutoencoder,
    FeedForwardClassifier,
    ConvAutoencoder,
)


def _checks(estimators, repeats_slow=False):
    """scikit-learn's checks of ``estimators``, as ``parametrize_with_checks``
    gives them; with ``repeats_slow``, the repeats of a training check on
    other memory (read-only memmaps, float32 input) and the checks of the
    estimators not in ``FAST_CHECKED`` are marked slow: the fast tier runs
    each check once, the full suite every variant."""
    params = parametrize_with_checks(
        estimators,
        expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(repr(est), {}),
    )
    (argnames, argvalues), name_of = params.args, params.kwargs["ids"]
    marked, ids = [], []
    for value in argvalues:
        # A plain (estimator, check) pair, or a pytest.param with its marks.
        values, marks = getattr(value, "values", value), getattr(value, "marks", ())
        ids.append("-".join(name_of(v) for v in values))
        if repeats_slow and (
            "check_classifiers_train(" in ids[-1] or type(values[0]) not in FAST_CHECKED
        ):
            marks = [*marks, pytest.mark.slow]
        marked.append(pytest.param(*values, marks=marks))
    return pytest.mark.parametrize(argnames, marked, ids=ids)


@_checks(DEFAULTS, repeats_slow=True)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    OTHERS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(repr(est), {}),
)
def test_sklearn_compatible_estimator_in_other_configurations(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", EQUIVALENT, ids=lambda est: type(est).__name__)
def test_sample_weight_equivalence(estimator):
    # A weight of 0 is a removed sample, an integer weight a repeated one, to
    # scikit-learn's tolerance (rtol 1e-7).
    check_sample_weight_equivalence_on_dense_data(type(estimator).__name__, estimator)
