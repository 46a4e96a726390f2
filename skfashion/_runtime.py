"""The runtime of a fit: device, precision, threads and seeding.

Everything here is about the machine, not the model: which device trains,
in which arithmetic, on how many threads, from which seed. The estimators
resolve these once per fit and once per inference call.

Threads. Torch's CPU kernels run on an OpenMP team whose threads spin at every
barrier. When another process holds a core, every one of the thousands of
small operations of an epoch waits for a descheduled thread: measured here
on two cores with a process spinning on each, one epoch of the default
``ConvClassifier`` took 16x longer on two threads than on one (see
``benchmarks/README.md``, "Threads on a busy machine"). OpenMP's passive wait
policy helps only partly (the same fit stayed 2.5x slower than on one
thread) and can only be set before torch is first imported. So skfashion
chooses the *number* of threads, which it can change at any time:

- work too small for a second thread to pay (a step of a few million
  multiply-adds) runs on one thread, without looking at the machine;
- otherwise on as many threads as there are cores that other processes leave
  free, measured from ``/proc/stat`` (Linux; ``CpuMeter``) at the start of a
  fit, a tenth of a second into it and every half second after, so that a
  load that starts or stops mid-fit changes the count within the epoch;
- never more than the cores this process may use (its CPU affinity, a cgroup
  CPU quota, ``OMP_NUM_THREADS`` as joblib's and Dask's workers set it) nor
  than ``torch.get_num_threads()``, the caller's own setting, which is put
  back after the call.

Fits and inference calls in threads of one process take turns (a lock):
torch's generator and thread count are process-wide.

``Runtime`` gathers what a fit resolved (device, precision and the dtypes it
implies, threads, seed): made once per fit, kept by the estimator as
``runtime_`` and by its net, and read by every method after.
"""

import contextlib
import dataclasses
import math
import os
import signal
import threading
import time

import numpy as np
import torch

from ._compat import cpu_multiplies_bfloat16

DEVICE_TYPES = ("cpu", "cuda", "mps")

# Multiply-adds of one step (a training batch's forward pass, or an inference
# chunk) under which a second thread does not pay. Measured on the 2-core
# machine (benchmarks/README.md): an autoencoder 784-128-16 at batch 30
# (6e6) runs as fast on one thread as on two; 784-1024-64 at batch 30 (5e7)
# gains 15-20% from the second thread.
MIN_WORK_PER_THREAD = 2e7

# A core counts as busy when other processes held it more than this fraction
# of the time: a competitor that holds half a core already stalls the
# barriers of a team that counts on it.
_BUSY_FRACTION = 0.5

# torch's random generator and its thread count are process-wide. Fits in
# threads of one process (joblib's threading backend) would draw from the same
# generator and reset each other's thread count, so they take turns: each is
# then seeded and threaded as it would be alone. Processes (loky, Dask) run in
# parallel. Re-entrant, for a fit started from a callback of another.
_TORCH_LOCK = threading.RLock()


# -- cores ------------------------------------------------------------------


def _affinity():
    """The CPUs this process may run on, as a set of indices (or None)."""
    try:
        return os.sched_getaffinity(0)
    except AttributeError:  # not on Linux
        return None


def _cgroup_quota():
    """Cores allowed by a cgroup v2 CPU quota (a container's --cpus), or None."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    return max(1, math.floor(int(quota) / int(period)))


def available_cores():
    """Cores this process may use: its CPU affinity, capped by a cgroup quota
    and by OMP_NUM_THREADS.

    joblib's process workers and Dask's nannies set OMP_NUM_THREADS to their
    share of the machine, so that parallel fits do not oversubscribe it.
    """
    cpus = _affinity()
    cores = len(cpus) if cpus else (os.cpu_count() or 1)
    quota = _cgroup_quota()
    if quota is not None:
        cores = min(cores, quota)
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:
        cores = min(cores, int(omp))
    return cores


def _busy_ticks(cpus):
    """Ticks the CPUs ``cpus`` spent busy since boot, from /proc/stat, or None.

    Busy is everything but idle and I/O wait; time stolen by a hypervisor
    counts as busy, since this process could not have it either.
    """
    try:
        with open("/proc/stat") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    busy = 0
    for line in lines:
        name, *fields = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        if cpus is not None and int(name[3:]) not in cpus:
            continue
        # user nice system idle iowait irq softirq steal (guest* are in user)
        values = [int(v) for v in fields[:8]]
        busy += sum(values) - values[3] - values[4]
    return busy


class CpuMeter:
    """How many cores other processes kept busy lately.

    The machine's load is the same for every fit and call of a process, so
    one meter serves them all (:func:`machine`): each reading covers the time
    since the one before, during which this process's own threads are
    counted exactly and left out. No reading waits but the first, which looks
    for ``fresh`` seconds; readings closer than that give the last figure
    again. After a long pause a reading averages over the pause: a fit looks
    again within its first tenth of a second (``FollowLoad``). Linux only
    (``/proc/stat``); elsewhere :meth:`others` returns None and the policy
    takes the machine as idle, as torch does.
    """

    def __init__(self, fresh=0.05):
        self.fresh = fresh
        self.cpus = _affinity()
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._lock = threading.Lock()
        self._last = self._read()
        self._others = None

    def _read(self):
        return time.monotonic(), _busy_ticks(self.cpus), time.process_time()

    def others(self):
        """Cores used by other processes since the last reading (see above)."""
        if self._last[1] is None:  # no /proc/stat here
            return None
        with self._lock:
            age = time.monotonic() - self._last[0]
            if age < self.fresh and self._others is not None:
                return self._others
            if self._others is None:  # the first look
                self._last = self._read()
                time.sleep(self.fresh)
            (wall0, busy0, own0), (wall1, busy1, own1) = self._last, self._read()
            self._last = (wall1, busy1, own1)
            if busy0 is None or busy1 is None or wall1 <= wall0:
                return None
            busy = (busy1 - busy0) / self._tick  # CPU seconds, every process
            self._others = max(0.0, (busy - (own1 - own0)) / (wall1 - wall0))
            return self._others


_MACHINE = []


def machine():
    """The process's ``CpuMeter``, made on first use."""
    with _TORCH_LOCK:
        if not _MACHINE:
            _MACHINE.append(CpuMeter())
        return _MACHINE[0]


def free_cores(cores, others):
    """Threads worth running on ``cores`` cores when other processes keep
    ``others`` cores busy (None: unknown, taken as idle)."""
    if others is None:
        return cores
    return max(1, cores - max(0, math.ceil(others - _BUSY_FRACTION)))


class ThreadPolicy:
    """How many threads a piece of work gets, and how to run it on them.

    ``n_threads``: the estimator's parameter; None chooses (module docstring),
    an int is used as given up to the cores this process may use
    (``available_cores``: more threads than cores only wait on each other).
    ``work``: the multiply-adds of one step, which
    must reach ``min_work`` for a second thread to be considered.
    """

    def __init__(self, n_threads, work, device="cpu", min_work=MIN_WORK_PER_THREAD):
        self.n_threads = n_threads
        self.work = work
        self.device = device
        self.min_work = min_work
        # Read once: the count changes during a fit, the caller's setting not.
        cores = max(1, min(available_cores(), torch.get_num_threads()))
        on_cpu = torch.device(device).type == "cpu"
        if n_threads is not None:
            self.cap = max(1, min(int(n_threads), available_cores()))
        elif on_cpu and work < min_work:
            self.cap = 1
        else:  # on a GPU the CPU only feeds the device: the caller's setting
            self.cap = cores
        # Whether the count follows the machine's load.
        self.adaptive = n_threads is None and on_cpu and self.cap > 1

    def threads(self):
        """The threads for the work now: the cap, less the cores that other
        processes hold (when the count follows the load)."""
        if not self.adaptive:
            return self.cap
        return free_cores(self.cap, machine().others())


# Multiply-adds of an inference call under which it runs on one thread: about
# 100 rows through the default Autoencoder, 5 images through the default
# ConvClassifier (see benchmarks/README.md, "Predictions against
# scikit-learn's networks").
MIN_INFERENCE_WORK = 1e8


def inference_parts(runtime, n, work_per_sample):
    """``[(start, stop)]``: the rows of an inference call, one part a thread.

    The thread count is the runtime's policy for the call's work (one thread
    under ``MIN_INFERENCE_WORK``); the parts are near-equal. Where they are
    cut changes no row's output: each part is computed in calls of the row
    counts its network verified (``_inference``).
    """
    policy = runtime.thread_policy(work_per_sample * n, min_work=MIN_INFERENCE_WORK)
    threads = max(1, min(policy.threads(), n))
    step = math.ceil(n / threads) if n else 1
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def run_in_threads(tasks):
    """``[task(stop) for task in tasks]``, the first on this thread, each other
    on a thread of its own; their results in order.

    ``stop`` is a ``threading.Event`` that each task looks at between its
    pieces of work and returns early when set. Whatever ends the call early
    (a task's exception, or Ctrl-C in this thread) sets it, and the call
    returns only once every task has returned, then raises: no thread is left
    running torch's kernels while the caller unwinds or the interpreter exits
    (which aborts the process). A Ctrl-C that comes while the tasks finish is
    raised after them.
    """
    stop = threading.Event()
    if len(tasks) <= 1:
        return [task(stop) for task in tasks]
    results = [None] * len(tasks)
    errors = []
    # Each thread's end, as a flag set before a plain lock is released. Not
    # Thread.join: on Python 3.11 a Ctrl-C during join can mark a running
    # thread stopped (its bpo-45274 path), and concurrent.futures' conditions
    # can raise RuntimeError instead; an interrupted acquire of a plain lock
    # just raises, and the flag says whether the task has returned.
    ended = [False] * len(tasks)
    locks = [threading.Lock() for _ in tasks]

    def run(i):
        try:
            results[i] = tasks[i](stop)
        except BaseException as exc:  # raised in the caller's thread
            errors.append(exc)
            stop.set()
        finally:
            ended[i] = True
            locks[i].release()

    started = []
    try:
        with _ctrl_c_held():  # so that every thread started is in `started`
            for i in range(1, len(tasks)):
                locks[i].acquire()
                threading.Thread(target=run, args=(i,)).start()
                started.append(i)
        results[0] = tasks[0](stop)
    except BaseException:
        stop.set()
        _wait(started, ended, locks, stop)
        raise
    _wait(started, ended, locks, stop)  # a Ctrl-C here is raised after them
    if errors:
        raise errors[0]
    return results


@contextlib.contextmanager
def _ctrl_c_held():
    """Hold a Ctrl-C (SIGINT) that comes in the block until its end, then
    deliver it to the handler that was there before.

    Python runs signal handlers in the main thread only: elsewhere, or where
    the handler was not set from Python, there is nothing to hold.
    """
    held = []
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is None:
        yield
        return
    before = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
        if held:
            signal.raise_signal(signal.SIGINT)


def _wait(started, ended, locks, stop):
    """Wait until every started task has returned; a Ctrl-C meanwhile sets
    ``stop`` (the tasks return at their next piece of work) and is raised
    after."""
    interrupted = None
    for i in started:
        while not ended[i]:
            try:
                if locks[i].acquire():
                    locks[i].release()
            except KeyboardInterrupt as exc:
                stop.set()
                interrupted = exc
    if interrupted is not None:
        raise interrupted


@contextlib.contextmanager
def torch_threads(threads):
    """Run torch on ``threads`` threads; put the caller's setting back after.

    Holds the process-wide lock (see ``_TORCH_LOCK``).
    """
    with _TORCH_LOCK:
        before = torch.get_num_threads()
        try:
            torch.set_num_threads(threads)
            yield
        finally:
            torch.set_num_threads(before)


@contextlib.contextmanager
def seeded(seed, device):
    """Seed torch's generators for one fit; the caller's are put back after."""
    devices = []
    if torch.device(device).type == "cuda":
        devices = [torch.device(device).index or 0]
    with _TORCH_LOCK, torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def on_meta_else_cpu(run):
    """``run()`` on torch's meta device (no memory, no arithmetic), else on the
    CPU: a user's module may make tensors of its own in ``forward``
    (``torch.tensor(...)``), which the meta device cannot mix with its own.
    The built-in modules always run on the meta device."""
    try:
        with torch.device("meta"):
            return run()
    except (RuntimeError, TypeError, ValueError):  # NotImplementedError too
        return run()


def forward_work(module_class, module_kwargs, n_features):
    """Multiply-adds of one sample's forward pass through a module, counted on
    the meta device (a few milliseconds; ``on_meta_else_cpu``)."""
    from torch.utils.flop_counter import FlopCounterMode

    def count():
        module = module_class(**module_kwargs).eval()
        x = torch.zeros(1, n_features)
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            module(x)
        return counter.get_total_flops() / 2

    return on_meta_else_cpu(count)


# -- device and precision ------------------------------------------------------


def _mps_available():
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def resolve_device(device):
    """'auto' -> 'cuda' when torch sees a GPU, else 'cpu'; other devices checked.

    Accepts a string or a ``torch.device`` of type 'cpu', 'cuda' (with an index
    or not) or 'mps'; anything else, or a device torch cannot use here, is a
    ``ValueError``.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda' "
            "or 'mps'."
        ) from exc
    if resolved.type not in DEVICE_TYPES:
        raise ValueError(
            f"device={device!r} is not supported: skfashion trains on 'cpu', "
            "'cuda' or 'mps'; use device='auto' to take what is there."
        )
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} but torch sees no GPU here; use device='auto' "
                "or 'cpu'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} but torch sees {torch.cuda.device_count()} "
                "GPU(s); use device='cuda' or a smaller index."
            )
    if resolved.type == "mps" and not _mps_available():
        raise ValueError(
            f"device={device!r} but torch has no MPS (Apple GPU) backend here; "
            "use device='auto' or 'cpu'."
        )
    return str(resolved)


def native_bfloat16(device):
    """Whether ``device`` computes bfloat16 matrix products natively.

    A CPU with AMX tiles or AVX512-BF16 instructions (oneDNN then runs bfloat16
    products at two to four times the float32 rate), a CUDA GPU of compute
    capability 8.0 or more (Ampere on); not MPS, whose support varies.
    """
    device = torch.device(device)
    if device.type == "cpu":
        return cpu_multiplies_bfloat16()
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device)[0] >= 8
    return False


def resolve_precision(precision, device):
    """'auto' -> 'bfloat16' where ``device`` computes it natively, else
    'float32': what the device could gain from. A fit then measures whether
    its own network does (``faster_precision``)."""
    if precision == "auto":
        return "bfloat16" if native_bfloat16(device) else "float32"
    return precision


# precision='auto' trains in bfloat16 only where a training step of the
# network is at least this much faster in it than in float32, measured: below,
# float32, whose arithmetic is exact to more bits (a margin, so that timing
# noise does not flip the choice between processes).
BFLOAT16_MIN_SPEEDUP = 1.15

# The measured choices of this process: (network, batch, device, threads) ->
# precision. A memo of a measurement, as torch's cuDNN autotuner keeps one: a
# grid search measures each network once, and the fits of a process agree.
_FASTER = {}


def _step_seconds(module, x, autocast_dtype, device, rounds=5):
    """Median seconds of a training step's forward and backward passes."""
    seconds = []

    def step():
        module.zero_grad(set_to_none=True)
        context = (
            torch.autocast(torch.device(device).type, dtype=autocast_dtype)
            if autocast_dtype is not None
            else contextlib.nullcontext()
        )
        with context:
            out = module(x)
        out = out.values() if isinstance(out, dict) else [out]
        loss = sum(o.float().mean() for o in out if o.requires_grad)
        loss.backward()
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(2):  # warm-up: kernels chosen, memory allocated
        step()
    for _ in range(rounds):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return sorted(seconds)[len(seconds) // 2]


def faster_precision(
    module_class, module_kwargs, n_features, batch_size, device, threads
):
    """``(precision, speedup)``: 'bfloat16' where a training step of this
    network at this batch size is at least ``BFLOAT16_MIN_SPEEDUP`` times
    faster in it than in float32 on ``device`` and ``threads`` threads, else
    'float32'; ``speedup`` is float32's step time over bfloat16's.

    Measured once per process and network (``_FASTER``): a few forward and
    backward passes of a fresh module on random rows, interleaved, under
    ``torch.random.fork_rng`` (the fit's own draws do not change).
    """
    key = (
        module_class.__module__,
        module_class.__qualname__,
        repr(sorted(module_kwargs.items())),
        n_features,
        batch_size,
        str(device),
        threads,
    )
    with _TORCH_LOCK:
        if key not in _FASTER:
            devices = [torch.device(device).index or 0]
            devices = devices if torch.device(device).type == "cuda" else []
            with torch.random.fork_rng(devices=devices), torch_threads(threads):
                torch.manual_seed(0)
                module = module_class(**module_kwargs).to(device).train()
                layout = getattr(module, "memory_format", torch.contiguous_format)
                module.to(memory_format=layout)
                x = torch.rand(batch_size, n_features, device=device)
                times = {"float32": [], "bfloat16": []}
                for _ in range(2):  # interleaved: both see the same machine
                    for name, dtype in (
                        ("float32", None),
                        ("bfloat16", torch.bfloat16),
                    ):
                        times[name].append(_step_seconds(module, x, dtype, device))
                speedup = min(times["float32"]) / min(times["bfloat16"])
                _FASTER[key] = (
                    "bfloat16" if speedup >= BFLOAT16_MIN_SPEEDUP else "float32",
                    speedup,
                )
        return _FASTER[key]


# -- the runtime of a fit -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Runtime:
    """Device, precision, threads and seed of one fit, resolved once.

    ``device``: 'cpu', 'cuda', 'cuda:1' or 'mps' (``resolve_device``);
    ``precision``: 'float32', 'bfloat16' or 'float64' (``resolve_precision``);
    ``n_threads``: the estimator's parameter (None chooses, ``ThreadPolicy``);
    ``seed``: the seed of the fit's torch generators (None before training).
    Every dtype the package uses follows from the precision, here and
    nowhere else.
    """

    device: str = "cpu"
    precision: str = "float32"
    n_threads: int | None = None
    seed: int | None = None

    @classmethod
    def resolve(cls, device="auto", precision="auto", n_threads=None):
        """The runtime of a fit with these parameters, on this machine."""
        device = resolve_device(device)
        return cls(device, resolve_precision(precision, device), n_threads)

    @property
    def data_dtype(self):
        """The numpy dtype of the data a network reads and writes."""
        return np.float64 if self.precision == "float64" else np.float32

    @property
    def weight_dtype(self):
        """The torch dtype of a module's weights and outputs."""
        return torch.float64 if self.precision == "float64" else torch.float32

    @property
    def autocast_dtype(self):
        """The dtype of the training forward's autocast (None: no autocast)."""
        return torch.bfloat16 if self.precision == "bfloat16" else None

    def thread_policy(self, work, min_work=MIN_WORK_PER_THREAD):
        """The ``ThreadPolicy`` of work of ``work`` multiply-adds a step."""
        return ThreadPolicy(self.n_threads, work, self.device, min_work)

    def with_seed(self, seed):
        return dataclasses.replace(self, seed=int(seed))
