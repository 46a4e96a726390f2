"""Threads that suit the machine as it is: idle, busy, or shared with the caller."""

import dataclasses
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skfashion import Autoencoder, ConvClassifier, _net, _runtime
from skfashion._runtime import (
    MIN_WORK_PER_THREAD,
    CpuMeter,
    ThreadPolicy,
    available_cores,
    free_cores,
)

CORES = min(available_cores(), torch.get_num_threads())
several_cores = pytest.mark.skipif(CORES < 2, reason="needs two cores or more")


@pytest.fixture
def spinning_load():
    """A process spinning on every core of this machine, for the test's length."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 1)
    ]
    time.sleep(0.3)  # started and spinning
    yield
    for p in spinners:
        p.kill()
        p.wait()


def test_a_core_is_free_when_others_leave_most_of_it():
    assert free_cores(2, None) == 2  # unknown (not Linux): as torch does
    assert free_cores(2, 0.0) == 2
    assert free_cores(2, 0.25) == 2
    assert free_cores(2, 0.45) == 2
    assert free_cores(2, 0.6) == 1
    assert free_cores(2, 1.2) == 1
    assert free_cores(2, 2.0) == 1  # never none
    assert free_cores(16, 3.9) == 12


def test_the_policy_reads_the_work_the_parameter_and_the_callers_setting():
    small = ThreadPolicy(None, MIN_WORK_PER_THREAD / 2)
    assert small.cap == 1 and not small.adaptive
    assert small.threads() == 1
    fixed = ThreadPolicy(3, 1.0)  # as given, up to the usable cores
    assert fixed.cap == min(3, available_cores()) and not fixed.adaptive
    large = ThreadPolicy(None, 1e12)
    assert large.cap == CORES and large.adaptive == (CORES > 1)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # the caller's own choice caps the policy
        assert ThreadPolicy(None, 1e12).cap == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="Linux only")
def test_the_meter_sees_other_processes_not_this_one(spinning_load):
    meter = CpuMeter()
    meter.others()  # the first reading looks for 50 ms
    # This process works too: only the others count.
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        pass
    assert meter.others() > 0.5 * len(os.sched_getaffinity(0))
    # The process's own meter reads the time since its last reading: start
    # that stretch now, so that it spans the load alone.
    _runtime.machine().others()
    time.sleep(0.1)
    assert ThreadPolicy(None, 1e12).threads() == 1


def _conv(**params):
    # Large enough for a second thread to pay (the work of a step decides).
    params = {"max_epochs": 2, "random_state": 0, **params}
    return ConvClassifier((16, 32), dense_units=32, batch_size=64, **params)


@pytest.mark.few_epochs
@several_cores
@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="Linux only")
def test_a_fit_beside_a_busy_core_takes_one_thread(spinning_load, sample_images):
    images, y = sample_images
    clf = _conv().fit(images[:256], y[:256])
    assert list(clf.history_[:, "threads"]) == [1, 1]


class _Epoch(Callback):
    """Tells the fake load which epoch the fit is in."""

    def __init__(self, state):
        self.state = state

    def on_epoch_begin(self, net, **kwargs):
        self.state["epoch"] = len(net.history) - 1


@pytest.mark.few_epochs
@several_cores
def test_the_thread_count_follows_the_load_as_training_goes(monkeypatch, sample_images):
    # Other processes hold no core, every core, every core, then none again,
    # epoch by epoch: the fit runs on what they leave.
    loads = [0.0, 2.0 * CORES, 2.0 * CORES, 0.0]
    state = {"epoch": 0}
    monkeypatch.setattr(CpuMeter, "others", lambda self: loads[state["epoch"]])
    monkeypatch.setattr(_net, "FOLLOW_SECONDS", 0.0)  # at every batch
    images, y = sample_images
    clf = _conv(max_epochs=4, callbacks=[_Epoch(state)]).fit(images[:128], y[:128])
    assert list(clf.history_[:, "threads"]) == [CORES, 1, 1, CORES]


@pytest.mark.few_epochs
def test_small_networks_train_on_one_thread_and_the_callers_setting_stays(
    sample_images,
):
    images, _ = sample_images
    before = torch.get_num_threads()
    ae = Autoencoder((16,), 4, max_epochs=2, random_state=0).fit(images[:200])
    assert set(ae.history_[:, "threads"]) == {1}
    assert torch.get_num_threads() == before
    fixed = Autoencoder((16,), 4, max_epochs=1, n_threads=CORES).fit(images[:200])
    assert set(fixed.history_[:, "threads"]) == {CORES}
    assert torch.get_num_threads() == before


@pytest.mark.few_epochs
def test_a_fit_is_repeatable_for_a_given_thread_count(sample_images):
    images, y = sample_images
    for threads in sorted({1, CORES}):
        a, b = (_conv(n_threads=threads).fit(images[:128], y[:128]) for _ in "ab")
        for p, q in zip(a.net_.module_.parameters(), b.net_.module_.parameters()):
            assert torch.equal(p, q)


@several_cores
def test_inference_gives_a_row_the_same_output_on_any_number_of_threads(
    sample_images,
):
    images, _ = sample_images
    X = images.reshape(len(images), -1)
    ae = Autoencoder(max_epochs=1, random_state=0).fit(X[:500])
    ae.net_.runtime = dataclasses.replace(ae.runtime_, n_threads=1)
    one = ae.transform(X)
    ae.net_.runtime = dataclasses.replace(ae.runtime_, n_threads=CORES)
    np.testing.assert_array_equal(ae.transform(X), one)
    for n in (1, 3, 17, 1025):
        np.testing.assert_array_equal(ae.transform(X[7 : 7 + n]), one[7 : 7 + n])


# The same guarantee on the instructions of older processors and of AMD's
# (AVX2 kernels in oneDNN and MKL instead of AVX-512 and AMX).
_OLDER_CPU = textwrap.dedent(
    """
    import dataclasses
    import numpy as np, torch
    from skfashion import Autoencoder, FeedForwardClassifier
    from skfashion.datasets import load_fashion_mnist_sample
    X, y = load_fashion_mnist_sample(return_X_y=True)
    ae = Autoencoder(max_epochs=1, random_state=0).fit(X[:300])
    clf = FeedForwardClassifier(max_epochs=1, random_state=0).fit(X[:300], y[:300])
    for est in (ae, clf):
        f = est.transform if hasattr(est, "transform") else est.predict_proba
        for threads in (1, 2):
            est.net_.runtime = dataclasses.replace(est.runtime_, n_threads=threads)
            full = f(X[:2000])
            for n in (1, 2, 3, 5, 17, 37, 129):
                s = (n * 13) % 150
                assert np.array_equal(f(X[s : s + n]), full[s : s + n]), (threads, n)
    print("ok")
    """
)


@pytest.mark.slow  # a subprocess per instruction set: ~16 s each
@pytest.mark.parametrize("isa", ["AVX2", "AVX512_CORE"])
def test_row_invariance_holds_on_older_instruction_sets(isa):
    env = {
        **os.environ,
        "ONEDNN_MAX_CPU_ISA": isa,
        "MKL_ENABLE_INSTRUCTIONS": "AVX2" if isa == "AVX2" else "AVX512",
    }
    out = subprocess.run(
        [sys.executable, "-c", _OLDER_CPU],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]


@pytest.mark.parametrize("n_threads", [1, 2, 3, 64, 10**6])
def test_n_threads_beyond_the_usable_cores_is_capped(n_threads, monkeypatch):
    for cores in (1, 2, 4):
        monkeypatch.setattr(_runtime, "available_cores", lambda: cores)
        policy = ThreadPolicy(n_threads, work=1e12)
        assert policy.cap == min(n_threads, cores) == policy.threads()


@pytest.mark.few_epochs
def test_n_threads_set_after_a_fit_applies_to_predictions(monkeypatch):
    X = np.random.RandomState(0).rand(3000, 784).astype(np.float32)
    ae = Autoencoder((256,), 8, max_epochs=1, n_threads=1, random_state=0).fit(X)
    seen = []
    policy = _runtime.Runtime.thread_policy

    def spy(self, *args, **kwargs):
        seen.append(self.n_threads)
        return policy(self, *args, **kwargs)

    monkeypatch.setattr(_runtime.Runtime, "thread_policy", spy)
    one = ae.transform(X)
    ae.set_params(n_threads=2)
    two = ae.transform(X)
    ae.set_params(n_threads=None)
    ae.transform(X[:5])
    assert seen == [1, 2, None]
    np.testing.assert_array_equal(one, two)  # the threads change nothing else
    for bad in (0, -1, 1.5, "2", True):
        ae.set_params(n_threads=bad)
        with pytest.raises(ValueError, match="n_threads"):
            ae.transform(X[:5])
