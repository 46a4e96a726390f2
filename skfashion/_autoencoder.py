"""The fully connected autoencoder: the autoencoder face on the dense family."""

from ._autoencoder_face import BaseAutoencoder
from ._dense import DenseNetwork
from ._module_family import ModuleNetwork


class Autoencoder(ModuleNetwork, DenseNetwork, BaseAutoencoder):
    """A fully connected autoencoder, as a scikit-learn transformer.

    The encoder maps each image to a code of ``n_components`` numbers through
    the hidden layers ``hidden_layer_sizes``; the decoder mirrors it back to the
    image. ``fit`` trains both to reconstruct their input, ``transform`` returns
    the codes, ``inverse_transform`` decodes codes into images. Training runs
    on skorch (the net is kept as ``net_``) with whole-batch tensor slices.

    The defaults are 784-1024-64 trained 20 epochs with Adam at 2e-3, the
    rate annealed over the run (cosine, stretching with ``max_epochs``) and
    ``batch_size='auto'`` (about 100 steps an epoch on small data, 128 from
    12,800 samples on). With the default ``output_activation='auto'`` they work
    on any numeric data. How the defaults were chosen, with the figures:
    :doc:`/results` and ``benchmarks/README.md``.

    The classic course networks are reached by parameters alone (all Adam 1e-3,
    batches of 128, no schedule, sigmoid output, decoder mirrored):

    - 784-256-64, Fashion-MNIST, 20 epochs:
      ``Autoencoder((256,), 64, learning_rate=1e-3, lr_schedule=None,
      batch_size=128)``;
    - 784-512-256-128-64, Fashion-MNIST, 25 epochs:
      ``Autoencoder((512, 256, 128), 64, learning_rate=1e-3, lr_schedule=None,
      batch_size=128, max_epochs=25)``;
    - 784-144-64, MNIST, batch 64, 20 epochs:
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
        Activation of the decoder's output. 'sigmoid' reconstructs values in [0,
        1] and so needs input in [0, 1]; 'identity' reconstructs any value;
        'auto' takes 'sigmoid' when the training data lie in [0, 1] (pixels) and
        'identity' otherwise, so that the defaults work on any numeric data. The
        choice made is ``output_activation_``.

    loss : {'mse', 'bce', 'auto'}, default='mse'
        Reconstruction loss, averaged over samples and features: the mean
        squared error or the binary cross-entropy (a Bernoulli decoder: it needs
        the sigmoid output and input in [0, 1]); 'auto' is 'bce' with a sigmoid
        output, 'mse' otherwise. The choice made is ``loss_``.

    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop', 'adadelta', 'adagrad'}, \
            default='adam'
        The torch optimizer, with its default settings but for the learning rate
        and weight decay, and those given as skorch spells them,
        ``optimizer__<name>`` (``optimizer__momentum=0.9``,
        ``optimizer__betas=(0.8, 0.99)``): any parameter of the torch class
        but ``lr`` and ``weight_decay`` (``learning_rate``, ``weight_decay``),
        checked at fit. Where torch has a fused kernel for the device it is
        used, unless ``optimizer__fused=False``.

    learning_rate : float, default=2e-3
        Initial learning rate.

    weight_decay : float, default=0.0
        L2 penalty (decoupled for 'adamw'), on all parameters.

    batch_size : int or 'auto', default='auto'
        Samples per gradient step. 'auto' is a hundredth of the training samples
        within [16, 128]: about 100 steps an epoch on small data.

    max_epochs : int, default=20
        Passes over the training data (fewer with early stopping).

    l1_activity : float, default=0.0
        Weight of an L1 penalty on the code (a variational code's mean),
        ``l1_activity * mean_i |z_i|_1``: a sparse autoencoder.

    noise : float, default=0.0
        Standard deviation of Gaussian noise added to the training inputs (the
        loss still compares with the clean input): a denoising autoencoder.

    batch_norm : bool, default=False
        Batch normalisation after each hidden linear layer.

    dropout : float, default=0.0
        Dropout probability after each hidden layer, in training only.

    lr_schedule : {'cosine', 'step', 'onecycle'} or None, default='cosine'
        Learning-rate schedule, relative to the length of the run: 'cosine'
        anneals the rate from ``learning_rate`` towards 0 over ``max_epochs``;
        'step' multiplies it by ``lr_gamma`` after every ``lr_step_size``
        fraction of ``max_epochs``; 'onecycle' rises linearly from near 0 to
        ``learning_rate`` over the first fifth of the training steps, then
        falls linearly to near 0 at the last, set at every batch (the
        triangular schedule with which SGD trains at a high rate); None keeps
        it constant.

    lr_step_size : float in (0, 1], default=0.5
        Fraction of ``max_epochs`` between two steps of the 'step' schedule
        (0.25 of 20 epochs: a step every 5).

    lr_gamma : float, default=0.3
        Factor of the 'step' schedule.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (0.1 if None;
        stratified for a classifier) and stop when its loss has not improved
        for ``n_iter_no_change`` epochs; the best epoch's weights are kept.
        Without it and without ``validation_fraction``, all the data is used
        to train.

    validation_fraction : float or None, default=None
        Fraction of the training data held out for validation (stratified for
        a classifier): every epoch then records ``valid_loss`` (and
        ``valid_acc`` for a classifier) in ``history_``, as Keras's
        ``validation_split`` does, and early stopping watches it. None holds
        out 0.1 with ``early_stopping`` and nothing without it.

    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.

    warm_start : bool, default=False
        When True, ``fit`` goes on from the fitted network's weights and
        optimizer state (the schedule starts again, for ``max_epochs`` more
        epochs), as in ``MLPClassifier``; the data must fit the network.
        ``partial_fit`` always goes on.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, the noise, dropout and
        variational codes drawn in training, and the validation split. An int
        makes a CPU fit bit-for-bit repeatable for a given precision, thread
        count and machine (see ``n_threads``).

    n_threads : int or None, default=None
        CPU threads of torch in this estimator's fits and predictions. None
        chooses: one thread for a small network, else as many as the cores
        that other processes leave free, looked at again every epoch, so
        that a busy machine slows a fit down instead of stalling it; never
        more than the cores this process may use (affinity, container quota,
        ``OMP_NUM_THREADS``) nor than ``torch.get_num_threads()``. An int
        fixes the count: a fit with an int ``random_state`` is then
        bit-for-bit repeatable whatever the machine's load. Set after a fit
        (``set_params(n_threads=2)``), it applies to the predictions that
        follow.

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

    module : torch.nn.Module class or None, default=None
        Your own network instead of the built-in one, as skorch's ``module``:
        the class, built at fit with its ``module__<name>`` settings and with
        what the fit knows that its ``__init__`` asks for by name
        (``n_features``, ``input_shape``, ``n_components``, ``n_classes``). It
        gets the input in the shape given to fit (rows (n, d), images (n, c, h,
        w)) and must offer what this estimator needs: ``encode(x)`` to codes
        (n, n_components) and ``decode(z)`` back to the input's shape, without
        a last activation (``output_activation`` is applied). The built-in
        network's parameters then keep their defaults. Model files load it when
        named in ``skfashion.io.load(path, trusted=[...])``.

    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (instances or ``(name, callback)`` pairs), used
        as given, as skorch uses them: a logger or a pruner sees every fit.

    verbose : int, default=0
        0 prints nothing; 1 shows a progress bar and a table of epochs.

    **kwargs
        Settings routed as skorch spells them, stored unchanged and returned by
        ``get_params``: ``optimizer__<name>`` (see ``optimizer``) and
        ``module__<name>`` (for a user's own module; the built-in networks
        take their settings as the flat parameters above).

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; its torch module is ``net_.module_``.

    history_ : skorch.History
        Per-epoch and per-batch records of the training (losses, durations).

    loss_curve_ : list of float
        Training loss of each epoch.

    validation_loss_curve_ : list of float
        Validation loss of each epoch; only with a validation split
        (``early_stopping`` or ``validation_fraction``).

    best_validation_loss_ : float
        Lowest validation loss; only with a validation split.

    n_epochs_ : int
        Epochs run.

    precision_ : {'float32', 'bfloat16', 'float64'}
        The precision the training ran in, with 'auto' resolved.

    runtime_ : Runtime
        What the fit resolved once and every method uses: ``device``,
        ``precision`` (and the dtypes it implies), ``n_threads`` and the
        ``seed`` of torch's generators.

    input_range_ : tuple of float
        The smallest and the largest value of the training data: data far
        outside this range warn at predict time (images in 0..255 given to a
        model fitted on [0, 1]).

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
        **ModuleNetwork._family_constraints,
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
        validation_fraction=None,
        n_iter_no_change=5,
        warm_start=False,
        random_state=None,
        n_threads=None,
        device="auto",
        precision="auto",
        module=None,
        callbacks=None,
        verbose=0,
        **kwargs,
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
        self.module = module
        self.callbacks = callbacks
        self.verbose = verbose
        self._set_routed(kwargs)
