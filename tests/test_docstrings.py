"""A shared parameter means one thing: its text is the same in every estimator."""

import pytest
from sklearn.utils._testing import assert_docstring_consistency

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    ConvVariationalAutoencoder,
    FeedForwardClassifier,
    VariationalAutoencoder,
)

pytest.importorskip("numpydoc")

ALL = [
    Autoencoder,
    VariationalAutoencoder,
    ConvAutoencoder,
    ConvVariationalAutoencoder,
    FeedForwardClassifier,
    ConvClassifier,
]
AUTOENCODERS = ALL[:4]
CONV = [ConvAutoencoder, ConvVariationalAutoencoder, ConvClassifier]

# The training recipe: every estimator's. Defaults differ, so types are not
# compared for those whose default does.
RECIPE = [
    "optimizer",
    "learning_rate",
    "weight_decay",
    "batch_size",
    "max_epochs",
    "lr_schedule",
    "lr_step_size",
    "lr_gamma",
    "early_stopping",
    "validation_fraction",
    "n_iter_no_change",
    "warm_start",
    "random_state",
    "n_threads",
    "device",
    "precision",
    "callbacks",
    "verbose",
]
DEFAULTS_DIFFER = ("learning_rate", "weight_decay", "max_epochs", "lr_step_size")


def test_the_training_recipe_reads_the_same_everywhere():
    assert_docstring_consistency(
        ALL,
        include_params=RECIPE,
        ignore_types=(*DEFAULTS_DIFFER, "lr_gamma"),
    )


def test_the_autoencoders_parameters_read_the_same_everywhere():
    assert_docstring_consistency(
        AUTOENCODERS,
        include_params=["n_components", "output_activation", "loss", "l1_activity"],
        ignore_types=("n_components", "loss"),
    )
    assert_docstring_consistency(AUTOENCODERS, include_params=["noise"])


def test_the_convolutional_parameters_read_the_same_everywhere():
    assert_docstring_consistency(
        CONV,
        include_params=[
            "channels",
            "image_shape",
            "kernel_size",
            "downsampling",
            "convs_per_block",
            "batch_norm",
            "random_shift",
            "random_flip",
        ],
    )


def test_the_classifiers_parameters_read_the_same_everywhere():
    assert_docstring_consistency(
        [FeedForwardClassifier, ConvClassifier],
        include_params=["label_smoothing", "class_weight"],
        # the same meaning, their own defaults (0.0 and 0.1)
        ignore_types=("label_smoothing",),
    )


def test_the_fitted_attributes_read_the_same_everywhere():
    assert_docstring_consistency(
        ALL,
        include_attrs=[
            "net_",
            "n_epochs_",
            "precision_",
            "runtime_",
            "input_range_",
            "n_features_in_",
            "feature_names_in_",
        ],
    )


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_each_documented_default_is_the_signatures(cls):
    # A default is named in the signature; the docstring's "default=" must
    # say the same, so that changing it cannot leave the docs behind.
    import ast
    import inspect

    from numpydoc.docscrape import ClassDoc

    signature = inspect.signature(cls.__init__).parameters
    for param in ClassDoc(cls)["Parameters"]:
        if "default=" not in param.type or param.name not in signature:
            continue
        documented = param.type.split("default=")[1].strip()
        try:
            documented = ast.literal_eval(documented)
        except (ValueError, SyntaxError):
            pass
        actual = signature[param.name].default
        assert documented == actual or documented == repr(actual), (
            f"{cls.__name__}.{param.name}: documented default={documented!r}, "
            f"signature {actual!r}"
        )
