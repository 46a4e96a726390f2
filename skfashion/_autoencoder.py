"""The autoencoders' scikit-learn face, and the fully connected autoencoder.

``BaseAutoencoder`` is what every autoencoder does as a transformer (fit to
reconstruct, ``transform`` to codes, ``inverse_transform``, ``reconstruct``,
``score``, ``sample``), whatever its network; ``Autoencoder`` is that face on
the fully connected family (``DenseNetwork``). The variational and the
convolutional autoencoders live in modules of their own.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import BaseNeuralEstimator, Number, _as_tensor_ready, check_n_samples
from ._dense import DenseNetwork
from ._modules import AutoencoderModule
from ._net import AutoencoderNet, reconstruction_loss


class BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseNeuralEstimator
):
    """The transformer face of the autoencoders, whatever their network.

    A subclass names its parameters in ``__init__`` (``n_components``,
    ``output_activation``, ``loss``, ``l1_activity``, ``noise`` and the
    training recipe's, plus its family's) and builds its module in
    ``_module_and_kwargs``: a module with ``encode``, ``decode`` and a
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

    def _validate_fit_data(self, X, y, sample_weight, warm, classes):
        X = self._validate_X(X, reset=not warm, fitting=True)
        X, _, sample_weight = self._fit_weights(sample_weight, X)
        output, loss = self._resolve_output(X, warm)
        return X, None, sample_weight, {"output_activation_": output, "loss_": loss}

    def _net_kwargs(self, fitted):
        return dict(
            loss=fitted["loss_"], l1_activity=self.l1_activity, noise=self.noise
        )

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
        codes = codes.numpy()
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
        return self.net_.apply(X, "encode").numpy()

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
        codes = check_array(X, dtype=np.float32)
        if codes.shape[1] != self.n_components:
            raise ValueError(
                f"X has {codes.shape[1]} features, but inverse_transform expects "
                f"codes of n_components={self.n_components} features."
            )
        return self.net_.apply(_as_tensor_ready(codes), "decode").numpy()

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
        return self.net_.apply(X)["reconstruction"].numpy()

    def score(self, X, y=None):
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

        Returns
        -------
        score : float
            ``-mean((X - reconstruct(X)) ** 2)``.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        reconstruction = self.net_.apply(X)["reconstruction"].numpy()
        return -float(np.mean((X - reconstruction) ** 2, dtype=np.float64))

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
            codes = rng.multivariate_normal(
                self.code_mean_, self.code_covariance_, size=n_samples
            )
        else:
            codes = rng.standard_normal((n_samples, self.n_components))
        return self.inverse_transform(codes.astype(np.float32))

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


class Autoencoder(DenseNetwork, BaseAutoencoder):
    """A fully connected autoencoder, as a scikit-learn transformer.

    The encoder maps each image to a code of ``n_components`` numbers through
    the hidden layers ``hidden_layer_sizes``; the decoder mirrors it back to the
    image. ``fit`` trains both to reconstruct their input, ``transform`` returns
    the codes, ``inverse_transform`` decodes codes into images. Training runs
    on skorch (the net is kept as ``net_``) with whole-batch tensor slices.

    The defaults are 784-1024-64 trained 20 epochs with Adam at 2e-3, the
    rate annealed over the run (cosine) and ``batch_size='auto'`` (about 100
    steps an epoch on small data, 128 from 12,800 samples on). They were
    chosen on validation splits of Fashion-MNIST and MNIST with 1,000, 5,000
    and 54,000 training images (see the README): the schedule stretches with
    ``max_epochs``, so more epochs never train worse. With the default
    ``output_activation='auto'`` they work on any numeric data. The seeds'
    networks are reached by parameters alone (all Adam 1e-3, batches of 128,
    no schedule, sigmoid output, decoder mirrored):

    - 784-256-64, Fashion-MNIST, 20 epochs (test MSE 0.0066):
      ``Autoencoder((256,), 64, learning_rate=1e-3, lr_schedule=None,
      batch_size=128)``;
    - 784-512-256-128-64, Fashion-MNIST, 25 epochs (test MSE 0.009931):
      ``Autoencoder((512, 256, 128), 64, learning_rate=1e-3, lr_schedule=None,
      batch_size=128, max_epochs=25)``;
    - 784-144-64, MNIST, batch 64, 20 epochs (test MSE 0.003):
      ``Autoencoder((144,), 64, learning_rate=1e-3, lr_schedule=None,
      batch_size=64)``.

    A sparse autoencoder is ``l1_activity > 0``, a denoising one ``noise > 0``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(1024,)
        Widths of the encoder's hidden layers; the decoder uses them reversed.

    n_components : int, default=64
        Size of the code: the number of features ``transform`` returns.

    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, \
            default='relu'
        Activation of the hidden layers. The code itself is linear.

    output_activation : {'auto', 'sigmoid', 'identity'}, default='auto'
        Activation of the decoder's output. 'sigmoid' reconstructs values in
        [0, 1] and so needs input in [0, 1]; 'identity' reconstructs any
        value; 'auto' takes 'sigmoid' when the training data lie in [0, 1]
        (pixels) and 'identity' otherwise, so that the defaults work on any
        numeric data. The choice made is ``output_activation_``.

    loss : {'mse', 'bce', 'auto'}, default='mse'
        Reconstruction loss, averaged over samples and features: the mean
        squared error or the binary cross-entropy (which needs the sigmoid
        output and input in [0, 1]); 'auto' is 'bce' with a sigmoid output,
        'mse' otherwise. The choice made is ``loss_``.

    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop', 'adadelta', 'adagrad'}, \
            default='adam'
        The torch optimizer, with its default settings but for the learning
        rate and weight decay.

    learning_rate : float, default=2e-3
        Initial learning rate.

    weight_decay : float, default=0.0
        L2 penalty (decoupled for 'adamw'), on all parameters.

    batch_size : int or 'auto', default='auto'
        Samples per gradient step. 'auto' is a hundredth of the training
        samples within [16, 128]: about 100 steps an epoch on small data.

    max_epochs : int, default=20
        Passes over the training data (fewer with early stopping).

    l1_activity : float, default=0.0
        Weight of the L1 penalty on the code, ``l1_activity * mean_i |z_i|_1``:
        a sparse autoencoder.

    noise : float, default=0.0
        Standard deviation of Gaussian noise added to the training inputs (the
        loss still compares with the clean input): a denoising autoencoder.

    batch_norm : bool, default=False
        Batch normalisation after each hidden linear layer.

    dropout : float, default=0.0
        Dropout probability after each hidden layer, in training only.

    lr_schedule : {'cosine', 'step'} or None, default='cosine'
        Learning-rate schedule, relative to the length of the run: 'cosine'
        anneals the rate from ``learning_rate`` towards 0 over ``max_epochs``;
        'step' multiplies it by ``lr_gamma`` after every ``lr_step_size``
        fraction of ``max_epochs``; None keeps it constant.

    lr_step_size : float in (0, 1], default=0.5
        Fraction of ``max_epochs`` between two steps of the 'step' schedule
        (0.5 of 20 epochs: a step every 10).

    lr_gamma : float, default=0.3
        Factor of the 'step' schedule.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved for ``n_iter_no_change`` epochs; the best
        epoch's weights are kept. Without it, all the data is used to train.

    validation_fraction : float, default=0.1
        Held-out fraction when ``early_stopping`` is True.

    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.

    warm_start : bool, default=False
        When True, ``fit`` goes on from the fitted network's weights and
        optimizer state (the schedule starts again, for ``max_epochs`` more
        epochs), as in ``MLPClassifier``; the data must fit the network.
        ``partial_fit`` always goes on.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, the noise, dropout and
        the validation split. An int makes a CPU fit bit-for-bit repeatable.

    n_threads : int or None, default=None
        CPU threads of torch in this estimator's fits and predictions. None
        chooses: one thread for a small network, else as many as the cores
        that other processes leave free, looked at again every epoch, so
        that a busy machine slows a fit down instead of stalling it; never
        more than the cores this process may use (affinity, container quota,
        ``OMP_NUM_THREADS``) nor than ``torch.get_num_threads()``. An int
        fixes the count: a fit with an int ``random_state`` is then
        bit-for-bit repeatable whatever the machine's load.

    device : str or torch.device, default='auto'
        'auto' uses a GPU when torch sees one, else the CPU; or a device of
        type 'cpu', 'cuda' ('cuda:1') or 'mps'.

    precision : {'auto', 'float32', 'bfloat16', 'float64'}, default='auto'
        Arithmetic of the training forward pass. 'bfloat16' runs it under
        ``torch.autocast`` (matrix products in bfloat16; weights, loss and
        optimizer state in float32); 'auto' takes bfloat16 where the device
        computes it natively (a CPU with AMX or AVX512-BF16, a GPU of compute
        capability 8.0 or more), else float32. Predictions are float32.
        'float64' runs everything in float64, predictions too (slow; for
        numerical checks).

    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (instances or ``(name, callback)`` pairs), used
        as given, as skorch uses them: a logger or a pruner sees every fit.

    verbose : int, default=0
        0 prints nothing; 1 shows a progress bar and a table of epochs.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; its torch module is ``net_.module_``.

    history_ : skorch.History
        Per-epoch and per-batch records of the training (losses, durations).

    loss_curve_ : list of float
        Training loss of each epoch.

    validation_loss_curve_ : list of float
        Validation loss of each epoch; only with ``early_stopping``.

    best_validation_loss_ : float
        Lowest validation loss; only with ``early_stopping``.

    n_epochs_ : int
        Epochs run.

    precision_ : {'float32', 'bfloat16', 'float64'}
        The precision the training ran in, with 'auto' resolved.

    code_mean_ : ndarray of shape (n_components,)
        Mean of the training codes, used by :meth:`sample`.

    code_covariance_ : ndarray of shape (n_components, n_components)
        Covariance of the training codes, used by :meth:`sample`.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are all strings.

    See Also
    --------
    VariationalAutoencoder : The variational version, for sampling new images.
    sklearn.decomposition.PCA : The linear baseline.

    Examples
    --------
    >>> from skfashion import Autoencoder
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> ae = Autoencoder(n_components=16, max_epochs=2, random_state=0).fit(X)
    >>> ae.transform(X[:5]).shape
    (5, 16)
    >>> ae.inverse_transform(ae.transform(X[:5])).shape
    (5, 784)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **DenseNetwork._family_constraints,
    }

    def __init__(
        self,
        hidden_layer_sizes=(1024,),
        n_components=64,
        *,
        activation="relu",
        output_activation="auto",
        loss="mse",
        optimizer="adam",
        learning_rate=2e-3,
        weight_decay=0.0,
        batch_size="auto",
        max_epochs=20,
        l1_activity=0.0,
        noise=0.0,
        batch_norm=False,
        dropout=0.0,
        lr_schedule="cosine",
        lr_step_size=0.5,
        lr_gamma=0.3,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        warm_start=False,
        random_state=None,
        n_threads=None,
        device="auto",
        precision="auto",
        callbacks=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_components = n_components
        self.activation = activation
        self.output_activation = output_activation
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.l1_activity = l1_activity
        self.noise = noise
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.lr_schedule = lr_schedule
        self.lr_step_size = lr_step_size
        self.lr_gamma = lr_gamma
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.n_threads = n_threads
        self.device = device
        self.precision = precision
        self.callbacks = callbacks
        self.verbose = verbose

    def _module_and_kwargs(self, X, fitted):
        return AutoencoderModule, dict(
            n_features=X.shape[1],
            n_components=int(self.n_components),
            output_activation=fitted["output_activation_"],
            **self._dense_kwargs(),
        )
