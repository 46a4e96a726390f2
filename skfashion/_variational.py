"""The variational autoencoder, as a scikit-learn transformer.

The face of ``Autoencoder`` on the fully connected family, with a Gaussian
encoder (``VariationalAutoencoderModule``), the KL term of the ELBO in its
net's loss (``AutoencoderNet`` reads the module's ``log_var`` output) and
``sample`` drawing from the prior.
"""

from numbers import Real

from ._autoencoder import Autoencoder
from ._base import Number
from ._modules import VariationalAutoencoderModule


class VariationalAutoencoder(Autoencoder):
    """A variational autoencoder (VAE), as a scikit-learn transformer.

    The encoder outputs a Gaussian over codes, q(z | x) = N(mu(x),
    diag(sigma(x)^2)); training samples z from it with the reparameterisation
    trick and minimises the negative ELBO, the reconstruction loss plus ``beta``
    times the KL divergence from q(z | x) to the prior N(0, I). Both terms are
    taken per pixel (the KL divided by the number of features), so that with
    ``loss='bce'`` and ``beta=1`` this is the ELBO of a Bernoulli decoder. The
    prior is what makes new codes meaningful: :meth:`sample` decodes draws
    from N(0, I).

    The face is that of :class:`Autoencoder`: ``transform`` returns the
    posterior means mu(x), ``inverse_transform`` decodes codes, ``score`` is the
    negative mean squared reconstruction error of the posterior means (not the
    ELBO), so that a search ranks it beside plain autoencoders.

    The defaults (784-512-256-16, Adam 1e-3, 30 epochs, the rate annealed over
    the run and ``batch_size='auto'``) were chosen by the validation ELBO on
    Fashion-MNIST with 1,000, 5,000 and 54,000 training images (see the
    README).

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(512, 256)
        Widths of the encoder's hidden layers; the decoder uses them reversed.

    n_components : int, default=16
        Size of the code.

    beta : float, default=1.0
        Weight of the KL term (a beta-VAE when it is not 1).

    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, \
            default='relu'
        Activation of the hidden layers.

    output_activation : {'auto', 'sigmoid', 'identity'}, default='auto'
        Activation of the decoder's output; 'auto' takes 'sigmoid' when the
        training data lie in [0, 1], 'identity' otherwise.

    loss : {'auto', 'bce', 'mse'}, default='auto'
        Reconstruction loss: 'bce' (a Bernoulli decoder, for pixels in
        [0, 1]) or 'mse' (a Gaussian one); 'auto' is 'bce' with a sigmoid
        output, 'mse' otherwise.

    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop', 'adadelta', 'adagrad'}, \
            default='adam'
        The torch optimizer.

    learning_rate : float, default=1e-3
        Initial learning rate.

    weight_decay : float, default=0.0
        L2 penalty on all parameters.

    batch_size : int or 'auto', default='auto'
        Samples per gradient step. 'auto' is a hundredth of the training
        samples within [16, 128]: about 100 steps an epoch on small data.

    max_epochs : int, default=30
        Passes over the training data.

    l1_activity : float, default=0.0
        Weight of an L1 penalty on the posterior means.

    noise : float, default=0.0
        Standard deviation of Gaussian noise added to the training inputs.

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

    lr_gamma : float, default=0.5
        Factor of the 'step' schedule.

    early_stopping : bool, default=False
        Stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs, keeping the best weights.

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
        Seeds the initialisation, shuffling, the code sampling in training,
        dropout, noise and the validation split.

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
        The trained skorch net.

    history_ : skorch.History
        Per-epoch and per-batch records of the training.

    loss_curve_ : list of float
        Training loss (the negative ELBO per pixel) of each epoch.

    n_epochs_ : int
        Epochs run.

    precision_ : {'float32', 'bfloat16', 'float64'}
        The precision the training ran in, with 'auto' resolved.

    code_mean_ : ndarray of shape (n_components,)
        Mean of the training posterior means.

    code_covariance_ : ndarray of shape (n_components, n_components)
        Their covariance.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are all strings.

    See Also
    --------
    Autoencoder : The deterministic autoencoder.

    Examples
    --------
    >>> from skfashion import VariationalAutoencoder
    >>> from skfashion.datasets import load_mnist_sample
    >>> X, _ = load_mnist_sample(return_X_y=True)
    >>> vae = VariationalAutoencoder(max_epochs=2, random_state=0).fit(X)
    >>> vae.sample(4, random_state=0).shape
    (4, 784)
    """

    _parameter_constraints: dict = {
        **Autoencoder._parameter_constraints,
        "beta": [Number(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(512, 256),
        n_components=16,
        *,
        beta=1.0,
        activation="relu",
        output_activation="auto",
        loss="auto",
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        batch_size="auto",
        max_epochs=30,
        l1_activity=0.0,
        noise=0.0,
        batch_norm=False,
        dropout=0.0,
        lr_schedule="cosine",
        lr_step_size=0.5,
        lr_gamma=0.5,
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
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            n_components=n_components,
            activation=activation,
            output_activation=output_activation,
            loss=loss,
            optimizer=optimizer,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_epochs=max_epochs,
            l1_activity=l1_activity,
            noise=noise,
            batch_norm=batch_norm,
            dropout=dropout,
            lr_schedule=lr_schedule,
            lr_step_size=lr_step_size,
            lr_gamma=lr_gamma,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            warm_start=warm_start,
            random_state=random_state,
            n_threads=n_threads,
            device=device,
            precision=precision,
            callbacks=callbacks,
            verbose=verbose,
        )
        self.beta = beta

    def _module_and_kwargs(self, X, fitted):
        _, kwargs = super()._module_and_kwargs(X, fitted)
        return VariationalAutoencoderModule, kwargs

    def _net_kwargs(self, fitted):
        return {**super()._net_kwargs(fitted), "beta": self.beta}

    def sample(self, n_samples=1, *, random_state=None, distribution="prior"):
        """Generate new data by decoding codes drawn from the prior N(0, I).

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.

        random_state : int, RandomState instance or None, default=None
            Seeds the draw of the codes.

        distribution : {'prior', 'standard', 'fitted'}, default='prior'
            'prior' (or its synonym 'standard', as in
            :meth:`Autoencoder.sample`) draws from N(0, I), the distribution
            the KL term pulls the codes towards; 'fitted' from the Gaussian
            fitted to the training posterior means.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), dtype float32
            Decoded samples.
        """
        if distribution not in ("prior", "standard", "fitted"):
            raise ValueError(
                "distribution must be 'prior', 'standard' or 'fitted', got "
                f"{distribution!r}."
            )
        return super().sample(
            n_samples,
            random_state=random_state,
            distribution="fitted" if distribution == "fitted" else "standard",
        )
