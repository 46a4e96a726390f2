"""skfashion: neural networks as first-class scikit-learn estimators."""

from ._autoencoder import Autoencoder, VariationalAutoencoder
from ._classifier import FeedForwardClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "Autoencoder",
    "FeedForwardClassifier",
    "VariationalAutoencoder",
    "__version__",
]
