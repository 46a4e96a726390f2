"""The public estimator classes, for the code that must know them all.

Model files name their class and may name only these; skl2onnx gets a
converter for each. Read from the package's ``__all__``, so that a new
estimator is known everywhere once it is exported.
"""

from sklearn.base import BaseEstimator


def estimator_classes():
    """``{name: class}`` of skfashion's public estimators."""
    import skfashion  # at call time: the package imports the modules that call this

    public = (getattr(skfashion, name) for name in skfashion.__all__)
    return {
        cls.__name__: cls
        for cls in public
        if isinstance(cls, type) and issubclass(cls, BaseEstimator)
    }
