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
   float32 and in ``--precision`` ('auto': the defaults'): median seconds per epoch over
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
4. inference: 1, 1,000 and 10,000 rows through ``transform`` /
   ``predict_proba`` (input validation included) against a float32 forward
   of the bare module (NCHW for the convolutional ones) and, for the fully
   connected estimators, scikit-learn's ``MLPRegressor`` / ``MLPClassifier``
   of the same layers, in float64 and in float32 (``--no-training`` measures
   this part alone).

    python -m skfashion speed --dataset fashion-mnist --output results
    python -m skfashion speed --no-training --no-options --output results

Run it alone: it measures the machine, and anything running beside it is
measured too (the load average at the start is written with the results).
"""

import argparse
import contextlib
import os
import statistics
import tempfile
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from torch.utils.flop_counter import FlopCounterMode

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    FeedForwardClassifier,
)

from ._common import (
    RunRecord,
    load,
    machine,
    markdown_table,
    parser,
    positive_int,
    quick,
)

# -- the machine's limits ------------------------------------------------------


# The products of the peak's measure, and the smaller one of a quick run:
# bfloat16 products on a CPU without bfloat16 instructions run at a hundredth
# of the float32 rate, minutes for the large ones.
PEAK_SHAPES = ((4096, 1024, 1024), (2048, 2048, 2048), (8192, 784, 1024))
QUICK_PEAK_SHAPES = ((512, 512, 512),)


def matmul_peak(dtype, seconds=1.0, shapes=PEAK_SHAPES):
    """GFLOP/s of the best of a few large matrix products in ``dtype``."""
    best = 0.0
    for m, k, n in shapes:
        a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
        for _ in range(3 if shapes is PEAK_SHAPES else 1):
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


def _is_own_dropout(layer):
    """Whether ``layer`` is a dropout layer other than torch's own."""
    return isinstance(layer, torch.nn.Dropout) and type(layer) is not torch.nn.Dropout


def with_torch_dropout(module):
    """``module`` with torch's own ``nn.Dropout`` in place of skfashion's.

    A plain loop is what a user writes with torch's layers; the dropout of
    skfashion's convolutional modules (the same layer, its masks drawn four
    at a time on the CPU) is one of the options measured.
    """
    for parent in module.modules():
        for name, child in parent.named_children():
            if _is_own_dropout(child):
                setattr(parent, name, torch.nn.Dropout(child.p))
    return module


def has_own_dropout(module):
    """Whether ``module`` drops values out with a layer other than torch's."""
    return any(_is_own_dropout(m) and m.p > 0 for m in module.modules())


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
    fast_dropout=False,
):
    """Epoch times and last loss of a hand-written loop: the baseline and options.

    The module's 4-d weights are put in ``channels_last`` or in the standard
    contiguous layout (NCHW), whichever the module came in; its dropout
    layers are torch's unless ``fast_dropout`` (skfashion's).
    """
    if not fast_dropout:
        module = with_torch_dropout(module)
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


ESTIMATORS = ("autoencoder", "classifier", "conv-classifier", "conv-autoencoder")


def cases(keys=ESTIMATORS):
    """(name, estimator, loss) for the estimators' defaults, no schedule.

    ``keys``: which of ``ESTIMATORS``, in that order.
    """
    fixed = dict(batch_size=128, lr_schedule=None, random_state=0)
    every = {
        "autoencoder": (
            "Autoencoder (defaults, 784-1024-64)",
            Autoencoder(**fixed),
            reconstruction_mse,
        ),
        "classifier": (
            "FeedForwardClassifier (defaults)",
            FeedForwardClassifier(**fixed),
            cross_entropy,
        ),
        "conv-classifier": (
            "ConvClassifier (defaults)",
            ConvClassifier(**fixed),
            cross_entropy,
        ),
        "conv-autoencoder": (
            "ConvAutoencoder (defaults)",
            ConvAutoencoder(**fixed),
            reconstruction_mse,
        ),
    }
    return [every[key] for key in ESTIMATORS if key in keys]


def _is_conv(estimator):
    return "Conv" in type(estimator).__name__


def plain_ways(conv, dropout=False):
    """(label, options) of the plain loops: the baseline, each option, all."""
    options = {"fused Adam": {"fused": True}, "bfloat16": {"bf16": True}}
    if conv:
        options["channels_last"] = {"channels_last": True}
    if dropout:
        options["skfashion's Dropout"] = {"fast_dropout": True}
    everything = {k: v for o in options.values() for k, v in o.items()}
    return [
        ("plain PyTorch, float32", {}),
        *((f"plain, {label}", o) for label, o in options.items()),
        (f"plain, {' + '.join(options)}", everything),
    ]


def training_rows(X, y, args, limits, record):
    """A row per estimator and way of training into ``record``; the estimators."""
    fitted = {}
    for name, estimator, loss_fn in cases(args.estimators):
        is_ae = loss_fn is reconstruction_mse
        conv = _is_conv(estimator)
        n = args.n_train_conv if conv else args.n_train
        Xn, yn = X[:n], y[:n]
        target = None if is_ae else yn
        record.say(
            f"timing {name}: {args.repeats} round(s) of {args.epochs} epoch(s) "
            f"on {len(Xn)} images, each way of training"
        )
        # The module the estimator builds, taken from a one-epoch fit.
        probe = estimator.set_params(max_epochs=1).fit(
            Xn[:256], None if is_ae else yn[:256]
        )
        make_module = probe.net_.initialize_module
        batch, lr = estimator.batch_size, estimator.learning_rate
        flops = train_flops_per_sample(make_module().module_, loss_fn, Xn, yn, batch)
        ways = plain_ways(conv, has_own_dropout(make_module().module_))
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
                ("skfashion, defaults", args.precision),
            ):
                est = estimator.set_params(precision=precision)
                t, losses[way] = estimator_epochs(est, Xn, target, args.epochs)
                times[way] += t
        if conv and not args.quick:  # compiling takes a minute or more
            label, t, loss = compile_epochs(
                make_module, loss_fn, Xn, yn, batch, lr, args.epochs, ways[-1]
            )
            times[label], losses[label] = t, loss
        fitted[name] = estimator.set_params(precision=args.precision)
        base = statistics.median(times["plain PyTorch, float32"])
        for way in times:
            bf16 = "bfloat16" in way or "compile" in way
            precision = "bfloat16" if bf16 else "float32"
            if way == "skfashion, defaults":
                precision = estimator.precision_
            seconds = statistics.median(times[way])
            rate = flops * n / seconds / 1e9
            traffic = moved[precision == "bfloat16"] * n / seconds / 1e9
            record.add(
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
                },
                "training",
                f"{name}, {way}: {seconds:.2f} s/epoch, {base / seconds:.2f}x plain",
            )
    return fitted


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


# (label, batch size, plain-loop options) of the batch sizes tried
OPTIONS = [
    ("float32, Adam (foreach)", 128, {}),
    ("float32, Adam (fused)", 128, {"fused": True}),
    ("bfloat16, Adam (fused)", 128, {"fused": True, "bf16": True}),
    ("float32, Adam (fused), batch 512", 512, {"fused": True}),
    ("bfloat16, Adam (fused), batch 512", 512, {"fused": True, "bf16": True}),
]


def option_rows(X, y, args, limits, record):
    """Batch sizes tried on the default autoencoder's module in a plain loop."""
    name, estimator, loss_fn = cases(["autoencoder"])[0]
    X = X[: args.n_train]
    probe = estimator.set_params(max_epochs=1).fit(X[:256])
    make_module = probe.net_.initialize_module
    lr = estimator.learning_rate
    options = OPTIONS
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
    base = statistics.median(times[options[0][0]])
    for label, batch, kwargs in options:
        seconds = statistics.median(times[label])
        rate = flops[label] * len(X) / seconds / 1e9
        precision = "bfloat16" if kwargs.get("bf16") else "float32"
        record.add(
            {
                "option": label,
                "s/epoch": seconds,
                "x foreach float32": base / seconds,
                "GFLOP/s": rate,
                "of peak": rate / limits[precision],
            },
            "options",
            f"{label}: {seconds:.2f} s/epoch",
        )


# -- inference -----------------------------------------------------------------


def sklearn_twins(estimator, X, y):
    """scikit-learn's networks of the same layers as a fully connected
    estimator, as ``{dtype name: method}``: fitted on float64 rows (its
    default: it computes in float64) and on float32 rows (it keeps float32),
    the method that matches the estimator's inference: an ``MLPRegressor``'s
    predictions of the codes (the autoencoder's encoder), an
    ``MLPClassifier``'s probabilities. None for the convolutional ones. One
    iteration on a few hundred rows: only their speed is measured.
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    if _is_conv(estimator):
        return None
    hidden = tuple(estimator.hidden_layer_sizes)
    n = min(len(X), 500)
    twins = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for dtype in (np.float64, np.float32):
            Xn = X[:n].astype(dtype)
            if hasattr(estimator, "transform"):
                twin = MLPRegressor(hidden_layer_sizes=hidden, max_iter=1)
                twin.fit(Xn, np.zeros((n, estimator.n_components), dtype))
                twins[dtype.__name__] = twin.predict
            else:
                twin = MLPClassifier(hidden_layer_sizes=hidden, max_iter=1)
                twins[dtype.__name__] = twin.fit(Xn, y[:n]).predict_proba
    return twins


INFERENCE_ROWS = (1, 1000, 10000)


def inference_rows(fitted, X, y, record, quick=False):
    """1, 1,000 and 10,000 rows through the estimator (input checks
    included), against the bare module (a float32 forward on torch's own
    threads) and, for the fully connected estimators, scikit-learn's network
    of the same layers on the same rows in float64 (its default) and in
    float32 (which it keeps). Interleaved, call by call. Each estimator's
    first call measures its row counts (``skfashion._inference``); the
    warm-up takes it out of the medians.

    ``quick``: 1 and 64 rows, fewer calls (a smoke test).
    """
    sizes = (1, 64) if quick else INFERENCE_ROWS
    X = np.ascontiguousarray(X[: max(sizes)])
    X64 = X.astype(np.float64)
    for name, est in fitted.items():
        module = est.net_.module_.eval()
        is_ae = hasattr(est, "transform")
        bare = module.encode if is_ae else module
        method = est.transform if is_ae else est.predict_proba
        twins = sklearn_twins(est, X, y)
        for n in sizes:
            # About 20 G multiply-adds of calls each, 3 to 300 calls.
            work = n * est.net_.work_per_sample
            calls = 3 if quick else int(max(3, min(300, 2e10 / work)))
            Xn, Xt = X[:n], torch.as_tensor(X[:n])
            timed = {"skfashion": lambda: method(Xn), "bare": lambda: bare(Xt)}
            if twins is not None:
                timed["sklearn64"] = lambda: twins["float64"](X64[:n])
                timed["sklearn32"] = lambda: twins["float32"](Xn)
            seconds = _interleaved(timed, calls)
            ours = seconds["skfashion"]
            row = {
                "estimator": name,
                "method": method.__name__,
                "rows": n,
                "skfashion ms": ours * 1e3,
                "bare module ms": seconds["bare"] * 1e3,
                "skfashion / bare": ours / seconds["bare"],
            }
            message = f"{name}, {method.__name__} of {n}: {ours * 1e3:.2f} ms"
            if twins is not None:
                row["sklearn float64 ms"] = seconds["sklearn64"] * 1e3
                row["sklearn float32 ms"] = seconds["sklearn32"] * 1e3
                row["skfashion / sklearn float64"] = ours / seconds["sklearn64"]
                row["skfashion / sklearn float32"] = ours / seconds["sklearn32"]
                message += (
                    f", {ours / seconds['sklearn64']:.2f}x scikit-learn's "
                    f"(float64), {ours / seconds['sklearn32']:.2f}x (float32)"
                )
            record.add(row, "inference", message)


def _interleaved(functions, calls):
    """Median seconds of each of ``functions`` (a dict), called in turn
    ``calls`` times after a warm-up, so that they share the machine's state."""
    for function in functions.values():
        for _ in range(1 if calls <= 5 else 3):
            function()
    samples = {name: [] for name in functions}
    for _ in range(calls):
        for name, function in functions.items():
            with torch.inference_mode() if name == "bare" else contextlib.nullcontext():
                start = time.perf_counter()
                function()
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


# What --quick sets, where the command line does not.
QUICK = dict(n_train=256, n_train_conv=48, epochs=1, repeats=1, options=False)


def main(argv=None, prog=None):
    p = parser(__doc__.splitlines()[0], prog=prog)
    p.add_argument(
        "--n-train",
        type=positive_int,
        default=20000,
        help=f"training images ({QUICK['n_train']} with --quick)",
    )
    p.add_argument(
        "--n-train-conv",
        type=positive_int,
        default=5000,
        help="training images of the convolutional estimators "
        f"({QUICK['n_train_conv']} with --quick)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=3,
        help=f"epochs per round ({QUICK['epochs']} with --quick)",
    )
    p.add_argument(
        "--repeats",
        type=positive_int,
        default=3,
        help=f"interleaved rounds ({QUICK['repeats']} with --quick)",
    )
    p.add_argument(
        "--options",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the study of the options (batch sizes, Adam's kernels); "
        "--no-options skips it, as --quick does unless --options is named",
    )
    p.add_argument(
        "--training",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the training measures; --no-training fits each estimator one "
        "epoch and measures inference only",
    )
    p.add_argument(
        "--estimators",
        nargs="+",
        choices=ESTIMATORS,
        default=list(ESTIMATORS),
        help="the estimators measured",
    )
    args = quick(p.parse_args(argv), **QUICK)
    # Fits of a few epochs, timed: whether they learned is not the question.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y, _, _, source = load(args)
    # The classifiers' first images must hold every class (a network of
    # fewer outputs would meet a label it has not got).
    for option, n in (
        ("--n-train", args.n_train),
        ("--n-train-conv", args.n_train_conv),
    ):
        held, n_classes = len(np.unique(y[:n])), len(np.unique(y))
        if held < n_classes:
            enough = next(
                i + 1 for i in range(len(y)) if len(np.unique(y[: i + 1])) == n_classes
            )
            p.error(
                f"{option} {n}: the first {n} images hold {held} of the "
                f"{n_classes} classes; use {enough} or more"
            )
    X, y = X[: args.n_train], y[: args.n_train].astype(np.int64)
    load_at_start = os.getloadavg()[0]
    # torch.compile's first epoch is measured in a cold cache: this run's own.
    cache = tempfile.TemporaryDirectory(prefix="skfashion-speed-inductor-")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache.name
    results = {
        "dataset": args.dataset,
        "data": source,
        "n_train": len(X),
        "n_train_conv": args.n_train_conv,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "machine": machine(),
        "load_average_at_start": load_at_start,
        "peak_gflops": None,  # measured in the run, its record already written
        "bandwidth_gbs": None,
        "training": [],
        "options": [],
        "inference": [],
    }
    chosen = cases(args.estimators)
    n_rows = sum(
        len(plain_ways(_is_conv(est), _is_conv(est) and est.dropout > 0))
        + 2
        + (_is_conv(est) and not args.quick)
        for _, est, _ in chosen
    )
    n_rows = n_rows if args.training else 0
    n_rows += (2 if args.quick else len(INFERENCE_ROWS)) * len(chosen)
    n_rows += len(OPTIONS) if args.options else 0
    name = f"speed_{args.dataset}"
    if set(args.estimators) != set(ESTIMATORS):  # a part: a file of its own
        name += "".join(f"_{key}" for key in ESTIMATORS if key in args.estimators)
    with RunRecord(args, name, results, report, n_rows) as record:
        limits = None  # the machine's limits: what training is held to
        if args.training or args.options:
            seconds = 0.2 if args.quick else 1.0  # of each measure of the machine
            record.say("measuring the matrix-multiply peak and the memory bandwidth")
            shapes = QUICK_PEAK_SHAPES if args.quick else PEAK_SHAPES
            limits = {
                "float32": matmul_peak(torch.float32, seconds, shapes),
                "bfloat16": matmul_peak(torch.bfloat16, seconds, shapes),
                "bandwidth": memory_bandwidth(
                    megabytes=64 if args.quick else 256, seconds=seconds
                ),
            }
            print(f"matmul peak GFLOP/s and bandwidth GB/s: {limits}", flush=True)
            record.results["peak_gflops"] = {
                k: limits[k] for k in ("float32", "bfloat16")
            }
            record.results["bandwidth_gbs"] = limits["bandwidth"]
            record.save()
        if args.training:
            with cache:
                fitted = training_rows(X, y, args, limits, record)
        else:
            fitted = {}
            for name, est, _ in chosen:
                n = args.n_train_conv if _is_conv(est) else args.n_train
                fitted[name] = est.set_params(max_epochs=1).fit(X[:n], y[:n])
        # what precision=args.precision became on this machine
        record.results["precision_of_the_defaults"] = next(
            iter(fitted.values())
        ).precision_
        if args.options:
            option_rows(X, y, args, limits, record)
        inference_rows(fitted, X, y, record, args.quick)
        record.finish()


def report(results):
    md = [
        f"{results['n_train']} {results['dataset']} images ({results['data']} "
        f"data); {results['machine']}; load average at the start "
        f"{results['load_average_at_start']:.2f}. Medians of {results['repeats']} "
        f"interleaved rounds of {results['epochs']} epochs; "
        f"{results['n_train_conv']} images for the convolutional estimators.",
    ]
    if results["peak_gflops"] is not None:
        md += [
            "",
            f"Matrix-multiply peak: {results['peak_gflops']['float32']:.0f} "
            f"GFLOP/s in float32, {results['peak_gflops']['bfloat16']:.0f} GFLOP/s "
            f"in bfloat16; memory bandwidth {results['bandwidth_gbs']:.1f} GB/s (a "
            "large copy).",
        ]
    if "precision_of_the_defaults" in results:
        md += [
            "",
            "The defaults' precision ('auto' resolved on this machine): "
            f"{results['precision_of_the_defaults']}.",
        ]
    for section in ("training", "options", "inference"):
        rows = results[section]
        if rows:
            md += ["", markdown_table(rows, list(rows[0]))]
    return "\n".join(md)


if __name__ == "__main__":
    main()
