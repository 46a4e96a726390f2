"""The training recipe's parts: optimizers and learning-rate schedules.

What a fit is trained with, apart from its data and its network: the torch
optimizer (fused where torch has a fused one), and the schedule, built from
the flat parameters ``lr_schedule``, ``max_epochs``, ``lr_step_size`` and
``lr_gamma``.
"""

import math

import torch
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, MultiStepLR

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta,
    "adagrad": torch.optim.Adagrad,
}


def optimizer_kwargs(optimizer, device):
    """The optimizer's fused implementation, where torch has one for ``device``.

    One kernel updates every parameter instead of a loop of small ones: an
    epoch of the default autoencoder is about 15% faster on the CPU (see
    ``skfashion/benchmarks/speed.py``). Adam, AdamW, SGD and Adagrad have it on
    the CPU and CUDA; the others keep torch's default.
    """
    if torch.device(device).type not in ("cpu", "cuda"):
        return {}
    if optimizer in ("adam", "adamw", "sgd", "adagrad"):
        return {"fused": True}
    return {}


def lr_scheduler(schedule, max_epochs, step_size, gamma):
    """The learning-rate schedule, relative to the length of the run.

    'onecycle' rises linearly to the initial rate over the first
    ``ONECYCLE_WARMUP`` of the run's steps, then falls linearly to near 0 at
    its last step, set at every batch (``OneCycle``);
    'cosine' anneals from the initial rate towards 0 over ``max_epochs``;
    'step' multiplies the rate by ``gamma`` after every ``step_size``
    fraction of ``max_epochs``; None keeps it. Both stretch with the run,
    whatever the number of epochs and the data size, and each fit runs the
    schedule from its start (``last_epoch=-1``), a warm one too. The work is
    that of the epochs: at most ``max_epochs - 1`` milestones, whatever the
    step size.
    """
    if schedule == "onecycle":
        return OneCycle(max_epochs)
    if schedule == "cosine":
        return LRScheduler(policy=CosineAnnealingLR, T_max=max_epochs, last_epoch=-1)
    if schedule == "step":
        # A step every ``every`` epochs: the epochs that a multiple of it
        # rounds to.
        every = step_size * max_epochs
        if every <= 1:
            milestones = list(range(1, max_epochs))
        else:
            steps = range(1, math.ceil(max_epochs / every) + 1)
            milestones = sorted(
                {round(k * every) for k in steps} & set(range(1, max_epochs))
            )
        return LRScheduler(
            policy=MultiStepLR, milestones=milestones, gamma=gamma, last_epoch=-1
        )
    return None


# The share of a one-cycle run spent warming up: the triangular schedule of
# the CIFAR-10 speedruns (a short linear rise, a long linear fall), with which
# SGD at a high rate trains a batch-normalised network from its first steps.
ONECYCLE_WARMUP = 0.2


class Triangle:
    """``step -> factor`` of the initial rate: ``(step + 1) / warmup`` up to
    1, then linearly down to ``1 / (total - warmup)`` at the last step (1
    for a run of one step).

    A class, not a closure: the schedule is pickled with the net."""

    def __init__(self, total, warmup):
        self.total = int(total)
        self.warmup = max(1, min(int(warmup), self.total - 1))

    def __call__(self, step):
        if step < self.warmup:
            return (step + 1) / self.warmup
        # a run of one step has no fall: its rate stays at the top
        return max(self.total - step, 1) / max(self.total - self.warmup, 1)


class OneCycle(LRScheduler):
    """A ``Triangle`` schedule over a fit's ``max_epochs`` epochs, set at
    every training batch.

    The number of steps is known at the start of training only (the training
    samples after the validation hold-out, over the batch size): it is
    counted in ``on_train_begin``, from the data the net was given.
    """

    def __init__(self, max_epochs, **kwargs):
        super().__init__(policy=LambdaLR, step_every="batch", **kwargs)
        self.max_epochs = max_epochs

    @property
    def kwargs(self):  # LRScheduler passes its attributes on to the policy
        return {k: v for k, v in super().kwargs.items() if k != "max_epochs"}

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        n_train = len(X)
        if net.train_split is not None:
            n_train -= net.train_split.n_valid(n_train, y)
        total = self.max_epochs * math.ceil(n_train / net.batch_size)
        self.lr_lambda = Triangle(total, round(ONECYCLE_WARMUP * total))
        self.last_epoch = -1
        super().on_train_begin(net, X=X, y=y, **kwargs)
