"""MNIST and Fashion-MNIST: where the files live, how they are checked and loaded.

Both data sets are four IDX files each. ``fetch_*`` read them from the data home
(downloading them once if asked to); ``load_*_sample`` read the small stratified
subsets that ship inside the package. Every file read is checked against the
SHA-256 of its decompressed bytes, so a damaged file is refused, not loaded.
"""

import os
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from .._compat import StrOptions, validate_params
from ._download import _download_into, _verified_array
from ._idx import read_idx_bytes

_SUBSETS = StrOptions({"train", "test", "all"})
_PREFIX = {"train": "train", "test": "t10k"}


@dataclass(frozen=True)
class _DataFile:
    name: str
    # Of the decompressed IDX bytes: the content, whatever the gzip. The
    # publishers' archive MD5 is not checked: a mirror (or a local copy) may
    # have recompressed the archive, and the content hash is the stronger test.
    sha256: str


@dataclass(frozen=True)
class _DataSet:
    name: str  # folder in the data home, and in the bundled samples
    title: str
    target_names: tuple
    mirrors: tuple
    files: dict = field(default_factory=dict)  # (subset, kind) -> _DataFile


def _files(sums):
    return {
        (subset, kind): _DataFile(f"{_PREFIX[subset]}-{kind}-ubyte.gz", sums[i])
        for i, (subset, kind) in enumerate(
            [(s, k) for s in ("train", "test") for k in ("images-idx3", "labels-idx1")]
        )
    }


# SHA-256 of the canonical decompressed files, as listed in the data README.
MNIST = _DataSet(
    name="mnist",
    title="MNIST",
    target_names=tuple(str(d) for d in range(10)),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    files=_files(
        [
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ],
    ),
)

FASHION_MNIST = _DataSet(
    name="fashion-mnist",
    title="Fashion-MNIST",
    target_names=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    files=_files(
        [
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ],
    ),
)


def get_data_home(data_home=None):
    """Return the folder that holds the full data sets.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder. None means the ``SKFASHION_DATA`` environment variable, or
        ``~/skfashion_data`` when that is not set either. Each data set lives in
        a subfolder of its own (``mnist/``, ``fashion-mnist/``) with the four
        files under their original names.

    Returns
    -------
    data_home : str
        The absolute path. The folder is not created here.
    """
    if data_home is None:
        data_home = os.environ.get("SKFASHION_DATA") or os.path.join(
            "~", "skfashion_data"
        )
    return os.path.abspath(os.path.expanduser(os.fspath(data_home)))


def _read_full(
    dataset, subset, kind, data_home, download_if_missing=False, base_url=None
):
    datafile = dataset.files[(subset, kind)]
    folder = os.path.join(get_data_home(data_home), dataset.name)
    path = os.path.join(folder, datafile.name)
    if not os.path.exists(path):
        if not download_if_missing:
            raise OSError(
                f"{dataset.title} file {path} not found and "
                "download_if_missing=False. Set data_home or SKFASHION_DATA to the "
                "folder that holds it, or allow the download."
            )
        _download_into(dataset, datafile, path, base_url)
    if os.path.getsize(path) == 0:
        raise ValueError(
            f"{path} is empty (0 bytes), as an interrupted copy leaves a file. "
            "Delete it and fetch again, or copy a good file in its place."
        )
    return _verified_array(
        read_idx_bytes(path),
        datafile.sha256,
        path,
        "Delete it and fetch again, or copy a good file in its place.",
    )


SAMPLE_MANIFEST = "SHA256SUMS"


def _sample_checksums(dataset):
    """Read the manifest that ``_build_samples`` wrote beside the sample files."""
    manifest = resources.files(__package__) / "data" / dataset.name / SAMPLE_MANIFEST
    sums = {}
    for line in manifest.read_text(encoding="ascii").splitlines():
        digest, name = line.split()
        sums[name] = digest
    return sums


def _read_sample(dataset, subset, kind):
    name = dataset.files[(subset, kind)].name
    resource = resources.files(__package__) / "data" / dataset.name / name
    with resources.as_file(resource) as path:
        data = read_idx_bytes(path)
    return _verified_array(
        data,
        _sample_checksums(dataset)[name],
        f"bundled sample {resource}",
        "Reinstall skfashion.",
    )


def _load(dataset, read, *, subset, return_X_y, as_frame, normalize, descr_note=""):
    subsets = ["train", "test"] if subset == "all" else [subset]
    images = np.concatenate([read(s, "images-idx3") for s in subsets])
    target = np.concatenate([read(s, "labels-idx1") for s in subsets])
    target = target.astype(np.int64)
    if normalize:
        images = images.astype(np.float32) / np.float32(255)
    data = images.reshape(len(images), -1)
    height, width = images.shape[1:]
    feature_names = [f"pixel_{r}_{c}" for r in range(height) for c in range(width)]
    frame = None
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("as_frame=True needs pandas: pip install pandas") from exc

        data = pd.DataFrame(data, columns=feature_names)
        target = pd.Series(target, name="class")
        frame = pd.concat([data, target], axis=1)
    if return_X_y:
        return data, target
    descr = (resources.files(__package__) / "descr" / f"{dataset.name}.rst").read_text(
        encoding="utf-8"
    )
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        images=images,
        # An array, as scikit-learn's Bunches have: target_names[y] names
        # every label at once.
        target_names=np.asarray(dataset.target_names),
        feature_names=feature_names,
        DESCR=descr + descr_note,
    )


_FETCH_PARAMS = {
    "data_home": [str, os.PathLike, None],
    "base_url": [str, os.PathLike, None],
    "subset": [_SUBSETS],
    "download_if_missing": ["boolean"],
    "return_X_y": ["boolean"],
    "as_frame": ["boolean"],
    "normalize": ["boolean"],
}
_SAMPLE_PARAMS = {
    k: v
    for k, v in _FETCH_PARAMS.items()
    if k not in ("data_home", "download_if_missing")
}


def _fetch(dataset, data_home, download_if_missing, base_url, **kwargs):
    def read(subset, kind):
        return _read_full(
            dataset, subset, kind, data_home, download_if_missing, base_url
        )

    return _load(dataset, read, **kwargs)


def _sample(dataset, **kwargs):
    note = (
        "\n\nThis is the small stratified sample bundled with skfashion: 300 "
        "training and 100 test images per class, drawn from the official files by "
        "``python -m skfashion.datasets._build_samples``.\n"
    )
    return _load(
        dataset,
        lambda subset, kind: _read_sample(dataset, subset, kind),
        descr_note=note,
        **kwargs,
    )


@validate_params(_FETCH_PARAMS, prefer_skip_nested_validation=True)
def fetch_mnist(
    *,
    data_home=None,
    subset="train",
    download_if_missing=True,
    base_url=None,
    return_X_y=False,
    as_frame=False,
    normalize=True,
):
    """Load the MNIST handwritten digits (classification, 10 classes).

    =================   ==============================
    Classes                                         10
    Samples total         70,000 (60,000 + 10,000 test)
    Dimensionality                  784 (28 x 28 pixels)
    Features              float32 in [0, 1] (or uint8)
    =================   ==============================

    The four original IDX files are read from ``data_home/mnist/`` and checked
    against the SHA-256 of their canonical content; missing files are
    downloaded once from the publishers' mirrors.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``mnist/``. None: ``SKFASHION_DATA``, else
        ``~/skfashion_data``. See :func:`get_data_home`.

    subset : {'train', 'test', 'all'}, default='train'
        The official split: 60,000 training images, 10,000 test images, or
        both (training first).

    download_if_missing : bool, default=True
        Download missing files instead of raising an ``OSError``.

    base_url : str or path-like, default=None
        URL of a folder that holds the four files (a university mirror, or
        ``file:///path/`` for a local copy), or that folder itself (a path
        or ``pathlib.Path``), tried instead of the publishers' mirrors.
        None: the ``SKFASHION_MIRROR`` environment variable (a URL or a
        plain folder), laid out like the data home (one subfolder per data
        set), if set.
        Whatever the source, a file is kept only if its decompressed content
        has the canonical SHA-256.

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        Return ``data`` as a pandas DataFrame and ``target`` as a Series, and
        fill ``frame`` with both.

    normalize : bool, default=True
        Pixels as float32 in [0, 1]; False keeps the original uint8 in
        [0, 255].

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, 784), ``target`` (n_samples,) int64 digits,
        ``images`` (n_samples, 28, 28), ``target_names`` (an array, ``'0'`` to ``'9'``),
        ``feature_names``, ``frame`` and ``DESCR``.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    load_mnist_sample : A 4,000-image sample that ships with the package.

    Examples
    --------
    >>> from skfashion.datasets import fetch_mnist
    >>> X, y = fetch_mnist(subset="test", return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (10000, 784)
    """
    return _fetch(
        MNIST,
        data_home,
        download_if_missing,
        base_url,
        subset=subset,
        return_X_y=return_X_y,
        as_frame=as_frame,
        normalize=normalize,
    )


@validate_params(_FETCH_PARAMS, prefer_skip_nested_validation=True)
def fetch_fashion_mnist(
    *,
    data_home=None,
    subset="train",
    download_if_missing=True,
    base_url=None,
    return_X_y=False,
    as_frame=False,
    normalize=True,
):
    """Load Fashion-MNIST, Zalando's article images (classification, 10 classes).

    =================   ==============================
    Classes                                         10
    Samples total         70,000 (60,000 + 10,000 test)
    Dimensionality                  784 (28 x 28 pixels)
    Features              float32 in [0, 1] (or uint8)
    =================   ==============================

    The four original IDX files are read from ``data_home/fashion-mnist/`` and
    checked against the SHA-256 of their canonical content; missing files are
    downloaded once from the publishers' mirror.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``fashion-mnist/``. None: ``SKFASHION_DATA``, else
        ``~/skfashion_data``. See :func:`get_data_home`.

    subset : {'train', 'test', 'all'}, default='train'
        The official split: 60,000 training images, 10,000 test images, or
        both (training first).

    download_if_missing : bool, default=True
        Download missing files instead of raising an ``OSError``.

    base_url : str or path-like, default=None
        URL of a folder that holds the four files (a university mirror, or
        ``file:///path/`` for a local copy), or that folder itself (a path
        or ``pathlib.Path``), tried instead of the publishers' mirrors.
        None: the ``SKFASHION_MIRROR`` environment variable (a URL or a
        plain folder), laid out like the data home (one subfolder per data
        set), if set.
        Whatever the source, a file is kept only if its decompressed content
        has the canonical SHA-256.

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        Return ``data`` as a pandas DataFrame and ``target`` as a Series, and
        fill ``frame`` with both.

    normalize : bool, default=True
        Pixels as float32 in [0, 1]; False keeps the original uint8 in
        [0, 255].

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, 784), ``target`` (n_samples,) int64 class codes,
        ``images`` (n_samples, 28, 28), ``target_names`` (an array,
        ``'T-shirt/top'``, ``'Trouser'``, ...), ``feature_names``, ``frame`` and
        ``DESCR``.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    load_fashion_mnist_sample : A 4,000-image sample that ships with the package.

    Examples
    --------
    >>> from skfashion.datasets import fetch_fashion_mnist
    >>> bunch = fetch_fashion_mnist(subset="all")  # doctest: +SKIP
    >>> bunch.data.shape, bunch.target_names[0]  # doctest: +SKIP
    ((70000, 784), 'T-shirt/top')
    """
    return _fetch(
        FASHION_MNIST,
        data_home,
        download_if_missing,
        base_url,
        subset=subset,
        return_X_y=return_X_y,
        as_frame=as_frame,
        normalize=normalize,
    )


@validate_params(_SAMPLE_PARAMS, prefer_skip_nested_validation=True)
def load_mnist_sample(
    *, subset="train", return_X_y=False, as_frame=False, normalize=True
):
    """Load the MNIST sample that ships with skfashion.

    A stratified subset of the official files: 300 images per digit from the
    training set (3,000) and 100 per digit from the test set (1,000), in their
    original order. No download and no data home are needed, which makes it
    the data of the examples, the doctests and the fast tests.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        3,000 training images, 1,000 test images, or both (training first).

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        Return pandas objects, as in :func:`fetch_mnist`.

    normalize : bool, default=True
        Pixels as float32 in [0, 1]; False keeps uint8.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The same fields as :func:`fetch_mnist`.

    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skfashion.datasets import load_mnist_sample
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> X.shape, X.dtype, X.max()
    ((3000, 784), dtype('float32'), np.float32(1.0))
    """
    return _sample(
        MNIST,
        subset=subset,
        return_X_y=return_X_y,
        as_frame=as_frame,
        normalize=normalize,
    )


@validate_params(_SAMPLE_PARAMS, prefer_skip_nested_validation=True)
def load_fashion_mnist_sample(
    *, subset="train", return_X_y=False, as_frame=False, normalize=True
):
    """Load the Fashion-MNIST sample that ships with skfashion.

    A stratified subset of the official files: 300 images per class from the
    training set (3,000) and 100 per class from the test set (1,000), in their
    original order. No download and no data home are needed.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        3,000 training images, 1,000 test images, or both (training first).

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        Return pandas objects, as in :func:`fetch_fashion_mnist`.

    normalize : bool, default=True
        Pixels as float32 in [0, 1]; False keeps uint8.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The same fields as :func:`fetch_fashion_mnist`.

    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> test = load_fashion_mnist_sample(subset="test")
    >>> test.data.shape, str(test.target_names[9])
    ((1000, 784), 'Ankle boot')
    >>> test.target_names[test.target[:3]]  # every label named at once
    array(['Shirt', 'Trouser', 'Sneaker'], dtype='<U11')
    """
    return _sample(
        FASHION_MNIST,
        subset=subset,
        return_X_y=return_X_y,
        as_frame=as_frame,
        normalize=normalize,
    )


_LOADERS = {
    "mnist": (fetch_mnist, load_mnist_sample),
    "fashion-mnist": (fetch_fashion_mnist, load_fashion_mnist_sample),
}


def load_dataset(name, *, sample=False, **kwargs):
    """A data set by name, full or its bundled sample: one switch for scripts.

    Parameters
    ----------
    name : {'mnist', 'fashion-mnist'}
        The data set.

    sample : bool, default=False
        The small sample bundled with skfashion (no download) instead of the
        full data set.

    **kwargs
        Passed on to :func:`fetch_mnist` / :func:`fetch_fashion_mnist`
        (``subset``, ``data_home``, ``download_if_missing``, ...) or to the
        sample's loader (``subset``, ``return_X_y``, ...).

    Returns
    -------
    data : Bunch or tuple
        What the loader returns.

    Examples
    --------
    >>> from skfashion.datasets import load_dataset
    >>> X, y = load_dataset("fashion-mnist", sample=True, return_X_y=True)
    >>> X.shape
    (3000, 784)
    """
    if name not in _LOADERS:
        raise ValueError(f"Unknown data set {name!r}; use one of {sorted(_LOADERS)}.")
    fetch, load_sample = _LOADERS[name]
    if sample:
        return load_sample(**kwargs)
    return fetch(**kwargs)
