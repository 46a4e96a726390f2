"""The classifiers' scikit-learn face, and the feed-forward classifier.

``BaseClassifier`` is what every classifier does (labels of any kind through
``classes_``, ``predict``, ``predict_proba``, ``decision_function``), whatever
its network; ``FeedForwardClassifier`` is that face on the fully connected
family (``DenseNetwork``), ``ConvClassifier`` on the convolutional one.
"""

from numbers import Integral

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from skorch.callbacks import EpochScoring
from skorch.utils import to_numpy

from ._base import BaseNeuralEstimator, Number, _as_tensor_ready, as_rows
from ._conv import ConvNetwork
from ._dense import DenseNetwork
from ._modules import ClassifierModule, ConvClassifierModule
from ._net import ClassifierNet, split_target


def _accuracy_of_logits(net, X, y):
    """Accuracy scorer for skorch's EpochScoring: argmax of the (cached) logits."""
    logits = net.forward(X)
    return float((logits.argmax(dim=1).numpy() == np.asarray(y)).mean())


def _labels(y):
    """The labels of a batch's targets (a dict with sample weights, or labels)."""
    return to_numpy(split_target(y)[0])


class BaseClassifier(ClassifierMixin, BaseNeuralEstimator):
    """The classifier face, whatever the network.

    A subclass names its parameters in ``__init__`` and builds its module in
    ``_module_and_kwargs``: a module whose ``forward`` returns the class
    logits (n, c) and whose ``features`` returns the last hidden layer.
    """

    _parameter_constraints: dict = {
        **BaseNeuralEstimator._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _net_class = ClassifierNet

    def _extra_callbacks(self, validation):
        scorings = [("train_acc", True)]
        if validation:
            scorings.append(("valid_acc", False))
        return [
            (
                name,
                EpochScoring(
                    _accuracy_of_logits,
                    lower_is_better=False,
                    on_train=on_train,
                    name=name,
                    use_caching=True,
                    target_extractor=_labels,
                ),
            )
            for name, on_train in scorings
        ]

    def _validate_fit_data(self, X, y, sample_weight, warm, classes):
        X, y = validate_data(
            self, as_rows(X), y, reset=not warm, dtype=self._input_dtype(True)
        )
        check_classification_targets(y)
        weights = sample_weight
        if self.class_weight is not None:
            if self.class_weight == "balanced" and (warm or classes is not None):
                raise ValueError(
                    "class_weight='balanced' weighs the classes by their "
                    "frequencies in the data of one fit; partial_fit and warm "
                    "fits see part of the data. Give the weights as a dict, e.g. "
                    "from sklearn.utils.class_weight.compute_class_weight on all "
                    "the labels."
                )
            weights = compute_sample_weight(self.class_weight, y)
            if sample_weight is not None:
                weights = weights * _check_sample_weight(sample_weight, X)
        X, y, weights = self._fit_weights(weights, X, y)
        if warm:
            known = self.classes_
        elif classes is not None:
            known = np.unique(classes)
        else:
            known = np.unique(y)
            if len(known) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes; "
                    f"got 1 class ({known[0]!r})"
                    + (" with a weight above 0." if sample_weight is not None else ".")
                )
        unknown = np.setdiff1d(np.unique(y), known)
        if len(unknown):
            where = (
                "the classes of the fitted classifier"
                if warm
                else "the classes given to partial_fit"
            )
            raise ValueError(
                f"y has labels {unknown.tolist()} that are not among {where}, "
                f"{known.tolist()}. Fit with warm_start=False (or pass every "
                "class in classes= on the first partial_fit call)."
            )
        y_encoded = np.searchsorted(known, y).astype(np.int64)
        return _as_tensor_ready(X), y_encoded, weights, {"classes_": known}

    def _fitted_after_training(self, net, X, y, fitted):
        # The trivial baseline predicts the class frequencies for every sample:
        # its cross-entropy is their entropy.
        logits = net.apply(X, "forward")
        loss = float(F.cross_entropy(logits.double(), torch.as_tensor(y)))
        frequencies = np.bincount(y) / len(y)
        frequencies = frequencies[frequencies > 0]
        baseline = float(-(frequencies * np.log(frequencies)).sum())
        self._warn_if_no_better(
            loss,
            baseline,
            "cross-entropy",
            "predicting the class frequencies",
            "Lower learning_rate, train for more epochs, or scale the data",
        )
        return {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the classifier.

        The fit is all or nothing: if it stops (an error, Ctrl-C), the
        classifier is left as it was. A model no better than predicting the
        class frequencies warns with
        :class:`~sklearn.exceptions.ConvergenceWarning`. With
        ``warm_start=True``, a fitted classifier goes on training from its
        weights and optimizer state (on labels among its ``classes_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data, cast to float32. Image arrays of shape (n, h, w) or
            (n, c, h, w), as ``fetch_*().images`` gives them, are flattened
            into rows.

        y : array-like of shape (n_samples,)
            Class labels, of any kind.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (a weighted mean of their
            cross-entropies), multiplied by ``class_weight``'s; a weight of 0
            leaves the sample out.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass over ``(X, y)``, going on from the fitted network if any.

        For data larger than memory: call it on chunks (of a ``numpy.memmap``,
        say), as many passes as needed. Each call trains one epoch at the
        constant ``learning_rate`` (no schedule, no early stopping), in
        batches of ``batch_size`` (``'auto'`` is resolved on the first call).
        All or nothing, as ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            A chunk of training data.

        y : array-like of shape (n_samples,)
            Its labels.

        classes : array-like of shape (n_classes,), default=None
            Every class of the whole data. Required on the first call (a chunk
            may lack some), ignored afterwards, as in scikit-learn.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The classifier, trained one more epoch.
        """
        if not hasattr(self, "net_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every "
                "class of the whole data, e.g. classes=np.unique(y_all)."
            )
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def _logits(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self.net_.apply(X, "forward").numpy().astype(np.float64)

    def decision_function(self, X):
        """The logits: one unnormalised score per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            The logits; for two classes, as scikit-learn's binary classifiers
            do, one score per sample (the second class's logit minus the
            first's), positive for ``classes_[1]``.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities, the softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), dtype float64
            Columns in the order of ``classes_``; rows sum to 1.
        """
        return softmax(self._logits(X), axis=1)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._logits(X)  # checks first that the model is fitted
        return self.classes_[logits.argmax(axis=1)]

    def extract_features(self, X):
        """The activations of the last hidden layer, in evaluation mode.

        A learned representation of the data: the feature space of the
        Frechet distance in :mod:`skfashion.metrics`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        features : ndarray of shape (n_samples, hidden_layer_sizes[-1])
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self.net_.apply(X, "features").numpy()


class FeedForwardClassifier(DenseNetwork, BaseClassifier):
    """A feed-forward neural network classifier, trained by skorch.

    Hidden layers of ``hidden_layer_sizes`` units (each optionally with batch
    normalisation and dropout) and a linear layer to one logit per class,
    trained with cross-entropy. Labels may be of any kind (strings, integers
    with gaps); they come back as given, through ``classes_``.

    The defaults are the strongest seed network, 784-512-256-128-10 with batch
    norm, dropout 0.3, weight decay 1e-4 and Adam at 1e-3 for 50 epochs, with
    the rate annealed over the run (cosine) and ``batch_size='auto'`` (128
    from 12,800 samples on): chosen on validation splits of Fashion-MNIST and
    MNIST with 1,000 to 54,000 training images (see the README). The seeds'
    schedule (x0.5 every 20 of 50 epochs) is ``lr_schedule='step',
    lr_step_size=0.4, lr_gamma=0.5``; the other seed, batch norm and dropout
    0.2 without weight decay, is ``FeedForwardClassifier(dropout=0.2,
    weight_decay=0, lr_schedule=None, batch_size=128)``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(512, 256, 128)
        Widths of the hidden layers.

    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, \
            default='relu'
        Activation of the hidden layers.

    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop', 'adadelta', 'adagrad'}, \
            default='adam'
        The torch optimizer, with its default settings but for the learning
        rate and weight decay.

    learning_rate : float, default=1e-3
        Initial learning rate.

    weight_decay : float, default=1e-4
        L2 penalty (decoupled for 'adamw'), on all parameters.

    batch_size : int or 'auto', default='auto'
        Samples per gradient step. 'auto' is a hundredth of the training
        samples within [16, 128]: about 100 steps an epoch on small data.

    max_epochs : int, default=50
        Passes over the training data (fewer with early stopping).

    batch_norm : bool, default=True
        Batch normalisation after each hidden linear layer.

    dropout : float, default=0.3
        Dropout probability after each hidden layer, in training only.

    lr_schedule : {'cosine', 'step'} or None, default='cosine'
        Learning-rate schedule, relative to the length of the run: 'cosine'
        anneals the rate from ``learning_rate`` towards 0 over ``max_epochs``;
        'step' multiplies it by ``lr_gamma`` after every ``lr_step_size``
        fraction of ``max_epochs``; None keeps it constant.

    lr_step_size : float in (0, 1], default=0.4
        Fraction of ``max_epochs`` between two steps of the 'step' schedule
        (0.4 of 20 epochs: a step every 8).

    lr_gamma : float, default=0.5
        Factor of the 'step' schedule.

    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data and
        stop when its loss has not improved for ``n_iter_no_change`` epochs;
        the best epoch's weights are kept. The validation accuracy is then
        recorded in ``history_`` as ``valid_acc``.

    validation_fraction : float, default=0.1
        Held-out fraction when ``early_stopping`` is True.

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
        Seeds the weight initialisation, the shuffling, dropout and the
        validation split. An int makes a CPU fit bit-for-bit repeatable.

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
        Validation loss of each epoch; only with ``early_stopping``.

    best_validation_loss_ : float
        Lowest validation loss; only with ``early_stopping``.

    n_epochs_ : int
        Epochs run.

    precision_ : {'float32', 'bfloat16', 'float64'}
        The precision the training ran in, with 'auto' resolved.

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
        lr_schedule="cosine",
        lr_step_size=0.4,
        lr_gamma=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        class_weight=None,
        warm_start=False,
        random_state=None,
        n_threads=None,
        device="auto",
        precision="auto",
        callbacks=None,
        verbose=0,
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

    def _module_and_kwargs(self, X, fitted):
        return ClassifierModule, dict(
            n_features=X.shape[1],
            n_classes=len(fitted["classes_"]),
            **self._dense_kwargs(),
        )


class ConvClassifier(ConvNetwork, BaseClassifier):
    """A convolutional neural network classifier, trained by skorch.

    Each row is viewed as an image (``image_shape``) and goes through
    convolutional blocks that halve it (``channels``, ``convs_per_block``
    convolutions each, with batch norm), then a hidden layer of
    ``dense_units`` and a linear layer to one logit per class, trained with
    cross-entropy. The face is that of :class:`FeedForwardClassifier`:
    labels of any kind, ``predict``, ``predict_proba``, ``decision_function``,
    ``extract_features`` (the hidden layer). Rows (n, h * w) and image arrays
    (n, h, w) or (n, c, h, w), as ``fetch_*().images`` gives them, are both
    accepted.

    The defaults (two blocks of two 3 x 3 convolutions, 32 and 64 channels,
    max-pooling, 256 hidden units, dropout 0.25, weight decay 1e-4, Adam at
    1e-3 for 15 epochs, the rate annealed over the run) are a first draft:
    they pass scikit-learn's checks and learn the bundled sample, but have
    not yet been chosen on validation splits of the full data sets.

    Parameters
    ----------
    channels : array-like of int or int, default=(32, 64)
        Channels of the blocks; each block halves the image (28 x 28 -> 14 x
        14 -> 7 x 7 with two).

    image_shape : (height, width), (channels, height, width) or 'auto', \
            default='auto'
        The shape the rows are viewed in. 'auto' takes it from the training
        data: the shape of image arrays, a square one-channel image for rows
        of a square number of values (784 -> 28 x 28), else an image one
        pixel high. The shape used is ``image_shape_``.

    kernel_size : int, default=3
        Side of the convolution kernels (odd).

    downsampling : {'pool', 'stride'}, default='pool'
        How a block halves the image: a 2 x 2 max-pooling after its
        convolutions ('pool'), or stride 2 in its first convolution ('stride').

    convs_per_block : int, default=2
        Convolutions in each block.

    dense_units : int, default=256
        Units of the hidden layer between the blocks and the logits.

    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, \
            default='relu'
        Activation after each convolution and of the hidden layer.

    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop', 'adadelta', 'adagrad'}, \
            default='adam'
        The torch optimizer, with its default settings but for the learning
        rate and weight decay.

    learning_rate : float, default=1e-3
        Initial learning rate.

    weight_decay : float, default=1e-4
        L2 penalty (decoupled for 'adamw'), on all parameters.

    batch_size : int or 'auto', default='auto'
        Samples per gradient step. 'auto' is a hundredth of the training
        samples within [16, 128]: about 100 steps an epoch on small data.

    max_epochs : int, default=15
        Passes over the training data (fewer with early stopping).

    batch_norm : bool, default=True
        Batch normalisation after each convolution.

    dropout : float, default=0.25
        Dropout probability after each block and around the hidden layer, in
        training only.

    lr_schedule : {'cosine', 'step'} or None, default='cosine'
        Learning-rate schedule, relative to the length of the run: 'cosine'
        anneals the rate from ``learning_rate`` towards 0 over ``max_epochs``;
        'step' multiplies it by ``lr_gamma`` after every ``lr_step_size``
        fraction of ``max_epochs``; None keeps it constant.

    lr_step_size : float in (0, 1], default=0.4
        Fraction of ``max_epochs`` between two steps of the 'step' schedule
        (0.4 of 20 epochs: a step every 8).

    lr_gamma : float, default=0.5
        Factor of the 'step' schedule.

    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data and
        stop when its loss has not improved for ``n_iter_no_change`` epochs;
        the best epoch's weights are kept. The validation accuracy is then
        recorded in ``history_`` as ``valid_acc``.

    validation_fraction : float, default=0.1
        Held-out fraction when ``early_stopping`` is True.

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
        Seeds the weight initialisation, the shuffling, dropout and the
        validation split. An int makes a CPU fit bit-for-bit repeatable.

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
        Validation loss of each epoch; only with ``early_stopping``.

    best_validation_loss_ : float
        Lowest validation loss; only with ``early_stopping``.

    n_epochs_ : int
        Epochs run.

    precision_ : {'float32', 'bfloat16', 'float64'}
        The precision the training ran in, with 'auto' resolved.

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
        "dense_units": [Number(Integral, 1, None, closed="left")],
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
        lr_schedule="cosine",
        lr_step_size=0.4,
        lr_gamma=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        class_weight=None,
        warm_start=False,
        random_state=None,
        n_threads=None,
        device="auto",
        precision="auto",
        callbacks=None,
        verbose=0,
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

    def _module_and_kwargs(self, X, fitted):
        return ConvClassifierModule, dict(
            n_classes=len(fitted["classes_"]),
            dense_units=int(self.dense_units),
            **self._conv_kwargs(fitted),
        )
