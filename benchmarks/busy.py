"""The same fits on an idle machine and beside a process spinning on every core.

Three thread settings, interleaved run by run so that they share the
machine's state: torch's own threads (one a core: skfashion's behaviour
before ``n_threads``), the default ``n_threads=None`` (chosen from the work
and the cores other processes leave free), and one thread. The study behind
``n_threads=None``: it reads the package's private thread policy
(``skfashion._runtime``), which is why it is a script of the repository and
not a command of the installed package.

    python benchmarks/busy.py --dataset fashion-mnist --repeats 5 --output results
"""

import contextlib
import os
import statistics
import subprocess
import sys
import time

from sklearn.base import clone

from skfashion import Autoencoder, ConvClassifier
from skfashion._runtime import CpuMeter, available_cores
from skfashion.benchmarks._common import (
    load,
    machine,
    markdown_table,
    parser,
    write_results,
)


@contextlib.contextmanager
def competing_load(processes=None):
    """Start ``processes`` Python processes that spin (one a core by default).

    The load of a shared machine at its worst: every core wanted by another
    process all the time. The processes are killed on leaving.
    """
    n = processes or os.cpu_count() or 1
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)
    ]
    try:
        time.sleep(1.0)  # started, and spinning
        yield n
    finally:
        for p in spinners:
            p.kill()
        for p in spinners:
            p.wait()


def cases(X, y, quick=False):
    """(name, estimator, X, y) of a dense and a convolutional default fit."""
    n_dense, n_conv = (300, 64) if quick else (3000, 600)
    return [
        ("Autoencoder()", Autoencoder(max_epochs=2), X[:n_dense], None),
        ("ConvClassifier()", ConvClassifier(max_epochs=1), X[:n_conv], y[:n_conv]),
    ]


def _fit_seconds(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start, estimator


def busy_rows(X, y, repeats=3, quick=False, seed=0):
    """Median fit seconds per estimator, load and thread setting."""
    cores = available_cores()
    settings = {
        f"torch's {cores} threads (before)": cores,
        "n_threads=None (default)": None,
        "one thread": 1,
    }
    rows = []
    for machine_load in ("idle", "busy"):
        context = (
            competing_load() if machine_load == "busy" else contextlib.nullcontext()
        )
        with context:
            load_average = os.getloadavg()[0]
            meter = CpuMeter()  # what the other processes take, phase long
            meter.others()
            phase = []
            for name, est, Xc, yc in cases(X, y, quick):
                seconds = {s: [] for s in settings}
                threads_used = {s: set() for s in settings}
                for _ in range(repeats):
                    for setting, n_threads in settings.items():
                        fit = clone(est).set_params(
                            n_threads=n_threads, random_state=seed
                        )
                        s, fitted = _fit_seconds(fit, Xc, yc)
                        seconds[setting].append(s)
                        threads_used[setting] |= set(fitted.history_[:, "threads"])
                one = statistics.median(seconds["one thread"])
                before = statistics.median(seconds[next(iter(settings))])
                for setting in settings:
                    median = statistics.median(seconds[setting])
                    rows.append(
                        {
                            "estimator": name,
                            "samples": len(Xc),
                            "epochs": est.max_epochs,
                            "machine": machine_load,
                            "load average at start": round(load_average, 2),
                            "threads": setting,
                            "threads used": ",".join(
                                map(str, sorted(threads_used[setting]))
                            ),
                            "fit s": median,
                            "/ one thread": median / one,
                            "/ before": median / before,
                        }
                    )
                    phase.append(rows[-1])
                    print(rows[-1], flush=True)
            others = meter.others()
            for row in phase:
                row["cores held by others"] = (
                    "unknown" if others is None else round(others, 2)
                )
    return rows


def main(argv=None):
    p = parser(__doc__.splitlines()[0], prog="benchmarks/busy.py")
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    args = p.parse_args(argv)
    X, y, _, _, source = load(args)
    load_at_start = os.getloadavg()[0]
    busy = busy_rows(X, y.astype("int64"), args.repeats, args.quick, args.seed)
    results = {
        "dataset": args.dataset,
        "data": source,
        "machine": machine(),
        "load_average_at_start": load_at_start,
        "busy": busy,
    }
    md = [
        f"{args.dataset} images ({source} data); {results['machine']}; load "
        f"average at the start {load_at_start:.2f}.",
        "",
        "Fits on an idle machine and beside a process spinning on every core: "
        f"median seconds of {args.repeats} interleaved runs of each thread setting.",
        "",
        markdown_table(busy, list(busy[0])),
    ]
    write_results(args.output, f"busy_{args.dataset}", results, "\n".join(md))


if __name__ == "__main__":
    main()
