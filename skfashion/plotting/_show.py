"""Show the open figures, or save them where nothing can show them."""

import os
import sys


def show_figures(name=None, *, folder="."):
    """Show matplotlib's open figures, or save them where there is no display.

    With an interactive backend this is ``plt.show()``. With a non-interactive
    one (Agg: a server, ``MPLBACKEND=Agg``, a machine without a display) the
    figures of a script are saved as ``{name}_1.png``, ``{name}_2.png``, ...
    in ``folder`` and their paths printed, so that ``python
    examples/plot_*.py`` leaves something to look at everywhere. Where no
    script runs (an interactive session, a notebook, sphinx-gallery, which
    collects the figures itself) nothing is saved.

    Parameters
    ----------
    name : str, default=None
        The files' stem; None takes the running script's name.

    folder : str or path-like, default="."
        Where the PNG files go.

    Returns
    -------
    None
        The paths of the files written are printed.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import tempfile
    >>> from skfashion.plotting import show_figures
    >>> plt.close("all")
    >>> _ = plt.plot([0, 1])
    >>> show_figures("line", folder=tempfile.mkdtemp())
    No display: saved ...line_1.png
    >>> plt.close("all")
    """
    import matplotlib
    import matplotlib.pyplot as plt

    interactive = matplotlib.get_backend().lower() not in _NON_INTERACTIVE
    if interactive:
        plt.show()
        return
    # A script's __main__ has a __file__; a session's, a notebook's and
    # sphinx-gallery's (which scrapes the figures itself) have none.
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    if script is None:
        return
    if name is None:
        name = os.path.splitext(os.path.basename(script))[0]
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, number in enumerate(plt.get_fignums(), start=1):
        path = os.path.join(folder, f"{name}_{i}.png")
        plt.figure(number).savefig(path, dpi=90, bbox_inches="tight")
        paths.append(path)
    if paths:
        print("No display: saved " + ", ".join(paths))


# matplotlib's backends that draw to files only.
_NON_INTERACTIVE = {"agg", "pdf", "ps", "svg", "pgf", "cairo", "template"}
