"""The torch modules: fully connected and convolutional blocks, and the networks.

Only torch here (no numpy, scikit-learn or skorch): these are the plain
``nn.Module`` objects that the skorch nets in ``_net.py`` train. Every module
takes rows (n, d) and gives rows back (the convolutional ones view them as
images (n, c, h, w) inside). The contract with the nets: an autoencoder's
``forward`` returns an ``AutoencoderOutput``, the named outputs that its
``outputs`` attribute declares (read by ``AutoencoderNet.get_loss``), and it
has ``encode`` and ``decode``; its code is a head of its own, ``LinearCode``
or ``GaussianCode`` (variational), so that every family has both. A
classifier's ``forward`` returns the logits and its ``features`` the last
hidden layer. A module may declare ``memory_format``, the layout its 4-d
weights and activations are kept in (the convolutional ones: channels_last).
A new network family is one module here that keeps it. Shapes
below use ``n`` for the batch, ``d`` for the input width (784 for 28 x 28
images), ``k`` for the code size and ``c`` for the number of classes.
"""

import math
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


class Dropout(nn.Dropout):
    """``nn.Dropout`` whose masks, on the CPU, cost a quarter of torch's.

    The convolutional modules' dropout. The same layer (each value zeroed
    with probability ``p`` in training, the rest scaled by 1 / (1 - p); the
    identity in evaluation), but on the CPU torch draws a mask one random
    number a value, on one thread, about 5 ns each: a fifth of a default
    ``ConvClassifier``'s training step went there. Here one 64-bit draw
    gives the coin flips of four values: each 16-bit quarter is kept when it
    falls under (1 - p) x 2**16, so the keep probability is (1 - p) to
    within 2**-17, and the scale is the inverse of
    that exact probability. Other devices use torch's own (fused) dropout.
    The draws come from torch's default generator, which a fit seeds.
    """

    def forward(self, x):
        if not self.training or self.p == 0 or x.device.type != "cpu":
            return super().forward(x)
        keep = round((1.0 - self.p) * 2**16)  # in [0, 2**16]
        if keep == 0:
            return x * 0
        if keep == 2**16:  # p below 2**-17: no value is dropped
            return x
        n = x.numel()
        bits = torch.empty((n + 3) // 4, dtype=torch.int64)
        bits.random_(-(2**63), 2**63 - 1)
        # Signed 16-bit quarters are uniform on [-2**15, 2**15).
        mask = bits.view(torch.int16)[:n] < keep - 2**15
        # The mask laid out as x is in memory (channels_last included), so
        # that the product reads both in order.
        if x.is_contiguous() or not x.is_contiguous(memory_format=torch.channels_last):
            mask = mask.view(x.shape)
        else:
            mask = mask.as_strided(x.shape, x.stride())
        scale = mask.to(x.dtype).mul_(2**16 / keep)
        return x.mul_(scale) if self.inplace else x * scale


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
            # torch's own layer here: the fully connected estimators' committed
            # figures were measured with its random numbers (the conv family's
            # were measured again with ``Dropout``'s).
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


class LinearCode(nn.Module):
    """The code of a plain autoencoder: a linear map of the encoder's features.

    No activation, so that the code is free to take any value, as PCA scores
    do. ``forward`` (n, width) -> the code to decode (n, k) and the named
    outputs it adds.
    """

    outputs = ("reconstruction", "code")

    def __init__(self, width, n_components):
        super().__init__()
        self.linear = nn.Linear(width, n_components)

    def mean(self, h):  # (n, width) -> (n, k)
        return self.linear(h)

    def forward(self, h):
        z = self.linear(h)
        return z, {"code": z}


class GaussianCode(nn.Module):
    """The code of a variational autoencoder: q(z | x) = N(mu, diag(exp(log_var))).

    Two linear heads on the encoder's features, for the mean and the log
    variance. In training, the code decoded is drawn with the
    reparameterisation trick (z = mu + sigma * eps, so that gradients flow
    through mu and sigma); in evaluation it is the mean. The outputs add
    ``log_var``, which the loss's KL term reads.
    """

    outputs = ("reconstruction", "code", "log_var")

    def __init__(self, width, n_components):
        super().__init__()
        self.mu = nn.Linear(width, n_components)
        self.log_var = nn.Linear(width, n_components)

    def mean(self, h):  # (n, width) -> (n, k)
        return self.mu(h)

    def forward(self, h):
        mean, log_var = self.mu(h), self.log_var(h)
        z = mean
        if self.training:
            z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        return z, {"code": mean, "log_var": log_var}


CODES = {"linear": LinearCode, "gaussian": GaussianCode}


class _AutoencoderBase(nn.Module):
    """What every autoencoder module does, whatever its family.

    A family builds ``features`` (the encoder up to its last hidden layer),
    ``decode`` and calls ``_set_code``; ``encode`` and ``forward`` follow.
    """

    def _set_code(self, code, width, n_components):
        self.code = CODES[code](width, n_components)
        self.outputs = self.code.outputs  # the names forward returns

    def encode(self, x):  # (n, d) -> (n, k); a variational code's mean
        return self.code.mean(self.features(x))

    def forward(self, x) -> AutoencoderOutput:
        """The reconstruction (n, d) and the code's named outputs (n, k)."""
        z, named = self.code(self.features(x))
        return {"reconstruction": self.decode(z), **named}


class AutoencoderModule(_AutoencoderBase):
    """Hidden layers to a code of size k, and the mirrored decoder.

    784-256-64 means ``AutoencoderModule(784, (256,), 64)``: the encoder is
    784 -> 256 (hidden) -> 64 (the code: ``LinearCode``, or with
    ``code='gaussian'`` a variational ``GaussianCode``), and the decoder 64 ->
    256 (hidden) -> 784 followed by ``output_activation``.
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
        code="linear",
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.body = hidden_layers(
            [n_features, *hidden], activation, batch_norm, dropout
        )
        self._set_code(code, _last_width(n_features, hidden), n_components)
        self.decoder = mirrored_decoder(
            n_components,
            hidden,
            n_features,
            activation,
            output_activation,
            batch_norm,
            dropout,
        )

    def features(self, x):  # (n, d) -> (n, last hidden width)
        return self.body(x)

    def decode(self, z):  # (n, k) -> (n, d)
        return self.decoder(z)


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


# -- convolutional ------------------------------------------------------------
# Images come as rows (n, d) with d = c * h * w, as everywhere in skfashion;
# the convolutional modules view them as (n, c, h, w) and give rows back.
#
# Their weights, and so their activations, are kept channels_last (NHWC): the
# oneDNN convolutions, batch norm and pooling of torch's CPU build run on that
# layout without reordering, and in bfloat16 its kernels use AMX. Measured
# here (2 cores, batch 128, a training epoch of the default ConvClassifier
# and ConvAutoencoder; `skfashion speed`, benchmarks/README.md): 1.5x and 1.7x
# faster than NCHW in bfloat16 with fused Adam, 1.2x and 1.3x in float32. For
# a one-channel image NCHW and NHWC are the same memory: rows need no copy.
CONV_MEMORY_FORMAT = torch.channels_last


def halved(size, times):
    """The side of an image after ``times`` halvings, rounding up: 28 -> 14 -> 7."""
    for _ in range(times):
        size = math.ceil(size / 2)
    return size


def _is_channels_last(weight):
    """Whether a 4-d weight is kept in channels_last (and not also NCHW)."""
    return (
        weight.is_contiguous(memory_format=torch.channels_last)
        and not weight.is_contiguous()
    )


def conv_block(
    n_in, n_out, kernel_size, downsampling, activation, batch_norm, dropout, convs=1
):
    """``convs`` x (Conv -> [BatchNorm] -> activation), halving the image, [Dropout].

    The image is halved by the first convolution's stride ('stride'), by a
    2 x 2 max-pooling after the convolutions ('pool') or right after the
    first one ('early-pool': the convolutions after it run on a quarter of
    the pixels, about half the block's multiply-adds with two convolutions);
    either way (n, n_in, h, w) -> (n, n_out, ceil(h / 2), ceil(w / 2)). 'Same'
    padding keeps the other sizes.
    """
    layers = []
    for i in range(convs):
        stride = 2 if downsampling == "stride" and i == 0 else 1
        layers.append(
            nn.Conv2d(
                n_in if i == 0 else n_out,
                n_out,
                kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                bias=not batch_norm,
            )
        )
        if downsampling == "early-pool" and i == 0:
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
        if batch_norm:
            layers.append(nn.BatchNorm2d(n_out))
        layers.append(ACTIVATIONS[activation]())
    if downsampling == "pool":
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
    if dropout > 0:
        layers.append(Dropout(dropout))
    return nn.Sequential(*layers)


def conv_encoder(
    image_shape,
    channels,
    kernel_size,
    downsampling,
    activation,
    batch_norm,
    dropout,
    convs_per_block,
):
    """The convolutional blocks: (n, c, h, w) -> (n, channels[-1], h', w')."""
    sizes = [image_shape[0], *channels]
    return nn.Sequential(
        *(
            conv_block(
                n_in,
                n_out,
                kernel_size,
                downsampling,
                activation,
                batch_norm,
                dropout,
                convs_per_block,
            )
            for n_in, n_out in zip(sizes[:-1], sizes[1:])
        )
    )


class ConvAutoencoderModule(_AutoencoderBase):
    """Convolutional blocks to a linear code of size k, and a mirrored decoder.

    ``image_shape`` (c, h, w): rows (n, c * h * w) are viewed as images. The
    encoder's blocks halve the image each (28 -> 14 -> 7 with two), a linear
    layer maps the flattened maps to the code (no activation, as in
    ``AutoencoderModule``); the decoder maps the code back to the maps and
    climbs the blocks in reverse (nearest-neighbour upsampling to the exact
    size, then a convolution), ending with a convolution to c channels and
    ``output_activation``.
    """

    memory_format = CONV_MEMORY_FORMAT

    def __init__(
        self,
        image_shape,
        channels,
        n_components,
        kernel_size=3,
        downsampling="stride",
        convs_per_block=1,
        activation="relu",
        output_activation="sigmoid",
        batch_norm=True,
        dropout=0.0,
        code="linear",
    ):
        super().__init__()
        c, h, w = self.image_shape = tuple(image_shape)
        channels = list(channels)
        depth = len(channels)
        # the maps' sides after 0, 1, ..., depth blocks
        self.sides = [(halved(h, i), halved(w, i)) for i in range(depth + 1)]
        flat = channels[-1] * self.sides[-1][0] * self.sides[-1][1]
        self.encoder = conv_encoder(
            self.image_shape,
            channels,
            kernel_size,
            downsampling,
            activation,
            batch_norm,
            dropout,
            convs_per_block,
        )
        self._set_code(code, flat, n_components)
        self.from_code = nn.Sequential(
            nn.Linear(n_components, flat), ACTIVATIONS[activation]()
        )
        up = []
        for i in reversed(range(depth)):
            n_out = channels[i - 1] if i > 0 else channels[0]
            up += [
                nn.Upsample(size=self.sides[i], mode="nearest"),
                nn.Conv2d(
                    channels[i],
                    n_out,
                    kernel_size,
                    padding=kernel_size // 2,
                    bias=not batch_norm,
                ),
            ]
            if batch_norm:
                up.append(nn.BatchNorm2d(n_out))
            up.append(ACTIVATIONS[activation]())
        self.decoder = nn.Sequential(
            *up,
            nn.Conv2d(channels[0], c, kernel_size, padding=kernel_size // 2),
            ACTIVATIONS[output_activation](),
        )
        self._maps = (channels[-1], *self.sides[-1])

    def features(self, x):  # (n, d) -> (n, flattened maps)
        return self.encoder(x.reshape(-1, *self.image_shape)).flatten(1)

    def decode(self, z):  # (n, k) -> (n, d)
        maps = self.from_code(z).reshape(-1, *self._maps)  # (n, c, h, w)
        # The reshape gives the standard layout; in channels_last weights'
        # layout here (a small map), or the upsampled maps would be copied
        # to it at every convolution, forward and backward.
        first = next(m for m in self.decoder if isinstance(m, nn.Conv2d))
        if _is_channels_last(first.weight):
            maps = maps.contiguous(memory_format=torch.channels_last)
        return self.decoder(maps).flatten(1)


class ConvClassifierModule(nn.Module):
    """Convolutional blocks, then a hidden linear layer and a head to c logits.

    ``image_shape`` (c, h, w): rows (n, c * h * w) are viewed as images. The
    blocks halve the image each; their flattened maps go through
    ``dense_units`` hidden units (with ``dropout`` before and after) to the
    logits. With ``dense_units=0`` each map is max-pooled to one value
    instead (global max-pooling: (n, channels[-1])), which the head reads.
    """

    memory_format = CONV_MEMORY_FORMAT

    def __init__(
        self,
        image_shape,
        channels,
        n_classes,
        kernel_size=3,
        downsampling="pool",
        convs_per_block=2,
        dense_units=256,
        activation="relu",
        batch_norm=True,
        dropout=0.0,
    ):
        super().__init__()
        self.image_shape = tuple(image_shape)
        _, h, w = self.image_shape
        depth = len(channels)
        flat = channels[-1] * halved(h, depth) * halved(w, depth)
        self.blocks = conv_encoder(
            self.image_shape,
            channels,
            kernel_size,
            downsampling,
            activation,
            batch_norm,
            dropout,
            convs_per_block,
        )
        if dense_units:
            self.dense = nn.Sequential(
                nn.Flatten(),
                nn.Linear(flat, dense_units),
                ACTIVATIONS[activation](),
                Dropout(dropout),
            )
        else:  # (n, channels[-1], h', w') -> (n, channels[-1])
            self.dense = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten())
        self.head = nn.Linear(dense_units or channels[-1], n_classes)

    def features(self, x):  # (n, d) -> (n, dense_units or channels[-1])
        return self.dense(self.blocks(x.reshape(-1, *self.image_shape)))

    def forward(self, x):  # (n, d) -> (n, c) logits
        return self.head(self.features(x))


# -- a user's own module -------------------------------------------------------
# ``Autoencoder(module=MyModule)`` and the other faces train a user's
# ``nn.Module`` through the same contract as the built-in networks: the
# adapters below take rows (n, d), give the user's module its input in the
# shape the estimator was fitted on (``input_shape``: (d,) for rows,
# (c, h, w) for images), and return rows and named outputs as the built-in
# modules do. What the user's module must offer, by face:
#
# - autoencoder: ``encode(x) -> (n, k)`` and ``decode(z) -> (n, *input_shape)``
#   (or (n, d)), the decoder's last layer without activation: the face applies
#   ``output_activation``;
# - variational autoencoder: ``encode(x) -> (mean, log_var)``, each (n, k),
#   the Gaussian code head, and ``decode`` as above;
# - classifier: ``forward(x) -> (n, c)`` logits, and optionally
#   ``features(x)`` for ``extract_features``.


class UserAutoencoderModule(_AutoencoderBase):
    """A user's module with ``encode`` and ``decode``, as an autoencoder module.

    ``module(**module_kwargs)`` is built once and kept as ``inner``; rows
    (n, d) are viewed as (n, *input_shape) on their way in, reconstructions
    flattened to (n, d) on their way out, through ``output_activation``.
    With ``code='gaussian'`` the user's ``encode`` returns the posterior's
    mean and log variance, and the code is drawn as ``GaussianCode`` draws it.
    """

    def __init__(
        self,
        module,
        module_kwargs,
        input_shape,
        n_components=None,  # the face's; the module's own code gives it
        output_activation="sigmoid",
        code="linear",
    ):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.inner = module(**module_kwargs)
        self.output = ACTIVATIONS[output_activation]()
        self.variational = code == "gaussian"
        self.outputs = CODES[code].outputs  # the names forward returns

    def _posterior(self, x):  # (n, d) -> mean (n, k), log_var (n, k) or None
        out = self.inner.encode(x.reshape(-1, *self.input_shape))
        if self.variational:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise ValueError(
                    f"{type(self.inner).__name__}.encode must return (mean, "
                    "log_var) for a variational autoencoder: two heads of the "
                    "code's width."
                )
            mean, log_var = out
            return mean, log_var
        return out, None

    def encode(self, x):  # (n, d) -> (n, k); a variational code's mean
        return self._posterior(x)[0]

    def decode(self, z):  # (n, k) -> (n, d)
        return self.output(self.inner.decode(z).flatten(1))

    def forward(self, x) -> AutoencoderOutput:
        mean, log_var = self._posterior(x)
        z = mean
        if self.variational and self.training:
            z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        out = {"reconstruction": self.decode(z), "code": mean}
        if self.variational:
            out["log_var"] = log_var
        return out


class UserClassifierModule(nn.Module):
    """A user's module that returns logits, as a classifier module.

    Rows (n, d) are viewed as (n, *input_shape); ``features`` is the user's
    own (flattened), where the module has one.
    """

    def __init__(self, module, module_kwargs, input_shape, n_classes=None):
        super().__init__()  # n_classes: the face's; the logits give it
        self.input_shape = tuple(input_shape)
        self.inner = module(**module_kwargs)

    def forward(self, x):  # (n, d) -> (n, c) logits
        return self.inner(x.reshape(-1, *self.input_shape))

    def features(self, x):  # (n, d) -> (n, the module's feature width)
        features = getattr(self.inner, "features", None)
        if features is None:
            raise ValueError(
                f"{type(self.inner).__name__} has no features(x) method: give "
                "it one (the last hidden layer) to use extract_features."
            )
        return features(x.reshape(-1, *self.input_shape)).flatten(1)
