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


@pytest.fixture(scope="session")
def sample_images():
    """The bundled Fashion-MNIST sample as images (n, 28, 28) and labels.

    Read-only: a test that changes them must copy them first.
    """
    from skfashion.datasets import load_fashion_mnist_sample

    data = load_fashion_mnist_sample()
    images, target = data.images, data.target
    images.setflags(write=False)
    target.setflags(write=False)
    return images, target
