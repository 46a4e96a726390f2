"""How close training and inference come to what this machine can compute.

In one run, interleaved so that the figures share the machine's state:

1. the matrix-multiply peak in float32 and bfloat16 (GFLOP/s, the best of a
   few large products) and the memory bandwidth (GB/s of a large copy);
2. for each estimator (the fully connected and the convolutional ones), its
   epoch trained by a plain float32 PyTorch loop over the same module, batch
   size and data (the baseline: Adam, NCHW images), by the same loop with each
   option on its own (fused Adam, bfloat16 autocast, channels_last for the
   convolutional modules) and all together (and compiled, ``torch.compile``,
   its first epoch, the compilation, reported beside), and by skfashion in
   float32 and with its defaults: median seconds per epoch over
   ``--repeats`` rounds of ``--epochs`` epochs on ``--n-train`` images
   (``--n-train-conv`` for the convolutional ones), the ratio to the
   baseline, the GFLOP/s reached (the matrix products and convolutions of
   the forward and backward passes, counted by ``torch.utils.flop_counter``)
   and its fraction of the matching peak, and the memory a step moves (an
   estimate: every activation written and read once forward and its
   gradient once backward, Adam's reads and writes of the weights, gradients
   and moments) against the bandwidth: which limit each is near;
3. the batch sizes tried on the default autoencoder in a plain loop
   (``--no-options`` skips them);
4. inference: one sample and 10,000 samples through ``transform`` /
   ``predict`` (input validation included) against a float32 forward of the
   bare module (NCHW for the convolutional ones);
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
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    FeedForwardClassifier,
)
from skfashion._runtime import native_bfloat16

from ._busy import busy_rows
from ._common import load, machine, markdown_table, parser, write_results

# -- the machine's limits ------------------------------------------------------


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


def memory_bandwidth(megabytes=256, seconds=1.0):
    """GB/s of a large copy (read and write counted), its median."""
    a = torch.ones(megabytes * 2**20 // 4)
    b = torch.empty_like(a)
    b.copy_(a)
    rates = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        b.copy_(a)
        rates.append(2 * a.numel() * 4 / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


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


def step_bytes_per_sample(module, X, batch_size, bf16=False):
    """An estimate of the bytes a training step moves, per sample.

    Every layer's output is written and read once in the forward pass and
    its gradient written and read once in the backward: 4 x the bytes of the
    activations (in their dtype: bfloat16 under autocast halves most); Adam
    reads the weights, gradients and two moments and writes three of them:
    7 x 4 bytes a parameter a step. A lower bound: kernels that read a tensor
    twice, or cache misses, move more.
    """
    Xb = torch.as_tensor(X[:batch_size])
    activations = 0

    def count(_module, _inputs, output):
        nonlocal activations
        outputs = output.values() if isinstance(output, dict) else [output]
        for o in outputs:
            if isinstance(o, torch.Tensor):
                activations += o.numel() * o.element_size()

    leaves = [m for m in module.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    try:
        module.train()
        with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            module(Xb)
    finally:
        for hook in hooks:
            hook.remove()
    parameters = sum(p.numel() for p in module.parameters())
    return (4 * activations + 7 * 4 * parameters * len(Xb) / batch_size) / len(Xb)


def plain_epochs(
    module,
    loss_fn,
    X,
    y,
    batch_size,
    lr,
    epochs,
    bf16=False,
    fused=False,
    channels_last=False,
):
    """Epoch times and last loss of a hand-written loop: the baseline and options.

    The module's 4-d weights are put in ``channels_last`` or in the standard
    contiguous layout (NCHW), whichever the module came in.
    """
    layout = torch.channels_last if channels_last else torch.contiguous_format
    module.to(memory_format=layout)
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
    fixed = dict(batch_size=128, lr_schedule=None, random_state=0)
    return [
        (
            "Autoencoder (defaults, 784-1024-64)",
            Autoencoder(**fixed),
            reconstruction_mse,
        ),
        (
            "FeedForwardClassifier (defaults)",
            FeedForwardClassifier(**fixed),
            cross_entropy,
        ),
        ("ConvClassifier (defaults)", ConvClassifier(**fixed), cross_entropy),
        ("ConvAutoencoder (defaults)", ConvAutoencoder(**fixed), reconstruction_mse),
    ]


def plain_ways(conv):
    """(label, options) of the plain loops: the baseline, each option, all."""
    options = {"fused Adam": {"fused": True}, "bfloat16": {"bf16": True}}
    if conv:
        options["channels_last"] = {"channels_last": True}
    everything = {k: v for o in options.values() for k, v in o.items()}
    return [
        ("plain PyTorch, float32", {}),
        *((f"plain, {label}", o) for label, o in options.items()),
        (f"plain, {' + '.join(options)}", everything),
    ]


def training_rows(X, y, args, limits):
    """One row per estimator and way of training, plus the fitted estimators."""
    rows, fitted = [], {}
    for name, estimator, loss_fn in cases():
        is_ae = loss_fn is reconstruction_mse
        conv = "Conv" in type(estimator).__name__
        n = args.n_train_conv if conv else args.n_train
        Xn, yn = X[:n], y[:n]
        target = None if is_ae else yn
        # The module the estimator builds, taken from a one-epoch fit.
        probe = estimator.set_params(max_epochs=1).fit(
            Xn[:256], None if is_ae else yn[:256]
        )
        make_module = probe.net_.initialize_module
        batch, lr = estimator.batch_size, estimator.learning_rate
        flops = train_flops_per_sample(make_module().module_, loss_fn, Xn, yn, batch)
        ways = plain_ways(conv)
        ours = ["skfashion, float32", "skfashion, defaults"]
        times = {label: [] for label in [*(label for label, _ in ways), *ours]}
        losses = {}
        # Bytes a step moves, per sample, in float32 and in bfloat16 (the
        # layout does not change them).
        moved = {
            bf16: step_bytes_per_sample(make_module().module_, Xn, batch, bf16)
            for bf16 in (False, True)
        }
        for round_ in range(args.repeats):
            for label, options in ways:
                torch.manual_seed(round_)
                module = make_module().module_
                t, losses[label] = plain_epochs(
                    module, loss_fn, Xn, yn, batch, lr, args.epochs, **options
                )
                times[label] += t
            for way, precision in (
                ("skfashion, float32", "float32"),
                ("skfashion, defaults", "auto"),
            ):
                est = estimator.set_params(precision=precision)
                t, losses[way] = estimator_epochs(est, Xn, target, args.epochs)
                times[way] += t
        if conv and not args.quick:  # compiling takes a minute or more
            label, t, loss = compile_epochs(
                make_module, loss_fn, Xn, yn, batch, lr, args.epochs, ways[-1]
            )
            times[label], losses[label] = t, loss
        fitted[name] = estimator.set_params(precision="auto")
        base = statistics.median(times["plain PyTorch, float32"])
        for way in times:
            bf16 = "bfloat16" in way or "compile" in way
            precision = "bfloat16" if bf16 else "float32"
            if way == "skfashion, defaults":
                precision = estimator.precision_
            seconds = statistics.median(times[way])
            rate = flops * n / seconds / 1e9
            traffic = moved[precision == "bfloat16"] * n / seconds / 1e9
            rows.append(
                {
                    "estimator": name,
                    "way": way,
                    "precision": precision,
                    "batch": batch,
                    "s/epoch": seconds,
                    "x plain": base / seconds,
                    "GFLOP/s": rate,
                    "of peak": rate / limits[precision],
                    "GB/s moved (est.)": traffic,
                    "of bandwidth": traffic / limits["bandwidth"],
                    "last loss": losses[way],
                }
            )
            print(rows[-1], flush=True)
    return rows, fitted


def compile_epochs(make_module, loss_fn, X, y, batch, lr, epochs, way):
    """``torch.compile`` over the plain loop's every option (``way``).

    The first epoch compiles (in a cold cache: the run's own, see ``main``)
    and is reported in the label; the figures are the epochs after it.
    """
    label, options = way
    torch.manual_seed(0)
    module = make_module().module_
    module.to(memory_format=torch.channels_last)
    try:
        start = time.perf_counter()
        compiled = torch.compile(module)
        times, loss = plain_epochs(
            compiled, loss_fn, X, y, batch, lr, epochs + 1, **options
        )
        total = time.perf_counter() - start
    except Exception as exc:  # no compiler on this machine: say so
        name = f"{label} + torch.compile: failed ({type(exc).__name__})"
        return name, [float("nan")], float("nan")
    name = f"{label} + torch.compile (first epoch {times[0]:.1f} s, run {total:.1f} s)"
    return name, times[1:], loss


def option_rows(X, y, args, limits):
    """Batch sizes tried on the default autoencoder's module in a plain loop."""
    name, estimator, loss_fn = cases()[0]
    X = X[: args.n_train]
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
                "of peak": rate / limits[precision],
            }
        )
    for row in rows:
        print(row, flush=True)
    return rows


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
        is_ae = hasattr(est, "transform")
        bare = module.encode if is_ae else module
        method = est.transform if is_ae else est.predict
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
    p.add_argument(
        "--n-train-conv",
        type=int,
        default=5000,
        help="training images of the convolutional estimators",
    )
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
        args.n_train_conv = 256
    X, y, _, _, source = load(args)
    X, y = X[: args.n_train], y[: args.n_train].astype(np.int64)
    load_at_start = os.getloadavg()[0]
    if args.busy_only:
        return _busy_only(args, X, y, source, load_at_start)
    # torch.compile's first epoch is measured in a cold cache: this run's own.
    cache = tempfile.TemporaryDirectory(prefix="skfashion-speed-inductor-")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache.name
    limits = {
        "float32": matmul_peak(torch.float32),
        "bfloat16": matmul_peak(torch.bfloat16),
        "bandwidth": memory_bandwidth(),
    }
    print(f"matmul peak GFLOP/s and bandwidth GB/s: {limits}", flush=True)
    with cache:
        training, fitted = training_rows(X, y, args, limits)
    options = [] if args.no_options else option_rows(X, y, args, limits)
    inference = inference_rows(fitted, X)
    busy = busy_rows(X, y, args.repeats, args.quick, args.seed)
    results = {
        "dataset": args.dataset,
        "data": source,
        "n_train": len(X),
        "machine": machine(),
        "native_bfloat16": native_bfloat16("cpu"),
        "load_average_at_start": load_at_start,
        "peak_gflops": {k: limits[k] for k in ("float32", "bfloat16")},
        "bandwidth_gbs": limits["bandwidth"],
        "training": training,
        "options": options,
        "inference": inference,
        "busy": busy,
    }
    md = [
        f"{len(X)} {args.dataset} images ({source} data); {results['machine']}; "
        f"bfloat16 native: {results['native_bfloat16']}; load average at the "
        f"start {load_at_start:.2f}. Medians of {args.repeats} interleaved rounds "
        f"of {args.epochs} epochs; {args.n_train_conv} images for the "
        "convolutional estimators.",
        "",
        f"Matrix-multiply peak: {limits['float32']:.0f} GFLOP/s in float32, "
        f"{limits['bfloat16']:.0f} GFLOP/s in bfloat16; memory bandwidth "
        f"{limits['bandwidth']:.1f} GB/s (a large copy).",
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
