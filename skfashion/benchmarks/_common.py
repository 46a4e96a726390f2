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


# -- the numbers an option takes: checked as the options are read ------------------
# argparse turns the ValueError of a ``type=`` function into "argument --epochs:
# invalid ...: '0'" and exit status 2, before any work.


def _integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text):
    """A whole number of 1 or more (epochs, images, folds, ...)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def int_at_least(low, high=None):
    """A ``type=`` function for whole numbers in [low, high]."""

    def check(text):
        value = _integer(text)
        if value < low or (high is not None and value > high):
            within = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"must be {within}, got {value}")
        return value

    check.__name__ = "whole number"  # argparse's "invalid whole number value"
    return check


def seed(text):
    """A random seed: a whole number from 0 to 2**32 - 1 (numpy's range)."""
    value = _integer(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**32 - 1, got {value}")
    return value


def n_jobs(text):
    """joblib's ``n_jobs``: 1 or more, or -1 (every core), -2 (all but one), ..."""
    value = _integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            "must not be 0: 1 or more jobs, or -1 for one per core"
        )
    return value


def fraction(text):
    """A fraction strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(
            f"must be a fraction between 0 and 1 (exclusive), got {text}"
        )
    return value


positive_int.__name__ = "whole number"
seed.__name__ = "seed"
n_jobs.__name__ = "number of jobs"
fraction.__name__ = "fraction"


class _Parser(argparse.ArgumentParser):
    """A command's parser: the output folder is checked as the options are read.

    ``parsed.given`` is the set of options named on the command line (their
    ``dest``), so that ``--quick`` changes only the defaults (see ``quick``).
    """

    def parse_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        parsed = super().parse_args(args, namespace)
        parsed.given = self._given(args)
        parsed.option_names = {
            a.dest: a.option_strings[0] for a in self._actions if a.option_strings
        }
        output = getattr(parsed, "output", None)
        if output is not None:
            problem = output_problem(output)
            if problem:
                self.error(problem)  # exit status 2, before any work
        _tidy_warnings(getattr(parsed, "quick", False))
        if getattr(parsed, "quick", False) and getattr(parsed, "download", False):
            self.error(
                "--quick runs on the bundled sample: leave out --download, "
                "or --quick to run on the full data set"
            )
        return parsed

    def _given(self, args):
        """The ``dest`` of every option named in ``args``."""
        defaults = [(action, action.default) for action in self._actions]
        try:
            for action, _ in defaults:
                action.default = argparse.SUPPRESS
            named, _ = self.parse_known_args(args)
        finally:
            for action, default in defaults:
                action.default = default
        return set(vars(named))


def _one_line(message, category, filename, lineno, line=None):
    return f"{category.__name__}: {message}\n"


def _tidy_warnings(quick):
    """Warnings as one line each, without the library's source line; under
    ``--quick`` none of the ConvergenceWarnings its short fits all raise (the
    quick note says its figures mean nothing), in the workers of a parallel
    search too."""
    import warnings

    warnings.formatwarning = _one_line
    if quick:
        from sklearn.exceptions import ConvergenceWarning

        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        ignore = "ignore::sklearn.exceptions.ConvergenceWarning"
        before = os.environ.get("PYTHONWARNINGS")
        os.environ["PYTHONWARNINGS"] = f"{before},{ignore}" if before else ignore


def quick(args, **defaults):
    """With ``--quick``, set the options not named on the command line.

    An option the user names wins over the quick run's value; one line says
    what the quick run set.
    """
    if not args.quick:
        return args
    chosen = {k: v for k, v in defaults.items() if k not in args.given}
    for k, v in chosen.items():
        setattr(args, k, v)
    if chosen:
        names = getattr(args, "option_names", {})
        shown = ", ".join(
            names.get(k, "--" + k.replace("_", "-")) + ("" if v is True else f" {v}")
            for k, v in chosen.items()
            if v is not None and v is not False
        )
        print(
            f"--quick: the bundled sample, {shown} (options you name win)", flush=True
        )
    return args


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
        "(a failed download is an error; without --download, a missing data set "
        "is replaced by the bundled sample, and a line says so)",
    )
    p.add_argument("--output", default="results", help="folder for JSON/Markdown/PNG")
    p.add_argument("--seed", type=seed, default=0, help="random seed")
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
    download = getattr(args, "download", False)
    if not args.quick:
        try:
            train, test = (
                load_dataset(
                    args.dataset,
                    subset=subset,
                    download_if_missing=download,
                )
                for subset in ("train", "test")
            )
            print(
                f"{name}: the full data set, {len(train.data):,} training and "
                f"{len(test.data):,} test images (from {get_data_home()})",
                flush=True,
            )
            return train.data, train.target, test.data, test.target, "full"
        except (OSError, ValueError) as exc:
            if download:  # asked for the full data set: no sample in its place
                sys.exit(f"skfashion: --download failed: {exc}")
            if not isinstance(exc, OSError):  # a damaged file: say so
                sys.exit(f"skfashion: {name} in {get_data_home()}: {exc}")
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


def processor():
    """The processor's name and the instruction set torch's kernels use
    ('AMD EPYC, AVX2 kernels'): speed figures hold for the processor they
    were measured on."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            models = [
                line.split(":", 1)[1].strip()
                for line in f
                if line.startswith("model name")
            ]
        name = models[0] if models else name
    except OSError:  # not Linux
        pass
    capability = torch.backends.cpu.get_cpu_capability()
    return f"{name}, {capability} kernels"


def machine():
    """A line that says where the figures were measured."""
    return (
        f"{processor()}, {os.cpu_count()} cores, "
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

    def say(self, text):
        """A line on stdout about what runs now (a fit), above the bar."""
        self._bar.write(f"  {text} ...", sys.stdout)
        sys.stdout.flush()

    def status(self):
        if self.results["complete"]:
            return (
                f"complete: {self.done} rows in {self.results['total_seconds']:.0f} s"
            )
        expected = f" of {self.n_rows}" if self.n_rows else ""
        return f"**incomplete**: {self.done}{expected} rows (stopped, or running)"

    def markdown(self, note=True):
        parts = [self.status()]
        if self.quick and note:
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
        print(self.markdown(note=False))  # the note once, at the end
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
