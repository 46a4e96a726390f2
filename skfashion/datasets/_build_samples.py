"""Build the bundled samples from the official files.

Run from the repository root with the full data sets in a data home::

    python -m skfashion.datasets._build_samples --data-home ../shared/data

For each data set it keeps ``--train-per-class`` training and ``--test-per-class``
test images of every class, drawn at random with ``--seed`` and kept in their
original order, writes them as gzipped IDX files under
``skfashion/datasets/data/<name>/`` with the original file names, and writes the
SHA-256 of each file's decompressed content to ``SHA256SUMS`` beside them. The
output depends only on the official files and the arguments, so running it again
reproduces the bundled bytes.
"""

import argparse
import hashlib
import os

import numpy as np

from .._atomic import atomic_write_bytes
from ._base import FASHION_MNIST, MNIST, SAMPLE_MANIFEST, _read_full
from ._idx import idx_bytes, write_idx

SAMPLES_DIR = os.path.join(os.path.dirname(__file__), "data")


def stratified_indices(target, per_class, rng):
    """Indices of ``per_class`` random samples of each class, in sorted order."""
    chosen = [
        rng.choice(np.flatnonzero(target == label), per_class, replace=False)
        for label in np.unique(target)
    ]
    return np.sort(np.concatenate(chosen))


def build_sample(dataset, data_home, out_dir, per_class, seed):
    """Write the sample of one data set; return {file name: content SHA-256}."""
    rng = np.random.default_rng(seed)
    folder = os.path.join(out_dir, dataset.name)
    os.makedirs(folder, exist_ok=True)
    sums = {}
    for subset in ("train", "test"):
        images = _read_full(dataset, subset, "images-idx3", data_home, False)
        target = _read_full(dataset, subset, "labels-idx1", data_home, False)
        keep = stratified_indices(target, per_class[subset], rng)
        for kind, array in (("images-idx3", images), ("labels-idx1", target)):
            name = dataset.files[(subset, kind)].name
            write_idx(os.path.join(folder, name), array[keep])
            sums[name] = hashlib.sha256(idx_bytes(array[keep])).hexdigest()
    manifest = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    atomic_write_bytes(os.path.join(folder, SAMPLE_MANIFEST), manifest.encode())
    return sums


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="folder of the full data")
    parser.add_argument("--output", default=SAMPLES_DIR, help="where to write")
    parser.add_argument("--train-per-class", type=int, default=300)
    parser.add_argument("--test-per-class", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    per_class = {"train": args.train_per_class, "test": args.test_per_class}
    for dataset in (MNIST, FASHION_MNIST):
        sums = build_sample(dataset, args.data_home, args.output, per_class, args.seed)
        for name, digest in sorted(sums.items()):
            print(f"{dataset.name}/{name}  {digest}")


if __name__ == "__main__":
    main()
