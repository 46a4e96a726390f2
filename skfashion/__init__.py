"""skfashion: neural networks as first-class scikit-learn estimators."""

from ._autoencoder import Autoencoder
from ._classifier import ConvClassifier, FeedForwardClassifier
from ._conv_autoencoder import ConvAutoencoder
from ._variational import VariationalAutoencoder

__version__ = "0.2.0.dev0"

__all__ = [
    "Autoencoder",
    "ConvAutoencoder",
    "ConvClassifier",
    "FeedForwardClassifier",
    "VariationalAutoencoder",
    "__version__",
]
