"""Three reference autoencoders beside PCA, and the 784-32-784 optimizer study.

(a) ``--part reference``: three autoencoders of 64 codes (784-256-64,
    784-512-256-128-64, 784-144-64), trained as the notebooks that first
    measured them did (Adam 1e-3, no schedule, MSE), on ``--dataset``, beside
    PCA with the same code size (64): test MSE on the official test images.
    The notebooks measured 784-256-64 and 784-512-256-128-64 on
    Fashion-MNIST, 784-144-64 on MNIST.

(b) ``--part study``: the Keras-tutorial study on a 784-32-784 autoencoder with
    binary cross-entropy, batch 256: Adadelta 50 epochs, Adam 50 and 100
    epochs, Adam with an L1 penalty of 1e-5 on the code (100 epochs, as the
    tutorial). Adadelta runs twice: at learning rate 1.0 (torch's default and
    Keras 1's, the tutorial's) and at 1e-3 (tf.keras's default since 2.3).
    Reported: the first and last epoch's training loss (with the penalty, as
    Keras prints it), the test BCE and MSE, and the mean code value and mean
    absolute code value on the test images. The code layer is linear here
    (the tutorial's was ReLU), so its mean is not comparable with the
    tutorial's 7.30 / 3.33; the mean absolute value shows the L1 shrinkage.

    python -m skfashion autoencoders --dataset mnist --output results

Writes ``autoencoders_<dataset>.json`` and ``.md``, and per part a PNG of
test reconstructions (the first 15 test images) for every model.
"""

import numpy as np
from sklearn.decomposition import PCA

from skfashion import Autoencoder
from skfashion.metrics import reconstruction_error
from skfashion.timing import Timer

from ._common import (
    RunRecord,
    load,
    machine,
    markdown_table,
    parser,
    positive_int,
    pyplot,
    save_figure,
)

_SEED_TRAINING = dict(learning_rate=1e-3, lr_schedule=None, loss="mse", batch_size=128)

# name -> (parameters, the notebook's test MSE by data set)
SEEDS = {
    "784-256-64, 20 epochs": (
        dict(hidden_layer_sizes=(256,), max_epochs=20),
        {"fashion-mnist": 0.0066},
    ),
    "784-512-256-128-64, 25 epochs": (
        dict(hidden_layer_sizes=(512, 256, 128), max_epochs=25),
        {"fashion-mnist": 0.009931},
    ),
    "784-144-64, batch 64, 20 epochs": (
        dict(hidden_layer_sizes=(144,), batch_size=64, max_epochs=20),
        {"mnist": 0.003},
    ),
}

_STUDY_NET = dict(
    hidden_layer_sizes=(),
    n_components=32,
    loss="bce",
    batch_size=256,
    lr_schedule=None,
)

# name -> (parameters, the tutorial's last-epoch training loss)
STUDY = {
    "Adadelta lr 1.0, 50 epochs": (
        dict(optimizer="adadelta", learning_rate=1.0, max_epochs=50),
        None,
    ),
    "Adadelta lr 1e-3, 50 epochs": (
        dict(optimizer="adadelta", learning_rate=1e-3, max_epochs=50),
        0.4410,
    ),
    "Adam, 50 epochs": (dict(learning_rate=1e-3, max_epochs=50), 0.0926),
    "Adam, 100 epochs": (dict(learning_rate=1e-3, max_epochs=100), 0.0923),
    "Adam + L1 1e-5 on the code, 100 epochs": (
        dict(learning_rate=1e-3, l1_activity=1e-5, max_epochs=100),
        0.0988,
    ),
}


def fit(params, X, args, record=None, name=""):
    """Fit an Autoencoder with ``params`` (``--epochs``, or cut by --quick)."""
    if args.epochs:
        params = {**params, "max_epochs": args.epochs}
    elif args.quick:
        params = {**params, "max_epochs": min(params["max_epochs"], 2)}
    ae = Autoencoder(
        **params,
        random_state=args.seed,
        verbose=args.verbose,
        precision=args.precision,
    )
    if record is not None:
        record.say(f"fitting {name}: {ae.max_epochs} epochs in this run")
    with Timer() as t:
        ae.fit(X)
    return ae, t.seconds


def test_errors(reconstructions, X_test):
    clipped = np.clip(reconstructions, 1e-7, 1 - 1e-7)  # PCA's leave [0, 1]
    return {
        "test MSE": reconstruction_error(X_test, reconstructions),
        "test BCE": reconstruction_error(X_test, clipped, metric="bce"),
    }


def seeds_part(X, X_test, args, record):
    models = {}
    for name, (params, seed_mse) in SEEDS.items():
        ae, seconds = fit({**_SEED_TRAINING, **params}, X, args, record, name)
        models[name] = ae
        record.add(
            {
                "model": name,
                "epochs": ae.n_epochs_,
                "fit_s": seconds,
                "last train loss": ae.loss_curve_[-1],
                **test_errors(ae.reconstruct(X_test), X_test),
                "notebook's test MSE": seed_mse.get(args.dataset, "not measured"),
            },
            "seeds",
        )
    with Timer() as t:
        pca = PCA(64, random_state=args.seed).fit(X)
    models["PCA-64"] = pca
    record.add(
        {
            "model": "PCA-64",
            "fit_s": t.seconds,
            **test_errors(pca.inverse_transform(pca.transform(X_test)), X_test),
        },
        "seeds",
    )
    return models


def study_part(X, X_test, args, record):
    models = {}
    for name, (params, seed_loss) in STUDY.items():
        ae, seconds = fit({**_STUDY_NET, **params}, X, args, record, name)
        models[name] = ae
        codes = ae.transform(X_test)
        record.add(
            {
                "model": name,
                "epochs": ae.n_epochs_,
                "fit_s": seconds,
                "first train loss": ae.loss_curve_[0],
                "last train loss": ae.loss_curve_[-1],
                "tutorial's last loss": seed_loss if seed_loss is not None else "",
                **test_errors(ae.reconstruct(X_test), X_test),
                "mean code": float(codes.mean()),
                "mean |code|": float(np.abs(codes).mean()),
            },
            "study",
        )
    pca = PCA(32, random_state=args.seed).fit(X)
    models["PCA-32"] = pca
    record.add(
        {
            "model": "PCA-32",
            **test_errors(pca.inverse_transform(pca.transform(X_test)), X_test),
        },
        "study",
    )
    return models


def plot(models, X_test, name, title, args):
    from skfashion.plotting import ReconstructionDisplay

    plt = pyplot()
    fig, axes = plt.subplots(
        len(models), 1, figsize=(9, 1.9 * len(models)), layout="constrained"
    )
    for ax, (label, model) in zip(axes, models.items()):
        ReconstructionDisplay.from_estimator(model, X_test, ax=ax)
        ax.set_title(f"{label}: MSE {ax.get_title().rsplit(' ', 1)[-1]}", fontsize=9)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, args.output, name, dpi=100)


def main(argv=None, prog=None):
    p = parser(__doc__.splitlines()[0], prog=prog)
    p.add_argument(
        "--part",
        type=lambda part: "reference" if part == "seeds" else part,  # its old name
        choices=["reference", "study", "both"],
        default="both",
        help="the three reference autoencoders and PCA, the optimizer study of "
        "784-32-784, or both",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        help="epochs of every autoencoder (default: each one's own, as the "
        "notebooks and the tutorial trained them; 2 at most with --quick)",
    )
    args = p.parse_args(argv)
    X, _, X_test, _, source = load(args)
    stem = f"autoencoders_{args.dataset}"
    results = {
        "dataset": args.dataset,
        "data": source,
        "n_train": len(X),
        "n_test": len(X_test),
        "seed": args.seed,
        "machine": machine(),
    }
    parts = {
        part: run
        for part, run in (("seeds", seeds_part), ("study", study_part))
        if args.part in (PARTS[part], "both")
    }
    n_rows = sum(len(SEEDS if p == "seeds" else STUDY) + 1 for p in parts)
    with RunRecord(args, stem, results, report, n_rows) as record:
        for part, run in parts.items():
            models = run(X, X_test, args, record)
            title = f"{args.dataset}: {TITLES[part]}"
            plot(models, X_test, f"{stem}_{part}", title, args)
        record.finish()


# the results' section of each --part (the JSON keeps its first name)
PARTS = {"seeds": "reference", "study": "study"}
TITLES = {
    "seeds": "three reference autoencoders (Adam 1e-3, MSE) and PCA",
    "study": "784-32-784, binary cross-entropy, batch 256",
}


def report(results):
    md = [
        f"{results['dataset']} ({results['data']} data: {results['n_train']} "
        f"training, {results['n_test']} test images), seed {results['seed']}; "
        f"{results['machine']}"
    ]
    for part, title in TITLES.items():
        rows = results.get(part)
        if rows:
            columns = list(dict.fromkeys(k for row in rows for k in row))
            md += [f"\n### {title}\n", markdown_table(rows, columns)]
    return "\n".join(md)


if __name__ == "__main__":
    main()
