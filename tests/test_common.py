"""scikit-learn's own estimator checks, on every skfashion estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skfashion import Autoencoder, FeedForwardClassifier, VariationalAutoencoder

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
]

EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(repr(est), {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
