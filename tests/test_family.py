"""The family protocol: what a face asks of a network family, written once."""

import inspect

import pytest

from skfashion import _base
from skfashion._estimators import estimator_classes
from skfashion._family import NetworkFamily

PROTOCOL = [
    "_family_constraints",
    "_autoencoder_module",
    "_classifier_module",
    "_family_kwargs",
    "_input_fitted_names",
    "_input_fitted",
    "_check_input_shape",
    "_fitted_input_shape",
    "_check_fit_size",
    "_augmentation",
]


@pytest.mark.parametrize("cls", sorted(estimator_classes().values(), key=str))
def test_every_estimator_is_a_family_before_its_face(cls):
    assert issubclass(cls, NetworkFamily)
    mro = cls.__mro__
    # the family's members come before the face's and the base's
    assert mro.index(NetworkFamily) < mro.index(_base.BaseNeuralEstimator)
    for name in PROTOCOL:
        owner = next(k for k in mro if name in vars(k))
        assert issubclass(owner, NetworkFamily), (cls.__name__, name, owner)


def test_the_base_knows_no_family_parameter_nor_hook():
    source = inspect.getsource(_base)
    for family_param in ("batch_norm", "hidden_layer_sizes", "channels", "dropout"):
        assert f"self.{family_param}" not in source
    for name in PROTOCOL:
        assert name not in vars(_base.BaseNeuralEstimator), name


def test_the_protocol_table_names_every_member():
    import skfashion._family as family

    for name in PROTOCOL:
        assert f"``{name}``" in family.__doc__, name


def test_the_tests_registry_holds_every_public_estimator():
    from _registry import TINY, tiny

    assert set(TINY) == set(estimator_classes())
    for name in TINY:
        assert type(tiny(name)) is estimator_classes()[name]
