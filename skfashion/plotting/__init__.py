"""Plots in scikit-learn's Display style.

Each Display has ``from_estimator`` (and ``from_predictions`` or a
from-arrays constructor where that makes sense) and ``plot(ax=None)``, which
returns the Display with ``figure_`` and ``ax_`` (or ``axes_``). matplotlib is
imported only when something is drawn. For confusion matrices use
scikit-learn's ``ConfusionMatrixDisplay`` with ``display_labels``.
"""

from ._curves import ClassDistributionDisplay, LatentSpaceDisplay, LearningCurveDisplay
from ._images import MisclassifiedDisplay, ReconstructionDisplay, SamplesDisplay

__all__ = [
    "ClassDistributionDisplay",
    "LatentSpaceDisplay",
    "LearningCurveDisplay",
    "MisclassifiedDisplay",
    "ReconstructionDisplay",
    "SamplesDisplay",
]
