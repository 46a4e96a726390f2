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
import pickle

import numpy as np
import pytest
import torch
from _user_modules import CallSizeNet
from hypothesis import given, settings
from hypothesis import strategies as st

from skfashion import FeedForwardClassifier
from skfashion._inference import (
    MAX_ROWS,
    MIN_MAX_ROWS,
    RowPlan,
    candidate_sizes,
    max_rows_for,
    probe,
)


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
