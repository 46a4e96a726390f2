"""The image grid that every image Display draws with.

Images are tiled into one mosaic array and drawn with a single ``imshow`` on a
single Axes, so that a Display keeps scikit-learn's ``plot(ax=None)`` contract
(one Axes in, ``ax_`` out) however many images it shows.
"""

import math

import numpy as np


def image_shape_of(n_features):
    """(h, w) of square images with ``n_features`` pixels."""
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(
            f"Cannot show {n_features} features as a square image; pass image_shape."
        )
    return side, side


def fitted_image_shape(estimator):
    """The image shape ``estimator`` was fitted on, as its network family
    records it (``_fitted_input_shape``): (c, h, w), or None for rows, for
    an estimator that is not skfashion's, or for one not fitted."""
    try:
        shape = estimator._fitted_input_shape()
    except AttributeError:
        return None
    return tuple(shape) if shape is not None and len(shape) == 3 else None


def resolve_image_shape(images, image_shape=None):
    """(h, w) of grey images, (c, h, w) of colour ones (c = 3, or 4 with
    alpha): as given, from (n, h, w) or (n, c, h, w) arrays, or square grey.

    A one-channel (1, h, w), as skfashion's ``image_shape_``, is (h, w).
    """
    if image_shape is None:
        if images.ndim in (3, 4):
            image_shape = images.shape[1:]
        else:
            image_shape = image_shape_of(images.shape[1])
    image_shape = tuple(int(d) for d in image_shape)
    if len(image_shape) == 3 and image_shape[0] == 1:
        image_shape = image_shape[1:]
    if len(image_shape) not in (2, 3) or (
        len(image_shape) == 3 and image_shape[0] not in (3, 4)
    ):
        raise ValueError(
            f"image_shape must be (h, w), or (channels, h, w) with 1, 3 (RGB) or "
            f"4 (RGBA) channels first, got {image_shape}."
        )
    pixels = int(np.prod(images.shape[1:])) if images.ndim > 1 else 0
    if images.ndim > 1 and pixels != math.prod(image_shape):
        raise ValueError(
            f"Images of {pixels} values each cannot be shown as {image_shape}; "
            "pass the image_shape they have."
        )
    return image_shape


def _hw(image_shape):
    return image_shape[-2:]


def mosaic(images, n_cols, image_shape=None, pad=2, fill=1.0):
    """Tile images into one array: grey ones (n, h * w), (n, h, w) into
    (rows * (h + pad) + pad, cols * (w + pad) + pad), colour ones (n, c, h, w)
    or rows (n, c * h * w) with ``image_shape`` (c, h, w) into the same with
    the channels last, as ``imshow`` takes them.

    Cells are filled row by row; padding and empty cells take ``fill``.
    """
    images = np.asarray(images, dtype=np.float64)
    n = len(images)
    image_shape = resolve_image_shape(images, image_shape)
    h, w = _hw(image_shape)
    channels = () if len(image_shape) == 2 else (image_shape[0],)
    images = images.reshape(n, *image_shape)
    if channels:
        images = np.clip(np.moveaxis(images, 1, -1), 0.0, 1.0)  # (n, h, w, c)
    n_rows = max(1, math.ceil(n / n_cols))
    out = np.full((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad, *channels), fill)
    for i, image in enumerate(images):
        r, c = divmod(i, n_cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        out[top : top + h, left : left + w] = image
    return out


def draw_image_grid(
    ax,
    images,
    n_cols,
    *,
    titles=None,
    image_shape=None,
    cmap="gray_r",
    title_colors=None,
    pad=2,
    vmin=0.0,
    vmax=1.0,
):
    """Draw images as a grid on ``ax``; optional small titles above each cell.

    Returns the ``AxesImage`` and the list of title ``Text`` artists.
    """
    images = np.asarray(images)
    image_shape = resolve_image_shape(images, image_shape)
    h, w = _hw(image_shape)
    if len(image_shape) == 3:  # colour, in [0, 1]: drawn as it is, on white
        grid = mosaic(images, n_cols, image_shape, pad=pad, fill=1.0)
        artist = ax.imshow(grid, interpolation="nearest")
    else:
        # white background: the fill is the lowest value of the reversed grey map
        grid = mosaic(images, n_cols, image_shape, pad=pad, fill=vmin)
        artist = ax.imshow(
            grid, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest"
        )
    ax.set_xticks([])
    ax.set_yticks([])
    texts = []
    for i, title in enumerate(titles or []):
        r, c = divmod(i, n_cols)
        color = title_colors[i] if title_colors is not None else "black"
        texts.append(
            ax.text(
                pad + c * (w + pad) + w / 2,
                pad + r * (h + pad) - 0.5,
                title,
                ha="center",
                va="bottom",
                fontsize=7,
                color=color,
            )
        )
    return artist, texts


def grid_figsize(n_rows, n_cols, image_shape, images, *, inches=0.6, title=0.4):
    """Figure size (inches) that a grid of images fills, with room for a title.

    Each cell gets about ``inches`` across (less when many columns would make
    the figure wider than 12 inches), and the height follows the images'
    aspect, so that no band of empty canvas surrounds the grid.
    """
    h, w = _hw(resolve_image_shape(np.asarray(images), image_shape))
    per_pixel = min(inches / max(h, w), 12 / (n_cols * (w + 2)))
    return n_cols * (w + 2) * per_pixel, n_rows * (h + 2) * per_pixel + title
