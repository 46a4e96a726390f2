"""The defaults on small and large data, over short and long runs.

``Autoencoder(n_components=64)`` and ``FeedForwardClassifier()``, each with its
default parameters, are trained on 1,000, 5,000 and 60,000 training images
(stratified subsets, ``--seed``) for 10, 20 and 100 epochs. For each fit: the
last epoch's training loss (it should never get worse with more epochs: the
schedules stretch with the run), the seconds it took, and on the official test
set the autoencoder's reconstruction error and the 1-NN accuracy of its codes
beside PCA's with as many components (both fitted on the same images), or the
classifier's accuracy.

    python benchmarks/run_length.py --dataset fashion-mnist --output results

Rows are written to the JSON and Markdown files as they finish, so a stopped run
keeps what it finished (its header then says it is incomplete).
"""

from sklearn.decomposition import PCA
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skfashion import Autoencoder, FeedForwardClassifier
from skfashion.benchmarks._common import (
    load,
    machine,
    markdown_table,
    parser,
    write_results,
)
from skfashion.timing import Timer


def knn_accuracy(Z_train, y_train, Z_test, y_test):
    return KNeighborsClassifier(1).fit(Z_train, y_train).score(Z_test, y_test)


def autoencoder_row(X, y, X_test, y_test, epochs, components, seed, precision):
    ae = Autoencoder(
        n_components=components,
        max_epochs=epochs,
        random_state=seed,
        precision=precision,
    )
    with Timer() as t:
        ae.fit(X)
    return {
        "train_loss": ae.loss_curve_[-1],
        "test_mse": mean_squared_error(X_test, ae.reconstruct(X_test)),
        "code_1nn": knn_accuracy(ae.transform(X), y, ae.transform(X_test), y_test),
        "fit_s": t.seconds,
    }


def pca_row(X, y, X_test, y_test, components, seed):
    pca = PCA(components, random_state=seed).fit(X)
    return {
        "test_mse": mean_squared_error(
            X_test, pca.inverse_transform(pca.transform(X_test))
        ),
        "code_1nn": knn_accuracy(pca.transform(X), y, pca.transform(X_test), y_test),
    }


def classifier_row(X, y, X_test, y_test, epochs, seed, precision):
    clf = FeedForwardClassifier(
        max_epochs=epochs, random_state=seed, precision=precision
    )
    with Timer() as t:
        clf.fit(X, y)
    return {
        "train_loss": clf.loss_curve_[-1],
        "test_accuracy": clf.score(X_test, y_test),
        "fit_s": t.seconds,
    }


def never_worse(rows):
    """Whether each size's training loss falls (or holds) as the epochs grow."""
    verdict = {}
    for row in rows:
        if isinstance(row["epochs"], int):  # not the PCA rows
            verdict.setdefault((row["estimator"], row["n_train"]), []).append(row)
    return {
        key: all(
            b["train_loss"] <= a["train_loss"]
            for a, b in zip(
                sorted(group, key=lambda r: r["epochs"]),
                sorted(group, key=lambda r: r["epochs"])[1:],
            )
        )
        for key, group in verdict.items()
    }


def report(results, done):
    rows = results["rows"]
    status = "" if done else " **(incomplete: the run has not finished)**"
    md = [
        f"Run length and data size on {results['dataset']} ({results['data']} data),"
        f" seed {results['seed']}; {results['machine']}{status}",
    ]
    checks = never_worse(rows)
    for estimator, columns in (
        (
            "autoencoder",
            ["n_train", "epochs", "train_loss", "test_mse", "code_1nn", "fit_s"],
        ),
        ("classifier", ["n_train", "epochs", "train_loss", "test_accuracy", "fit_s"]),
    ):
        mine = [r for r in rows if r["estimator"] == estimator]
        if not mine:
            continue
        md += ["", f"### {estimator}", "", markdown_table(mine, columns)]
        md += [
            f"- n_train={n}: training loss never worse with more epochs: "
            f"{'yes' if ok else '**no**'}"
            for (e, n), ok in checks.items()
            if e == estimator
        ]
    return "\n".join(md)


def main(argv=None, prog=None):
    p = parser(__doc__.splitlines()[0], prog=prog)
    p.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 5000, 60000],
        help="training sizes",
    )
    p.add_argument(
        "--epochs",
        type=int,
        nargs="+",
        default=[10, 20, 100],
        help="run lengths to compare",
    )
    p.add_argument(
        "--components", type=int, default=64, help="code size of the autoencoder"
    )
    p.add_argument(
        "--estimator",
        choices=["autoencoder", "classifier", "both"],
        default="both",
        help="which estimator's run lengths",
    )
    args = p.parse_args(argv)
    X, y, X_test, y_test, source = load(args)
    print(
        f"{args.dataset}: {source} data, {len(X)} training and {len(X_test)} test "
        "images",
        flush=True,
    )
    kinds = (
        ["autoencoder", "classifier"] if args.estimator == "both" else [args.estimator]
    )
    results = {
        "dataset": args.dataset,
        "data": source,
        "seed": args.seed,
        "machine": machine(),
        "complete": False,
        "rows": [],
    }
    name = f"run_length_{args.dataset}"
    if args.estimator != "both":
        name += f"_{args.estimator}"

    def add(row):
        results["rows"].append(row)
        print(row, flush=True)
        write_results(args.output, name, results, report(results, False), quiet=True)

    for n in args.sizes:
        if n < len(X):
            X_n, _, y_n, _ = train_test_split(
                X, y, train_size=n, stratify=y, random_state=args.seed
            )
        else:
            n, X_n, y_n = len(X), X, y
        if "autoencoder" in kinds:
            add(
                {
                    "estimator": "autoencoder",
                    "n_train": n,
                    "epochs": f"PCA-{args.components}",
                    **pca_row(X_n, y_n, X_test, y_test, args.components, args.seed),
                }
            )
        for epochs in args.epochs:
            for kind in kinds:
                if kind == "autoencoder":
                    figures = autoencoder_row(
                        X_n,
                        y_n,
                        X_test,
                        y_test,
                        epochs,
                        args.components,
                        args.seed,
                        args.precision,
                    )
                else:
                    figures = classifier_row(
                        X_n, y_n, X_test, y_test, epochs, args.seed, args.precision
                    )
                add({"estimator": kind, "n_train": n, "epochs": epochs, **figures})
    results["complete"] = True
    results["never_worse"] = {
        f"{e} n_train={n}": ok for (e, n), ok in never_worse(results["rows"]).items()
    }
    write_results(args.output, name, results, report(results, True))


if __name__ == "__main__":
    main()
