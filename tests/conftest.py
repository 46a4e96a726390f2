import os

import pytest

from skfashion.datasets import get_data_home


def _full_data_available(name):
    folder = os.path.join(get_data_home(), name)
    return os.path.exists(os.path.join(folder, "t10k-labels-idx1-ubyte.gz"))


@pytest.fixture
def full_data_home():
    """The data home with the full data sets, or skip the test."""
    if not (_full_data_available("mnist") and _full_data_available("fashion-mnist")):
        pytest.skip("full data sets not found; set SKFASHION_DATA")
    return get_data_home()


def _read_only(bunch):
    for name in ("data", "target", "images"):
        getattr(bunch, name).setflags(write=False)
    return bunch


@pytest.fixture(scope="session")
def fashion_sample():
    """The bundled Fashion-MNIST sample: (train, test) Bunches, read-only.

    Loaded once for the whole session; a test that changes the arrays must
    copy them first.
    """
    from skfashion.datasets import load_fashion_mnist_sample

    return tuple(
        _read_only(load_fashion_mnist_sample(subset=s)) for s in ("train", "test")
    )


@pytest.fixture(scope="session")
def mnist_sample():
    """The bundled MNIST sample: (train, test) Bunches, read-only."""
    from skfashion.datasets import load_mnist_sample

    return tuple(_read_only(load_mnist_sample(subset=s)) for s in ("train", "test"))


@pytest.fixture(scope="session")
def sample_images(fashion_sample):
    """The Fashion-MNIST sample's training images (n, 28, 28) and labels."""
    train, _ = fashion_sample
    return train.images, train.target


def pytest_collection_modifyitems(config, items):
    """``few_epochs``: a fit short on purpose learns little, and says so with a
    ConvergenceWarning, which the test then ignores (setup.cfg makes it an
    error everywhere else)."""
    ignore = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
    for item in items:
        if item.get_closest_marker("few_epochs"):
            item.add_marker(ignore)
