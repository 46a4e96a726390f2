"""Run gallery examples and save their figures as PNG files.

    python examples/render_figures.py [--output DIR] [plot_reconstructions.py ...]

The figures go into ``build/figures/`` (not tracked by git) unless
``--output`` names another folder; ``--output examples/images`` refreshes the
images that the README shows, on purpose.
"""

import argparse
import glob
import os
import runpy

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import skfashion.plotting  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(os.path.dirname(HERE), "build", "figures")


def run_example(path):
    """Run one example, showing and saving nothing; return the figures it made."""
    plt.close("all")
    show, show_figures = plt.show, skfashion.plotting.show_figures
    plt.show = lambda *args, **kwargs: None
    skfashion.plotting.show_figures = lambda *args, **kwargs: None
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        plt.show, skfashion.plotting.show_figures = show, show_figures
    return [plt.figure(n) for n in plt.get_fignums()]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="*", help="examples to run (default: all)")
    p.add_argument("--output", default=DEFAULT_OUTPUT, help="folder for the PNGs")
    args = p.parse_args(argv)
    paths = [os.path.join(HERE, n) for n in args.names] or sorted(
        glob.glob(os.path.join(HERE, "plot_*.py"))
    )
    os.makedirs(args.output, exist_ok=True)
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        for i, figure in enumerate(run_example(path), start=1):
            out = os.path.join(args.output, f"{stem}_{i}.png")
            figure.savefig(out + ".part.png", dpi=90, bbox_inches="tight")
            os.replace(out + ".part.png", out)
            print(out)
        plt.close("all")


if __name__ == "__main__":
    main()
