"""Hyperparameter searches over the estimators, on one machine or a Dask cluster.

Sweeps (``--sweep``, default all), each on a stratified ``--n-train`` subset of
the training images, scored by cross-validation (``--cv``) and never by the
test set; the best configuration of a supervised sweep is then scored once on
the official test set:

- ``autoencoder``: GridSearchCV over Pipeline([Autoencoder, 1-NN]), 96
  configurations of learning rate, hidden sizes, code size (64/144), batch
  size, epochs and activation, ranked by cross-validated 1-NN accuracy;
- ``classifier``: learning rate, batch size, epochs and dropout of the
  FeedForwardClassifier;
- ``unsupervised``: the Autoencoder alone, ranked by its ``score`` (negative
  reconstruction error);
- ``halving``: HalvingGridSearchCV with the epochs as the resource against the
  full grid at the largest number of epochs: same winner? how much faster?
- ``autoencoder-halving``: the autoencoder sweep made to run on the whole
  training set: 72 configurations (the ``autoencoder`` grid with a third
  learning rate, the epochs left to the search) by HalvingGridSearchCV with
  the epochs as the resource (1, 3, then 9 epochs, a third of the candidates
  going on each time), in the precision the defaults choose; the winner is
  refitted on the whole training set and tested once;
- ``cache``: a search over the 1-NN's neighbours with and without
  ``Pipeline(memory=...)``, counting the autoencoder fits;
- ``parallel``: the unsupervised sweep with one job and with one job per core.

``--n-jobs`` runs candidates in parallel with joblib (torch is capped so that
workers x threads never exceed the cores); ``--backend dask`` runs them on a
``LocalCluster`` (``--scheduler ADDRESS`` joins an existing cluster instead).

    python -m skfashion search --dataset mnist --output results
"""

import csv
import io
import os
import tempfile

import joblib
import numpy as np
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from skfashion import Autoencoder, FeedForwardClassifier
from skfashion.io import atomic_write_bytes
from skfashion.timing import Timer

from ._common import (
    RunRecord,
    int_at_least,
    load,
    machine,
    markdown_table,
    parser,
    positive_int,
    quick,
    save_figure,
    with_precision,
)
from ._common import n_jobs as n_jobs_type

SWEEPS = (
    "autoencoder",
    "classifier",
    "unsupervised",
    "halving",
    "cache",
    "parallel",
    "autoencoder-halving",
)


# The committed results were measured with skfashion 0.1's training: batches
# of 128 and the rate x0.3 every 10 epochs, which never steps within these
# runs of at most 10 epochs: a constant rate.
_RECIPE_0_1 = {"lr_schedule": None, "batch_size": 128}


class CountFits(Callback):
    """Appends a line to a file at each training run (works across processes)."""

    def __init__(self, path=None):
        self.path = path

    def on_train_begin(self, net, **kwargs):
        with open(self.path, "a") as f:
            f.write("fit\n")


def autoencoder_sweep(seed, quick):
    pipe = Pipeline(
        [
            ("ae", Autoencoder(**_RECIPE_0_1, random_state=seed)),
            ("knn", KNeighborsClassifier(1)),
        ]
    )
    grid = {
        "ae__learning_rate": [1e-3, 3e-3],
        "ae__hidden_layer_sizes": [(128,), (256,), (256, 128)],
        "ae__n_components": [64, 144],
        "ae__batch_size": [64, 128],
        "ae__max_epochs": [1, 2] if quick else [3, 6],
        "ae__activation": ["relu", "elu"],
    }
    return pipe, grid


def autoencoder_halving_sweep(seed, quick):
    """72 configurations; the epochs are the resource of the search, not an axis.

    The Autoencoder's defaults otherwise: its cosine schedule follows whatever
    number of epochs the search gives it, and its precision is 'auto'.
    """
    pipe = Pipeline(
        [
            ("ae", Autoencoder(random_state=seed)),
            ("knn", KNeighborsClassifier(1)),
        ]
    )
    grid = {
        "ae__learning_rate": [1e-3, 3e-3, 1e-2],
        "ae__hidden_layer_sizes": [(128,), (256,), (256, 128)],
        "ae__n_components": [64, 144],
        "ae__batch_size": [64, 128],
        "ae__activation": ["relu", "elu"],
    }
    return pipe, grid


def classifier_sweep(seed, quick):
    grid = {
        "learning_rate": [1e-3, 3e-3],
        "batch_size": [64, 256],
        "max_epochs": [1, 2] if quick else [5, 10],
        "dropout": [0.1, 0.3],
    }
    return FeedForwardClassifier(random_state=seed, lr_schedule=None), grid


def unsupervised_sweep(seed, quick):
    grid = {
        "hidden_layer_sizes": [(128,), (256,), (512,)],
        "n_components": [64, 144],
        "learning_rate": [1e-3, 3e-3],
    }
    ae = Autoencoder(max_epochs=2 if quick else 6, **_RECIPE_0_1, random_state=seed)
    return ae, grid


def shrink(grid):
    """For --quick: two values of the first two parameters, one of the others."""
    return {k: v[:2] if i < 2 else v[:1] for i, (k, v) in enumerate(grid.items())}


def run_search(search, X, y, backend, precision):
    """Fit a search under the chosen joblib backend; return (search, seconds).

    The searched estimators train in ``precision``.
    """
    with_precision(search.estimator, precision)
    with Timer() as t:
        with joblib.parallel_backend(backend) if backend else _nothing():
            search.fit(X, y)
    return search, t.seconds


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def top_rows(search, n=5, rows=None):
    """The ``n`` best of ``rows`` (indices into ``cv_results_``; default all)."""
    results = search.cv_results_
    rows = np.arange(len(results["params"])) if rows is None else np.asarray(rows)
    order = rows[np.argsort(-results["mean_test_score"][rows], kind="stable")][:n]
    return [
        {
            "rank": position,
            "mean cv score": float(results["mean_test_score"][i]),
            "std": float(results["std_test_score"][i]),
            **{k.split("__")[-1]: str(v) for k, v in results["params"][i].items()},
        }
        for position, i in enumerate(order, start=1)
    ]


def write_cv_results(search, path):
    results = search.cv_results_
    keys = [k for k in results if not k.startswith("split")]
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(keys)
    for i in range(len(results["params"])):
        writer.writerow([results[k][i] for k in keys])
    atomic_write_bytes(path, text.getvalue().encode())


def plot_landscape(search, x_param, y_param, output, name, title):
    from skfashion.plotting import SearchLandscapeDisplay

    display = SearchLandscapeDisplay.from_search(
        search, x=x_param, y=y_param, title=title
    )
    save_figure(display.figure_, output, name)


def fit_lines(args):
    """The searches' ``verbose``: 2, a line as each fit ends; 3 with -v."""
    return 2 + min(args.verbose, 1)


# What --quick sets, where the command line does not.
QUICK = dict(n_train=600, cv=2)


def main(argv=None, prog=None):
    p = parser(__doc__.splitlines()[0], prog=prog)
    p.add_argument(
        "--sweep",
        choices=[*SWEEPS, "all"],
        nargs="+",
        default=["all"],
        help="the searches to run",
    )
    p.add_argument(
        "--n-train",
        type=positive_int,
        default=6000,
        help=f"training images searched on ({QUICK['n_train']} with --quick)",
    )
    p.add_argument(
        "--cv",
        type=int_at_least(2),
        default=3,
        help=f"cross-validation folds, 2 or more ({QUICK['cv']} with --quick)",
    )
    p.add_argument(
        "--n-jobs",
        type=n_jobs_type,
        default=None,
        help="parallel fits (joblib): 1 or more, or -1 for one per core",
    )
    p.add_argument(
        "--backend",
        choices=["loky", "dask"],
        default=None,
        help="joblib's backend for the parallel fits",
    )
    p.add_argument("--scheduler", default=None, help="address of a Dask scheduler")
    p.add_argument(
        "--name", default=None, help="stem of the result files (grid_search_DATASET)"
    )
    args = quick(p.parse_args(argv), **QUICK)
    sweeps = SWEEPS if "all" in args.sweep else args.sweep
    X, y, X_test, y_test, source = load(args)
    n_classes = len(np.unique(y))
    if min(args.n_train, len(X)) < args.cv * n_classes:
        p.error(
            f"--n-train {args.n_train} is too few for --cv {args.cv}: each of "
            f"the {args.cv} folds needs an image of each of the {n_classes} "
            f"classes ({args.cv * n_classes} images or more)"
        )
    if args.n_train < len(X):
        X, _, y, _ = train_test_split(
            X, y, train_size=args.n_train, stratify=y, random_state=args.seed
        )
    client = None
    if args.backend == "dask" or args.scheduler:
        from distributed import Client, LocalCluster

        if args.scheduler:
            client = Client(args.scheduler)
        else:
            client = Client(LocalCluster(processes=True, dashboard_address=None))
        args.backend = "dask"
        print(f"Dask: {client}")
    os.makedirs(args.output, exist_ok=True)
    stem = os.path.join(args.output, f"grid_search_{args.dataset}")
    results = {
        "dataset": args.dataset,
        "data": source,
        "n_train": len(X),
        "cv": args.cv,
        "n_jobs": args.n_jobs,
        "backend": args.backend or "none",
        "machine": machine(),
        "sweeps": {},
    }
    md = [
        f"Searches on {len(X)} {args.dataset} training images ({source} data), "
        f"{args.cv}-fold cv, n_jobs={args.n_jobs}, backend {results['backend']}; "
        f"{results['machine']}"
    ]
    name = args.name or f"grid_search_{args.dataset}"
    record = RunRecord(args, name, results, lambda _: "\n".join(md), len(sweeps))
    with record:
        run_sweeps(args, sweeps, X, y, X_test, y_test, stem, record, md)
        record.finish()
    if client is not None:
        client.close()


def run_sweeps(args, sweeps, X, y, X_test, y_test, stem, record, md):
    """Each sweep of ``sweeps``, its section saved in ``record`` as it ends."""
    results = record.results
    makers = {
        "autoencoder": autoencoder_sweep,
        "classifier": classifier_sweep,
        "unsupervised": unsupervised_sweep,
    }
    for sweep in [s for s in sweeps if s in makers]:
        estimator, grid = makers[sweep](args.seed, args.quick)
        if args.quick:
            grid = shrink(grid)
        record.say(f"{sweep} sweep")
        search = GridSearchCV(
            estimator, grid, cv=args.cv, n_jobs=args.n_jobs, verbose=fit_lines(args)
        )
        search, seconds = run_search(
            search,
            X,
            None if sweep == "unsupervised" else y,
            args.backend,
            args.precision,
        )
        n_fits = len(search.cv_results_["params"]) * args.cv
        entry = {
            "configurations": len(search.cv_results_["params"]),
            "seconds": seconds,
            "fits_per_second": n_fits / seconds,
            "best_params": {k: str(v) for k, v in search.best_params_.items()},
            "best_cv_score": search.best_score_,
            "top": top_rows(search),
        }
        if sweep != "unsupervised":  # the test set, once, for the winner
            entry["test_score_of_best"] = search.score(X_test, y_test)
        results["sweeps"][sweep] = entry
        write_cv_results(search, f"{stem}_{sweep}_cv_results.csv")
        x_param, y_param = list(grid)[:2]
        plot_landscape(
            search,
            x_param,
            y_param,
            args.output,
            f"grid_search_{args.dataset}_{sweep}",
            f"{args.dataset}: {sweep} sweep",
        )
        md.append(
            f"\n### {sweep} sweep: {entry['configurations']} configurations, "
            f"{seconds:.0f} s, {entry['fits_per_second']:.2f} fits/s; best cv "
            f"{search.best_score_:.4f}"
            + (
                f", test {entry['test_score_of_best']:.4f}"
                if "test_score_of_best" in entry
                else ""
            )
            + "\n\n"
            + markdown_table(entry["top"], list(entry["top"][0]))
        )
        record.step(
            f"{sweep} sweep: best cv {search.best_score_:.4f} ({seconds:.0f} s)"
        )
    others = {
        "halving": lambda: halving(args, X, y, results),
        "autoencoder-halving": lambda: autoencoder_halving(
            args, X, y, X_test, y_test, results
        ),
        "cache": lambda: cache(args, X, y, results),
        "parallel": lambda: parallel(args, X, y, results),
    }
    for sweep, run in others.items():
        if sweep in sweeps:
            record.say(f"{sweep} sweep")
            md.append(run())
            record.step(f"{sweep} sweep")


def halving(args, X, y, results):
    """Successive halving on the epochs against the full grid at max epochs."""
    max_epochs = 2 if args.quick else 8
    grid = {
        "ae__learning_rate": [1e-3, 3e-3, 1e-2],
        "ae__hidden_layer_sizes": [(128,), (256,), (256, 128)],
        "ae__n_components": [64, 144],
    }
    if args.quick:
        grid = shrink(grid)
    pipe = Pipeline(
        [
            (
                "ae",
                Autoencoder(
                    max_epochs=max_epochs, **_RECIPE_0_1, random_state=args.seed
                ),
            ),
            ("knn", KNeighborsClassifier(1)),
        ]
    )
    full, full_s = run_search(
        GridSearchCV(
            pipe, grid, cv=args.cv, n_jobs=args.n_jobs, verbose=fit_lines(args)
        ),
        X,
        y,
        args.backend,
        args.precision,
    )
    halving_search = HalvingGridSearchCV(
        pipe,
        grid,
        resource="ae__max_epochs",
        min_resources=1,
        max_resources=max_epochs,
        factor=2,
        cv=args.cv,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        verbose=fit_lines(args),
    )
    halved, halved_s = run_search(halving_search, X, y, args.backend, args.precision)
    entry = {
        "full_best": str(full.best_params_),
        "full_seconds": full_s,
        "full_best_cv": full.best_score_,
        "halving_best": str(halved.best_params_),
        "halving_seconds": halved_s,
        "same_winner": {
            k: v for k, v in halved.best_params_.items() if k != "ae__max_epochs"
        }
        == full.best_params_,
        "speedup": full_s / halved_s,
    }
    results["sweeps"]["halving"] = entry
    text = (
        f"\n### successive halving on the epochs (1 to {max_epochs}) against the "
        f"full grid at {max_epochs} epochs, {len(full.cv_results_['params'])} "
        f"configurations\n\n"
        + markdown_table(
            [
                {"search": "full grid", "seconds": full_s, "best": entry["full_best"]},
                {
                    "search": "halving",
                    "seconds": halved_s,
                    "best": entry["halving_best"],
                },
            ],
            ["search", "seconds", "best"],
        )
        + f"\n\nsame winner: {entry['same_winner']}; "
        f"speed-up {entry['speedup']:.2f}x"
    )
    return text


def autoencoder_halving(args, X, y, X_test, y_test, results):
    """The 72-configuration autoencoder sweep by successive halving on the epochs."""
    pipe, grid = autoencoder_halving_sweep(args.seed, args.quick)
    if args.quick:
        grid = shrink(grid)
    max_epochs = 2 if args.quick else 9
    search = HalvingGridSearchCV(
        pipe,
        grid,
        resource="ae__max_epochs",
        min_resources=1,
        max_resources=max_epochs,
        factor=2 if args.quick else 3,
        cv=args.cv,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        # training-fold scores would cost a 1-NN over every training image
        return_train_score=False,
        verbose=fit_lines(args),
    )
    search, seconds = run_search(search, X, y, args.backend, args.precision)
    with Timer() as t:
        test = search.score(X_test, y_test)
    cv = search.cv_results_
    rounds = [
        {
            "round": int(i),
            "epochs": int(search.n_resources_[i]),
            "candidates": int(search.n_candidates_[i]),
            "best mean cv 1-NN": float(np.max(cv["mean_test_score"][cv["iter"] == i])),
        }
        for i in range(search.n_iterations_)
    ]
    entry = {
        "configurations": int(search.n_candidates_[0]),
        "rounds": rounds,
        "seconds": seconds,
        "best_params": {k: str(v) for k, v in search.best_params_.items()},
        "best_cv_score": search.best_score_,
        "test_score_of_best": test,
        "test_predict_seconds": t.seconds,
        # The last round's candidates, trained for the most epochs.
        "top": top_rows(search, rows=np.flatnonzero(cv["iter"] == cv["iter"].max())),
    }
    results["sweeps"]["autoencoder-halving"] = entry
    stem = os.path.join(args.output, args.name or f"grid_search_{args.dataset}")
    write_cv_results(search, f"{stem}_autoencoder-halving_cv_results.csv")
    text = (
        f"\n### autoencoder sweep by successive halving on the epochs: "
        f"{entry['configurations']} configurations, {args.cv}-fold cv on "
        f"{len(X)} images, {seconds:.0f} s (refit of the winner included); best "
        f"cv 1-NN {search.best_score_:.4f}, test {test:.4f}\n\n"
        + markdown_table(rounds, list(rounds[0]))
        + "\n\n"
        + markdown_table(entry["top"], list(entry["top"][0]))
    )
    return text


def cache(args, X, y, results):
    """Autoencoder fits of a search over the 1-NN, with and without a cache."""
    rows = []
    for memory in (None, "cache"):
        with tempfile.TemporaryDirectory() as tmp:
            counter = os.path.join(tmp, "fits.txt")
            ae = Autoencoder(
                max_epochs=2 if args.quick else 5,
                **_RECIPE_0_1,
                random_state=args.seed,
                callbacks=[CountFits(counter)],
            )
            pipe = Pipeline(
                [("ae", ae), ("knn", KNeighborsClassifier())],
                memory=os.path.join(tmp, "cache") if memory else None,
            )
            search = GridSearchCV(
                pipe,
                {"knn__n_neighbors": [1, 3, 5, 7, 9]},
                cv=args.cv,
                n_jobs=args.n_jobs,
                verbose=fit_lines(args),
            )
            _, seconds = run_search(search, X, y, args.backend, args.precision)
            with open(counter) as f:
                fits = f.read().count("fit")
        rows.append(
            {
                "pipeline memory": memory or "none",
                "autoencoder fits": fits,
                "seconds": seconds,
                "best": str(search.best_params_),
            }
        )
    results["sweeps"]["cache"] = rows
    text = (
        "\n### Pipeline(memory=...) in a search over the 1-NN's neighbours (5 "
        f"candidates, {args.cv} folds)\n\n" + markdown_table(rows, list(rows[0]))
    )
    return text


def parallel(args, X, y, results):
    """The unsupervised sweep with one job, then with as many jobs as cores."""
    estimator, grid = unsupervised_sweep(args.seed, args.quick)
    if args.quick:
        grid = shrink(grid)
    n_cores = os.cpu_count() or 1
    rows = []
    for n_jobs in (1, n_cores):
        search = GridSearchCV(
            estimator, grid, cv=args.cv, n_jobs=n_jobs, verbose=fit_lines(args)
        )
        search, seconds = run_search(search, X, None, args.backend, args.precision)
        rows.append(
            {
                "n_jobs": n_jobs,
                "seconds": seconds,
                "best": str(search.best_params_),
                "best cv score": search.best_score_,
            }
        )
    speedup = rows[0]["seconds"] / rows[1]["seconds"]
    results["sweeps"]["parallel"] = {
        "rows": rows,
        "speedup": speedup,
        "same_best": rows[0]["best"] == rows[1]["best"],
    }
    text = (
        f"\n### joblib: the unsupervised sweep with 1 and {n_cores} jobs "
        f"(torch capped so that jobs x threads <= {n_cores} cores)\n\n"
        + markdown_table(rows, list(rows[0]))
        + f"\n\nspeed-up {speedup:.2f}x; same best: "
        f"{results['sweeps']['parallel']['same_best']}"
    )
    return text


if __name__ == "__main__":
    main()
