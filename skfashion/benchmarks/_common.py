"""What the benchmark commands share: their data, their arguments and their output."""

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np
import torch

from skfashion.datasets import get_data_home, load_dataset
from skfashion.io import atomic_write_bytes

NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default in its help, even where the help says nothing."""

    def _get_help_string(self, action):
        text = action.help or ""
        # identity, not ==: a default of 0 is shown, only None and False are not
        hidden = any(action.default is v for v in (None, False, argparse.SUPPRESS))
        if hidden or "%(default)" in text:
            return text
        if action.option_strings or action.nargs in ("?", "*"):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """A command's parser: the output folder is checked as the options are read."""

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        output = getattr(parsed, "output", None)
        if output is not None:
            problem = output_problem(output)
            if problem:
                self.error(problem)  # exit status 2, before any work
        return parsed


def output_problem(output):
    """Why results could not be written into the folder ``output``, or None.

    Checked before any work, so that an hour's run does not end on a file
    named like the folder or a folder it cannot write.
    """
    if os.path.exists(output) and not os.path.isdir(output):
        return f"--output {output!r} is a file; name a folder for the results."
    try:  # the folder the results go into, and a file written in it
        os.makedirs(output, exist_ok=True)
        with tempfile.TemporaryFile(dir=output):
            pass
    except OSError as exc:
        return f"--output {output!r}: cannot write there ({exc.strerror or exc})."
    return None


def parser(
    description,
    datasets=("mnist", "fashion-mnist"),
    default="fashion-mnist",
    precision=True,
    prog=None,
):
    """An argparse parser with the options every benchmark takes.

    ``precision``: whether the script takes ``--precision``, the estimators'
    ``precision`` (results committed before it existed were float32).
    """
    p = _Parser(prog=prog, description=description, formatter_class=_HelpFormatter)
    p.add_argument(
        "--dataset",
        choices=datasets,
        default=default,
        help="data set (every command's default: fashion-mnist)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: the bundled sample and one to three epochs, under a "
        "minute (its figures say nothing of the estimators)",
    )
    p.add_argument(
        "--download",
        action="store_true",
        help="download the full data set into the data home if it is missing "
        "(else the bundled sample stands in for it)",
    )
    p.add_argument("--output", default="results", help="folder for JSON/Markdown/PNG")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more output: -v shows each fit's (or search's) progress as it goes",
    )
    if precision:
        p.add_argument(
            "--precision",
            choices=["auto", "float32", "bfloat16"],
            default="auto",
            help="the estimators' precision ('auto' is theirs)",
        )
    return p


def with_precision(estimator, precision):
    """``estimator`` with ``precision`` set on it and on every step inside it."""
    names = [
        k
        for k in estimator.get_params()
        if k == "precision" or k.endswith("__precision")
    ]
    return estimator.set_params(**dict.fromkeys(names, precision))


def load(args):
    """(X_train, y_train, X_test, y_test, source) for ``args.dataset``.

    The full data set from the data home (downloaded first with
    ``--download``), else the bundled sample: ``source`` says which, and a
    line on stdout says it before any work starts.
    """
    name = NAMES[args.dataset]
    if not args.quick:
        try:
            train, test = (
                load_dataset(
                    args.dataset,
                    subset=subset,
                    download_if_missing=getattr(args, "download", False),
                )
                for subset in ("train", "test")
            )
            print(
                f"{name}: the full data set, {len(train.data):,} training and "
                f"{len(test.data):,} test images (from {get_data_home()})",
                flush=True,
            )
            return train.data, train.target, test.data, test.target, "full"
        except OSError:
            print(
                f"{name}: the full data set is not in {get_data_home()} "
                "(--download fetches it)",
                flush=True,
            )
    train, test = (
        load_dataset(args.dataset, sample=True, subset=s) for s in ("train", "test")
    )
    print(
        f"{name}: the bundled sample, {len(train.data):,} training and "
        f"{len(test.data):,} test images",
        flush=True,
    )
    return train.data, train.target, test.data, test.target, "sample"


def machine():
    """A line that says where the figures were measured."""
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads, "
        f"Python {platform.python_version()}"
    )


def markdown_table(rows, columns):
    """A Markdown table of dicts, with the given columns in order."""

    def cell(value):
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += [
        "| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows
    ]
    return "\n".join(lines)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def write_results(output, name, results, markdown, quiet=False):
    """Write ``name.json`` and ``name.md`` into ``output``, each atomically.

    Prints the Markdown unless ``quiet`` (for the rows written as they finish).
    """
    os.makedirs(output, exist_ok=True)
    for suffix, text in (
        (".json", json.dumps(_jsonable(results), indent=2) + "\n"),
        (".md", markdown + "\n"),
    ):
        atomic_write_bytes(os.path.join(output, name + suffix), text.encode())
    if quiet:
        return
    print(markdown)
    print(f"\nwritten: {os.path.join(output, name)}.json and .md")


QUICK_NOTE = (
    "A quick run (--quick) is a smoke test that every step of the command "
    "works: the bundled sample (3,000 training images) and one to three epochs, "
    "too little training for the networks to beat raw pixels or PCA, so its "
    "figures say nothing of the estimators. Without --quick, on the full data "
    "set (--download fetches it), the command gives the figures the README "
    "reports."
)


class RunRecord:
    """A run's ``NAME.json`` and ``NAME.md``, rewritten atomically after every row.

    ``results`` is the JSON's content (``add`` appends a row to one of its
    lists) and ``report(results)`` the Markdown below the status line, which
    says how many of the ``n_rows`` expected rows are in. Until ``finish``,
    ``results["complete"]`` is false, so a run stopped by Ctrl-C (exit status
    130) keeps the rows it finished, marked incomplete. A line on stdout per
    row, and a bar on stderr where it is a terminal::

        with RunRecord(args, "encoded_mnist", results, report, 8) as record:
            for ...:
                record.add(row, "rows", "1-NN on PCA-64: 97.5%")
            record.finish()
    """

    def __init__(self, args, name, results, report, n_rows=None):
        self.output, self.name, self.report = args.output, name, report
        self.n_rows, self.done = n_rows, 0
        self.quick = bool(getattr(args, "quick", False))
        self.results = {**results, "quick": self.quick, "complete": False}
        self.results.setdefault("total_seconds", None)
        self._start = time.perf_counter()
        self._bar = None

    def __enter__(self):
        from tqdm.auto import tqdm

        self._bar = tqdm(
            total=self.n_rows,
            desc=self.name,
            file=sys.stderr,
            leave=False,
            disable=None,
        )
        self.save()
        return self

    def __exit__(self, *exc):
        self._bar.close()
        return False

    def add(self, row, section="rows", text=None):
        """Append ``row`` to ``results[section]``, save, and say so on stdout."""
        self.results.setdefault(section, []).append(row)
        self.step(text or _describe(row))

    def step(self, text):
        """Count a row the command stored in ``results`` itself; save; say so."""
        self.done += 1
        self.save()
        total = f"/{self.n_rows}" if self.n_rows else ""
        self._bar.write(f"[{self.done}{total}] {text}", sys.stdout)
        sys.stdout.flush()
        self._bar.update()

    def status(self):
        if self.results["complete"]:
            return (
                f"complete: {self.done} rows in {self.results['total_seconds']:.0f} s"
            )
        expected = f" of {self.n_rows}" if self.n_rows else ""
        return f"**incomplete**: {self.done}{expected} rows (stopped, or running)"

    def markdown(self):
        parts = [self.status()]
        if self.quick:
            parts.append(f"*{QUICK_NOTE}*")
        body = self.report(self.results) if self.done else ""
        return "\n\n".join([*parts, body]).rstrip()

    def save(self):
        write_results(self.output, self.name, self.results, self.markdown(), True)

    def finish(self):
        """Mark the run complete, save, and print the report."""
        self.results["complete"] = True
        self.results["total_seconds"] = time.perf_counter() - self._start
        self.save()
        self._bar.clear()
        print()
        print(self.markdown())
        print(f"\nwritten: {os.path.join(self.output, self.name)}.json and .md")
        if self.quick:
            print(f"\n{QUICK_NOTE}")


def _describe(row):
    """A row in one line: its first three values."""
    return ", ".join(
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in list(row.items())[:3]
    )


def pyplot():
    """matplotlib.pyplot on the Agg backend: the scripts only write files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, output, name, dpi=110):
    """Write ``fig`` to ``output/name.png`` atomically, then close it."""
    os.makedirs(output, exist_ok=True)
    path = os.path.join(output, name + ".png")
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    atomic_write_bytes(path, buffer.getvalue())
    pyplot().close(fig)
    print(f"written: {path}")


def target_names(dataset):
    """The class names of ``dataset``, from its bundled sample."""
    return load_dataset(dataset, sample=True).target_names
