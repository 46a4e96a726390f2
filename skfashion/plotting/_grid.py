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


def resolve_image_shape(images, image_shape=None):
    """(h, w) of each image: as given, from (n, h, w) arrays, or square."""
    if image_shape is not None:
        return tuple(image_shape)
    if images.ndim == 3:
        return images.shape[1:]
    return image_shape_of(images.shape[1])


def mosaic(images, n_cols, image_shape=None, pad=2, fill=1.0):
    """Tile images (n, h * w) or (n, h, w) into one (rows * (h + pad), ...) array.

    Cells are filled row by row; padding and empty cells take ``fill``.
    """
    images = np.asarray(images, dtype=np.float64)
    n = len(images)
    image_shape = resolve_image_shape(images, image_shape)
    h, w = image_shape
    images = images.reshape(n, h, w)
    n_rows = max(1, math.ceil(n / n_cols))
    out = np.full((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad), fill)
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
    h, w = image_shape
    # white background: the fill is the lowest value of the reversed grey map
    grid = mosaic(images, n_cols, image_shape, pad=pad, fill=vmin)
    artist = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
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
    h, w = resolve_image_shape(np.asarray(images), image_shape)
    per_pixel = min(inches / max(h, w), 12 / (n_cols * (w + 2)))
    return n_cols * (w + 2) * per_pixel, n_rows * (h + 2) * per_pixel + title
