"""The fully connected family: its layers' parameters and their checks.

``DenseNetwork`` is mixed into the estimators whose networks are stacks of
linear layers (``Autoencoder``, ``VariationalAutoencoder``,
``FeedForwardClassifier``): it declares ``hidden_layer_sizes``,
``activation``, ``batch_norm`` and ``dropout``, checks them before a fit and
names its module for each face.
The estimator's face (``BaseAutoencoder``, ``BaseClassifier``) and the
training recipe (``BaseNeuralEstimator``) know nothing of them.
"""

from numbers import Integral, Real

import numpy as np

from ._compat import StrOptions
from ._family import NetworkFamily
from ._modules import ACTIVATIONS, AutoencoderModule, ClassifierModule
from ._validation import Number


class DenseNetwork(NetworkFamily):
    """Parameters and checks of fully connected networks (a mixin).

    A ``NetworkFamily``: it reads rows, whatever the shape of the input
    (images are flattened), and has no augmentation.
    """

    _family_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Number(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS) - {"identity"})],
        "batch_norm": ["boolean"],
        "dropout": [Number(Real, 0, 1, closed="left")],
    }

    def _hidden_layer_sizes(self):
        """``hidden_layer_sizes`` as a tuple of positive ints, else ValueError."""
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(
            isinstance(s, Integral) and not isinstance(s, (bool, np.bool_)) and s >= 1
            for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return tuple(int(s) for s in sizes)

    # The modules of this family, for each face.
    _autoencoder_module = AutoencoderModule
    _classifier_module = ClassifierModule

    def _family_kwargs(self, X, fitted):
        """The module keyword arguments of the hidden layers."""
        return dict(
            n_features=X.shape[1],
            hidden_layer_sizes=self._hidden_layer_sizes(),
            activation=self.activation,
            batch_norm=self.batch_norm,
            dropout=self.dropout,
        )

    def _check_fit_size(self, n_samples, y=None):
        self._hidden_layer_sizes()
        super()._check_fit_size(n_samples, y)
