"""The family protocol: what a face asks of a network family.

An estimator class is a family (the layers: ``DenseNetwork`` in
``_dense.py``, ``ConvNetwork`` in ``_conv.py``) mixed before a face (what it
does: ``BaseAutoencoder``, ``BaseVariationalAutoencoder``, ``BaseClassifier``)
on ``BaseNeuralEstimator`` (the recipe and the fit's lifecycle)::

    class ConvClassifier(ConvNetwork, BaseClassifier): ...

The faces and the base ask a family for exactly the members of
``NetworkFamily`` below, and nothing else: a family that implements them
gives every face, and the base knows none of a family's parameters.

========================  =====================================================
member                    what it gives
========================  =====================================================
``_family_constraints``   its parameters' constraints (merged into the
                          estimator's ``_parameter_constraints``)
``_autoencoder_module``   the torch module of the autoencoder faces: rows (n, d)
                          in; ``encode``, ``decode``, and a ``forward`` that
                          returns the named outputs it declares in ``outputs``
``_classifier_module``    the torch module of the classifier face: rows (n, d)
                          in, logits (n, c) out, ``features``
``_family_kwargs``        ``(X, fitted) -> dict``: the module's keyword
                          arguments for its layers (the face adds its own:
                          ``n_components``, ``n_classes``, ...)
``_input_fitted_names``   the fitted attributes that describe the input's
                          shape (``image_shape_``), checked again by a warm fit
``_input_fitted``         ``(shape) -> dict``: those attributes, from the
                          training input's shape, once per fit
``_check_input_shape``    ``(shape)``: refuse, with the fix, an array shaped
                          unlike the fitted input (every method but fit)
``_fitted_input_shape``   ``() -> tuple or None``: a sample's fitted shape,
                          (c, h, w) for images (what plots show), or None for
                          rows
``_check_fit_size``       ``(n_samples, y)``: refuse, with the fix, data its
                          layers cannot train on (batch norm on one sample)
``_augmentation``         ``(fitted) -> callable or None``: the transformation
                          of the training batches
========================  =====================================================
"""

import abc


class NetworkFamily(abc.ABC):
    """What a face asks of a network family (a mixin; see the module's table).

    The members a family has no use for keep the defaults here: no input
    shape beyond rows, no augmentation. Batch norm's need of two samples in
    every training batch is checked here for the families that have a
    ``batch_norm`` parameter.
    """

    _family_constraints: dict = {}

    # The modules, for each face.
    _autoencoder_module = None
    _classifier_module = None

    @abc.abstractmethod
    def _family_kwargs(self, X, fitted):
        """The module keyword arguments of the family's layers for data ``X``."""

    # -- the input's shape: one owner, resolved once per fit -------------------

    _input_fitted_names = ()

    def _input_fitted(self, shape):
        """Fitted attributes read from the training input's shape, before it
        is flattened into rows; none for a family that reads rows."""
        return {}

    def _check_input_shape(self, shape):
        """Refuse, with the fix, arrays shaped unlike the fitted input; any
        array of the fitted width is rows to a family that reads rows."""

    def _fitted_input_shape(self):
        """A sample's fitted shape as the family reads it, (c, h, w) for
        images; None for a family that reads rows."""
        return None

    # -- training ----------------------------------------------------------------

    def _augmentation(self, fitted):
        """The transformation of the training batches, or None (none here)."""
        return None

    def _check_fit_size(self, n_samples, y=None):
        """Refuse, with the fix, data the family's layers cannot train on."""
        self._check_batch_norm_fit(n_samples, y)

    def _check_batch_norm_fit(self, n_samples, y=None):
        """Batch norm needs two samples in every training batch."""
        if not getattr(self, "batch_norm", False):
            return
        if self.batch_size != "auto" and self.batch_size < 2:
            raise ValueError(
                f"batch_norm=True needs batch_size >= 2 (the statistics of a batch "
                f"of one sample are undefined), got batch_size={self.batch_size}. "
                "Use a larger batch_size or batch_norm=False."
            )
        n_train = self._n_train(n_samples, y)
        if n_train < 2:
            who = "early_stopping" if self.early_stopping else "the validation split"
            held_out = (
                f" after {who} holds out validation_fraction="
                f"{self._validation_fraction()}"
                if self._validates()
                else ""
            )
            raise ValueError(
                f"batch_norm=True needs at least 2 training samples, and "
                f"n_samples={n_samples} leaves {max(n_train, 0)}{held_out}. Use "
                "more samples, batch_norm=False (any batch_size then works), or "
                "early_stopping=False and validation_fraction=None."
            )
