"""skfashion: neural networks as first-class scikit-learn estimators."""

from ._autoencoder import Autoencoder
from ._classifier import FeedForwardClassifier
from ._conv_autoencoder import ConvAutoencoder
from ._conv_classifier import ConvClassifier
from ._conv_variational import ConvVariationalAutoencoder
from ._variational import VariationalAutoencoder

__version__ = "0.3.0"

__all__ = [
    "Autoencoder",
    "ConvAutoencoder",
    "ConvClassifier",
    "ConvVariationalAutoencoder",
    "FeedForwardClassifier",
    "VariationalAutoencoder",
    "__version__",
]
