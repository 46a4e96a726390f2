"""What the scikit-learn faces of the networks share.

``BaseNeuralEstimator`` holds the training recipe and the fit's lifecycle:

- the data are validated, the skorch net built from the flat constructor
  parameters and trained reproducibly: ``random_state`` seeds torch inside
  ``torch.random.fork_rng`` (weight init, shuffling, dropout, noise; the
  caller's global generator is left as it was) and the validation split, and
  torch runs at most as many threads as there are cores for this process;
- the arithmetic follows ``precision``: the training forward pass runs under
  bfloat16 autocast where the device computes bfloat16 natively ('auto'),
  and the optimizer is torch's fused one where there is one;
- a fit is all or nothing: every fitted attribute is computed first and set
  together at the end; whatever stops the fit (an error, a non-finite loss, a
  failing callback, Ctrl-C), the estimator is left exactly as it was;
- a model no better than a trivial baseline warns with ``ConvergenceWarning``.

The contract, bottom-up: a torch module in ``_modules.py`` returns named
outputs; a skorch net in ``_net.py`` trains it (``get_loss`` reads those
names) and runs inference through skorch's ``forward_iter``; an estimator
class is a *face* (what the estimator does: ``BaseAutoencoder``,
``BaseClassifier``) combined with a *network family* (the layers' parameters
and checks: ``DenseNetwork`` in ``_dense.py``, ``ConvNetwork`` in ``_conv.py``)
on this base, which keeps the training recipe (optimizer, schedule, early
stopping, precision, seeding) and the fit's lifecycle. A new kind of network
is one module plus one small estimator class that names its parameters in
``__init__`` and implements ``_module_and_kwargs``; a new family adds its
mixin beside the two. The hooks are declared abstract below (or given a
default that does nothing); nothing is discovered by name.
"""

import abc
import contextlib
import copy
import math
import os
import threading
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data
from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar
from torch.optim.lr_scheduler import CosineAnnealingLR, MultiStepLR

from ._net import TrainingInterrupted, ValidationSplit

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta,
    "adagrad": torch.optim.Adagrad,
}

DEVICE_TYPES = ("cpu", "cuda", "mps")

# A fit improving on the trivial baseline by less than this fraction of its loss
# learned nothing worth keeping: ConvergenceWarning.
_BASELINE_RTOL = 0.01


class Number(Interval):
    """An ``Interval`` of ints or reals that refuses booleans.

    ``True`` is an ``int`` to Python, so scikit-learn's ``Interval`` takes
    ``batch_size=True`` as 1; a flag passed where a number belongs is a mistake.
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val)


def available_cores():
    """Cores this process may use: its CPU affinity, capped by OMP_NUM_THREADS.

    joblib's process workers and Dask's nannies set OMP_NUM_THREADS to their
    share of the machine, so that parallel fits do not oversubscribe it.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:
        cores = min(cores, int(omp))
    return cores


# torch's random generator and its thread count are process-wide. Fits in
# threads of one process (joblib's threading backend) would draw from the same
# generator and reset each other's thread count, so they take turns: each is
# then seeded and threaded as it would be alone. Processes (loky, Dask) run in
# parallel. Re-entrant, for a fit started from a callback of another.
_TRAINING_LOCK = threading.RLock()


@contextlib.contextmanager
def training_context(seed, device):
    """Seed torch for one fit and cap its threads; restore both afterwards."""
    devices = []
    if torch.device(device).type == "cuda":
        devices = [torch.device(device).index or 0]
    with _TRAINING_LOCK:
        threads = torch.get_num_threads()
        try:
            torch.set_num_threads(min(threads, available_cores()))
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                yield
        finally:
            torch.set_num_threads(threads)


def _mps_available():
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def resolve_device(device):
    """'auto' -> 'cuda' when torch sees a GPU, else 'cpu'; other devices checked.

    Accepts a string or a ``torch.device`` of type 'cpu', 'cuda' (with an index
    or not) or 'mps'; anything else, or a device torch cannot use here, is a
    ``ValueError``.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda' "
            "or 'mps'."
        ) from exc
    if resolved.type not in DEVICE_TYPES:
        raise ValueError(
            f"device={device!r} is not supported: skfashion trains on 'cpu', "
            "'cuda' or 'mps'; use device='auto' to take what is there."
        )
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} but torch sees no GPU here; use device='auto' "
                "or 'cpu'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} but torch sees {torch.cuda.device_count()} "
                "GPU(s); use device='cuda' or a smaller index."
            )
    if resolved.type == "mps" and not _mps_available():
        raise ValueError(
            f"device={device!r} but torch has no MPS (Apple GPU) backend here; "
            "use device='auto' or 'cpu'."
        )
    return str(resolved)


def native_bfloat16(device):
    """Whether ``device`` computes bfloat16 matrix products natively.

    A CPU with AMX tiles or AVX512-BF16 instructions (oneDNN then runs bfloat16
    products at two to four times the float32 rate), a CUDA GPU of compute
    capability 8.0 or more (Ampere on); not MPS, whose support varies.
    """
    device = torch.device(device)
    if device.type == "cpu":
        cpu = torch.cpu
        return bool(cpu._is_amx_tile_supported() or cpu._is_avx512_bf16_supported())
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device)[0] >= 8
    return False


def resolve_precision(precision, device):
    """'auto' -> 'bfloat16' where ``device`` computes it natively, else 'float32'."""
    if precision == "auto":
        return "bfloat16" if native_bfloat16(device) else "float32"
    return precision


def optimizer_kwargs(optimizer, device):
    """The optimizer's fused implementation, where torch has one for ``device``.

    One kernel updates every parameter instead of a loop of small ones: an
    epoch of the default autoencoder is about 15% faster on the CPU (see
    ``benchmarks/bench_speed.py``). Adam, AdamW, SGD and Adagrad have it on
    the CPU and CUDA; the others keep torch's default.
    """
    if torch.device(device).type not in ("cpu", "cuda"):
        return {}
    if optimizer in ("adam", "adamw", "sgd", "adagrad"):
        return {"fused": True}
    return {}


def _as_tensor_ready(X):
    """C-contiguous and writable, as torch.as_tensor wants, copying only if needed."""
    return np.require(X, requirements=["C", "W"])


def as_rows(X):
    """Image arrays (n, h, w) or (n, c, h, w) -> rows (n, c * h * w).

    ``fetch_*().images`` gives (n, 28, 28); the fully connected estimators take
    one row per sample, in C order, as ``X.reshape(len(X), -1)`` gives them.
    Anything that is not an array of three or more dimensions is returned as is.
    """
    if getattr(X, "ndim", 0) >= 3 and hasattr(X, "reshape"):
        return X.reshape(len(X), -1)
    return X


def check_n_samples(n_samples):
    """``n_samples`` of ``sample``: a positive int, else a clear ValueError."""
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, Integral):
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got n_samples={n_samples}.")
    return int(n_samples)


class BaseNeuralEstimator(BaseEstimator, metaclass=abc.ABCMeta):
    """Base of the estimators: the training recipe and the fit's lifecycle.

    Subclasses store their parameters in ``__init__``, set ``_net_class`` and
    implement the abstract hooks: ``_validate_fit_data``,
    ``_module_and_kwargs`` and ``_fitted_after_training`` (``_net_kwargs``,
    ``_extra_callbacks`` and ``_check_fit_size`` are optional). Their ``fit``
    calls ``_fit``.
    """

    # The training recipe's parameters; the faces and the families add theirs.
    _parameter_constraints: dict = {
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Number(Real, 0, None, closed="neither")],
        "weight_decay": [Number(Real, 0, None, closed="left")],
        "batch_size": [Number(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_epochs": [Number(Integral, 1, None, closed="left")],
        "lr_schedule": [StrOptions({"cosine", "step"}), None],
        "lr_step_size": [Number(Real, 0, 1, closed="right")],
        "lr_gamma": [Number(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Number(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Number(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "precision": [StrOptions({"auto", "float32", "bfloat16"})],
        "callbacks": [list, None],
        "verbose": ["verbose"],
    }

    _net_class = None  # the skorch net of _net.py that trains the module

    # -- hooks of the subclasses ----------------------------------------------

    @abc.abstractmethod
    def _validate_fit_data(self, X, y):
        """Validate the training data: ``(X, y, fitted)``.

        ``X`` is a float32 array ready for torch, ``y`` the targets as the net
        takes them (None for an autoencoder), ``fitted`` a dict of the fitted
        attributes known before training (``classes_``, resolved options).
        """

    @abc.abstractmethod
    def _module_and_kwargs(self, X, fitted):
        """The module class and its keyword arguments for data ``X``."""

    @abc.abstractmethod
    def _fitted_after_training(self, net, X, y, fitted):
        """The fitted attributes computed from the trained net.

        Also checks that the model beats its trivial baseline, with
        :meth:`_warn_if_no_better`.
        """

    def _net_kwargs(self, fitted):
        """Keyword arguments of the net beyond the shared recipe."""
        return {}

    def _input_fitted(self, shape):
        """Fitted attributes read from the training input's shape, before it is
        flattened into rows (an image shape, say); none by default."""
        return {}

    def _extra_callbacks(self):
        """Scoring callbacks of the subclass, run before early stopping."""
        return []

    # -- checks ---------------------------------------------------------------

    def _validate_X(self, X, reset):
        """Any numeric input, rows or images -> finite float32 rows for torch."""
        X = validate_data(self, as_rows(X), reset=reset, dtype=np.float32)
        return _as_tensor_ready(X)

    def _validation_split(self, seed):
        if not self.early_stopping:
            return None
        return ValidationSplit(self.validation_fraction, seed)

    def _n_train(self, n_samples, y=None):
        """How many samples train, after early stopping's hold-out."""
        if self.early_stopping:
            return n_samples - self._validation_split(0).n_valid(n_samples, y)
        return n_samples

    def _batch_size(self, n_train):
        """``batch_size``, with 'auto' resolved for ``n_train`` training samples.

        'auto' is n_train / 100 within [16, 128]: about 100 steps an epoch on
        small data (a few thousand samples would otherwise get ten), batches of
        128 from 12,800 samples on.
        """
        if self.batch_size == "auto":
            return int(min(128, max(16, n_train // 100)))
        return int(self.batch_size)

    def _check_fit_size(self, n_samples, y=None):
        """Hook: refuse, with the fix, data the network cannot train on.

        Called before training with the number of samples (and the targets).
        The families check their layers here (batch norm, image shapes).
        """

    def _check_batch_norm_fit(self, n_samples, y=None):
        """Batch norm needs two samples in every training batch."""
        if not self.batch_norm:
            return
        if self.batch_size != "auto" and self.batch_size < 2:
            raise ValueError(
                f"batch_norm=True needs batch_size >= 2 (the statistics of a batch "
                f"of one sample are undefined), got batch_size={self.batch_size}. "
                "Use a larger batch_size or batch_norm=False."
            )
        n_train = self._n_train(n_samples, y)
        if n_train < 2:
            held_out = (
                f" after early_stopping holds out validation_fraction="
                f"{self.validation_fraction}"
                if self.early_stopping
                else ""
            )
            raise ValueError(
                f"batch_norm=True needs at least 2 training samples, and "
                f"n_samples={n_samples} leaves {max(n_train, 0)}{held_out}. Use "
                "more samples, batch_norm=False (any batch_size then works), or "
                "early_stopping=False."
            )

    def _warn_if_no_better(self, loss, baseline, what, baseline_what, fixes):
        """ConvergenceWarning when ``loss`` does not beat the trivial ``baseline``."""
        if loss < (1 - _BASELINE_RTOL) * baseline:
            return
        warnings.warn(
            f"{type(self).__name__} learned nothing: its {what} on the training "
            f"data, {loss:.4g}, is no better than {baseline_what}, {baseline:.4g}. "
            f"{fixes} (learning_rate={self.learning_rate:g}, "
            f"max_epochs={self.max_epochs}).",
            ConvergenceWarning,
            stacklevel=4,
        )

    # -- the net ----------------------------------------------------------------

    def _lr_scheduler(self):
        """The learning-rate schedule, relative to the length of the run.

        'cosine' anneals from ``learning_rate`` towards 0 over ``max_epochs``;
        'step' multiplies the rate by ``lr_gamma`` after every ``lr_step_size``
        fraction of ``max_epochs``. Both stretch with the run, whatever the
        number of epochs and the data size.
        """
        if self.lr_schedule == "cosine":
            return LRScheduler(policy=CosineAnnealingLR, T_max=self.max_epochs)
        if self.lr_schedule == "step":
            every = self.lr_step_size * self.max_epochs
            milestones = sorted(
                {
                    round(k * every)
                    for k in range(1, math.ceil(1 / self.lr_step_size) + 1)
                }
                & set(range(1, self.max_epochs))
            )
            return LRScheduler(
                policy=MultiStepLR, milestones=milestones, gamma=self.lr_gamma
            )
        return None

    def _callbacks(self):
        """The callbacks for this fit: progress, schedule, early stopping, user's."""
        callbacks = []
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        scheduler = self._lr_scheduler()
        if scheduler is not None:
            callbacks.append(("lr_scheduler", scheduler))
        # Scorers first: early stopping ends the epoch, and what comes after it
        # in the last epoch would not be recorded.
        callbacks.extend(self._extra_callbacks())
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        load_best=True,
                    ),
                )
            )
        # Copies, so that fitting never changes the estimator's parameters.
        callbacks.extend(copy.deepcopy(self.callbacks or []))
        return callbacks

    def _train_net(self, X, y, fitted):
        """Build the skorch net and train it; Ctrl-C is a KeyboardInterrupt."""
        random_state = check_random_state(self.random_state)
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        device = resolve_device(self.device)
        module, module_kwargs = self._module_and_kwargs(X, fitted)
        fused = optimizer_kwargs(self.optimizer, device)
        net = self._net_class(
            module,
            **{f"module__{k}": v for k, v in module_kwargs.items()},
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.learning_rate,
            optimizer__weight_decay=self.weight_decay,
            **{f"optimizer__{k}": v for k, v in fused.items()},
            batch_size=fitted["batch_size_"],
            max_epochs=self.max_epochs,
            train_split=self._validation_split(seed),
            callbacks=self._callbacks(),
            device=device,
            precision=fitted["precision_"],
            verbose=self.verbose,
            **self._net_kwargs(fitted),
        )
        try:
            with training_context(seed, device):
                net.fit(X, y)
        except TrainingInterrupted as exc:
            raise KeyboardInterrupt(
                f"{type(self).__name__}.fit interrupted in epoch "
                f"{len(net.history)}; the estimator is left as it was before fit."
            ) from exc.__cause__
        return net

    @staticmethod
    def _training_record(net, early_stopping):
        """The fitted attributes that describe the run: history and curves."""
        record = {
            "net_": net,
            "history_": net.history,
            "loss_curve_": [float(v) for v in net.history[:, "train_loss"]],
            "n_epochs_": len(net.history),
        }
        if early_stopping:
            curve = [float(v) for v in net.history[:, "valid_loss"]]
            record["validation_loss_curve_"] = curve
            record["best_validation_loss_"] = min(curve)
        return record

    # -- the fit's lifecycle ------------------------------------------------------

    def _fit(self, X, y=None):
        """Fit all or nothing; the estimator is changed only if the fit ends well.

        Every fitted attribute is computed first and set together at the end.
        Whatever stops the fit (an error, a non-finite loss, a failing
        callback, a ConvergenceWarning turned into an error, Ctrl-C), the
        estimator's attributes are put back as they were before the call
        (``validate_data`` sets ``n_features_in_`` early, so it is undone too).
        """
        before = dict(vars(self))
        try:
            shape = getattr(X, "shape", ())  # arrays' (n, h, w) before flattening
            X, y, fitted = self._validate_fit_data(X, y)
            fitted.update(self._input_fitted(shape if len(shape) >= 3 else X.shape))
            self._check_fit_size(len(X), y)
            fitted["batch_size_"] = self._batch_size(self._n_train(len(X), y))
            fitted["precision_"] = resolve_precision(
                self.precision, resolve_device(self.device)
            )
            net = self._train_net(X, y, fitted)
            fitted.update(self._training_record(net, self.early_stopping))
            fitted.update(self._fitted_after_training(net, X, y, fitted))
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise
        vars(self).update(fitted)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
