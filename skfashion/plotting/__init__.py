"""Plots in scikit-learn's Display style.

Each Display has ``from_estimator`` (``from_predictions``, ``from_targets`` or
``from_search`` where that is what it shows) and a keyword-only
``plot(*, ax=None, ...)``, which returns the Display with ``figure_`` and
``ax_`` (or ``axes_``); the constructors forward ``plot``'s options. Labels of
any kind work (strings, gaps), named by ``target_names`` (a list for the
integer labels 0..n-1, or a dict). matplotlib is imported only when something
is drawn. For confusion matrices use scikit-learn's ``ConfusionMatrixDisplay``
with ``display_labels``.
"""

from ._curves import ClassDistributionDisplay, LatentSpaceDisplay, LearningCurveDisplay
from ._images import MisclassifiedDisplay, ReconstructionDisplay, SamplesDisplay
from ._search import SearchLandscapeDisplay
from ._show import show_figures

__all__ = [
    "ClassDistributionDisplay",
    "LatentSpaceDisplay",
    "LearningCurveDisplay",
    "MisclassifiedDisplay",
    "ReconstructionDisplay",
    "SamplesDisplay",
    "SearchLandscapeDisplay",
    "show_figures",
]
