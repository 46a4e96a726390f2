"""Choose the estimators' defaults on a validation split, then test them once.

Each candidate (the shipped defaults, and a few variations) is trained on 90% of
the training set and scored on the other 10% (stratified, ``--seed``). The test
set is not looked at for that. Then the shipped default is trained on the whole
training set and scored once on the official test set. If a variation wins on
validation, the script says so: the default should change, and this script be
run again.

    python benchmarks/bench_defaults.py --dataset fashion-mnist --output results
"""

from _common import Timer, load, machine, markdown_table, parser, write_results
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error
from sklearn.model_selection import train_test_split

from skfashion import Autoencoder, FeedForwardClassifier

CANDIDATES = {
    "autoencoder": (
        Autoencoder,
        [
            {},
            {"learning_rate": 3e-3},
            {"batch_size": 32},
            {"batch_size": 64, "learning_rate": 2e-3},
            # round 2: the above stay above 0.0066; capacity and the loss
            {"loss": "bce"},
            {"hidden_layer_sizes": (512,), "batch_size": 64, "learning_rate": 2e-3},
            {"hidden_layer_sizes": (1024,), "learning_rate": 2e-3},
            # round 3: capacity helped most (0.0061); add a decay to settle
            {
                "hidden_layer_sizes": (1024,),
                "learning_rate": 2e-3,
                "lr_schedule": "step",
                "lr_step_size": 10,
                "lr_gamma": 0.3,
            },
            {
                "hidden_layer_sizes": (1024,),
                "batch_size": 64,
                "learning_rate": 2e-3,
                "lr_schedule": "step",
                "lr_step_size": 10,
                "lr_gamma": 0.3,
            },
        ],
    ),
    "classifier": (
        FeedForwardClassifier,
        [
            {},
            {"dropout": 0.2},
            {"batch_size": 256, "learning_rate": 2e-3},
            {"optimizer": "adamw", "weight_decay": 1e-2},
        ],
    ),
}


def evaluate(kind, estimator, X, y):
    if kind == "autoencoder":
        return {"mse": mean_squared_error(X, estimator.reconstruct(X))}
    pred = estimator.predict(X)
    return {
        "accuracy": accuracy_score(y, pred),
        "macro_f1": f1_score(y, pred, average="macro"),
    }


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--estimator", choices=[*CANDIDATES, "both"], default="both")
    p.add_argument(
        "--candidates",
        type=int,
        nargs="+",
        help="indices of the candidates to compare (default: all)",
    )
    p.add_argument("--no-test", action="store_true", help="validation only")
    p.add_argument(
        "--test-only",
        action="store_true",
        help="skip the validation runs; train the shipped default and test it",
    )
    args = p.parse_args(argv)
    X, y, X_test, y_test, source = load(args.dataset, args.quick)
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=0.1, stratify=y, random_state=args.seed
    )
    kinds = list(CANDIDATES) if args.estimator == "both" else [args.estimator]
    results = {
        "dataset": args.dataset,
        "data": source,
        "machine": machine(),
        "runs": [],
    }
    rows = []
    for kind in kinds:
        cls, candidates = CANDIDATES[kind]
        if args.candidates:
            candidates = [candidates[i] for i in args.candidates]
        if args.test_only:
            candidates = []
        quick = {"max_epochs": 2} if args.quick else {}
        validation = []
        for params in candidates:
            est = cls(random_state=args.seed, **quick, **params)
            with Timer() as t:
                est.fit(X_fit, y_fit)
            scores = evaluate(kind, est, X_val, y_val)
            validation.append((params, scores))
            rows.append(
                {
                    "estimator": kind,
                    "params": params or "(defaults)",
                    "split": "validation",
                    **scores,
                    "fit_s": t.seconds,
                }
            )
            print(rows[-1], flush=True)
        key, better = ("mse", min) if kind == "autoencoder" else ("accuracy", max)
        best = better(validation, key=lambda v: v[1][key])[0] if validation else {}
        results["runs"].append(
            {"estimator": kind, "validation": validation, "best_on_validation": best}
        )
        if args.no_test:
            continue
        est = cls(random_state=args.seed, **quick)
        with Timer() as t:
            est.fit(X, y)
        test = evaluate(kind, est, X_test, y_test)
        rows.append(
            {
                "estimator": kind,
                "params": "(defaults)",
                "split": "test",
                **test,
                "fit_s": t.seconds,
            }
        )
        print(rows[-1], flush=True)
        results["runs"][-1].update(
            {"test": test, "fit_seconds": t.seconds, "epochs": est.n_epochs_}
        )
    columns = ["estimator", "params", "split", "mse", "accuracy", "macro_f1", "fit_s"]
    md = (
        f"Defaults on {args.dataset} ({source} data), seed {args.seed}; "
        f"{results['machine']}\n\n" + markdown_table(rows, columns)
    )
    for run in results["runs"]:
        if run["best_on_validation"] != {}:
            md += (
                f"\n\nOn validation, {run['best_on_validation']} beat the "
                f"{run['estimator']} defaults."
            )
    name = "_".join(["defaults", args.dataset] + kinds)
    write_results(args.output, name, results, md)


if __name__ == "__main__":
    main()
