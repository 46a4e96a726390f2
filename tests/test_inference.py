"""Inference in calls whose row counts the machine verified (``_inference``).

A row's output must not depend on the other rows of its call: the probe keeps
only the row counts whose every output equals the same row's in the largest
call, and every call is cut into calls of those counts. These tests give the
probe functions that depend on the call's size on purpose (as a kernel chosen
by shape does, in the last bits), and check that the estimators still give a
row the same output alone, in any batch, on any number of threads.
"""

import dataclasses
import math
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest
import torch
from _user_modules import CallSizeNet
from hypothesis import given, settings
from hypothesis import strategies as st

from skfashion import ConvClassifier, FeedForwardClassifier
from skfashion._inference import (
    MAX_ROWS,
    MIN_MAX_ROWS,
    MIN_ROWS_CHECKED,
    RowPlan,
    candidate_sizes,
    max_rows_for,
    places,
    probe,
)
from skfashion._runtime import _ctrl_c_held, available_cores, run_in_threads


@st.composite
def plans(draw):
    max_rows = draw(st.sampled_from(candidate_sizes(MAX_ROWS)))
    others = candidate_sizes(max_rows)[:-1]
    kept = draw(st.sets(st.sampled_from(others))) if others else set()
    return RowPlan((*sorted(kept), max_rows))


@settings(max_examples=300, deadline=None)
@given(plan=plans(), n=st.integers(0, 5000))
def test_every_row_goes_to_exactly_one_call_of_a_kept_size(plan, n):
    calls = plan.calls(n)
    assert [start for start, _, _ in calls] == [0, *(stop for _, stop, _ in calls)][:-1]
    assert (calls[-1][1] if calls else 0) == n
    for i, (start, stop, rows) in enumerate(calls):
        assert rows in plan.sizes and 0 < stop - start <= rows
        if i < len(calls) - 1:  # only the last call is padded
            assert stop - start == rows


def test_the_candidates_step_by_at_most_half_and_end_at_max_rows():
    for max_rows in candidate_sizes(MAX_ROWS):
        sizes = candidate_sizes(max_rows)
        assert sizes[:16] == list(range(1, min(16, max_rows) + 1))[: len(sizes)]
        assert sizes[-1] == max_rows and sizes == sorted(set(sizes))
        assert all(b <= 1.5 * a for a, b in zip(sizes[15:], sizes[16:]))


@pytest.mark.parametrize("work", [0, 1, 1e3, 1e6, 2e7, 1e9, math.inf])
def test_the_probe_batch_stays_within_its_budget(work):
    rows = max_rows_for(work)
    assert MIN_MAX_ROWS <= rows <= MAX_ROWS and rows in candidate_sizes(MAX_ROWS)


def _plan(function, width=5, max_rows=64):
    return probe(function, (width,), torch.float32, "cpu", max_rows)


def test_a_row_wise_function_keeps_every_size_and_a_lone_row_costs_one():
    plan = _plan(lambda x: 2 * x)
    assert plan.sizes == tuple(candidate_sizes(64))
    assert plan.calls(1) == [(0, 1, 1)]


def test_sizes_whose_rows_differ_are_dropped():
    # Other bits below 4 rows, as MKL's small-matrix kernels give.
    plan = _plan(lambda x: x.sum(1) + (len(x) < 4) * 1e-6)
    assert plan.sizes[0] == 4 and 3 not in plan.sizes
    assert plan.calls(1) == [(0, 1, 4)]
    # Named outputs: one output that differs is enough.
    plan = _plan(lambda x: {"a": x, "b": x.sum(1) + (len(x) == 9)})
    assert 9 not in plan.sizes and 8 in plan.sizes


def test_a_function_whose_every_size_differs_gets_the_fixed_chunk():
    plan = _plan(lambda x: x + len(x))
    assert plan.sizes == (64,)
    assert plan.calls(3) == [(0, 3, 64)]
    nan = _plan(lambda x: x * float("nan"))  # NaN equals nothing
    assert nan.sizes == (64,)


def test_the_place_of_the_rows_in_their_call_is_probed_too():
    # Same size, but a row's output depends on where it sits in the call.
    # (A lone row has no place but the first: it agrees.)
    plan = _plan(lambda x: x + torch.arange(len(x))[:, None] * (len(x) < 64))
    assert plan.sizes == (1, 64)


@pytest.mark.parametrize(
    "differs",
    [
        lambda x: x.abs().amax(1) > 1,  # rows past [0, 1): all the Gaussian ones
        lambda x: x[:, 0] > 3,  # a few rows of the larger scales only
        lambda x: x[:, 0] < -0.5,  # negative values only
    ],
    ids=["beyond-one", "few-large", "negative"],
)
def test_a_size_that_differs_on_some_values_only_is_dropped(differs):
    # Whether two kernels agree depends on the values: a lone row that gets
    # other bits only for some rows (measured on a small ConvClassifier: rows
    # in [0, 3), not rows in [0, 1)) must be found among the rows probed.
    plan = _plan(lambda x: x.sum(1) + ((len(x) == 1) & differs(x)) * 1e-6)
    assert 1 not in plan.sizes and 2 in plan.sizes


def test_every_size_is_checked_on_32_rows_or_more_at_two_places_or_more():
    for max_rows in (16, 64, 1024):
        for rows in candidate_sizes(max_rows)[:-1]:
            starts = places(rows, max_rows)
            assert len(starts) >= 2 and starts[0] == 0
            assert starts[-1] + rows <= max_rows
            checked = set().union(*(range(a, a + rows) for a in starts))
            assert len(checked) >= min(MIN_ROWS_CHECKED, max_rows // 2)


def test_a_fitted_conv_classifier_gives_a_lone_row_its_output_in_a_batch():
    # The case the probe's rows of several kinds come from: on an AVX2 AMD
    # EPYC a lone row of this network got other bits than in a batch, on
    # scikit-learn's data in [0, 3), not on the probe's old rows in [0, 1).
    from sklearn.utils.estimator_checks import check_methods_subset_invariance

    est = ConvClassifier(
        channels=8,
        downsampling="early-pool",
        dense_units=0,
        lr_schedule="onecycle",
        early_stopping=True,
        max_epochs=30,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_methods_subset_invariance("ConvClassifier", est)


def test_a_fit_measures_the_row_counts_again(call_size_net):
    est, X = call_size_net
    fresh = pickle.loads(pickle.dumps(est))
    fresh.predict_proba(X[:3])
    (key,) = fresh.net_.row_plans_
    stale = RowPlan((1, 1024))  # not what this network's probe keeps
    fresh.net_.row_plans_[key] = stale
    fresh.partial_fit(X[:50], est.predict(X[:50]))  # other weights
    fresh.predict_proba(X[:3])
    assert fresh.net_.row_plans_[key] != stale


def test_the_probe_leaves_torchs_generator_alone():
    torch.manual_seed(3)
    before = torch.get_rng_state()
    _plan(lambda x: 2 * x)
    assert torch.equal(torch.get_rng_state(), before)


@pytest.fixture(scope="module")
def call_size_net(fashion_sample):
    train, _ = fashion_sample
    X, y = train.data[:600], train.target[:600]
    return FeedForwardClassifier(module=CallSizeNet, max_epochs=1, random_state=0).fit(
        X, y
    ), X


@pytest.mark.parametrize("threads", [1, 2])
def test_a_network_that_depends_on_its_call_size_still_gives_a_row_its_output(
    call_size_net, threads
):
    est, X = call_size_net
    est.net_.runtime = dataclasses.replace(est.runtime_, n_threads=threads)
    full = est.predict_proba(X)
    sizes = est.net_.row_plans_[("forward", (784,), torch.float32, "cpu")].sizes
    assert 1 not in sizes and 2 in sizes  # 2 rows: 2 % 7 == max_rows % 7
    for n in (1, 2, 3, 5, 17, 37, 129, 599):
        s = (n * 13) % 150 if n < 400 else 0
        np.testing.assert_array_equal(est.predict_proba(X[s : s + n]), full[s : s + n])


def test_the_plan_is_measured_again_after_loading_not_saved(call_size_net):
    est, X = call_size_net
    before = est.predict_proba(X[:9])
    assert est.net_.row_plans_
    loaded = pickle.loads(pickle.dumps(est))
    assert not getattr(loaded.net_, "row_plans_", None)
    np.testing.assert_array_equal(loaded.predict_proba(X[:9]), before)
    assert loaded.net_.row_plans_


def test_predictions_from_several_threads_at_once_agree(call_size_net):
    from concurrent.futures import ThreadPoolExecutor

    est, X = call_size_net
    fresh = pickle.loads(pickle.dumps(est))  # its plans not measured yet
    expected = est.predict_proba(X)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda s: fresh.predict_proba(X[s:]), [0, 1, 2, 3] * 2))
    for s, got in zip([0, 1, 2, 3] * 2, runs):
        np.testing.assert_array_equal(got, expected[s:])


# Threads of one call end together (``run_in_threads``): a failing part stops
# the others, and Ctrl-C in the caller leaves no thread running torch while
# the process unwinds or exits (which aborted it: SIGABRT, "terminate called
# without an active exception").


def test_a_failing_part_stops_the_others_and_its_error_is_raised():
    started, stopped = threading.Event(), threading.Event()

    def slow(stop):
        started.set()
        assert stop.wait(30), "never told to stop"
        stopped.set()

    def failing(stop):
        assert started.wait(30)
        raise ValueError("part 3")

    before = set(threading.enumerate())
    with pytest.raises(ValueError, match="part 3"):
        run_in_threads([lambda stop: 1, slow, failing])
    assert stopped.is_set()  # returned before the error was raised
    for thread in set(threading.enumerate()) - before:
        thread.join(10)  # past the task, a thread only ends
        assert not thread.is_alive()
    assert run_in_threads([lambda stop, i=i: i for i in range(4)]) == [0, 1, 2, 3]
    assert run_in_threads([]) == []


_INTERRUPTED = """
import sys, threading, numpy as np
from skfashion import ConvClassifier, FeedForwardClassifier
from skfashion._runtime import inference_parts

rng = np.random.default_rng(0)
X = rng.random((4000, 784), dtype=np.float32)
y = rng.integers(0, 3, 4000)
est = FeedForwardClassifier((64,), max_epochs=1, n_threads=2, random_state=0)
est.fit(X[:100], y[:100])
assert len(inference_parts(est.runtime_, len(X), est.net_.work_per_sample)) == 2
expected = est.predict_proba(X)

# The parts still computing in other threads, counted around the method\n# each runs.
computing, count = [0], threading.Lock()
apply_part = type(est.net_)._apply_part

def counted(*args, **kwargs):
    if threading.current_thread() is threading.main_thread():
        return apply_part(*args, **kwargs)  # ended, if Ctrl-C came out of it
    with count:
        computing[0] += 1
    try:
        return apply_part(*args, **kwargs)
    finally:
        with count:
            computing[0] -= 1

type(est.net_)._apply_part = counted
for _ in range(int(sys.argv[1])):
    print("predicting", flush=True)
    try:
        while True:
            est.predict_proba(X)
    except KeyboardInterrupt:  # nothing else: no RuntimeError from a lock
        assert computing[0] == 0, f"{computing[0]} parts still computing"
    np.testing.assert_array_equal(est.predict_proba(X), expected)
for thread in threading.enumerate():
    if thread is not threading.main_thread():
        thread.join()
print("done", flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_ctrl_c_in_a_threaded_prediction_stops_every_thread(tmp_path):
    if available_cores() < 2:
        pytest.skip("one core: predictions run on one thread")
    rounds = 40
    script = tmp_path / "interrupted.py"
    script.write_text(_INTERRUPTED)
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    process = subprocess.Popen(
        [sys.executable, str(script), str(rounds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # the default SIGINT handling, whoever started pytest (see
        # test_benchmarks._sigint_as_a_terminal_sends_it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    delays = np.random.default_rng(0).uniform(0, 0.25, rounds)
    try:
        for delay in delays:  # Ctrl-C at many moments of a call
            assert process.stdout.readline() == "predicting\n", process.stderr.read()
            time.sleep(delay)
            process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0 and out == "done\n", err


def test_a_ctrl_c_while_the_threads_start_is_delivered_after():
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        reached = []
        with pytest.raises(KeyboardInterrupt):
            with _ctrl_c_held():
                signal.raise_signal(signal.SIGINT)
                reached.append("the end of the block")
        assert reached and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
