"""What the scikit-learn faces of the networks share.

``BaseNeuralEstimator`` holds the training recipe and the fit's lifecycle:

- the data are validated, the skorch net built from the flat constructor
  parameters and trained reproducibly: ``random_state`` seeds torch inside
  ``torch.random.fork_rng`` (weight init, shuffling, dropout, noise; the
  caller's global generator is left as it was) and the validation split;
- torch runs on the threads that ``n_threads`` and the machine allow
  (``_runtime.ThreadPolicy``: one thread for small networks, else the cores
  other processes leave free, followed epoch by epoch);
- the arithmetic follows ``precision``: the training forward pass runs under
  bfloat16 autocast where the device computes bfloat16 natively ('auto'),
  and the optimizer is torch's fused one where there is one;
- a fit is all or nothing: every fitted attribute is computed first and set
  together at the end; whatever stops the fit (an error, a non-finite loss, a
  failing callback, Ctrl-C), the estimator is left exactly as it was;
- ``sample_weight`` weighs each sample's loss (a weight of 0 removes the
  sample, an integer weight repeats it); ``warm_start`` and ``partial_fit``
  go on from the fitted network and its optimizer state, on a copy of it, so
  that they are all or nothing too;
- a model no better than a trivial baseline warns with ``ConvergenceWarning``.
- the optimizer's own settings are routed as skorch spells them
  (``optimizer__momentum=0.9``; ``module__*`` for a user's module): stored
  unchanged from ``__init__``'s ``**kwargs``, returned by ``get_params`` (so
  ``clone`` and searches carry them), checked at fit against the torch
  class's signature, applied to a warm fit's optimizer, kept in model files;
- ``validation_fraction`` holds out a split that every epoch scores, with or
  without early stopping (None: 0.1 with early stopping, else no split).

The contract, bottom-up: a torch module in ``_modules.py`` returns the named
outputs it declares (``outputs``); a skorch net in ``_net.py`` trains it
(``get_loss`` reads those names) and runs inference through skorch's
``forward_iter``; an estimator class is a *face* (what the estimator does:
``BaseAutoencoder``, ``BaseVariationalAutoencoder``, ``BaseClassifier``)
combined with a *network family* (the layers' parameters, checks and modules:
``DenseNetwork`` in ``_dense.py``, ``ConvNetwork`` in ``_conv.py``, a
user's module in ``_module_family.py``) on this base, which keeps the
training recipe (optimizer, schedule, early stopping, precision, seeding,
threads) and the fit's lifecycle. Faces and families compose through one
written protocol, ``_family.NetworkFamily``: a face asks its family for the
module (``_autoencoder_module`` or ``_classifier_module``, with
``_family_kwargs``); this base asks it for the input's shape
(``_input_fitted``, ``_check_input_shape``), the checks of its layers
(``_check_fit_size``) and the augmentation of the training batches, and
knows none of its parameters. A new face works on every family and a new
family gives every face; an estimator class is then its ``__init__`` and its
docstring. The face's hooks are declared abstract below; nothing is
discovered by name.
"""

import abc
import copy
import dataclasses
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data
from skorch.callbacks import EarlyStopping, EpochScoring, LRScheduler, ProgressBar
from skorch.history import History
from skorch.utils import to_numpy

from ._compat import StrOptions, check_params
from ._net import FollowLoad, InMemoryDataset, TrainingInterrupted, ValidationSplit
from ._recipe import OPTIMIZERS, lr_scheduler
from ._routing import (
    _RUN_SETTINGS,
    ROUTED_PREFIXES,
    RoutedSettings,
    is_routed,
    plain_routed_value,
)
from ._runtime import Runtime, faster_precision, forward_work, seeded, torch_threads
from ._state import (
    ModelFileError,
    base_spec,
    check_fitted,
    check_module_state,
    check_optimizer_state,
    load_device,
    net_state,
)
from ._validation import (
    Number,
    _as_tensor_ready,
    as_rows,
    check_callbacks,
)

# Fitted attributes that scikit-learn's ``validate_data`` sets (and unsets).
_INPUT_ATTRIBUTES = {"n_features_in_", "feature_names_in_"}

# What a state holds beside parameters and fitted attributes: the output
# configuration (set_output) and the metadata requests (set_fit_request...).
_PRIVATE_STATE = {"_sklearn_output_config", "_metadata_request"}
_OUTPUTS = ("default", "pandas", "polars")


def _requests(estimator):
    """The estimator's own metadata requests: ``{method: {param: alias}}``."""
    serialized = estimator._metadata_request._serialize()
    return {
        method: {p: a for p, a in params.items()}
        for method, params in serialized.items()
        if params
    }


def _set_requests(estimator, requests):
    """Set the requests ``_requests`` gave, through the public set_*_request."""
    if type(requests) is not dict:
        raise ValueError("the metadata requests are not a dict")
    with config_context(enable_metadata_routing=True):
        for method, params in requests.items():
            setter = getattr(type(estimator), f"set_{method}_request", None)
            if setter is None or type(params) is not dict:
                raise ValueError(f"the metadata request {method!r:.40} is odd")
            for param, alias in params.items():
                if not (alias is None or isinstance(alias, (bool, str))):
                    raise ValueError(f"the metadata request {param!r:.40} is odd")
            getattr(estimator, f"set_{method}_request")(**params)


# A fit improving on the trivial baseline by less than this fraction of its loss
# learned nothing worth keeping: ConvergenceWarning.
_BASELINE_RTOL = 0.01


class BaseNeuralEstimator(RoutedSettings, BaseEstimator, metaclass=abc.ABCMeta):
    """Base of the estimators: the training recipe and the fit's lifecycle.

    Subclasses are a family (``_family.NetworkFamily``) mixed before a face:
    they store their parameters in ``__init__``, set ``_net_class`` and
    implement the abstract hooks: ``_validate_fit_data``,
    ``_module_and_kwargs`` and ``_fitted_after_training`` (``_net_kwargs``
    and ``_extra_callbacks`` are optional). Their ``fit`` calls ``_fit``.
    """

    # The training recipe's parameters; the faces and the families add theirs.
    _parameter_constraints: dict = {
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Number(Real, 0, None, closed="neither")],
        "weight_decay": [Number(Real, 0, None, closed="left")],
        "batch_size": [Number(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_epochs": [Number(Integral, 1, None, closed="left")],
        "lr_schedule": [StrOptions({"cosine", "step", "onecycle"}), None],
        "lr_step_size": [Number(Real, 0, 1, closed="right")],
        "lr_gamma": [Number(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Number(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Number(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "n_threads": [Number(Integral, 1, None, closed="left"), None],
        "device": [str, torch.device],
        "precision": [StrOptions({"auto", "float32", "bfloat16", "float64"})],
        "callbacks": [list, None],
        "verbose": ["verbose"],
    }

    _net_class = None  # the skorch net of _net.py that trains the module

    def _check_lr_schedulers(self):
        """A user's skorch ``LRScheduler`` and ``lr_schedule`` would both set
        the rate: refused, with the fix."""
        for entry in self.callbacks or []:
            callback = entry[1] if isinstance(entry, tuple) else entry
            is_scheduler = isinstance(callback, LRScheduler) or (
                isinstance(callback, type) and issubclass(callback, LRScheduler)
            )
            if is_scheduler and self.lr_schedule is not None:
                raise ValueError(
                    f"callbacks holds a skorch LRScheduler and lr_schedule="
                    f"{self.lr_schedule!r} schedules the learning rate too: set "
                    "lr_schedule=None to let yours alone set it (or drop yours)."
                )

    def _check_weighted_scoring(self):
        """With sample weights a batch's target carries them (a dict), which
        skorch's ``EpochScoring`` cannot read from its cache: refused, with
        the fix (without caching it reads the labels themselves)."""
        for entry in self.callbacks or []:
            callback = entry[1] if isinstance(entry, tuple) else entry
            if (
                isinstance(callback, EpochScoring)
                and callback.use_caching
                and callback.target_extractor is to_numpy
            ):
                raise ValueError(
                    f"EpochScoring({callback.scoring!r:.40}) with sample_weight: "
                    "its cached targets hold the weights too. Give it "
                    "use_caching=False (it then scores on the labels), or fit "
                    "without sample_weight."
                )

    # -- hooks of the subclasses ----------------------------------------------

    @abc.abstractmethod
    def _validate_fit_data(self, X, y, sample_weight, warm, classes, runtime):
        """Validate the training data: ``(X, y, sample_weight, fitted)``.

        ``X`` is a float array ready for torch (``_validate_X``), ``y`` the
        targets as the net takes them (None for an autoencoder),
        ``sample_weight`` as ``_validation.fit_weights`` returns them (rows of
        weight 0 removed), ``fitted`` a dict of the fitted attributes known before
        training (``classes_``, resolved options). ``warm``: the fit goes on
        from the fitted network, whose data it must match; ``classes``: the
        ``classes`` of a classifier's ``partial_fit``; ``runtime``: this
        fit's ``Runtime`` (the dtype of the data follows its precision).
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

    def _extra_callbacks(self, validation):
        """Scoring callbacks of the subclass, run before early stopping.

        ``validation``: whether this fit holds out a validation split.
        """
        return []

    # -- checks ---------------------------------------------------------------

    def _validate_X(self, X, reset=False, runtime=None):
        """Any numeric input, rows or images -> finite float rows for torch.

        ``runtime``: a fit's ``Runtime`` while fitting (a warm fit checks the
        input against the fitted one, ``reset=False``, but is a fit); None
        after, when the fitted ``runtime_`` holds. Its precision gives the
        dtype: float64 under 'float64', else float32.
        """
        fitting = runtime is not None
        runtime = runtime if fitting else self.runtime_
        shape = getattr(X, "shape", ())
        if not reset and len(shape) >= 3:
            self._check_input_shape(tuple(shape))
        X = validate_data(self, as_rows(X), reset=reset, dtype=runtime.data_dtype)
        if not fitting:
            self._warn_if_out_of_range(X)
        return _as_tensor_ready(X)

    def _apply_net(self, X, method="forward"):
        """``net_.apply`` on the threads that ``n_threads`` says now.

        ``n_threads`` is the one parameter that may change after a fit and
        still apply (``set_params(n_threads=2)``): it sets how many threads
        predictions share, never what they compute (a row's output does not
        depend on the threads).
        """
        n_threads = self.n_threads
        if n_threads is not None and (
            isinstance(n_threads, bool)
            or not isinstance(n_threads, Integral)
            or n_threads < 1
        ):
            raise ValueError(
                f"n_threads must be an int >= 1 or None, got {n_threads!r}: "
                "set_params(n_threads=None) to let the machine's load choose."
            )
        return self.net_.apply(X, method, n_threads=n_threads)

    def _warn_if_out_of_range(self, X):
        """Warn when ``X`` lies far outside the range the model was fitted on.

        Far: beyond the fitted range by more than its own width, as images in
        0..255 given to a model fitted on 0..1 are.
        """
        low, high = getattr(self, "input_range_", (None, None))
        if low is None or X.size == 0:
            return
        width = max(high - low, np.finfo(np.float32).tiny)
        x_low, x_high = float(X.min()), float(X.max())
        if x_low < low - width or x_high > high + width:
            warnings.warn(
                f"X has values in [{x_low:.4g}, {x_high:.4g}], far outside the "
                f"range {type(self).__name__} was fitted on, [{low:.4g}, "
                f"{high:.4g}]: its outputs mean little there. Scale X as the "
                "training data were (images in 0..255 to [0, 1]: X / 255).",
                UserWarning,
                stacklevel=3,
            )

    def _validation_fraction(self):
        """The fraction held out: ``validation_fraction``, else 0.1 with early
        stopping, else None (no split)."""
        if self.validation_fraction is not None:
            return self.validation_fraction
        return 0.1 if self.early_stopping else None

    def _validates(self, partial=False):
        """Whether this fit holds out a validation split (never partial_fit)."""
        return not partial and self._validation_fraction() is not None

    def _validation_split(self, seed, partial=False):
        if not self._validates(partial):
            return None
        return ValidationSplit(self._validation_fraction(), seed)

    def _n_train(self, n_samples, y=None):
        """How many samples train, after the validation hold-out."""
        if self._validates():
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

    def _lr_scheduler(self, partial=False):
        """This fit's learning-rate schedule (``_recipe.lr_scheduler``);
        ``partial_fit`` keeps ``learning_rate`` constant, as ``MLPClassifier``'s
        does."""
        if partial:
            return None
        return lr_scheduler(
            self.lr_schedule, self.max_epochs, self.lr_step_size, self.lr_gamma
        )

    def _callbacks(self, partial=False, threads=None):
        """The callbacks for this fit: threads, progress, schedule, early
        stopping, the user's.

        ``partial_fit`` has neither a schedule nor early stopping.
        ``threads``: the ``FollowLoad`` of this fit.
        """
        callbacks = [("threads", threads)] if threads is not None else []
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        scheduler = self._lr_scheduler(partial)
        if scheduler is not None:
            callbacks.append(("lr_scheduler", scheduler))
        # Scorers first: early stopping ends the epoch, and what comes after it
        # in the last epoch would not be recorded.
        callbacks.extend(self._extra_callbacks(self._validates(partial)))
        if self.early_stopping and not partial:
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
        # The user's own objects, as skorch uses them: a logger or a pruner
        # sees the fit (the estimator itself stays all or nothing).
        callbacks.extend(check_callbacks(self.callbacks))
        return callbacks

    def _seed(self, epochs_done):
        """The seed of a fit: from ``random_state`` and the epochs trained so far.

        A warm fit or a ``partial_fit`` call gets its own seed (a new order of
        the batches, new dropout masks), reproducibly for an int random_state.
        """
        random_state = check_random_state(self.random_state)
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        if epochs_done:
            seed = int(np.random.SeedSequence([seed, epochs_done]).generate_state(1)[0])
        return seed % np.iinfo(np.int32).max

    def _training_settings(self, fitted, runtime, partial, threads):
        """The net's settings of this fit, written once: a new net is built
        with them, a continued one (warm start, ``partial_fit``) gets them
        set, a restored one (``__setstate__``) is built with them."""
        return dict(
            batch_size=fitted["batch_size_"],
            max_epochs=1 if partial else self.max_epochs,
            train_split=self._validation_split(runtime.seed, partial),
            callbacks=self._callbacks(partial, threads),
            runtime=runtime,
            augment=self._augmentation(fitted),
            verbose=self.verbose,
            **self._net_kwargs(fitted),
        )

    def _new_net(self, module, module_kwargs, fitted, runtime, partial, threads):
        settings, _ = self._optimizer_settings(runtime)
        return self._net_class(
            module,
            **{f"module__{k}": v for k, v in module_kwargs.items()},
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.learning_rate,
            optimizer__weight_decay=self.weight_decay,
            **{f"optimizer__{k}": v for k, v in settings.items()},
            device=runtime.device,
            **self._training_settings(fitted, runtime, partial, threads),
        )

    def _continued_net(self, module, module_kwargs, fitted, runtime, partial, threads):
        """A copy of the fitted net, set up to go on training with this fit's
        recipe (epochs, schedule, learning rate, batch size, callbacks).

        The network and the optimizer must be the ones fitted: a warm fit that
        would need another architecture is a ``ValueError``.
        """
        net = self.net_
        before = net.get_params_for("module")
        changed = [
            f"{k}: {before.get(k)!r} -> {module_kwargs.get(k)!r}"
            for k in sorted(set(before) | set(module_kwargs))
            if np.any(
                np.asarray(before.get(k), dtype=object)
                != np.asarray(module_kwargs.get(k), dtype=object)
            )
        ]
        if net.module is not module or changed:
            raise ValueError(
                f"warm_start=True and partial_fit go on training the fitted "
                f"network, but this fit needs another ({', '.join(changed)}). "
                "Fit with warm_start=False to start anew."
            )
        if type(net.optimizer_) is not OPTIMIZERS[self.optimizer]:
            raise ValueError(
                f"warm_start=True and partial_fit go on with the fitted optimizer "
                f"({type(net.optimizer_).__name__}), not optimizer="
                f"{self.optimizer!r}. Fit with warm_start=False to change it."
            )
        fitted_runtime = self.runtime_
        if str(torch.device(fitted_runtime.device)) != str(
            torch.device(runtime.device)
        ):
            raise ValueError(
                f"warm_start=True and partial_fit go on on the fitted device "
                f"({fitted_runtime.device}), not {runtime.device!r}. Fit with "
                "warm_start=False, or set device to the fitted one."
            )
        if fitted_runtime.weight_dtype != runtime.weight_dtype:
            raise ValueError(
                f"The network was fitted with precision="
                f"{fitted_runtime.precision!r}; a warm fit cannot switch to "
                f"{runtime.precision!r} (float64 weights or not). Fit with "
                "warm_start=False."
            )
        # This fit's optimizer__ settings (or torch's defaults for those no
        # longer given) apply to the fitted optimizer; how it runs (fused
        # kernels) stays the fitted one's.
        _, settings = self._optimizer_settings(runtime)
        for group in net.optimizer_.param_groups:
            for key in _RUN_SETTINGS:
                if key in settings and group.get(key) != settings[key]:
                    raise ValueError(
                        f"warm_start=True and partial_fit go on with the fitted "
                        f"optimizer, run with {key}={group.get(key)!r}, not "
                        f"{settings[key]!r}. Fit with warm_start=False to change "
                        f"it, or drop optimizer__{key}."
                    )
        # A copy: the fitted estimator stays as it was if this fit stops.
        net = copy.deepcopy(net)
        for group in net.optimizer_.param_groups:
            for key, value in settings.items():
                if key not in (*_RUN_SETTINGS, "lr", "initial_lr", "params"):
                    group[key] = value
            # The schedule starts again from learning_rate (see _lr_scheduler).
            group["lr"] = group["initial_lr"] = self.learning_rate
            group["weight_decay"] = self.weight_decay
        # This fit's settings; the module and the optimizer (with its state)
        # stay the fitted ones. The callbacks are initialised anew below.
        for key, value in self._training_settings(
            fitted, runtime, partial, threads
        ).items():
            setattr(net, key, value)
        net.initialize_callbacks()
        return net

    def _train_net(self, X, y, sample_weight, fitted, warm, partial):
        """Build the skorch net (or continue the fitted one) and train it.

        Ctrl-C is a KeyboardInterrupt.
        """
        runtime = fitted["runtime_"]
        module, module_kwargs = self._module_and_kwargs(X, fitted)
        # The multiply-adds of a training step set how many threads pay.
        work_per_sample = forward_work(module, module_kwargs, X.shape[1])
        policy = runtime.thread_policy(work_per_sample * fitted["batch_size_"])
        if self.precision == "auto" and runtime.precision == "bfloat16" and not warm:
            # The device could gain from bfloat16: whether this network does.
            batch = min(fitted["batch_size_"], len(X))
            precision, _ = faster_precision(
                module, module_kwargs, X.shape[1], batch, runtime.device, policy.cap
            )
            runtime = dataclasses.replace(runtime, precision=precision)
            fitted.update(runtime_=runtime, precision_=precision)
        threads = policy.threads()
        follow = FollowLoad(policy)
        build = self._continued_net if warm else self._new_net
        net = build(module, module_kwargs, fitted, runtime, partial, follow)
        net.work_per_sample = work_per_sample
        data = X if sample_weight is None else InMemoryDataset(X, y, sample_weight)
        try:
            with seeded(runtime.seed, runtime.device), torch_threads(threads):
                if warm:
                    net.partial_fit(data, y, epochs=net.max_epochs)
                else:
                    net.fit(data, y)
        except TrainingInterrupted as exc:
            raise KeyboardInterrupt(
                f"{type(self).__name__}.fit interrupted in epoch "
                f"{len(net.history)}; the estimator is left as it was before fit."
            ) from exc.__cause__
        return net

    def _restored_net(self, fitted, saved):
        """The fitted net rebuilt from fitted attributes and a saved net state.

        For ``__setstate__`` (pickle, skops, ``skfashion.io.load``): the net a
        fit with these parameters built (module, optimizer, recipe). The
        module is first built on torch's meta device (no memory) and the
        saved tensors compared with it, name by name, shape and dtype; only
        then is it materialised and the states loaded. The optimizer's state
        is compared with the fresh optimizer's. ``saved``: ``net_state``'s
        dict; anything else is a ``ModelFileError``.
        """
        cls = type(self).__name__
        runtime = fitted["runtime_"]
        X = np.empty((0, fitted["n_features_in_"]), dtype=runtime.data_dtype)
        module, module_kwargs = self._module_and_kwargs(X, fitted)
        keys = set(saved) if type(saved) is dict else set()
        if not {"module", "optimizer"} <= keys <= {"module", "optimizer", "work"}:
            raise ModelFileError(f"The saved {cls} holds no network state.")
        try:
            with torch.device("meta"):
                skeleton = module(**module_kwargs)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(
                f"The saved {cls}'s parameters make no network: {exc}"
            ) from exc
        module_state = check_module_state(
            cls, skeleton, saved["module"], runtime.weight_dtype
        )
        net = self._new_net(module, module_kwargs, fitted, runtime, False, None)
        with seeded(0, runtime.device):  # initial weights, overwritten below
            net.initialize()
        optimizer_state = check_optimizer_state(cls, net.optimizer_, saved["optimizer"])
        net.module_.load_state_dict(module_state)
        net.optimizer_.load_state_dict(optimizer_state)
        # The moments in the layout of their parameter (channels_last for the
        # conv weights): torch's fused CPU Adam reads them as flat memory.
        for param, state in net.optimizer_.state.items():
            for key, value in state.items():
                if torch.is_tensor(value) and value.shape == param.shape:
                    state[key] = torch.empty_like(param, dtype=value.dtype)
                    state[key].copy_(value)
        # The multiply-adds of a sample, as the fit counted them: they choose
        # only threads and chunk sizes, and counting them again costs
        # seconds on the first count in a process (torch's FlopCounterMode).
        work = saved.get("work")
        if work is None:
            work = forward_work(module, module_kwargs, X.shape[1])
        elif (
            isinstance(work, bool)
            or not isinstance(work, Real)
            or not (0 <= work < 1e18)
        ):
            raise ModelFileError(f"The saved {cls}'s network work is odd: refused.")
        net.work_per_sample = float(work)
        net.history = fitted["history_"]
        return net

    @staticmethod
    def _training_record(net, validation, first_epoch):
        """The fitted attributes that describe the run: history and curves.

        The history and the loss curve go back to the first fit of a warm
        start; ``best_validation_loss_`` is this fit's (from ``first_epoch``).
        """
        record = {
            "net_": net,
            "history_": net.history,
            "loss_curve_": [float(v) for v in net.history[:, "train_loss"]],
            "n_epochs_": len(net.history),
        }
        if validation:
            rows = [row for row in net.history if "valid_loss" in row]
            record["validation_loss_curve_"] = [float(r["valid_loss"]) for r in rows]
            record["best_validation_loss_"] = min(
                float(r["valid_loss"]) for r in net.history[first_epoch:]
            )
        return record

    # -- the fit's lifecycle ------------------------------------------------------

    def _fit(self, X, y=None, sample_weight=None, *, partial=False, classes=None):
        """Fit all or nothing; the estimator is changed only if the fit ends well.

        Every fitted attribute is computed first and set together at the end.
        Whatever stops the fit (an error, a non-finite loss, a failing
        callback, a ConvergenceWarning turned into an error, Ctrl-C), the
        estimator's attributes are put back as they were before the call
        (``validate_data`` sets ``n_features_in_`` early, so it is undone too).

        ``partial``: one epoch on a fitted network if there is one (else a
        new one), no schedule, no early stopping, no convergence warning: a
        step of ``partial_fit``. With ``warm_start`` a fit goes on from the
        fitted network too.
        """
        before = dict(vars(self))
        try:
            warm = hasattr(self, "net_") and (partial or self.warm_start)
            # Device, precision, threads and seed: resolved once, here.
            runtime = Runtime.resolve(self.device, self.precision, self.n_threads)
            runtime = runtime.with_seed(self._seed(self.n_epochs_ if warm else 0))
            if warm and self.precision == "auto":  # goes on as it was measured
                runtime = dataclasses.replace(runtime, precision=self.precision_)
            # The routed settings and the callbacks, before any data is read.
            self._check_routed()
            self._optimizer_settings(runtime)
            self._check_lr_schedulers()
            shape = getattr(X, "shape", ())  # arrays' (n, h, w) before flattening
            X, y, sample_weight, fitted = self._validate_fit_data(
                X, y, sample_weight, warm, classes, runtime
            )
            if sample_weight is not None:
                self._check_weighted_scoring()
            fitted["runtime_"] = runtime
            fitted["precision_"] = runtime.precision
            fitted.update(self._input_fitted(shape if len(shape) >= 3 else X.shape))
            low, high = float(X.min()), float(X.max())
            if partial and warm:  # the range of every chunk so far
                low = min(low, self.input_range_[0])
                high = max(high, self.input_range_[1])
            fitted["input_range_"] = (low, high)
            if warm:
                self._check_same_input(fitted)
            self._check_fit_size(len(X), y)
            if partial and warm:  # 'auto' was resolved on the first call
                fitted["batch_size_"] = self.batch_size_
            else:
                fitted["batch_size_"] = self._batch_size(
                    len(X) if partial else self._n_train(len(X), y)
                )
            first_epoch = self.n_epochs_ if warm else 0
            net = self._train_net(X, y, sample_weight, fitted, warm, partial)
            validation = self._validates(partial)
            fitted.update(self._training_record(net, validation, first_epoch))
            with warnings.catch_warnings():
                if partial:  # one pass on a chunk is not a finished model
                    warnings.simplefilter("ignore", ConvergenceWarning)
                fitted.update(self._fitted_after_training(net, X, y, fitted))
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise
        # Whole: what an earlier fit set and this one did not (a validation
        # curve, say) goes, as after a fresh fit.
        for name in set(before) - set(fitted) - _INPUT_ATTRIBUTES:
            if name.endswith("_") and not name.startswith("_"):
                vars(self).pop(name, None)
        vars(self).update(fitted)
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    # -- the state: plain data for pickle, skops and skfashion.io --------------

    def _fitted_spec(self):
        """``(required, optional)``: what this class's fit sets, as specs
        (``_state``) of each attribute's type, dtype, shape and range. The
        faces and families add theirs."""
        return base_spec()

    def _fitted_agree(self, fitted):
        """``[(name, ok)]``: how this class's fitted attributes agree with each
        other beyond their own specs (checked before the network is built)."""
        return []

    def __getstate__(self):
        """Parameters, fitted attributes and network as plain data.

        The network's and the optimizer's states as numpy arrays, the history
        as a list, the runtime as a dict, the metadata requests as a dict:
        what pickle, skops (without pickle inside) and ``skfashion.io``
        store. ``__setstate__`` checks it all and rebuilds the network.
        """
        state = dict(super().__getstate__())  # object's is vars(self) itself
        state.update(state.pop("_kwargs", {}))  # routed settings, by name
        if "net_" in state:
            state["net_"] = net_state(self.net_)
        if "history_" in state:
            state["history_"] = self.history_.to_list()
        if isinstance(state.get("runtime_"), Runtime):
            state["runtime_"] = dataclasses.asdict(self.runtime_)
            if "net_" in vars(self):  # where its tensors are
                state["runtime_"]["device"] = str(torch.device(self.net_.device))
        if "_metadata_request" in state:
            state["_metadata_request"] = _requests(self)
        return state

    def __setstate__(self, state):
        """Set exactly what ``__getstate__`` gave, after checking all of it.

        Parameters as ``fit`` checks them; each fitted attribute against
        ``_fitted_spec``; the network's tensors against a network built on
        the meta device. Anything else (an unknown key, a wrong type, a shape
        that does not match) is a ``ModelFileError`` naming it, and nothing
        is allocated from a declaration before it is checked. The network
        goes on the loader's device (``_state.load_device``).
        """
        cls = type(self).__name__
        if type(state) is not dict or not all(isinstance(k, str) for k in state):
            raise ModelFileError(f"A saved {cls} must be a dict of names.")
        state = dict(state)
        # scikit-learn adds its version to the states of its own classes only.
        if not isinstance(state.pop("_sklearn_version", ""), str):
            raise ModelFileError(f"The saved {cls}'s '_sklearn_version' is odd.")
        params = set(self._get_param_names())
        routed = {k: state.pop(k) for k in list(state) if k.startswith(ROUTED_PREFIXES)}
        for key, value in routed.items():
            if not is_routed(key) or not plain_routed_value(value):
                raise ModelFileError(
                    f"The saved {cls}'s routed setting {key!r:.60} is not a "
                    "name with plain data (None, bool, number, string, tuple of "
                    "numbers): refused."
                )
        fitted = {k: state.pop(k) for k in list(state) if k not in params}
        privates = {k: fitted.pop(k) for k in list(fitted) if k in _PRIVATE_STATE}
        missing = sorted(params - set(state))
        if missing:
            raise ModelFileError(
                f"The saved {cls} lacks its parameter {missing[0]!r}: refused."
            )
        fresh = type(self).__new__(type(self))
        vars(fresh).update(state)
        fresh._kwargs = routed
        try:
            check_params(fresh)
            config = privates.get("_sklearn_output_config", {})
            if type(config) is not dict or not all(
                k in ("transform", "fit_transform") and v in _OUTPUTS
                for k, v in config.items()
            ):
                raise ValueError(f"_sklearn_output_config is odd: {config!r:.80}")
            if config:
                vars(fresh)["_sklearn_output_config"] = dict(config)
            if "_metadata_request" in privates:
                _set_requests(fresh, privates["_metadata_request"])
        except (TypeError, ValueError, RuntimeError, AttributeError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"The saved {cls} is refused: {exc}") from exc
        if fitted:
            net = fitted.pop("net_", None)
            if net is None:
                raise ModelFileError(
                    f"The saved {cls} has fitted attributes but no network: refused."
                )
            required, optional = fresh._fitted_spec()
            check_fitted(fresh, fitted, required, optional)
            runtime = fitted["runtime_"]
            fitted["runtime_"] = Runtime(
                **{**runtime, "device": load_device(runtime["device"])}
            )
            fitted["history_"] = History(fitted["history_"])
            fitted["input_range_"] = tuple(float(v) for v in fitted["input_range_"])
            try:
                fitted["net_"] = fresh._restored_net(fitted, net)
            except ModelFileError:
                raise
            except (TypeError, ValueError, RuntimeError, KeyError) as exc:
                raise ModelFileError(
                    f"The saved {cls}'s network cannot be rebuilt: {exc}"
                ) from exc
            vars(fresh).update(fitted)
        vars(self).clear()
        vars(self).update(vars(fresh))

    def _check_same_input(self, fitted):
        """A warm fit takes data shaped like the fitted ones (an image shape)."""
        for name in self._input_fitted_names:
            old, new = getattr(self, name, None), fitted.get(name)
            if old is not None and new is not None and tuple(old) != tuple(new):
                raise ValueError(
                    f"warm_start=True and partial_fit go on training the fitted "
                    f"network, made for {name}={old}; these data give {new}. Fit "
                    "with warm_start=False to start anew."
                )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
