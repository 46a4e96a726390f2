"""Run every gallery example and save its figures as PNG into examples/images/.

    python examples/render_figures.py [plot_reconstructions.py ...]

The README shows some of these images; this is the command that makes them.
"""

import glob
import os
import runpy
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run_example(path):
    """Run one example with plt.show() a no-op; return the figures it made."""
    plt.close("all")
    show = plt.show
    plt.show = lambda *args, **kwargs: None
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        plt.show = show
    return [plt.figure(n) for n in plt.get_fignums()]


def main(names):
    paths = [os.path.join(HERE, n) for n in names] or sorted(
        glob.glob(os.path.join(HERE, "plot_*.py"))
    )
    os.makedirs(os.path.join(HERE, "images"), exist_ok=True)
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        for i, figure in enumerate(run_example(path), start=1):
            out = os.path.join(HERE, "images", f"{stem}_{i}.png")
            figure.savefig(out + ".part.png", dpi=90, bbox_inches="tight")
            os.replace(out + ".part.png", out)
            print(out)
        plt.close("all")


if __name__ == "__main__":
    main(sys.argv[1:])
