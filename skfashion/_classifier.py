"""The feed-forward classifier: the classifier face on the dense family."""

from ._classifier_face import BaseClassifier
from ._dense import DenseNetwork
from ._module_family import ModuleNetwork


class FeedForwardClassifier(ModuleNetwork, DenseNetwork, BaseClassifier):
    """A feed-forward neural network classifier, trained by skorch.

    Hidden layers of ``hidden_layer_sizes`` units (each optionally with batch
    normalisation and dropout) and a linear layer to one logit per class,
    trained with cross-entropy. Labels may be of any kind (strings, integers
    with gaps); they come back as given, through ``classes_``.

    The defaults are the stronger of the two classic course networks,
    784-512-256-128-10 with batch norm, dropout 0.3, weight decay 1e-4 and
    Adam at 1e-3 for 50 epochs, with the rate annealed over the run (cosine)
    and ``batch_size='auto'`` (128 from 12,800 samples on). How the defaults
    were chosen, with the figures: :doc:`/results` and
    ``benchmarks/README.md``.

    The course networks' schedule (x0.5 every 20 of 50 epochs) is
    ``lr_schedule='step', lr_step_size=0.4, lr_gamma=0.5``; the other course
    network, batch norm and dropout 0.2 without weight decay, is
    ``FeedForwardClassifier(dropout=0.2, weight_decay=0, lr_schedule=None,
    batch_size=128)``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(512, 256, 128)
        Widths of the hidden layers.

    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, \
            default='relu'
        Activation of the hidden layers.

    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop', 'adadelta', 'adagrad'}, \
            default='adam'
        The torch optimizer, with its default settings but for the learning rate
        and weight decay, and those given as skorch spells them,
        ``optimizer__<name>`` (``optimizer__momentum=0.9``,
        ``optimizer__betas=(0.8, 0.99)``): any parameter of the torch class
        but ``lr`` and ``weight_decay`` (``learning_rate``, ``weight_decay``),
        checked at fit. Where torch has a fused kernel for the device it is
        used, unless ``optimizer__fused=False``.

    learning_rate : float, default=1e-3
        Initial learning rate.

    weight_decay : float, default=1e-4
        L2 penalty (decoupled for 'adamw'), on all parameters.

    batch_size : int or 'auto', default='auto'
        Samples per gradient step. 'auto' is a hundredth of the training samples
        within [16, 128]: about 100 steps an epoch on small data.

    max_epochs : int, default=50
        Passes over the training data (fewer with early stopping).

    batch_norm : bool, default=True
        Batch normalisation after each hidden linear layer.

    dropout : float, default=0.3
        Dropout probability after each hidden layer, in training only.

    label_smoothing : float in [0, 1), default=0.0
        Mixes the one-hot training targets with the uniform distribution
        over the classes by this weight (``torch.nn.CrossEntropyLoss``'s).

    lr_schedule : {'cosine', 'step', 'onecycle'} or None, default='cosine'
        Learning-rate schedule, relative to the length of the run: 'cosine'
        anneals the rate from ``learning_rate`` towards 0 over ``max_epochs``;
        'step' multiplies it by ``lr_gamma`` after every ``lr_step_size``
        fraction of ``max_epochs``; 'onecycle' rises linearly from near 0 to
        ``learning_rate`` over the first fifth of the training steps, then
        falls linearly to near 0 at the last, set at every batch (the
        triangular schedule with which SGD trains at a high rate); None keeps
        it constant.

    lr_step_size : float in (0, 1], default=0.4
        Fraction of ``max_epochs`` between two steps of the 'step' schedule
        (0.25 of 20 epochs: a step every 5).

    lr_gamma : float, default=0.5
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

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplied into ``sample_weight``:
        a dict ``{label: weight}`` (others weigh 1), or 'balanced' (inversely
        proportional to the class frequencies in ``y``; not for
        ``partial_fit``, which sees part of the data).

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
        w)) and must offer what this estimator needs: ``forward(x)`` to logits
        (n, n_classes), and ``features(x)`` for :meth:`extract_features`. The
        built-in network's parameters then keep their defaults. Model files
        load it when named in ``skfashion.io.load(path, trusted=[...])``.

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
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    net_ : skorch.NeuralNet
        The trained skorch net; its torch module is ``net_.module_``.

    history_ : skorch.History
        Per-epoch records: ``train_loss``, ``train_acc`` (on the training
        batches as they were trained, dropout on), and with early stopping
        ``valid_loss`` and ``valid_acc``.

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

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are all strings.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's own, on NumPy.

    Examples
    --------
    >>> from skfashion import FeedForwardClassifier
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> clf = FeedForwardClassifier(max_epochs=3, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.predict_proba(X[:3]).shape
    ((3,), (3, 10))
    """

    _parameter_constraints: dict = {
        **BaseClassifier._parameter_constraints,
        **DenseNetwork._family_constraints,
        **ModuleNetwork._family_constraints,
    }

    def __init__(
        self,
        hidden_layer_sizes=(512, 256, 128),
        *,
        activation="relu",
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=1e-4,
        batch_size="auto",
        max_epochs=50,
        batch_norm=True,
        dropout=0.3,
        label_smoothing=0.0,
        lr_schedule="cosine",
        lr_step_size=0.4,
        lr_gamma=0.5,
        early_stopping=False,
        validation_fraction=None,
        n_iter_no_change=5,
        class_weight=None,
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
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.label_smoothing = label_smoothing
        self.lr_schedule = lr_schedule
        self.lr_step_size = lr_step_size
        self.lr_gamma = lr_gamma
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.n_threads = n_threads
        self.device = device
        self.precision = precision
        self.module = module
        self.callbacks = callbacks
        self.verbose = verbose
        self._set_routed(kwargs)
