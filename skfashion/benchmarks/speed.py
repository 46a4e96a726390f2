"""How close training and inference come to what this machine can compute.

In one run, interleaved so that the figures share the machine's state:

1. the matrix-multiply peak in float32 and bfloat16 (GFLOP/s, the best of a
   few large products);
2. for each estimator, its epoch on ``--n-train`` images trained three ways:
   a plain float32 PyTorch loop over the same module, batch size and data (the
   baseline), skfashion in float32, and skfashion with its defaults (mixed
   precision where the processor computes bfloat16 natively, a fused
   optimizer): median seconds per epoch over ``--repeats`` rounds of
   ``--epochs`` epochs, the ratio to the baseline, the GFLOP/s reached (the
   matrix products of the forward and backward passes, counted by
   ``torch.utils.flop_counter``) and its fraction of the matching peak;
3. the options tried on the default autoencoder in a plain loop (``foreach``
   and fused Adam, bfloat16, larger batches, ``torch.compile``), to say what
   wins and by how much (``--no-options`` skips them);
4. inference: one sample and 10,000 samples through ``transform`` /
   ``predict`` (input validation included) against a float32 forward of the
   bare module;
5. a busy machine: a default fit of ``Autoencoder`` and ``ConvClassifier``
   on an idle machine and beside a process spinning on every core, with
   torch's own threads (skfashion before ``n_threads``), the default
   ``n_threads=None`` and one thread (``--busy-only`` runs just this; the
   spinning processes are its own).

    python -m skfashion speed --dataset fashion-mnist --output results

Run it alone: it measures the machine, and anything running beside it is
measured too (the load average at the start is written with the results).
"""

import os
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from skfashion import Autoencoder, FeedForwardClassifier
from skfashion._runtime import native_bfloat16

from ._busy import busy_rows
from ._common import load, machine, markdown_table, parser, write_results

# -- the machine's peak --------------------------------------------------------


def matmul_peak(dtype, seconds=1.0):
    """GFLOP/s of the best of a few large matrix products in ``dtype``."""
    best = 0.0
    for m, k, n in ((4096, 1024, 1024), (2048, 2048, 2048), (8192, 784, 1024)):
        a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
        for _ in range(3):
            a @ b
        rates = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            start = time.perf_counter()
            a @ b
            rates.append(2 * m * k * n / (time.perf_counter() - start) / 1e9)
        best = max(best, statistics.median(rates))
    return best


# -- training ------------------------------------------------------------------


def reconstruction_mse(output, target, X):
    return F.mse_loss(output["reconstruction"].float(), X)


def cross_entropy(output, target, X):
    return F.cross_entropy(output.float(), target)


def train_flops_per_sample(module, loss_fn, X, y, batch_size):
    """FLOPs of the matrix products of one training step, per sample."""
    Xb, yb = torch.as_tensor(X[:batch_size]), torch.as_tensor(y[:batch_size])
    module.train()
    with FlopCounterMode(display=False) as counter:
        loss_fn(module(Xb), yb, Xb).backward()
    module.zero_grad()
    return counter.get_total_flops() / len(Xb)


def plain_epochs(
    module, loss_fn, X, y, batch_size, lr, epochs, bf16=False, fused=False
):
    """Epoch times and last loss of a hand-written loop: the baseline and options."""
    optimizer = torch.optim.Adam(module.parameters(), lr=lr, fused=fused or None)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    module.train()
    times, total = [], 0.0
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(X))
        total = 0.0
        for i in range(0, len(X), batch_size):
            index = order[i : i + batch_size]
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                output = module(X[index])
            loss = loss_fn(output, y[index], X[index])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        times.append(time.perf_counter() - start)
    return times, total / len(X)


def estimator_epochs(estimator, X, y, epochs):
    """Epoch times (skorch's timer) and last training loss of ``fit``."""
    estimator.set_params(max_epochs=epochs)
    estimator.fit(X, y)
    return list(estimator.history_[:, "dur"]), estimator.loss_curve_[-1]


def cases():
    """(name, estimator, loss) for the estimators' defaults, no schedule."""
    return [
        (
            "Autoencoder (defaults, 784-1024-64)",
            Autoencoder(batch_size=128, lr_schedule=None, random_state=0),
            reconstruction_mse,
        ),
        (
            "FeedForwardClassifier (defaults)",
            FeedForwardClassifier(batch_size=128, lr_schedule=None, random_state=0),
            cross_entropy,
        ),
    ]


def training_rows(X, y, args, peak):
    """One row per estimator and way of training, plus the fitted estimators."""
    rows, fitted = [], {}
    for name, estimator, loss_fn in cases():
        is_ae = isinstance(estimator, Autoencoder)
        target = None if is_ae else y
        # The module the estimator builds, taken from a one-epoch fit.
        probe = estimator.set_params(max_epochs=1).fit(
            X[:256], None if is_ae else y[:256]
        )
        make_module = probe.net_.initialize_module
        batch, lr = estimator.batch_size, estimator.learning_rate
        flops = train_flops_per_sample(
            make_module().module_, loss_fn, X, y, batch
        ) * len(X)
        ways = ["plain PyTorch, float32", "skfashion, float32", "skfashion, defaults"]
        times = {way: [] for way in ways}
        losses = {}
        for round_ in range(args.repeats):
            torch.manual_seed(round_)
            module = make_module().module_
            t, losses["plain PyTorch, float32"] = plain_epochs(
                module, loss_fn, X, y, batch, lr, args.epochs
            )
            times["plain PyTorch, float32"] += t
            for way, precision in (
                ("skfashion, float32", "float32"),
                ("skfashion, defaults", "auto"),
            ):
                est = estimator.set_params(precision=precision)
                t, losses[way] = estimator_epochs(est, X, target, args.epochs)
                times[way] += t
        fitted[name] = estimator.set_params(precision="auto")
        base = statistics.median(times["plain PyTorch, float32"])
        for way in ways:
            precision = "float32"
            if way == "skfashion, defaults":
                precision = estimator.precision_
            seconds = statistics.median(times[way])
            rate = flops / seconds / 1e9
            rows.append(
                {
                    "estimator": name,
                    "way": way,
                    "precision": precision,
                    "batch": batch,
                    "s/epoch": seconds,
                    "x plain": base / seconds,
                    "GFLOP/s": rate,
                    "of peak": rate / peak[precision],
                    "last loss": losses[way],
                }
            )
            print(rows[-1], flush=True)
    return rows, fitted


def option_rows(X, y, args, peak):
    """Options tried on the default autoencoder's module in a plain loop."""
    name, estimator, loss_fn = cases()[0]
    probe = estimator.set_params(max_epochs=1).fit(X[:256])
    make_module = probe.net_.initialize_module
    lr = estimator.learning_rate
    options = [
        ("float32, Adam (foreach)", 128, {}),
        ("float32, Adam (fused)", 128, {"fused": True}),
        ("bfloat16, Adam (fused)", 128, {"fused": True, "bf16": True}),
        ("float32, Adam (fused), batch 512", 512, {"fused": True}),
        ("bfloat16, Adam (fused), batch 512", 512, {"fused": True, "bf16": True}),
    ]
    times = {label: [] for label, _, _ in options}
    flops = {}
    for round_ in range(args.repeats):
        for label, batch, kwargs in options:
            torch.manual_seed(round_)
            module = make_module().module_
            flops[label] = train_flops_per_sample(module, loss_fn, X, X, batch)
            times[label] += plain_epochs(
                module, loss_fn, X, X, batch, lr, args.epochs, **kwargs
            )[0]
    rows = []
    base = statistics.median(times[options[0][0]])
    for label, batch, kwargs in options:
        seconds = statistics.median(times[label])
        rate = flops[label] * len(X) / seconds / 1e9
        precision = "bfloat16" if kwargs.get("bf16") else "float32"
        rows.append(
            {
                "option": label,
                "s/epoch": seconds,
                "x foreach float32": base / seconds,
                "GFLOP/s": rate,
                "of peak": rate / peak[precision],
            }
        )
    if not args.quick:  # compiling takes most of a minute
        rows.append(compile_row(make_module, loss_fn, X, lr, args, base))
    for row in rows:
        print(row, flush=True)
    return rows


def compile_row(make_module, loss_fn, X, lr, args, base):
    """``torch.compile`` of the module, as skorch's ``compile=True`` does."""
    torch.manual_seed(0)
    module = make_module().module_
    try:
        start = time.perf_counter()
        compiled = torch.compile(module)
        # The first epoch compiles; the others run the compiled code.
        times, _ = plain_epochs(
            compiled, loss_fn, X, X, 128, lr, args.epochs + 1, fused=True
        )
        total = time.perf_counter() - start
    except Exception as exc:  # no compiler on this machine, say so
        return {"option": f"float32, torch.compile: failed ({type(exc).__name__})"}
    seconds = statistics.median(times[1:])
    return {
        "option": (
            f"float32, Adam (fused), torch.compile (first epoch "
            f"{times[0]:.1f} s, run {total:.1f} s)"
        ),
        "s/epoch": seconds,
        "x foreach float32": base / seconds,
    }


# -- inference -----------------------------------------------------------------


def _seconds(function, calls):
    """Median seconds of ``function()`` over ``calls`` calls, after a warm-up."""
    for _ in range(min(calls, 10)):
        function()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def inference_rows(fitted, X):
    """One sample and 10,000 through the estimator, against the bare module."""
    rows = []
    X = np.ascontiguousarray(X[:10000])
    for name, est in fitted.items():
        module = est.net_.module_.eval()
        bare = module.encode if isinstance(est, Autoencoder) else module
        method = est.transform if isinstance(est, Autoencoder) else est.predict
        for n, calls in ((1, 300), (len(X), 5)):
            Xn = X[:n]
            Xt = torch.as_tensor(Xn)
            with torch.inference_mode():
                bare_s = _seconds(lambda: bare(Xt), calls)
            ours = _seconds(lambda: method(Xn), calls)
            rows.append(
                {
                    "estimator": name,
                    "method": method.__name__,
                    "samples": n,
                    "bare module ms": bare_s * 1e3,
                    "skfashion ms": ours * 1e3,
                    "skfashion / bare": ours / bare_s,
                    "samples/s": n / ours,
                }
            )
            print(rows[-1], flush=True)
    return rows


def main(argv=None, prog=None):
    p = parser(__doc__.splitlines()[0], prog=prog, precision=False)
    p.add_argument("--n-train", type=int, default=20000, help="training images")
    p.add_argument("--epochs", type=int, default=3, help="epochs per round")
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    p.add_argument("--no-options", action="store_true", help="skip the options")
    p.add_argument(
        "--busy-only",
        action="store_true",
        help="only the fits on an idle and on a busy machine",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats, args.n_train = 2, 1, 2000
    X, y, _, _, source = load(args)
    X, y = X[: args.n_train], y[: args.n_train].astype(np.int64)
    load_at_start = os.getloadavg()[0]
    if args.busy_only:
        return _busy_only(args, X, y, source, load_at_start)
    peak = {
        "float32": matmul_peak(torch.float32),
        "bfloat16": matmul_peak(torch.bfloat16),
    }
    print(f"matmul peak GFLOP/s: {peak}", flush=True)
    training, fitted = training_rows(X, y, args, peak)
    options = [] if args.no_options else option_rows(X, y, args, peak)
    inference = inference_rows(fitted, X)
    busy = busy_rows(X, y, args.repeats, args.quick, args.seed)
    results = {
        "dataset": args.dataset,
        "data": source,
        "n_train": len(X),
        "machine": machine(),
        "native_bfloat16": native_bfloat16("cpu"),
        "load_average_at_start": load_at_start,
        "peak_gflops": peak,
        "training": training,
        "options": options,
        "inference": inference,
        "busy": busy,
    }
    md = [
        f"{len(X)} {args.dataset} images ({source} data); {results['machine']}; "
        f"bfloat16 native: {results['native_bfloat16']}; load average at the "
        f"start {load_at_start:.2f}. Medians of {args.repeats} interleaved rounds "
        f"of {args.epochs} epochs.",
        "",
        f"Matrix-multiply peak: {peak['float32']:.0f} GFLOP/s in float32, "
        f"{peak['bfloat16']:.0f} GFLOP/s in bfloat16.",
        "",
        markdown_table(training, list(training[0])),
    ]
    if options:
        md += ["", markdown_table(options, list(options[0]))]
    md += ["", markdown_table(inference, list(inference[0]))]
    md += ["", _busy_intro(args), "", markdown_table(busy, list(busy[0]))]
    write_results(args.output, f"speed_{args.dataset}", results, "\n".join(md))


def _busy_intro(args):
    return (
        "Fits on an idle machine and beside a process spinning on every core: "
        f"median seconds of {args.repeats} interleaved runs of each thread setting."
    )


def _busy_only(args, X, y, source, load_at_start):
    busy = busy_rows(X, y, args.repeats, args.quick, args.seed)
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
        _busy_intro(args),
        "",
        markdown_table(busy, list(busy[0])),
    ]
    write_results(args.output, f"busy_{args.dataset}", results, "\n".join(md))


if __name__ == "__main__":
    main()
