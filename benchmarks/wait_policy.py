"""What else was tried for a busy machine: OpenMP's wait policy and spin count.

Each setting runs a default fit in a fresh process (the OpenMP runtime reads
its environment once, when torch is imported), on the idle machine and beside
a process spinning on every core: torch's threads as they come, the same with
``OMP_WAIT_POLICY=PASSIVE`` or ``GOMP_SPINCOUNT=1000``, and one thread. All
with ``n_threads`` fixed, so that skfashion's own choice stays out of it.
Medians of ``--repeats`` interleaved runs, fit seconds only (the process's
start and imports are not counted).

    python benchmarks/wait_policy.py --repeats 3 --output results
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys

from busy import competing_load

from skfashion.benchmarks._common import machine, markdown_table, write_results

FIT = """
import sys, time, warnings
warnings.simplefilter("ignore")
from skfashion import Autoencoder, ConvClassifier
from skfashion.datasets import load_fashion_mnist_sample
X, y = load_fashion_mnist_sample(return_X_y=True)
threads = int(sys.argv[2])
if sys.argv[1] == "dense":
    est, X, y = Autoencoder(max_epochs=2, n_threads=threads), X, None
else:
    est, X, y = ConvClassifier(max_epochs=1, n_threads=threads), X[:600], y[:600]
start = time.perf_counter()
est.fit(X, y)
print(time.perf_counter() - start)
"""

SETTINGS = {
    "torch's threads, active wait (default)": ({}, 0),
    "OMP_WAIT_POLICY=PASSIVE": ({"OMP_WAIT_POLICY": "PASSIVE"}, 0),
    "GOMP_SPINCOUNT=1000": ({"GOMP_SPINCOUNT": "1000"}, 0),
    "one thread": ({}, 1),
}


def fit_seconds(model, env, threads):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2
    out = subprocess.run(
        [sys.executable, "-c", FIT, model, str(threads or cores)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--output", default="results")
    args = p.parse_args()
    rows = []
    for load in ("idle", "busy"):
        context = competing_load() if load == "busy" else contextlib.nullcontext()
        with context:
            for model in ("dense", "conv"):
                times = {name: [] for name in SETTINGS}
                for _ in range(args.repeats):
                    for name, (env, threads) in SETTINGS.items():
                        times[name].append(fit_seconds(model, env, threads))
                one = statistics.median(times["one thread"])
                for name in SETTINGS:
                    median = statistics.median(times[name])
                    rows.append(
                        {
                            "fit": {
                                "dense": "Autoencoder(), 3,000 images, 2 epochs",
                                "conv": "ConvClassifier(), 600 images, 1 epoch",
                            }[model],
                            "machine": load,
                            "setting": name,
                            "fit s": median,
                            "/ one thread": median / one,
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
    md = [
        f"{machine()}; medians of {args.repeats} interleaved runs, each in a "
        "fresh process; busy: a process spinning on every core.",
        "",
        markdown_table(rows, list(rows[0])),
    ]
    write_results(args.output, "wait_policy", {"rows": rows}, "\n".join(md))


if __name__ == "__main__":
    main()
