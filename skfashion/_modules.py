"""The torch modules: fully connected blocks and the networks built from them.

Only torch here (no numpy, scikit-learn or skorch): these are the plain
``nn.Module`` objects that the skorch nets in ``_net.py`` train. Shapes below use
``n`` for the batch, ``d`` for the input width (784 for 28 x 28 images), ``k`` for
the code size and ``c`` for the number of classes.
"""

from typing import TypedDict

import torch
from torch import nn


class AutoencoderOutput(TypedDict, total=False):
    """What an autoencoder module's ``forward`` returns, by name (a plain dict).

    ``reconstruction`` (n, d) and ``code`` (n, k) always; ``log_var`` (n, k),
    the log variance of the posterior, from a variational module only (its
    ``code`` is then the posterior mean).
    """

    reconstruction: torch.Tensor
    code: torch.Tensor
    log_var: torch.Tensor


ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "identity": nn.Identity,
}


def hidden_layers(sizes, activation="relu", batch_norm=False, dropout=0.0):
    """Linear -> [BatchNorm] -> activation -> [Dropout], between consecutive sizes.

    ``hidden_layers([784, 256, 64])`` maps (n, 784) to (n, 64) through two hidden
    layers. With batch norm, the linear layer has no bias: the norm's shift
    would cancel it.
    """
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers.append(nn.Linear(n_in, n_out, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm1d(n_out))
        layers.append(ACTIVATIONS[activation]())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def _last_width(n_features, hidden_layer_sizes):
    return hidden_layer_sizes[-1] if hidden_layer_sizes else n_features


def mirrored_decoder(
    n_components,
    hidden_layer_sizes,
    n_features,
    activation,
    output_activation,
    batch_norm,
    dropout,
):
    """The decoder of an encoder with these hidden layers: (n, k) -> (n, d)."""
    hidden = list(hidden_layer_sizes)[::-1]
    return nn.Sequential(
        hidden_layers([n_components, *hidden], activation, batch_norm, dropout),
        nn.Linear(_last_width(n_components, hidden), n_features),
        ACTIVATIONS[output_activation](),
    )


class AutoencoderModule(nn.Module):
    """An encoder to a linear code of size k, and the mirrored decoder.

    784-256-64 means ``AutoencoderModule(784, (256,), 64)``: the encoder is
    784 -> 256 (hidden) -> 64 (the code, no activation, so that it is free to
    take any value, as PCA scores do), and the decoder 64 -> 256 (hidden) -> 784
    followed by ``output_activation``.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_components,
        activation="relu",
        output_activation="sigmoid",
        batch_norm=False,
        dropout=0.0,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.encoder = nn.Sequential(
            hidden_layers([n_features, *hidden], activation, batch_norm, dropout),
            nn.Linear(_last_width(n_features, hidden), n_components),
        )
        self.decoder = mirrored_decoder(
            n_components,
            hidden,
            n_features,
            activation,
            output_activation,
            batch_norm,
            dropout,
        )

    def encode(self, x):  # (n, d) -> (n, k)
        return self.encoder(x)

    def decode(self, z):  # (n, k) -> (n, d)
        return self.decoder(z)

    def forward(self, x) -> AutoencoderOutput:
        """The reconstruction (n, d) and the code (n, k)."""
        z = self.encode(x)
        return {"reconstruction": self.decode(z), "code": z}


class VariationalAutoencoderModule(nn.Module):
    """A Gaussian encoder q(z | x) = N(mu, diag(exp(log_var))) and a decoder.

    The encoder's hidden layers feed two linear heads, for the mean and the log
    variance of the code. In training, ``forward`` samples the code with the
    reparameterisation trick (z = mu + sigma * eps, so that gradients flow
    through mu and sigma); in evaluation it uses the mean.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_components,
        activation="relu",
        output_activation="sigmoid",
        batch_norm=False,
        dropout=0.0,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        width = _last_width(n_features, hidden)
        self.body = hidden_layers(
            [n_features, *hidden], activation, batch_norm, dropout
        )
        self.mean = nn.Linear(width, n_components)
        self.log_var = nn.Linear(width, n_components)
        self.decoder = mirrored_decoder(
            n_components,
            hidden,
            n_features,
            activation,
            output_activation,
            batch_norm,
            dropout,
        )

    def encode(self, x):  # (n, d) -> (n, k): the posterior mean
        return self.mean(self.body(x))

    def decode(self, z):  # (n, k) -> (n, d)
        return self.decoder(z)

    def forward(self, x) -> AutoencoderOutput:
        """The reconstruction (n, d), the mean as code (n, k), the log variance."""
        h = self.body(x)
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean
        if self.training:
            z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        return {"reconstruction": self.decode(z), "code": mean, "log_var": log_var}


class ClassifierModule(nn.Module):
    """Hidden layers, then a linear head to c class logits.

    784-512-256-128-10 means ``ClassifierModule(784, (512, 256, 128), 10)``. The
    logits are unnormalised; the softmax lives in the loss (cross-entropy) and
    in ``predict_proba``.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_classes,
        activation="relu",
        batch_norm=False,
        dropout=0.0,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.body = hidden_layers(
            [n_features, *hidden], activation, batch_norm, dropout
        )
        self.head = nn.Linear(_last_width(n_features, hidden), n_classes)

    def features(self, x):  # (n, d) -> (n, last hidden width)
        return self.body(x)

    def forward(self, x):  # (n, d) -> (n, c) logits
        return self.head(self.body(x))
