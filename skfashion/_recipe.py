"""The training recipe's parts: optimizers and learning-rate schedules.

What a fit is trained with, apart from its data and its network: the torch
optimizer (fused where torch has a fused one), and the schedule, built from
the flat parameters ``lr_schedule``, ``max_epochs``, ``lr_step_size`` and
``lr_gamma``.
"""

import math

import torch
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR, MultiStepLR

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

    'cosine' anneals from the initial rate towards 0 over ``max_epochs``;
    'step' multiplies the rate by ``gamma`` after every ``step_size``
    fraction of ``max_epochs``; None keeps it. Both stretch with the run,
    whatever the number of epochs and the data size, and each fit runs the
    schedule from its start (``last_epoch=-1``), a warm one too. The work is
    that of the epochs: at most ``max_epochs - 1`` milestones, whatever the
    step size.
    """
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
