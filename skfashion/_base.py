"""What the scikit-learn faces of the networks share.

``BaseNeuralEstimator`` validates the data, builds the skorch net from the flat
constructor parameters, and fits it reproducibly: ``random_state`` seeds torch
inside ``torch.random.fork_rng`` (weight init, shuffling, dropout, noise; the
caller's global generator is left as it was) and the validation split, and
torch runs at most as many threads as there are cores for this process.
"""

import contextlib
import copy
import os
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data
from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar

from ._modules import ACTIVATIONS
from ._net import ValidationSplit

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta,
    "adagrad": torch.optim.Adagrad,
}


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


@contextlib.contextmanager
def training_context(seed, device):
    """Seed torch for one fit and cap its threads; restore both afterwards."""
    threads = torch.get_num_threads()
    devices = []
    if torch.device(device).type == "cuda":
        devices = [torch.device(device).index or 0]
    try:
        torch.set_num_threads(min(threads, available_cores()))
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)


def resolve_device(device):
    """'auto' -> 'cuda' when torch sees a GPU, else 'cpu'; other names checked."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except RuntimeError as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'."
        ) from exc
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but torch sees no GPU here; use device='auto' or 'cpu'."
        )
    return device


def _as_tensor_ready(X):
    """C-contiguous and writable, as torch.as_tensor wants, copying only if needed."""
    return np.require(X, requirements=["C", "W"])


class BaseNeuralEstimator(BaseEstimator):
    """Base of the estimators: parameters, data checks and the fit of ``net_``.

    Subclasses store their parameters in ``__init__`` and provide
    ``_net_class``, ``_module_and_kwargs`` and ``_net_kwargs``.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS) - {"identity"})],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_norm": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "lr_schedule": [StrOptions({"step"}), None],
        "lr_step_size": [Interval(Integral, 1, None, closed="left")],
        "lr_gamma": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str],
        "callbacks": [list, None],
        "verbose": ["verbose"],
    }

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and s >= 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must be positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return tuple(int(s) for s in sizes)

    def _validate_X(self, X, reset):
        """Any numeric 2-D input -> finite float32, C-contiguous, writable."""
        X = validate_data(self, X, reset=reset, dtype=np.float32)
        return _as_tensor_ready(X)

    def _check_fit_size(self, n_samples):
        if self.batch_norm and n_samples < 2:
            raise ValueError(
                f"batch_norm=True needs at least 2 samples to fit, got n_samples="
                f"{n_samples}. Use more samples or batch_norm=False."
            )

    def _callbacks(self):
        """The callbacks for this fit: progress, schedule, early stopping, user's."""
        callbacks = []
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        if self.lr_schedule == "step":
            callbacks.append(
                (
                    "lr_scheduler",
                    LRScheduler(
                        policy="StepLR",
                        step_size=self.lr_step_size,
                        gamma=self.lr_gamma,
                    ),
                )
            )
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

    def _extra_callbacks(self):
        return []

    def _fit_net(self, X, y=None):
        """Build and fit the skorch net on validated data; set the fitted attributes."""
        random_state = check_random_state(self.random_state)
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        device = resolve_device(self.device)
        module, module_kwargs = self._module_and_kwargs(X, y)
        net = self._net_class(
            module,
            **{f"module__{k}": v for k, v in module_kwargs.items()},
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.learning_rate,
            optimizer__weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            train_split=(
                ValidationSplit(self.validation_fraction, seed)
                if self.early_stopping
                else None
            ),
            callbacks=self._callbacks(),
            device=device,
            verbose=self.verbose,
            **self._net_kwargs(),
        )
        with training_context(seed, device):
            net.fit(X, y)
        self.net_ = net
        self.history_ = net.history
        self.loss_curve_ = [float(v) for v in net.history[:, "train_loss"]]
        self.n_epochs_ = len(net.history)
        if self.early_stopping:
            self.validation_loss_curve_ = [
                float(v) for v in net.history[:, "valid_loss"]
            ]
            self.best_validation_loss_ = min(self.validation_loss_curve_)
        return self

    def _net_kwargs(self):
        return {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
