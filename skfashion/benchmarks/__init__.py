"""The benchmarks, as commands of ``python -m skfashion`` (or ``skfashion``).

Each command is a module of this package with a ``main(argv)``; the
dispatcher imports only the one it runs, so that ``--help`` is quick::

    python -m skfashion --help
    python -m skfashion encoded --dataset fashion-mnist --output results
    python -m skfashion classifier --quick

Every command takes ``--dataset``, ``--quick`` (a smoke test on the bundled
sample), ``--download``, ``--output``, ``--seed``, ``--precision`` and ``-v``,
and writes JSON and Markdown results (and PNG figures) into its output
folder, each file atomically, the results after every row: a run stopped
with Ctrl-C (exit status 130) keeps its finished rows, marked incomplete.
The studies that chose the defaults are scripts of the repository, not
commands of the package (``benchmarks/`` beside it).
"""

import argparse
import importlib
import sys

# command -> (module, what it does); the first is the main command.
COMMANDS = {
    "encoded": (
        "encoded",
        "classifiers on raw pixels, PCA and autoencoder codes: accuracy and time",
    ),
    "classifier": ("classifier", "the classifiers on the test set, with figures"),
    "autoencoders": ("autoencoders", "the autoencoders' reconstructions and codes"),
    "search": ("search", "grid searches over the estimators' parameters"),
    "generation": ("generation", "samples of the generative models, FID"),
    "speed": ("speed", "seconds per epoch against a plain PyTorch loop"),
}


def _parser():
    from skfashion import __version__

    p = argparse.ArgumentParser(
        prog="skfashion",
        description="skfashion's benchmarks on MNIST and Fashion-MNIST. "
        "'skfashion COMMAND --help' describes a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n"
        + "\n".join(f"  {name:<13} {what}" for name, (_, what) in COMMANDS.items())
        + "\n\nexample: skfashion encoded --dataset fashion-mnist --quick",
    )
    p.add_argument("--version", action="version", version=f"skfashion {__version__}")
    p.add_argument("command", choices=list(COMMANDS), metavar="COMMAND")
    p.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return p


def main(argv=None):
    """Run ``skfashion COMMAND [options]``; returns the exit status.

    A bare ``skfashion`` lists the commands (the help), exit status 0.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if not argv:
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    module = importlib.import_module(f"{__name__}.{COMMANDS[args.command][0]}")
    try:
        module.main(args.args, prog=f"skfashion {args.command}")
    except KeyboardInterrupt:
        print("\ninterrupted (Ctrl-C)", file=sys.stderr)
        return 130
    return 0
