"""One registry of the estimators for the tests, from the package's own list.

``TINY[name]`` is the smallest network of each public estimator (a few units
or channels): for tests of behaviour, not of quality. ``tiny(name, **params)``
builds it for one epoch with a fixed seed, ``params`` winning. The names are
those of ``skfashion._estimators.estimator_classes()`` (the package's
``__all__``): a new estimator is registered here, or ``test_family`` fails.
"""

from skfashion._estimators import estimator_classes

CLASSES = estimator_classes()
NAMES = sorted(CLASSES)

TINY = {
    "Autoencoder": dict(hidden_layer_sizes=(8,), n_components=3),
    "VariationalAutoencoder": dict(hidden_layer_sizes=(8,), n_components=3),
    "FeedForwardClassifier": dict(hidden_layer_sizes=(8,)),
    "ConvAutoencoder": dict(channels=(2,), n_components=3),
    "ConvVariationalAutoencoder": dict(channels=(2,), n_components=3),
    "ConvClassifier": dict(channels=(2,), dense_units=4),
}


def tiny(name, **params):
    """The tiny ``name``, one epoch, ``random_state=0``; ``params`` win."""
    return CLASSES[name](**{**TINY[name], "max_epochs": 1, "random_state": 0, **params})


def is_classifier_name(name):
    return "Classifier" in name
