"""Frechet distance of generated images to the test images, in a classifier's features.

A ``FeedForwardClassifier`` trained on the training images gives the feature
space (its last hidden layer), as Inception does for the FID. In it, the
distance to the official test images of:

(a) as many real training images (the floor: what real data scores);
(b) samples of a ``VariationalAutoencoder``: decoded draws from its prior, and
    from the Gaussian mixture fitted to its training codes (its default);
(c) samples of the seeds' 784-256-64 ``Autoencoder`` from a Gaussian fitted to
    its training codes;
(d) the seeds' method: the same autoencoder decoding N(0, I) draws;
(e) samples of a ``ConvAutoencoder`` (64 numbers, its defaults) from a
    Gaussian fitted to its training codes;
(f) samples of a ``ConvVariationalAutoencoder`` (its defaults) from its prior
    and from its codes' mixture (``--no-conv`` leaves both convolutional ones
    out).

    python -m skfashion generation --dataset fashion-mnist --output results

Writes ``generation_<dataset>.json``, ``.md`` and a PNG of sample grids.
"""

import numpy as np

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvVariationalAutoencoder,
    FeedForwardClassifier,
    VariationalAutoencoder,
)
from skfashion.metrics import frechet_distance
from skfashion.timing import Timer

from ._common import (
    RunRecord,
    load,
    machine,
    markdown_table,
    parser,
    pyplot,
    save_figure,
)


def main(argv=None, prog=None):
    p = parser(__doc__.splitlines()[0], prog=prog)
    p.add_argument(
        "--n-samples", type=int, default=10000, help="images generated a model"
    )
    p.add_argument("--epochs", type=int, default=30, help="of the generators")
    p.add_argument(
        "--classifier-epochs",
        type=int,
        default=20,
        help="epochs of the classifier whose features the distance is in",
    )
    p.add_argument(
        "--no-conv",
        action="store_true",
        help="leave out the convolutional autoencoders",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.n_samples, args.epochs, args.classifier_epochs = 500, 2, 2
    X, y, X_test, y_test, source = load(args)
    rng = np.random.default_rng(args.seed)
    n = min(args.n_samples, len(X_test), len(X))
    reference = X_test[:n]
    common = dict(
        random_state=args.seed, precision=args.precision, verbose=args.verbose
    )
    with Timer() as t_clf:
        # skfashion 0.1's defaults (no step within 20 epochs), as committed
        features = FeedForwardClassifier(
            max_epochs=args.classifier_epochs,
            lr_schedule=None,
            batch_size=128,
            **common,
        ).fit(X, y)
    results = {
        "dataset": args.dataset,
        "data": source,
        "machine": machine(),
        "n_images": n,
        "classifier_test_accuracy": features.score(X_test, y_test),
        "epochs": args.epochs,
        "seed": args.seed,
        "fit_seconds": {"classifier": t_clf.seconds},
        "rows": [],
    }
    gens = generators(args, n, common)
    n_rows = 1 + sum(len(samplers) for _, _, samplers in gens)
    sets = {}
    name = f"generation_{args.dataset}"
    with RunRecord(args, name, results, report, n_rows) as record:

        def add(label, images):
            sets[label] = images
            fd = frechet_distance(reference, images, features)
            record.add(
                {
                    "images": label,
                    "Frechet distance (classifier features)": fd,
                    "Frechet distance (pixels)": frechet_distance(reference, images),
                },
                text=f"{label}: Frechet distance {fd:.2f}",
            )

        add("real training images (floor)", X[rng.choice(len(X), n, replace=False)])
        for fit_name, estimator, samplers in gens:
            with Timer() as t:
                estimator.fit(X)
            record.results["fit_seconds"][fit_name] = t.seconds
            for label, sample in samplers.items():
                add(label, sample(estimator))
        record.finish()
    plot_grids(sets, args)


def generators(args, n, common):
    """(name, unfitted estimator, {row label: its sampling}) of each generator."""
    seed = args.seed
    gens = [
        (
            "vae",  # the 0.1 defaults, with which the committed results were measured
            VariationalAutoencoder(
                max_epochs=args.epochs, lr_schedule=None, batch_size=128, **common
            ),
            {
                "VAE, prior N(0, I)": lambda m: m.sample(
                    n, random_state=seed, distribution="prior"
                ),
                "VAE, mixture of its codes": lambda m: m.sample(
                    n, random_state=seed, distribution="mixture"
                ),
            },
        ),
        (
            "autoencoder",  # the seeds' 784-256-64, trained as they did
            Autoencoder(
                (256,),
                64,
                learning_rate=1e-3,
                lr_schedule=None,
                batch_size=128,
                max_epochs=args.epochs,
                **common,
            ),
            {
                "autoencoder, fitted Gaussian": lambda m: m.sample(
                    n, random_state=seed
                ),
                "autoencoder, N(0, I) (the seeds')": lambda m: m.sample(
                    n, random_state=seed, distribution="standard"
                ),
            },
        ),
    ]
    if not args.no_conv:
        gens += [
            (
                "conv autoencoder",
                ConvAutoencoder(max_epochs=args.epochs, **common),
                {
                    "conv autoencoder, fitted Gaussian": lambda m: m.sample(
                        n, random_state=seed
                    )
                },
            ),
            (
                "conv VAE",  # its defaults, epochs included
                ConvVariationalAutoencoder(
                    **common, **({"max_epochs": args.epochs} if args.quick else {})
                ),
                {
                    "conv VAE, prior N(0, I)": lambda m: m.sample(
                        n, random_state=seed, distribution="prior"
                    ),
                    "conv VAE, mixture of its codes": lambda m: m.sample(
                        n, random_state=seed, distribution="mixture"
                    ),
                },
            ),
        ]
    return gens


def report(results):
    rows = results["rows"]
    fd = {r["images"]: r["Frechet distance (classifier features)"] for r in rows}
    seeds = fd.get("autoencoder, N(0, I) (the seeds')")
    vae = fd.get("VAE, prior N(0, I)")
    ratio = f" VAE / seeds' method: {vae / seeds:.2f}." if seeds and vae else ""
    return (
        f"Frechet distance to {results['n_images']} {results['dataset']} test "
        f"images ({results['data']} data), seed {results['seed']}; feature space: "
        f"last hidden layer of a FeedForwardClassifier (test accuracy "
        f"{results['classifier_test_accuracy']:.4f}); generators trained "
        f"{results['epochs']} epochs.{ratio} {results['machine']}\n\n"
        + markdown_table(rows, list(rows[0]))
    )


def plot_grids(sets, args):
    """Two rows of eight images per set, stacked; the figure sized to them."""
    plt = pyplot()

    from skfashion.plotting import SamplesDisplay

    # 2 x 8 images of 28 x 28 pixels (and their margins) at 0.6 inches an
    # image, as SamplesDisplay sizes a figure of its own, and a title
    width, height = 8 * 30 * 0.6 / 28, 2 * 30 * 0.6 / 28 + 0.4
    fig, axes = plt.subplots(
        len(sets), 1, figsize=(width, height * len(sets)), layout="constrained"
    )
    for ax, (name, images) in zip(axes, sets.items()):
        SamplesDisplay(images[:16], title=name).plot(ax=ax, n_cols=8)
    save_figure(fig, args.output, f"generation_{args.dataset}", dpi=100)


if __name__ == "__main__":
    main()
