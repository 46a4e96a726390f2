"""The autoencoders' scikit-learn face, whatever their network.

``BaseAutoencoder`` is what every autoencoder does as a transformer (fit to
reconstruct, ``transform`` to codes, ``inverse_transform``, ``reconstruct``,
``score``, ``sample``). ``Autoencoder`` is this face on the fully connected
family, ``ConvAutoencoder`` on the convolutional one, each in its own module.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import BaseNeuralEstimator
from ._compat import StrOptions, _check_sample_weight, _fit_context
from ._net import AutoencoderNet, reconstruction_loss
from ._state import array, one_of
from ._validation import Number, _as_tensor_ready, check_n_samples, fit_weights


class BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseNeuralEstimator
):
    """The transformer face of the autoencoders, whatever their network.

    A subclass names its parameters in ``__init__`` (``n_components``,
    ``output_activation``, ``loss``, ``l1_activity``, ``noise`` and the
    training recipe's, plus its family's); its family (``DenseNetwork``,
    ``ConvNetwork``) gives the module, with ``encode``, ``decode`` and a
    ``forward`` that returns an ``AutoencoderOutput``.
    """

    _parameter_constraints: dict = {
        **BaseNeuralEstimator._parameter_constraints,
        "n_components": [Number(Integral, 1, None, closed="left")],
        "output_activation": [StrOptions({"auto", "sigmoid", "identity"})],
        "loss": [StrOptions({"auto", "mse", "bce"})],
        "l1_activity": [Number(Real, 0, None, closed="left")],
        "noise": [Number(Real, 0, None, closed="left")],
    }
    _net_class = AutoencoderNet
    _code = "linear"  # the code head of the module (_modules.CODES)

    def _module_and_kwargs(self, X, fitted):
        """The family's autoencoder module with this face's code."""
        return self._autoencoder_module, dict(
            n_components=int(self.n_components),
            output_activation=fitted["output_activation_"],
            code=self._code,
            **self._family_kwargs(X, fitted),
        )

    # -- fitting ------------------------------------------------------------

    def _resolve_output(self, X, warm=False):
        """The output activation and loss this fit uses, checked against X's range.

        'auto' output: sigmoid when the training data lie in [0, 1] (pixels),
        identity otherwise, so that the defaults work on any numeric data as
        PCA's do. 'auto' loss: the binary cross-entropy with a sigmoid output,
        the squared error otherwise. Explicit choices that cannot reconstruct
        the data are refused with the fix.
        """
        low, high = float(X.min()), float(X.max())
        in_unit = low >= 0 and high <= 1
        output = self.output_activation
        if warm:  # the fitted network's output, whatever these data are
            output = self.output_activation_
            if self.output_activation not in ("auto", output):
                raise ValueError(
                    "warm_start=True and partial_fit go on training the fitted "
                    "network, but this fit needs another (output_activation: "
                    f"{output!r} -> {self.output_activation!r}). Fit with "
                    "warm_start=False to start anew."
                )
        elif output == "auto":
            output = "sigmoid" if in_unit else "identity"
        loss = self.loss
        if loss == "auto":
            loss = "bce" if output == "sigmoid" else "mse"
        if loss == "bce" and self.output_activation == "identity":
            raise ValueError(
                "loss='bce' needs output_activation='sigmoid' or 'auto' (the binary "
                "cross-entropy compares values in [0, 1])."
            )
        if warm and output == "sigmoid" and not in_unit:
            raise ValueError(
                f"X has values in [{low:g}, {high:g}], but the fitted network "
                "reconstructs values in [0, 1] (its output is a sigmoid: the data "
                "of the first fit were in [0, 1]). Scale these data the same way, "
                "or fit anew with warm_start=False and output_activation="
                "'identity'."
            )
        if (output == "sigmoid" or loss == "bce") and not in_unit:
            raise ValueError(
                f"X has values in [{low:g}, {high:g}], but with output_activation="
                f"'{self.output_activation}' and loss='{self.loss}' the network "
                "reconstructs values in [0, 1]. Scale the data to [0, 1] (for "
                "images, X / 255; else sklearn.preprocessing.MinMaxScaler), or "
                "use output_activation='identity' (or 'auto') with loss='mse'."
            )
        return output, loss

    def _validate_fit_data(self, X, y, sample_weight, warm, classes, runtime):
        X = self._validate_X(X, reset=not warm, runtime=runtime)
        X, _, sample_weight = fit_weights(sample_weight, X)
        output, loss = self._resolve_output(X, warm)
        return X, None, sample_weight, {"output_activation_": output, "loss_": loss}

    def _net_kwargs(self, fitted):
        return dict(
            loss=fitted["loss_"], l1_activity=self.l1_activity, noise=self.noise
        )

    def _fitted_spec(self):
        required, optional = super()._fitted_spec()
        required = {
            **required,
            "output_activation_": one_of("sigmoid", "identity"),
            "loss_": one_of("mse", "bce"),
            "code_mean_": array("f", 1),
            "code_covariance_": array("f", 2),
        }
        return required, optional

    def _fitted_agree(self, fitted):
        n = self.n_components
        return [
            *super()._fitted_agree(fitted),
            ("code_mean_", fitted["code_mean_"].shape == (n,)),
            ("code_covariance_", fitted["code_covariance_"].shape == (n, n)),
        ]

    def _fitted_after_training(self, net, X, y, fitted):
        # One pass over the training data gives both the check that the
        # network beats the mean image and the codes' Gaussian for ``sample``.
        outputs = net.apply(X)
        reconstruction, codes = outputs["reconstruction"], outputs["code"]
        X64 = torch.as_tensor(X, dtype=torch.float64)
        loss = fitted["loss_"]
        error = reconstruction_loss(reconstruction.double(), X64, loss)
        baseline = reconstruction_loss(X64.mean(0).expand_as(X64), X64, loss)
        self._warn_if_no_better(
            float(error),
            float(baseline),
            f"reconstruction error ({loss})",
            "that of the mean of the training data",
            "Lower learning_rate, train for more epochs, or scale the data",
        )
        return self._code_density(codes.numpy(), fitted)

    def _code_density(self, codes, fitted):
        """What ``sample`` draws from, fitted to the training codes.

        ``codes`` (n_samples, n_components) are ``transform``'s of the training
        data; the face returns the fitted attributes of their density (here
        their Gaussian). The variational face adds a mixture.
        """
        code_mean = codes.mean(axis=0)
        centered = codes - code_mean
        return {
            "code_mean_": code_mean,
            "code_covariance_": centered.T @ centered / max(len(codes) - 1, 1),
        }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder to reconstruct ``X``.

        The fit is all or nothing: if it stops (an error, Ctrl-C), the
        autoencoder is left as it was. A model no better than the mean of the
        training data warns with :class:`~sklearn.exceptions.ConvergenceWarning`.
        With ``warm_start=True``, a fitted autoencoder goes on training from
        its weights and optimizer state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data, cast to float32. Image arrays of shape (n, h, w) or
            (n, c, h, w), as ``fetch_*().images`` gives them, are flattened
            into rows.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (a weighted mean of their
            reconstruction errors); a weight of 0 leaves the sample out.

        Returns
        -------
        self : object
            The fitted autoencoder.
        """
        return self._fit(X, None, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """One pass over ``X``, going on from the fitted network if there is one.

        For data larger than memory: call it on chunks (of a ``numpy.memmap``,
        say), as many passes as needed. Each call trains one epoch at the
        constant ``learning_rate`` (no schedule, no early stopping), in
        batches of ``batch_size`` (``'auto'`` is resolved on the first call).
        The first call fixes the network, its output activation included: a
        sigmoid when the first chunk lies in [0, 1]. All or nothing, as
        ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            A chunk of training data.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The autoencoder, trained one more epoch.
        """
        return self._fit(X, None, sample_weight, partial=True)

    # -- the transformer ----------------------------------------------------

    def transform(self, X):
        """Encode ``X`` into codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components), dtype float32
            The codes; for a variational autoencoder, the posterior means.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._apply_net(X, "encode").numpy()

    def inverse_transform(self, X):
        """Decode codes into data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_decoded : ndarray of shape (n_samples, n_features), dtype float32
            The decoded data.
        """
        check_is_fitted(self)
        # Codes in the fitted network's precision (float64 under 'float64').
        codes = check_array(X, dtype=self.runtime_.data_dtype)
        if codes.shape[1] != self.code_mean_.shape[0]:
            raise ValueError(
                f"X has {codes.shape[1]} features, but inverse_transform expects "
                f"codes of {self.code_mean_.shape[0]} features, as transform "
                "gives them."
            )
        return self._apply_net(_as_tensor_ready(codes), "decode").numpy()

    def reconstruct(self, X):
        """Encode and decode ``X``: the network's reconstruction of it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to reconstruct.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features), dtype float32
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._apply_net(X)["reconstruction"].numpy()

    def score(self, X, y=None, sample_weight=None):
        """Negative mean squared reconstruction error, averaged over all values.

        Higher is better, so that a search such as
        :class:`~sklearn.model_selection.GridSearchCV` can rank autoencoders
        without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to reconstruct.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
            ``-mean((X - reconstruct(X)) ** 2)``, the mean over the samples
            weighted by ``sample_weight``.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        reconstruction = self._apply_net(X)["reconstruction"].numpy()
        errors = np.mean((X - reconstruction) ** 2, axis=1, dtype=np.float64)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        return -float(np.average(errors, weights=sample_weight))

    def sample(self, n_samples=1, *, random_state=None, distribution="fitted"):
        """Generate new data by decoding random codes.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.

        random_state : int, RandomState instance or None, default=None
            Seeds the draw of the codes.

        distribution : {'fitted', 'standard'}, default='fitted'
            'fitted' draws codes from the Gaussian fitted to the training
            codes (``code_mean_``, ``code_covariance_``); 'standard' from
            N(0, I), as the seeds did (an autoencoder's codes are not
            distributed so, hence their blurry samples).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), dtype float32
            Decoded samples.
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        if distribution not in ("fitted", "standard"):
            raise ValueError(
                f"distribution must be 'fitted' or 'standard', got {distribution!r}."
            )
        rng = check_random_state(random_state)
        if distribution == "fitted":
            # The codes' covariance is singular where codes are tied (more
            # codes than the network's narrowest layer, or a code unused):
            # numpy then finds it "not positive-semidefinite" by rounding and
            # warns; its draw (by SVD) is the same without the check.
            codes = rng.multivariate_normal(
                self.code_mean_,
                self.code_covariance_,
                size=n_samples,
                check_valid="ignore",
            )
        else:
            codes = rng.standard_normal((n_samples, self.code_mean_.shape[0]))
        return self.inverse_transform(codes)

    @property
    def _n_features_out(self):
        """Number of transformed features, for ``get_feature_names_out``."""
        return self.code_mean_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Codes come out in the network's precision, whatever the input's.
        double = self.precision == "float64"
        tags.transformer_tags.preserves_dtype = ["float64" if double else "float32"]
        return tags
