"""Time to accuracy of ``ConvClassifier`` configurations (issue 37, item 1).

Screening on a validation split, never on the test set: 10,000 of the 60,000
training images are held out (stratified, seed 0) and a configuration is fitted
on ``--n`` of the others (stratified, seed 0), on one thread, in float32. For
each fit: its CPU seconds (the process's, so that a job beside it changes them
less than the wall clock), the validation accuracy after every epoch (the
time spent evaluating is left out of the fit's), and, where the configuration
trains with flips, the accuracy with test-time flips (the mean of the
probabilities of an image and of its mirror image).

    OMP_NUM_THREADS=1 python benchmarks/conv_time_to_accuracy.py \\
        --config default --n 5000 --output results

``--config`` names one of ``CONFIGS``; each run appends a JSON line to
``conv_time_to_accuracy_<dataset>.jsonl`` in ``--output``. Two such jobs may
share 2 cores (one thread each); a timing figure is the CPU time of its own
process.
"""

import argparse
import json
import os
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback

from skfashion import ConvClassifier
from skfashion.benchmarks._common import load, machine

# The fast prototype's network and recipe, as far as the estimator expresses
# them (benchmarks/README.md, "Time to accuracy of the conv family"): three
# early-pooled blocks of 24, 48 and 96 channels, GELU, a globally max-pooled
# head, no dropout, SGD with Nesterov momentum at 0.1 and weight decay 5e-4.
_FAST = dict(
    channels=(24, 48, 96),
    downsampling="early-pool",
    dense_units=0,
    dropout=0.0,
    activation="gelu",
    optimizer="sgd",
    learning_rate=0.1,
    optimizer__momentum=0.9,
    optimizer__nesterov=True,
    weight_decay=5e-4,
    batch_size=128,
)

CONFIGS = {
    "default": {},
    "stride-12": dict(downsampling="stride", max_epochs=12, learning_rate=2e-3),
    "fast-adam-10": {
        **_FAST,
        "optimizer": "adam",
        "learning_rate": 2e-3,
        "weight_decay": 1e-4,
        "optimizer__momentum": None,
        "optimizer__nesterov": None,
        "max_epochs": 10,
    },
    "fast-onecycle-flips-10": {
        **_FAST,
        "lr_schedule": "onecycle",
        "random_flip": True,
        "max_epochs": 10,
    },
    "fast-onecycle-10": {**_FAST, "lr_schedule": "onecycle", "max_epochs": 10},
    "fast-onecycle-16": {**_FAST, "lr_schedule": "onecycle", "max_epochs": 16},
}


class ValidationCurve(Callback):
    """The validation accuracy after each epoch, and the CPU seconds of the
    fit so far without the evaluations."""

    def __init__(self, X, y, classes):
        self.X, self.y, self.classes = X, y, classes

    def initialize(self):
        self.rows, self.excluded, self.start = [], 0.0, time.process_time()
        return self

    def on_epoch_end(self, net, **kwargs):
        now = time.process_time()
        module = net.module_
        was_training = module.training
        module.eval()
        with torch.no_grad():
            logits = [
                module(torch.from_numpy(self.X[i : i + 2000]))
                for i in range(0, len(self.X), 2000)
            ]
        module.train(was_training)
        predicted = self.classes[torch.cat(logits).argmax(1).numpy()]
        seconds = now - self.start - self.excluded
        accuracy = float((predicted == self.y).mean())
        self.rows.append((len(self.rows) + 1, round(seconds, 1), accuracy))
        print("epoch", self.rows[-1], flush=True)
        self.excluded += time.process_time() - now


def mirrored(X):
    """The images of rows (n, 784) mirrored left-right, as rows."""
    return np.ascontiguousarray(X.reshape(-1, 28, 28)[:, :, ::-1].reshape(len(X), -1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", choices=list(CONFIGS), required=True)
    p.add_argument("--dataset", choices=["fashion-mnist", "mnist"])
    p.set_defaults(dataset="fashion-mnist")
    p.add_argument("--n", type=int, default=5000, help="training images")
    p.add_argument("--seed", type=int, default=0, help="the estimator's")
    p.add_argument("--output", default=".")
    args = p.parse_args(argv)
    args.quick = False  # the full training set; its test images are not used
    X, y, _, _, source = load(args)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=10000, stratify=y, random_state=0
    )
    if args.n < len(X_train):
        X_train, _, y_train, _ = train_test_split(
            X_train, y_train, train_size=args.n, stratify=y_train, random_state=0
        )
    params = {k: v for k, v in CONFIGS[args.config].items() if v is not None}
    classes = np.unique(y_train)
    curve = ValidationCurve(X_valid, y_valid, classes)
    clf = ConvClassifier(
        random_state=args.seed, n_threads=1, callbacks=[("curve", curve)], **params
    )
    start = time.process_time()
    clf.fit(X_train, y_train)
    seconds = time.process_time() - start - curve.excluded
    row = dict(
        config=args.config,
        params=params,
        dataset=args.dataset,
        data=source,
        machine=machine(),
        n_train=len(X_train),
        seed=args.seed,
        epochs=clf.n_epochs_,
        cpu_seconds=round(seconds, 1),
        validation_accuracy=float(clf.score(X_valid, y_valid)),
        curve=curve.rows,
    )
    if params.get("random_flip"):
        proba = clf.predict_proba(X_valid) + clf.predict_proba(mirrored(X_valid))
        flipped = classes[proba.argmax(1)]
        row["with_test_time_flips"] = float((flipped == y_valid).mean())
    print(json.dumps(row), flush=True)
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, f"conv_time_to_accuracy_{args.dataset}.jsonl")
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
