"""What the Displays share: where they draw and how they name labels.

A Display stores its data in ``__init__``; ``plot(*, ax=None, ...)`` draws it
(keyword-only options) and returns the Display with ``ax_`` and ``figure_``;
``from_estimator`` / ``from_predictions`` compute the data and forward any
other keyword argument to ``plot``.
"""

from collections.abc import Mapping

import numpy as np


def axes(ax, figsize):
    """``ax``, or the Axes of a new figure of ``figsize`` inches."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def label_names(labels, target_names=None):
    """The names to show for ``labels`` (an array of object strings).

    Labels may be of any kind, as a classifier's ``classes_`` are: integers,
    strings, with gaps. ``target_names`` is None (labels shown as they are),
    a mapping ``{label: name}`` (labels it lacks are shown as they are), or a
    sequence that names the integer labels 0..n-1, as ``fetch_*().target_names``
    does; labels that already are names pass through.
    """
    labels = np.asarray(labels)
    if target_names is None:
        return np.array([str(label) for label in labels], dtype=object)
    if isinstance(target_names, Mapping):
        return np.array(
            [str(target_names.get(label, label)) for label in labels.tolist()],
            dtype=object,
        )
    names = [str(name) for name in target_names]
    if labels.dtype.kind in "iu":
        if len(labels) and (labels.min() < 0 or labels.max() >= len(names)):
            raise ValueError(
                f"target_names has {len(names)} names, for the labels 0.."
                f"{len(names) - 1}, but the labels go from {labels.min()} to "
                f"{labels.max()}. Pass every name, or a dict {{label: name}}."
            )
        return np.array([names[label] for label in labels], dtype=object)
    as_text = [str(label) for label in labels.tolist()]
    if set(as_text) <= set(names):  # the labels are the names already
        return np.array(as_text, dtype=object)
    raise ValueError(
        f"target_names as a list names the integer labels 0..n-1, but the labels "
        f"are like {labels.tolist()[0]!r}. Pass target_names=None to show the "
        "labels as they are, or a dict {label: name}."
    )
