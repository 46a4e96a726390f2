"""MNIST and Fashion-MNIST: the IDX format, the full data sets and bundled samples."""

from ._base import (
    fetch_fashion_mnist,
    fetch_mnist,
    get_data_home,
    load_dataset,
    load_fashion_mnist_sample,
    load_mnist_sample,
)
from ._idx import parse_idx, read_idx, write_idx

__all__ = [
    "fetch_fashion_mnist",
    "fetch_mnist",
    "get_data_home",
    "load_dataset",
    "load_fashion_mnist_sample",
    "load_mnist_sample",
    "parse_idx",
    "read_idx",
    "write_idx",
]
