"""The convolutional classifier: the classifier face on the conv family."""

from numbers import Integral

from ._classifier_face import BaseClassifier
from ._conv import ConvNetwork
from ._validation import Number


class ConvClassifier(ConvNetwork, BaseClassifier):
    """A convolutional neural network classifier, trained by skorch.

    Each row is viewed as an image (``image_shape``) and goes through
    convolutional blocks that halve it (``channels``, ``convs_per_block``
    convolutions each, with batch norm), then a hidden layer of
    ``dense_units`` (or, with ``dense_units=0``, the maps max-pooled to one
    value each) and a linear layer to one logit per class, trained with
    cross-entropy. The face is that of :class:`FeedForwardClassifier`:
    labels of any kind, ``predict``, ``predict_proba``, ``decision_function``,
    ``extract_features`` (the hidden layer, or the pooled maps). Rows
    (n, h * w) and image arrays (n, h, w) or (n, c, h, w), as
    ``fetch_*().images`` gives them, are both accepted.

    The defaults are two blocks of two 3 x 3 convolutions with batch norm
    and a 2 x 2 max-pooling, of 32 and 64 channels, 256 hidden units, dropout
    0.25, weight decay 1e-4 and label smoothing 0.1, trained 15 epochs with
    Adam at 1e-3, the rate annealed over the run (cosine) and
    ``batch_size='auto'``, without shifts or flips. How the defaults were
    chosen, with the figures: :doc:`/results` and ``benchmarks/README.md``.

    Parameters
    ----------
    channels : array-like of int or int, default=(32, 64)
        Channels of the blocks; each block halves the image (28 x 28 -> 14 x 14
        -> 7 x 7 with two). An autoencoder's decoder climbs them in reverse.

    image_shape : (height, width), (channels, height, width) or 'auto', \
            default='auto'
        The shape the rows are viewed in. 'auto' takes it from the training
        data: the shape of image arrays, a square one-channel image for rows
        of a square number of values (784 -> 28 x 28), else an image one
        pixel high. The shape used is ``image_shape_``.

    kernel_size : int, default=3
        Side of the convolution kernels (odd).

    downsampling : {'pool', 'stride', 'early-pool'}, default='pool'
        How a block halves the image: a 2 x 2 max-pooling after its convolutions
        ('pool'), stride 2 in its first convolution ('stride'), or a 2 x 2
        max-pooling right after its first convolution ('early-pool': the
        block's other convolutions run on the halved image, about half the
        multiply-adds of 'pool' with two convolutions a block).

    convs_per_block : int, default=2
        Convolutions in each block.

    dense_units : int, default=256
        Units of the hidden layer between the blocks and the logits; 0 for
        none: each of the last block's maps is max-pooled to one value
        (global max-pooling), and the logits are read from those.

    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, \
            default='relu'
        Activation after each convolution and of the hidden layer.

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

    max_epochs : int, default=15
        Passes over the training data (fewer with early stopping).

    batch_norm : bool, default=True
        Batch normalisation after each convolution.

    dropout : float, default=0.25
        Dropout probability after each block and around the hidden layer, in
        training only.

    random_shift : int, default=0
        Data augmentation: each training image is moved by up to this many
        pixels along each axis (its own random whole number; the pixels moved
        in are 0), anew every epoch. Training batches only, on the device,
        seeded by ``random_state``.

    random_flip : bool, default=False
        Data augmentation: each training image is mirrored left-right with
        probability 1/2 (clothes, not digits: a flag, never guessed from the
        data).

    label_smoothing : float in [0, 1), default=0.1
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

    image_shape_ : tuple of int
        The (channels, height, width) the rows were viewed in.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when they are all strings.

    See Also
    --------
    FeedForwardClassifier : The fully connected classifier.

    Examples
    --------
    >>> from skfashion import ConvClassifier
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> data = load_fashion_mnist_sample()
    >>> images, y = data.images[:300], data.target[:300]
    >>> clf = ConvClassifier((8, 16), max_epochs=1, random_state=0).fit(images, y)
    >>> clf.predict(images[:3]).shape, clf.predict_proba(images[:3]).shape
    ((3,), (3, 10))
    """

    _parameter_constraints: dict = {
        **BaseClassifier._parameter_constraints,
        **ConvNetwork._family_constraints,
        "dense_units": [Number(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        channels=(32, 64),
        *,
        image_shape="auto",
        kernel_size=3,
        downsampling="pool",
        convs_per_block=2,
        dense_units=256,
        activation="relu",
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=1e-4,
        batch_size="auto",
        max_epochs=15,
        batch_norm=True,
        dropout=0.25,
        random_shift=0,
        random_flip=False,
        label_smoothing=0.1,
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
        callbacks=None,
        verbose=0,
        **kwargs,
    ):
        self.channels = channels
        self.image_shape = image_shape
        self.kernel_size = kernel_size
        self.downsampling = downsampling
        self.convs_per_block = convs_per_block
        self.dense_units = dense_units
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.random_shift = random_shift
        self.random_flip = random_flip
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
        self.callbacks = callbacks
        self.verbose = verbose
        self._set_routed(kwargs)

    def _family_kwargs(self, X, fitted):
        return {
            **super()._family_kwargs(X, fitted),
            "dense_units": int(self.dense_units),
        }
