"""The convolutional family: its layers' parameters and their checks.

``ConvNetwork`` is mixed into ``ConvAutoencoder`` and ``ConvClassifier``. It
declares the blocks' parameters (``channels`` per block, ``kernel_size``,
``downsampling`` by stride or pooling, ``convs_per_block``, ``activation``,
``batch_norm``, ``dropout``) and ``image_shape``, the shape the rows are
viewed in. With ``image_shape='auto'`` the shape comes from the training
data: image arrays (n, h, w) or (n, c, h, w) give their own, rows of a square
number of values are square one-channel images (784 -> 28 x 28), and any
other row of d values is an image one pixel high and d wide, so that the
defaults work on any numeric data.
"""

import math
from numbers import Integral, Real

import numpy as np

from ._compat import StrOptions
from ._family import NetworkFamily
from ._modules import ACTIVATIONS, ConvAutoencoderModule, ConvClassifierModule
from ._net import ShiftAndFlip
from ._state import MAX_FEATURES, integer, sequence
from ._validation import Number


def _positive_ints(value, name, lengths=None):
    """A tuple of positive ints from an int or a sequence, else ValueError."""
    values = [value] if isinstance(value, Integral) else list(value)
    ok = all(
        isinstance(v, Integral) and not isinstance(v, (bool, np.bool_)) and v >= 1
        for v in values
    )
    if not ok or not values or (lengths and len(values) not in lengths):
        expected = f"{' or '.join(map(str, lengths))} " if lengths else ""
        raise ValueError(f"{name} must be {expected}positive integers, got {value!r}.")
    return tuple(int(v) for v in values)


def _as_image(shape):
    """The (c, h, w) of an image array's shape (n, h, w) or (n, c, h, w)."""
    return tuple(int(v) for v in (shape[1:] if len(shape) == 4 else (1, *shape[1:])))


def _refuse_channels_last(shape, fitted=None):
    """Channels-last colour images (n, h, w, 3) are refused, with the fix.

    skfashion, as torch, reads (n, c, h, w); (n, 32, 32, 3) would otherwise be
    32 channels of 32 x 3 pixels. A last axis of 1, 3 or 4 (grey, RGB, RGBA)
    behind a larger second one is taken to be channels-last, unless it is the
    fitted shape.
    """
    if len(shape) != 4 or fitted is not None and _as_image(shape) == tuple(fitted):
        return
    if shape[3] in (1, 3, 4) and shape[1] not in (1, 3, 4):
        raise ValueError(
            f"X has the shape {tuple(shape)}: channels-last images (n, height, "
            "width, channels), it seems. skfashion reads images as (n, channels, "
            "height, width), as torch does: pass X.transpose(0, 3, 1, 2)."
        )


class ConvNetwork(NetworkFamily):
    """Parameters and checks of convolutional networks (a mixin).

    A ``NetworkFamily`` that reads images: its input shape is
    ``image_shape_``, and its training batches may be shifted and flipped.
    """

    _family_constraints: dict = {
        "image_shape": ["array-like", StrOptions({"auto"})],
        "channels": ["array-like", Number(Integral, 1, None, closed="left")],
        "kernel_size": [Number(Integral, 1, None, closed="left")],
        "downsampling": [StrOptions({"stride", "pool", "early-pool"})],
        "convs_per_block": [Number(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS) - {"identity"})],
        "batch_norm": ["boolean"],
        "dropout": [Number(Real, 0, 1, closed="left")],
        "random_shift": [Number(Integral, 0, None, closed="left")],
        "random_flip": ["boolean"],
    }

    _input_fitted_names = ("image_shape_",)

    def _fitted_spec(self):
        required, optional = super()._fitted_spec()
        shape = sequence(integer(1, MAX_FEATURES), tuple, 3)
        return {**required, "image_shape_": shape}, optional

    def _fitted_agree(self, fitted):
        return [
            *super()._fitted_agree(fitted),
            (
                "image_shape_",
                math.prod(fitted["image_shape_"]) == fitted["n_features_in_"],
            ),
        ]

    def _input_fitted(self, shape):
        """``image_shape_`` (c, h, w), from ``image_shape`` or the input's shape."""
        n_features = math.prod(shape[1:])
        _refuse_channels_last(shape)
        if self.image_shape != "auto":
            image = _positive_ints(self.image_shape, "image_shape", lengths=(2, 3))
            image = image if len(image) == 3 else (1, *image)
            if math.prod(image) != n_features:
                raise ValueError(
                    f"image_shape={self.image_shape!r} holds {math.prod(image)} "
                    f"values, but the samples have {n_features}. Give the shape of "
                    "the images, as (height, width) or (channels, height, width), "
                    "or image_shape='auto'."
                )
            if len(shape) >= 3 and _as_image(shape) != image:
                raise ValueError(
                    f"image_shape={self.image_shape!r} contradicts the shape of the "
                    f"images given, {tuple(shape[1:])}. Leave image_shape='auto' "
                    "for image arrays, or give the images as rows."
                )
        elif len(shape) == 4:
            image = tuple(shape[1:])
        elif len(shape) == 3:
            image = (1, *shape[1:])
        elif math.isqrt(n_features) ** 2 == n_features:
            side = math.isqrt(n_features)
            image = (1, side, side)
        else:
            image = (1, 1, n_features)
        return {"image_shape_": tuple(int(v) for v in image)}

    def _fitted_input_shape(self):
        return tuple(self.image_shape_)

    def _check_input_shape(self, shape):
        """Image arrays at predict, transform, score...: the fitted shape."""
        _refuse_channels_last(shape, self.image_shape_)
        if _as_image(shape) != tuple(self.image_shape_):
            raise ValueError(
                f"X holds images of shape {tuple(shape[1:])}, but "
                f"{type(self).__name__} was fitted on images of shape "
                f"{tuple(self.image_shape_)} (channels, height, width). Give images "
                "of the fitted shape, as (n, height, width) for one channel or "
                "(n, channels, height, width)."
            )

    # The modules of this family, for each face.
    _autoencoder_module = ConvAutoencoderModule
    _classifier_module = ConvClassifierModule

    def _family_kwargs(self, X, fitted):
        """The module keyword arguments of the convolutional blocks."""
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd (the image keeps its size around the "
                f"centre pixel), got {self.kernel_size}."
            )
        return dict(
            image_shape=fitted["image_shape_"],
            channels=_positive_ints(self.channels, "channels"),
            kernel_size=int(self.kernel_size),
            downsampling=self.downsampling,
            convs_per_block=int(self.convs_per_block),
            activation=self.activation,
            batch_norm=self.batch_norm,
            dropout=self.dropout,
        )

    def _augmentation(self, fitted):
        """The training batches' ``ShiftAndFlip``, or None without one."""
        shift, flip = int(self.random_shift), bool(self.random_flip)
        if not (shift or flip):
            return None
        _, h, w = fitted["image_shape_"]
        if shift >= min(h, w):
            raise ValueError(
                f"random_shift={shift} would move {h} x {w} images out of view: "
                f"give fewer pixels than the image's side ({min(h, w)})."
            )
        return ShiftAndFlip(fitted["image_shape_"], shift, flip)

    def _check_fit_size(self, n_samples, y=None):
        _positive_ints(self.channels, "channels")
        super()._check_fit_size(n_samples, y)
