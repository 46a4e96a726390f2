"""What the benchmark scripts share: their data, their arguments and their output."""

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from skfashion.datasets import (
    fetch_fashion_mnist,
    fetch_mnist,
    load_fashion_mnist_sample,
    load_mnist_sample,
)

_FULL = {"mnist": fetch_mnist, "fashion-mnist": fetch_fashion_mnist}
_SAMPLE = {"mnist": load_mnist_sample, "fashion-mnist": load_fashion_mnist_sample}


def parser(
    description,
    datasets=("mnist", "fashion-mnist"),
    default="fashion-mnist",
    precision=True,
):
    """An argparse parser with the options every benchmark takes.

    ``precision``: whether the script takes ``--precision``, the estimators'
    ``precision`` (results committed before it existed were float32).
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--dataset", choices=datasets, default=default)
    p.add_argument(
        "--quick", action="store_true", help="a small run on the bundled sample"
    )
    p.add_argument("--output", default="results", help="folder for JSON/Markdown/PNG")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    if precision:
        p.add_argument(
            "--precision",
            choices=["auto", "float32", "bfloat16"],
            default="auto",
            help="the estimators' precision (default: 'auto', theirs)",
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


def load(dataset, quick):
    """(X_train, y_train, X_test, y_test, source): full data, else the sample."""
    if not quick:
        try:
            train = _FULL[dataset](subset="train", download_if_missing=False)
            test = _FULL[dataset](subset="test", download_if_missing=False)
            return train.data, train.target, test.data, test.target, "full"
        except OSError as exc:
            print(f"full {dataset} not found ({exc}); using the bundled sample")
    train = _SAMPLE[dataset](subset="train")
    test = _SAMPLE[dataset](subset="test")
    return train.data, train.target, test.data, test.target, "sample"


def recipe_0_1(params):
    """``params``, with the Autoencoder's schedule of skfashion 0.1 under them.

    The committed results of the scripts were measured with it: the learning
    rate x0.3 every 10 epochs. The default is now a cosine schedule over the
    run, so the scripts name the old one to stay reproducible; ``params`` win
    where they name one. (The other changed default, ``batch_size='auto'``, is
    0.1's 128 from 12,800 training samples on: the full data sets.)
    """
    epochs = params.get("max_epochs", 20)
    recipe = dict(
        lr_schedule="step",
        lr_step_size=min(1.0, 10 / epochs),  # 1.0: no step within the run
        lr_gamma=0.3,
    )
    return {**recipe, **params}


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
        path = os.path.join(output, name + suffix)
        with open(path + ".part", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".part", path)
    if quiet:
        return
    print(markdown)
    print(f"\nwritten: {os.path.join(output, name)}.json and .md")


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start


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
    fig.savefig(path + ".part", dpi=dpi, format="png")
    os.replace(path + ".part", path)
    pyplot().close(fig)
    print(f"written: {path}")


def target_names(dataset):
    """The class names of ``dataset``, from its bundled sample."""
    return _SAMPLE[dataset]().target_names
