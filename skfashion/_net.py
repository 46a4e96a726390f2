"""The skorch engine: nets that train the modules of ``_modules.py``.

skorch's default data path builds a ``Dataset`` and a ``DataLoader`` that
fetches one sample at a time through ``__getitem__`` and collates the batch,
which costs about 40% of an epoch on these small fully connected models. Data
that fits in memory goes instead to the network as whole-batch slices of one
tensor: ``InMemoryDataset`` holds the tensors and ``InMemoryBatchIterator`` cuts
them.

The nets customise skorch through its documented hooks only: ``get_dataset``,
``infer`` (mixed precision, input noise), ``get_loss`` (reconstruction, code
penalty, KL, read from the module's named outputs), ``train_step`` (stop on a
non-finite loss), ``evaluation_step`` (inference in calls of the row counts
that ``_inference.probe`` verified, so that a row's output does not depend
on its batch) and ``fit_loop`` (let Ctrl-C
out: skorch's ``partial_fit`` swallows ``KeyboardInterrupt`` and returns a
half-trained net). skorch's own inference (``forward_iter``, ``predict``)
runs ``evaluation_step`` -> ``infer``; the estimators' inference is
``apply``, which runs ``forward`` through ``infer`` and the module's other
methods (``encode``, ``decode``, ``features``), named by the caller, directly,
in the same calls. No scikit-learn estimator API here: the estimators are the
faces.
"""

import contextlib
import dataclasses
import functools
import math
import re
import signal
import sys
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import Callback, PrintLog
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import unpack_data
from skorch.utils import to_numpy, to_tensor

from ._inference import max_rows_for, probe
from ._runtime import Runtime, inference_parts, run_in_threads, torch_threads


class TrainingInterrupted(BaseException):
    """Ctrl-C during ``fit_loop``, carried past skorch's ``except KeyboardInterrupt``.

    A ``BaseException`` that is not a ``KeyboardInterrupt``, so that skorch's
    ``partial_fit`` does not swallow it and ``except Exception`` (scikit-learn's
    ``error_score``) does not either; the estimators turn it back into the
    ``KeyboardInterrupt`` it came from.
    """


class _SigintWatch:
    interrupted = False


@contextlib.contextmanager
def sigint_watch():
    """Record whether SIGINT (Ctrl-C) arrives, without changing what it does.

    skorch's callbacks raise ``KeyboardInterrupt`` to end training early
    (``EarlyStopping`` does), so the exception alone does not say that the user
    pressed Ctrl-C. In the main thread, the handler in place is wrapped so that
    it also notes the signal; elsewhere no signal arrives (Python delivers them
    to the main thread only) and nothing is changed.
    """
    watch = _SigintWatch()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(
        previous
    ):
        yield watch
        return

    def handler(signum, frame):
        watch.interrupted = True
        previous(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield watch
    finally:
        signal.signal(signal.SIGINT, previous)


class FollowLoad(Callback):
    """Set torch's thread count from the machine's load as training goes.

    ``policy`` is the fit's ``ThreadPolicy``; when its count follows the load,
    it is looked at again ``FIRST_LOOK_SECONDS`` into training, then every
    ``FOLLOW_SECONDS``, at a batch's start. The count in force at each
    epoch's end is recorded in the history as ``threads``.
    """

    def __init__(self, policy):
        self.policy = policy

    def on_train_begin(self, net, **kwargs):
        # The first look again soon: the count at the start may rest on an
        # average over a long pause.
        self.next_look_ = time.monotonic() + min(FIRST_LOOK_SECONDS, FOLLOW_SECONDS)

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and self.policy.adaptive:
            now = time.monotonic()
            if now >= self.next_look_:
                self.next_look_ = now + FOLLOW_SECONDS
                threads = self.policy.threads()
                if threads != torch.get_num_threads():  # a change costs
                    torch.set_num_threads(threads)

    def on_epoch_end(self, net, **kwargs):
        net.history.record("threads", torch.get_num_threads())


class InMemoryDataset(SkorchDataset):
    """Inputs ``X`` (n, d), optional targets ``y`` (n,) and weights (n,), on the CPU.

    A skorch ``Dataset`` (its ``X`` and ``y`` are what skorch's
    ``data_from_dataset`` reads, so that ``EpochScoring`` without caching
    scores against the labels), indexed in whole batches.

    Indexing with an index tensor or a slice returns a whole batch at once:
    ``(X[index], target)``. The target is ``y[index]``; with
    ``target_is_input`` (an autoencoder's) it is the batch's inputs
    themselves, the same tensor (no copy), and ``y`` is ``X``. With sample
    weights it is a dict ``{"y": ..., "sample_weight": ...}``, which skorch
    hands to ``get_loss`` as ``y_true``.
    """

    def __init__(self, X, y=None, sample_weight=None, target_is_input=False):
        # (skorch's Dataset checks are not run: the nets give tensors.)
        self.X = torch.as_tensor(X)
        self.target_is_input = bool(target_is_input)
        if self.target_is_input:
            self.y = self.X
        else:
            self.y = None if y is None else torch.as_tensor(y)
        self.sample_weight = (
            None if sample_weight is None else torch.as_tensor(sample_weight)
        )

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        x = self.X[index]
        if self.target_is_input:
            y = x
        else:
            y = None if self.y is None else self.y[index]
        if self.sample_weight is None:
            return x, y
        target = {"sample_weight": self.sample_weight[index]}
        if y is not None:
            target["y"] = y
        return x, target

    def subset(self, index):
        """A new dataset holding the rows ``index`` (an array of positions)."""
        index = torch.as_tensor(np.asarray(index), dtype=torch.long)
        return InMemoryDataset(
            self.X[index],
            None if self.y is None or self.target_is_input else self.y[index],
            None if self.sample_weight is None else self.sample_weight[index],
            target_is_input=self.target_is_input,
        )


def split_target(y_true, device="cpu"):
    """``y_true`` of a batch -> (targets or None, sample weights or None).

    The sample weights are moved to ``device``; the targets are left as they
    come (skorch moves them where it needs them).
    """
    if isinstance(y_true, dict):
        return y_true.get("y"), to_tensor(y_true["sample_weight"], device=device)
    return y_true, None


def weighted_mean(per_sample, sample_weight):
    """The mean of a per-sample loss (n,), weighted by ``sample_weight`` (n,).

    The estimators scale the weights to a mean of 1 over the training data, so
    that a batch's mean of ``weight * loss`` is an unbiased estimate of the
    weighted mean loss, without dividing by a batch's own (possibly zero)
    total weight. On a single batch it is the weighted mean exactly, and
    integer weights are the same as repeating the samples.
    """
    if sample_weight is None:
        return per_sample.mean()
    return (per_sample * sample_weight.to(per_sample.dtype)).mean()


class InMemoryBatchIterator:
    """Iterate over an ``InMemoryDataset`` in batches of tensor slices.

    Takes the arguments skorch passes to a ``DataLoader`` (``batch_size``,
    ``shuffle``); the order of a shuffled epoch comes from torch's global
    generator, which the estimators seed. ``merge_singleton`` folds a last batch
    of one sample into the batch before it: batch norm cannot train on one
    sample.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, merge_singleton=False):
        if not isinstance(dataset, InMemoryDataset):
            raise TypeError(
                f"InMemoryBatchIterator needs an InMemoryDataset, got {type(dataset)}"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.merge_singleton = merge_singleton

    def _bounds(self):
        n, size = len(self.dataset), self.batch_size
        starts = list(range(0, n, size))
        if self.merge_singleton and len(starts) > 1 and n - starts[-1] == 1:
            starts.pop()
        return list(zip(starts, starts[1:] + [n]))

    def __len__(self):
        return len(self._bounds())

    def __iter__(self):
        order = torch.randperm(len(self.dataset)) if self.shuffle else None
        for start, stop in self._bounds():
            index = slice(start, stop) if order is None else order[start:stop]
            yield self.dataset[index]


class ValidationSplit:
    """Hold out a fraction of the training data for validation, reproducibly.

    A skorch ``train_split``: called with the dataset (and the targets), returns
    the training and validation ``InMemoryDataset``. With targets the split is
    stratified, as in scikit-learn's ``MLPClassifier``, and holds out at least
    one sample per class; when a class is too rare to stratify, the split is
    a plain random one.
    """

    def __init__(self, fraction, random_state):
        self.fraction = fraction
        self.random_state = random_state

    @staticmethod
    def _stratify(y, n_samples):
        """The labels to stratify on, or None when a class is too rare for it."""
        if y is None:
            return None
        y = np.asarray(y)
        classes, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2 and n_samples - len(classes) >= len(classes):
            return y
        return None

    def n_valid(self, n_samples, y=None):
        """How many of ``n_samples`` the split holds out (one per class at least)."""
        n_valid = math.ceil(self.fraction * n_samples)
        stratify = self._stratify(y, n_samples)
        if stratify is not None:
            n_valid = max(n_valid, len(np.unique(stratify)))
        return n_valid

    def __call__(self, dataset, y=None, **fit_params):
        from sklearn.model_selection import train_test_split

        n_samples = len(dataset)
        n_valid = self.n_valid(n_samples, y)
        if n_valid >= n_samples:
            raise ValueError(
                f"The validation split holds out validation_fraction="
                f"{self.fraction} of the data, which leaves nothing to train on "
                f"with n_samples={n_samples}. Use more samples, or "
                "early_stopping=False and validation_fraction=None."
            )
        train, valid = train_test_split(
            np.arange(n_samples),
            test_size=n_valid,
            random_state=self.random_state,
            stratify=self._stratify(y, n_samples),
        )
        return dataset.subset(train), dataset.subset(valid)


# Inference runs in chunks of this many rows: large enough for the matrix
# products to run at full speed, small enough to bound the memory of a call.
INFERENCE_BATCH_SIZE = 1024

# How often a fit looks again at the machine's load, in seconds of training,
# and when it looks first.
FOLLOW_SECONDS = 0.5
FIRST_LOOK_SECONDS = 0.1


class ShiftAndFlip:
    """Training images moved and mirrored at random: data augmentation.

    Each image of a batch (rows (n, c * h * w), viewed as ``image_shape``) is
    moved by its own whole number of pixels in [-shift, shift] along each
    axis (the pixels moved in are 0) and, with ``flip``, mirrored left-right
    with probability 1/2. On the batch's device, from torch's generator: the
    fit's seed makes it repeatable. Only training batches see it.
    """

    def __init__(self, image_shape, shift=0, flip=False):
        self.image_shape = tuple(image_shape)
        self.shift = int(shift)
        self.flip = bool(flip)

    def __call__(self, X):  # (n, d) -> (n, d)
        c, h, w = self.image_shape
        n, s, device = len(X), self.shift, X.device
        images = X.reshape(n, c, h, w)
        if s:
            padded = F.pad(images, (s, s, s, s))  # (n, c, h + 2s, w + 2s)
            dy = torch.randint(0, 2 * s + 1, (n, 1), device=device)
            dx = torch.randint(0, 2 * s + 1, (n, 1), device=device)
            rows = dy + torch.arange(h, device=device)  # (n, h): the window
            cols = dx + torch.arange(w, device=device)  # (n, w)
            images = padded[
                torch.arange(n, device=device)[:, None, None, None],
                torch.arange(c, device=device)[None, :, None, None],
                rows[:, None, :, None],
                cols[:, None, None, :],
            ]
        if self.flip:
            mirrored = torch.rand(n, device=device) < 0.5
            images = torch.where(mirrored[:, None, None, None], images.flip(-1), images)
        return images.reshape(n, -1)


def _map_outputs(function, out):
    """Apply ``function`` to a module output: a tensor, or a dict of them."""
    if isinstance(out, dict):
        return {name: function(o) for name, o in out.items()}
    return function(out)


def _concatenate(outputs):
    """Batches of outputs (tensors, or dicts of them) -> one output."""
    if isinstance(outputs[0], dict):
        return {name: torch.cat([o[name] for o in outputs]) for name in outputs[0]}
    return torch.cat(outputs)


# ANSI colour codes: skorch's table marks the best values with them.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PlainPrintLog(PrintLog):
    """skorch's table of epochs, in colour on a terminal only.

    Written to a file, a CI log or a notebook cell, the colour codes would be
    garbage characters around the best values.
    """

    def table(self, row):
        text = super().table(row)
        return text if sys.stdout.isatty() else _ANSI.sub("", text)


class InMemoryNet(NeuralNet):
    """A skorch ``NeuralNet`` fed with whole-batch tensor slices.

    The base of the nets below: arrays become an ``InMemoryDataset``; the
    fit's ``runtime`` (a ``Runtime``) sets the dtypes and threads; with
    precision 'bfloat16' the training forward pass runs under
    ``torch.autocast`` (the matrix products in bfloat16; the weights, the
    loss and the optimizer state stay float32); a non-finite training loss
    stops the fit with an error; Ctrl-C stops it with ``TrainingInterrupted``;
    and ``apply`` runs any method of the module over data in evaluation mode.
    """

    def __init__(
        self,
        module,
        *args,
        runtime=None,
        work_per_sample=math.inf,
        augment=None,
        **kwargs,
    ):
        kwargs.setdefault("iterator_train", InMemoryBatchIterator)
        kwargs.setdefault("iterator_valid", InMemoryBatchIterator)
        kwargs.setdefault("iterator_train__shuffle", True)
        kwargs.setdefault("iterator_train__merge_singleton", True)
        kwargs.setdefault("iterator_valid__batch_size", INFERENCE_BATCH_SIZE)
        kwargs.setdefault("dataset", InMemoryDataset)
        super().__init__(module, *args, **kwargs)
        self.runtime = Runtime() if runtime is None else runtime
        self.work_per_sample = work_per_sample
        self.augment = augment

    def get_default_callbacks(self):
        return [
            (name, PlainPrintLog if name == "print_log" else callback)
            for name, callback in super().get_default_callbacks()
        ]

    def get_dataset(self, X, y=None):
        if isinstance(X, InMemoryDataset):
            return X
        return InMemoryDataset(X, y)

    @property
    def weight_dtype(self):
        """The dtype of the module's weights and outputs: float64 or float32."""
        return self.runtime.weight_dtype

    def infer(self, x, **fit_params):
        dtype = self.runtime.autocast_dtype
        if dtype is None or not self.module_.training:
            return super().infer(x, **fit_params)
        # Training forward only: validation and predictions stay float32.
        with torch.autocast(torch.device(self.device).type, dtype=dtype):
            out = super().infer(x, **fit_params)
        # The loss is computed in float32 from float32 outputs.
        return _map_outputs(lambda o: o.float(), out)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        with sigint_watch() as watch:
            try:
                super().fit_loop(X, y, epochs=epochs, **fit_params)
                # Trained: inference finds the module in evaluation mode
                # (each training step sets its own mode), and measures its
                # row counts again: whether two kernels agree depends on the
                # weights too (_inference).
                self.module_.eval()
                self.row_plans_ = {}
                return self
            except KeyboardInterrupt as exc:
                if watch.interrupted:
                    # skorch's partial_fit would swallow it and go on with a
                    # net stopped mid-epoch (a history row without
                    # 'train_loss').
                    raise TrainingInterrupted from exc
                # A callback's request to stop (EarlyStopping raises
                # KeyboardInterrupt): skorch's partial_fit ends training.
                raise

    def train_step_single(self, batch, **fit_params):
        if self.augment is not None:  # training batches only (``augment``)
            Xi, yi = unpack_data(batch)
            batch = (self.augment(to_tensor(Xi, device=self.device)), yi)
        return super().train_step_single(batch, **fit_params)

    def train_step(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
        loss = step["loss"].item()
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"The training loss became {loss} in epoch {len(self.history)}: "
                "training diverged. Lower learning_rate, check that the input "
                "is scaled (e.g. to [0, 1]), or add weight_decay."
            )
        return step

    def initialize_module(self):
        super().initialize_module()
        # Before the optimizer is built on the parameters (skorch's initialize
        # runs initialize_module, then initialize_optimizer). The layout a
        # module declares (channels_last for the convolutional ones).
        layout = getattr(self.module_, "memory_format", torch.contiguous_format)
        self.module_.to(dtype=self.weight_dtype, memory_format=layout)
        self.row_plans_ = {}  # a new module: its calls are measured again
        return self

    def row_plan(self, method, Xi, function):
        """The ``RowPlan`` of ``function`` (``module_.<method>``) on rows like
        ``Xi``: measured on the first call (``_inference.probe``, on one
        thread), then kept while the module is."""
        key = (method, tuple(Xi.shape[1:]), Xi.dtype, str(Xi.device))
        plans = self.__dict__.setdefault("row_plans_", {})
        if key not in plans:
            was_training = self.module_.training
            self.module_.eval()
            try:
                with torch_threads(1), torch.no_grad():
                    rows = max_rows_for(self.work_per_sample)
                    plans[key] = probe(
                        function, Xi.shape[1:], Xi.dtype, Xi.device, rows
                    )
            finally:
                self.module_.train(was_training)
        return plans[key]

    def _in_chunks(self, Xi, function, method="forward"):
        """``function`` over the rows of ``Xi`` in calls of the row counts of
        its ``row_plan``: every row is computed in a call whose shape gives
        it the output it has in any other (a remainder is padded with zero
        rows); outputs in ``weight_dtype``."""
        outputs = []
        for start, stop, rows in self.row_plan(method, Xi, function).calls(len(Xi)):
            n = stop - start
            chunk = Xi[start:stop].clone()  # the alignment the probe had
            if n < rows:
                chunk = torch.cat([chunk, chunk.new_zeros((rows - n, *Xi.shape[1:]))])
            out = function(chunk)
            outputs.append(_map_outputs(lambda o: o[:n].to(self.weight_dtype), out))
        return _concatenate(outputs)

    def evaluation_step(self, batch, training=False):
        if training:
            return super().evaluation_step(batch, training)
        Xi, yi = unpack_data(batch)
        step = super().evaluation_step
        return self._in_chunks(Xi, lambda chunk: step((chunk, yi), training))

    def _module_function(self, method):
        """Rows -> outputs of ``module_.<method>``; 'forward' through the
        ``infer`` hook, as skorch's ``evaluation_step`` runs it."""
        return self.infer if method == "forward" else getattr(self.module_, method)

    def apply(self, X, method="forward", n_threads="runtime"):
        """Run ``module_.<method>`` over ``X`` in evaluation mode, in float32.

        (In float64 under the runtime's precision 'float64'.) Returns a CPU
        tensor, or a dict of them for a module whose method returns named
        outputs. The module itself runs (no copy), over batches of
        ``INFERENCE_BATCH_SIZE`` rows: ``forward`` through the ``infer`` hook (as
        skorch's ``evaluation_step`` runs it), any other method (``encode``,
        ``decode``, ``features``) directly. Either way in calls of the row
        counts of the method's ``row_plan`` (measured on the first call), each
        computed on one thread; a large call shares its rows between the
        threads that ``n_threads`` and the machine allow. So a row's output is
        the same whether it comes alone or with others, on any number of
        threads. The module's mode (training or evaluation) is put back
        afterwards. ``n_threads``: the fit's (``'runtime'``), or the
        estimator's parameter as it is now (an int, or None to choose as a fit
        does).
        """
        self.check_is_fitted()
        function = self._module_function(method)
        n = len(X)
        runtime = self.runtime
        if n_threads != "runtime":
            runtime = dataclasses.replace(runtime, n_threads=n_threads)
        bounds = inference_parts(runtime, n, self.work_per_sample)
        was_training = self.module_.training
        if was_training:  # a call from a callback, mid-training
            self.module_.eval()
        try:
            with torch_threads(1), torch.no_grad():
                if n:  # measured here, before the threads share the rows
                    self.row_plan(method, to_tensor(X[:1], self.device), function)
                # torch releases the GIL in its kernels: the threads compute
                # in parallel, and stop together (run_in_threads).
                parts = run_in_threads(
                    [
                        functools.partial(self._apply_part, X[a:b], method, function)
                        for a, b in bounds
                    ]
                )
                outputs = [out for part in parts for out in part]
        finally:
            if was_training:
                self.module_.train()
        return _concatenate(outputs)

    def _apply_part(self, X, method, function, stop=None):
        """The outputs of ``function`` over ``X`` (an array or tensor in
        memory), in batches of ``INFERENCE_BATCH_SIZE`` rows, on this thread;
        None once ``stop`` (a ``threading.Event``) is set."""
        torch.set_num_threads(1)  # this thread's own OpenMP setting
        outputs = []
        with torch.no_grad():  # per thread in torch
            for start in range(0, len(X), INFERENCE_BATCH_SIZE):
                if stop is not None and stop.is_set():
                    return None
                Xi = to_tensor(X[start : start + INFERENCE_BATCH_SIZE], self.device)
                out = self._in_chunks(Xi, function, method)
                outputs.append(_map_outputs(lambda o: o.to("cpu"), out))
        return outputs


def reconstruction_loss(reconstruction, X, loss="mse", reduction="mean"):
    """The squared error or binary cross-entropy: their mean over samples and
    pixels, or (``reduction='none'``) per value, (n, d)."""
    if loss == "bce":
        return F.binary_cross_entropy(reconstruction, X, reduction=reduction)
    return F.mse_loss(reconstruction, X, reduction=reduction)


class AutoencoderNet(InMemoryNet):
    """Trains a module whose forward returns an ``AutoencoderOutput`` dict.

    The target is the input itself: ``get_loss`` compares the reconstruction
    with the clean batch ``X`` (the noise of a denoising autoencoder is added
    in ``infer``, to the network's input only), adds ``l1_activity`` times the
    mean L1 norm of the codes and the face's ``code_penalty`` (the variational
    face's KL term), which the net computes nothing of itself.

    Parameters
    ----------
    loss : {'mse', 'bce'}
        Reconstruction loss, averaged over samples and pixels.
    l1_activity : float
        Weight of the L1 penalty on the code (a sparse autoencoder).
    noise : float
        Standard deviation of the Gaussian noise added to the training inputs.
    code_penalty : callable or None
        ``(outputs, n_values) -> (n,)``: a per-sample term of the loss from the
        module's named outputs and the number of values of a sample (the
        variational face's ``KLDivergence``); its weighted mean is added.
    """

    def __init__(
        self,
        module,
        *args,
        loss="mse",
        l1_activity=0.0,
        noise=0.0,
        code_penalty=None,
        **kwargs,
    ):
        super().__init__(module, *args, criterion=torch.nn.Identity, **kwargs)
        self.loss = loss
        self.l1_activity = l1_activity
        self.noise = noise
        self.code_penalty = code_penalty

    def get_dataset(self, X, y=None):
        # The target of an autoencoder is its input: the batches carry it (the
        # same tensor), so that skorch's scoring by name
        # (EpochScoring('neg_mean_squared_error')) compares the
        # reconstructions, net.predict, with it.
        if isinstance(X, InMemoryDataset):
            if X.target_is_input:
                return X
            return InMemoryDataset(X.X, None, X.sample_weight, target_is_input=True)
        return InMemoryDataset(X, None, target_is_input=True)

    def infer(self, x, **fit_params):
        if self.noise > 0 and self.module_.training:
            x = to_tensor(x, device=self.device)
            x = x + self.noise * torch.randn_like(x)
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        X = to_tensor(X, device=self.device)
        _, sample_weight = split_target(y_true, self.device)
        if sample_weight is None:
            loss = reconstruction_loss(y_pred["reconstruction"], X, self.loss)
        else:  # per sample, (n,), then their weighted mean
            loss = reconstruction_loss(
                y_pred["reconstruction"], X, self.loss, reduction="none"
            ).mean(dim=1)
            loss = weighted_mean(loss, sample_weight)
        code = y_pred["code"]
        if self.l1_activity > 0:
            l1 = code.abs().sum(dim=1)  # (n,)
            loss = loss + self.l1_activity * weighted_mean(l1, sample_weight)
        if self.code_penalty is not None:
            penalty = self.code_penalty(y_pred, X.shape[1])  # (n,)
            loss = loss + weighted_mean(penalty, sample_weight)
        return loss

    # skorch's tools (EpochScoring, a user's own loop) read a net's forward
    # and predictions as one tensor or array: an autoencoder's is its
    # reconstruction. The estimators read every named output through apply.

    def forward(self, X, training=False, device="cpu"):
        """The reconstructions of ``X``, one tensor, as skorch's ``forward``."""
        return torch.cat(
            [_reconstruction(o) for o in self.forward_iter(X, training, device)]
        )

    def predict_proba(self, X):
        """The reconstructions of ``X`` as a numpy array (what skorch's
        ``predict`` returns too)."""
        return np.concatenate(
            [to_numpy(_reconstruction(o)) for o in self.forward_iter(X)]
        )


def _reconstruction(out):
    """The reconstruction of a batch's outputs (a dict of named outputs)."""
    return out["reconstruction"] if isinstance(out, dict) else out


class ClassifierNet(InMemoryNet):
    """Trains a module that returns class logits, with cross-entropy.

    With sample weights (a dict target), the weighted mean of the per-sample
    cross-entropy. ``label_smoothing`` (in [0, 1)) mixes the one-hot targets
    with the uniform distribution, as ``torch.nn.CrossEntropyLoss`` does.
    """

    def __init__(self, module, *args, label_smoothing=0.0, **kwargs):
        super().__init__(module, *args, criterion=torch.nn.CrossEntropyLoss, **kwargs)
        self.label_smoothing = label_smoothing

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true, sample_weight = split_target(y_true, self.device)
        y_true = to_tensor(y_true, device=self.device)
        if sample_weight is None:  # as torch.nn.CrossEntropyLoss computes it
            return F.cross_entropy(y_pred, y_true, label_smoothing=self.label_smoothing)
        per_sample = F.cross_entropy(
            y_pred, y_true, reduction="none", label_smoothing=self.label_smoothing
        )  # (n,)
        return weighted_mean(per_sample, sample_weight)

    def predict(self, X):
        """The index of the most probable class of each row of ``X``, as
        skorch's ``NeuralNetClassifier.predict`` (``predict_proba`` gives the
        probabilities: softmax of the logits)."""
        return self.predict_proba(X).argmax(axis=1)
