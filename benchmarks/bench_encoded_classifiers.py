"""Classifiers on raw pixels, on PCA scores and on autoencoder codes: accuracy and time.

For 1-NN, 3-NN, nearest class centroid and an MLP, the test accuracy on the
official 10,000 test images and the wall seconds of each step, for (a) the raw
784 pixels, (b) the codes of an ``Autoencoder`` of each ``--components`` size and
(c) PCA with the same number of components. A representation is fitted once and
shared by the four classifiers; the times of an encoded row include it (fit, and
the transform of the training and test images), as the seeds' tables did.

    python benchmarks/bench_encoded_classifiers.py --dataset mnist --output results

Writes ``encoded_<dataset>.json``, ``.md`` and a PNG of accuracy against time.

The autoencoder of the table is chosen without the test set: ``--select``
trains each of ``AE_CANDIDATES`` on 90% of the training images and reports the
1-NN accuracy of its codes on the other 10%; the winner is ``AUTOENCODER``.
"""

from _common import (
    Timer,
    load,
    machine,
    markdown_table,
    parser,
    pyplot,
    save_figure,
    write_results,
)
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
from sklearn.neural_network import MLPClassifier

from skfashion import Autoencoder
from skfashion.timing import time_pipeline

AE_CANDIDATES = [
    dict(hidden_layer_sizes=(256,), batch_size=128, learning_rate=1e-3),
    dict(hidden_layer_sizes=(512,), batch_size=128, learning_rate=2e-3),
    dict(hidden_layer_sizes=(512, 256), batch_size=128, learning_rate=2e-3),
    dict(hidden_layer_sizes=(256,), batch_size=256, learning_rate=3e-3),
]
# The autoencoder of the table: the winner of --select on MNIST (validation
# 1-NN 98.13% with 64 components, 97.97% with 144; see the README).
AUTOENCODER = AE_CANDIDATES[2]


def classifiers(seed):
    return {
        "1-NN": KNeighborsClassifier(1, n_jobs=-1),
        "3-NN": KNeighborsClassifier(3, n_jobs=-1),
        "nearest centroid": NearestCentroid(),
        "MLP": MLPClassifier(
            (256,), early_stopping=True, max_iter=50, random_state=seed
        ),
    }


def representations(components, ae_epochs, seed):
    yield "raw pixels", None
    for k in components:
        yield f"PCA-{k}", PCA(k, random_state=seed)
        yield (
            f"autoencoder-{k}",
            Autoencoder(
                n_components=k, max_epochs=ae_epochs, random_state=seed, **AUTOENCODER
            ),
        )


def select(args, X, y, source):
    """1-NN accuracy of each candidate's codes on a validation split."""
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=0.1, stratify=y, random_state=args.seed
    )
    rows = []
    for k in args.components:
        for i, params in enumerate(AE_CANDIDATES):
            ae = Autoencoder(
                n_components=k,
                max_epochs=args.ae_epochs,
                random_state=args.seed,
                **params,
            )
            with Timer() as t:
                ae.fit(X_fit)
            knn = KNeighborsClassifier(1, n_jobs=-1).fit(ae.transform(X_fit), y_fit)
            accuracy = knn.score(ae.transform(X_val), y_val)
            rows.append(
                {
                    "candidate": i,
                    "n_components": k,
                    **params,
                    "validation 1-NN": accuracy,
                    "validation MSE": -ae.score(X_val),
                    "fit_s": t.seconds,
                }
            )
            print(rows[-1], flush=True)
    md = (
        f"Autoencoder candidates on a validation split of {args.dataset} "
        f"({source} data), {args.ae_epochs} epochs, seed {args.seed}; {machine()}"
        "\n\n" + markdown_table(rows, list(rows[0]))
    )
    write_results(args.output, f"encoded_selection_{args.dataset}", {"rows": rows}, md)


def main(argv=None):
    p = parser(__doc__.splitlines()[0], default="mnist")
    p.add_argument("--components", type=int, nargs="+", default=[64, 144])
    p.add_argument("--ae-epochs", type=int, default=10)
    p.add_argument("--select", action="store_true", help="compare AE_CANDIDATES")
    args = p.parse_args(argv)
    if args.quick:
        args.ae_epochs = 2
    X, y, X_test, y_test, source = load(args.dataset, args.quick)
    if args.select:
        return select(args, X, y, source)
    rows, details = [], []
    with Timer() as total:
        for rep_name, representation in representations(
            args.components, args.ae_epochs, args.seed
        ):
            rep = {"fit_s": 0.0, "transform_s": 0.0}
            Z, Z_test = X, X_test
            if representation is not None:
                with Timer() as t:
                    representation.fit(X)
                rep["fit_s"] = t.seconds
                with Timer() as t:
                    Z, Z_test = (
                        representation.transform(X),
                        representation.transform(X_test),
                    )
                rep["transform_s"] = t.seconds
                if isinstance(representation, Autoencoder):
                    rep["test_mse"] = -representation.score(X_test)
            for clf_name, clf in classifiers(args.seed).items():
                timing = time_pipeline(clf, Z, y, Z_test, y_test)
                (step,) = timing.steps
                row = {
                    "representation": rep_name,
                    "classifier": clf_name,
                    "accuracy": timing.score,
                    "representation_s": rep["fit_s"] + rep["transform_s"],
                    "classifier_fit_s": step.fit_seconds,
                    "classifier_predict_s": step.predict_seconds,
                    "total_s": rep["fit_s"] + rep["transform_s"] + timing.total_seconds,
                }
                rows.append(row)
                print(row, flush=True)
            details.append({"representation": rep_name, **rep})
    results = {
        "dataset": args.dataset,
        "data": source,
        "machine": machine(),
        "autoencoder": {**AUTOENCODER, "max_epochs": args.ae_epochs},
        "total_seconds": total.seconds,
        "rows": rows,
        "representations": details,
    }
    table = [{**r, "accuracy": f"{100 * r['accuracy']:.2f}%"} for r in rows]
    md = (
        f"{args.dataset} ({source} data: {len(X)} training, {len(X_test)} test "
        f"images), seed {args.seed}; whole run {total.seconds:.0f} s; "
        f"{results['machine']}\n\n" + markdown_table(table, list(rows[0]))
    )
    write_results(args.output, f"encoded_{args.dataset}", results, md)
    plot(rows, args)


def plot(rows, args):
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for rep in dict.fromkeys(r["representation"] for r in rows):
        mine = [r for r in rows if r["representation"] == rep]
        ax.scatter(
            [r["total_s"] for r in mine],
            [100 * r["accuracy"] for r in mine],
            label=rep,
        )
    for r in rows:
        ax.annotate(r["classifier"], (r["total_s"], 100 * r["accuracy"]), fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("total seconds (representation + classifier)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{args.dataset}: accuracy against time")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, args.output, f"encoded_{args.dataset}", dpi=120)


if __name__ == "__main__":
    main()
