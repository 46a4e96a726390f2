"""scikit-learn's own estimator checks, on every skfashion estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    FeedForwardClassifier,
    VariationalAutoencoder,
)

# Every estimator with its default parameters, but for small networks and few
# epochs, which keep the ~50 checks per estimator fast (the behaviour checked
# does not depend on the size); then the options that change the training path.
ESTIMATORS = [
    Autoencoder(hidden_layer_sizes=(16,), n_components=4, max_epochs=5),
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
    VariationalAutoencoder(hidden_layer_sizes=(16,), n_components=4, max_epochs=5),
    FeedForwardClassifier(hidden_layer_sizes=(32, 16), max_epochs=30),
    FeedForwardClassifier(batch_norm=False, dropout=0.0, early_stopping=True),
    # The checks' data are rows of a few numbers: 'auto' views them as images
    # one pixel high (or square ones).
    ConvAutoencoder(channels=(4, 8), n_components=4, max_epochs=5),
    ConvAutoencoder(
        channels=4, n_components=4, downsampling="pool", noise=0.1, max_epochs=5
    ),
    ConvClassifier(channels=(4, 8), dense_units=16, max_epochs=30),
    ConvClassifier(
        channels=8,
        convs_per_block=1,
        downsampling="stride",
        dense_units=16,
        early_stopping=True,
        max_epochs=30,
    ),
]

EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(repr(est), {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
