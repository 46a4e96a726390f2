"""Users' own torch modules, as a user would write them, for ``module=``.

Importable by name (``_user_modules.ResNetAE``), as a model file needs.
"""

import torch
from torch import nn


class Block(nn.Module):
    """A residual block: two 3x3 convolutions with batch norm, plus the input."""

    def __init__(self, c):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(h)))


class ResNetAE(nn.Module):
    """A small ResNet-like encoder for (1, 28, 28) images, a dense decoder."""

    def __init__(self, n_components, width=8):
        super().__init__()
        stem = nn.Conv2d(1, width, 3, stride=2, padding=1)  # 28 -> 14
        self.stem = nn.Sequential(stem, nn.ReLU())
        self.block = Block(width)
        self.head = nn.Linear(width * 14 * 14, n_components)
        self.dec = nn.Sequential(
            nn.Linear(n_components, 256), nn.ReLU(), nn.Linear(256, 784)
        )

    def encode(self, x):  # (n, 1, 28, 28) -> (n, k)
        return self.head(self.block(self.stem(x)).flatten(1))

    def decode(self, z):  # (n, k) -> (n, 1, 28, 28), before the output activation
        return self.dec(z).reshape(-1, 1, 28, 28)


class ColourNet(nn.Module):
    """An autoencoder for colour arrays (c, h, w), (3, 32, 32) say."""

    def __init__(self, input_shape, n_components):
        super().__init__()
        c, h, w = input_shape
        self.shape = (c, h, w)
        self.enc = nn.Sequential(
            nn.Conv2d(c, 8, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(8 * (h // 2) * (w // 2), n_components),
        )
        self.dec = nn.Linear(n_components, c * h * w)

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return self.dec(z).reshape(-1, *self.shape)


class GaussianNet(nn.Module):
    """A variational module: encode gives the Gaussian code's two heads."""

    def __init__(self, n_features, n_components, width=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, width), nn.ReLU())
        self.mu = nn.Linear(width, n_components)
        self.log_var = nn.Linear(width, n_components)
        self.dec = nn.Sequential(
            nn.Linear(n_components, width), nn.ReLU(), nn.Linear(width, n_features)
        )

    def encode(self, x):
        h = self.body(x)
        return self.mu(h), self.log_var(h)

    def decode(self, z):
        return self.dec(z)


class MLP(nn.Module):
    """A classifier module: logits, and its last hidden layer as features."""

    def __init__(self, n_features, n_classes, width=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, width), nn.ReLU())
        self.out = nn.Linear(width, n_classes)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.out(self.body(x))


class DenseAE(nn.Module):
    """A dense autoencoder module for any width of rows."""

    def __init__(self, n_features, n_components, width=16):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, n_components)
        )
        self.dec = nn.Sequential(
            nn.Linear(n_components, width), nn.ReLU(), nn.Linear(width, n_features)
        )

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return self.dec(z)


class WrongCode(nn.Module):
    """Codes of one number, whatever n_components."""

    def __init__(self, n_features):
        super().__init__()
        self.enc = nn.Linear(n_features, 1)
        self.dec = nn.Linear(1, n_features)

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return self.dec(z)


class NoHeads(GaussianNet):
    """A variational module whose encode gives one tensor, not two heads."""

    def encode(self, x):
        return self.mu(self.body(x))


class ReadsValues(MLP):
    """A classifier whose forward reads a value (``.item()``), as user code
    does: it cannot run on the meta device, which holds no values."""

    def forward(self, x):
        scale = 2.0 if x.abs().max().item() <= 1 else 1.0
        return self.out(self.body(x)) * scale


class CallSizeNet(nn.Module):
    """A classifier whose logits depend on how many rows come in its call, as
    a BLAS kernel chosen by shape may make them (here far past rounding):
    inference must give each row the same output whatever the call."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.layer = nn.Linear(n_features, n_classes)

    def forward(self, x):  # (n, d) -> (n, c)
        n = x.shape[0]
        return self.layer(x) + 1e-3 * (n % 7)  # only calls of 7k rows agree
