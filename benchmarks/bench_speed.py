"""Epoch time of the estimators against a plain PyTorch loop and a default skorch net.

For each estimator the same torch module, optimizer, batch size and data are
trained three ways, in one process and interleaved (``--repeats`` rounds of
``--epochs`` epochs each), and the median epoch time of each way is reported
with its ratio to the plain loop:

- plain PyTorch: a hand-written loop over shuffled tensor slices;
- default skorch: ``skorch.NeuralNet`` with its default Dataset and DataLoader
  (one ``__getitem__`` per sample, then collate);
- skfashion: the estimator's ``fit``, timed by skorch's epoch timer.

    python benchmarks/bench_speed.py --dataset mnist --output results
"""

import statistics
import time

import numpy as np
import torch
from _common import load, machine, markdown_table, parser, write_results
from skorch import NeuralNet

from skfashion import Autoencoder, FeedForwardClassifier
from skfashion._modules import AutoencoderModule, ClassifierModule
from skfashion._net import reconstruction_loss


class _ReconstructionOnly(torch.nn.Module):
    """Wraps an autoencoder module so that skorch's default loss sees one output."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]


def plain_epochs(module, loss_fn, X, y, batch_size, lr, epochs):
    """Epoch times of a hand-written loop: the baseline."""
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    module.train()
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(X))
        total = 0.0
        for i in range(0, len(X), batch_size):
            index = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(module(X[index]), y[index], X[index])
            loss.backward()
            optimizer.step()
            total += loss.item()
        times.append(time.perf_counter() - start)
    return times


def skorch_default_epochs(module, criterion, X, y, batch_size, lr, epochs):
    """Epoch times of skorch's NeuralNet with its default data path."""
    net = NeuralNet(
        module,
        criterion=criterion,
        optimizer=torch.optim.Adam,
        lr=lr,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    net.fit(X, y)
    return list(net.history[:, "dur"])


def estimator_epochs(estimator, X, y, epochs):
    estimator.set_params(max_epochs=epochs)
    estimator.fit(X, y)
    return list(estimator.history_[:, "dur"])


def cases(n_features, n_classes):
    """(name, estimator, module factory, plain loss, is autoencoder, criterion).

    The factories build exactly the module the estimator builds.
    """
    ae = Autoencoder(
        (512, 256, 128), 64, batch_size=128, lr_schedule=None, random_state=0
    )
    clf = FeedForwardClassifier(random_state=0, lr_schedule=None, batch_size=128)

    def ae_module():
        return AutoencoderModule(n_features, ae.hidden_layer_sizes, ae.n_components)

    def clf_module():
        return ClassifierModule(
            n_features,
            clf.hidden_layer_sizes,
            n_classes,
            batch_norm=clf.batch_norm,
            dropout=clf.dropout,
        )

    def ae_loss(output, target, X):
        return reconstruction_loss(output[0], X)

    def clf_loss(output, target, X):
        return torch.nn.functional.cross_entropy(output, target)

    return [
        (
            "Autoencoder 784-512-256-128-64",
            ae,
            ae_module,
            ae_loss,
            True,
            torch.nn.MSELoss,
        ),
        (
            "FeedForwardClassifier (defaults)",
            clf,
            clf_module,
            clf_loss,
            False,
            torch.nn.CrossEntropyLoss,
        ),
    ]


def main(argv=None):
    p = parser(__doc__.splitlines()[0], default="mnist")
    p.add_argument("--epochs", type=int, default=3, help="epochs per round")
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats = 2, 1
    X, y, _, _, source = load(args.dataset, args.quick)
    y = y.astype(np.int64)
    rows, results = (
        [],
        {"dataset": args.dataset, "data": source, "machine": machine(), "cases": []},
    )
    for name, estimator, make_module, loss_fn, is_ae, criterion in cases(
        X.shape[1], len(np.unique(y))
    ):
        batch_size, lr = estimator.batch_size, estimator.learning_rate
        times = {"plain": [], "skorch": [], "skfashion": []}
        for round_ in range(args.repeats):
            torch.manual_seed(round_)
            times["plain"] += plain_epochs(
                make_module(), loss_fn, X, y, batch_size, lr, args.epochs
            )
            skorch_module = make_module()
            if is_ae:
                skorch_module = _ReconstructionOnly(skorch_module)
            times["skorch"] += skorch_default_epochs(
                skorch_module,
                criterion,
                X,
                X if is_ae else y,
                batch_size,
                lr,
                args.epochs,
            )
            times["skfashion"] += estimator_epochs(
                estimator, X, None if is_ae else y, args.epochs
            )
        median = {k: statistics.median(v) for k, v in times.items()}
        row = {
            "estimator": name,
            "batch": batch_size,
            "plain torch s/epoch": median["plain"],
            "default skorch s/epoch": median["skorch"],
            "skfashion s/epoch": median["skfashion"],
            "skfashion / plain": median["skfashion"] / median["plain"],
            "default skorch / plain": median["skorch"] / median["plain"],
            "skfashion / default skorch": median["skfashion"] / median["skorch"],
        }
        rows.append(row)
        results["cases"].append({**row, "epoch_times": times})
        print(row, flush=True)
    md = (
        f"Median epoch time on {len(X)} {args.dataset} images ({source} data), "
        f"{args.repeats} interleaved rounds of {args.epochs} epochs; "
        f"{results['machine']}\n\n" + markdown_table(rows, list(rows[0]))
    )
    write_results(args.output, f"speed_{args.dataset}", results, md)


if __name__ == "__main__":
    main()
