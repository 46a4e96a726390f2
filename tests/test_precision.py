"""Mixed precision, the fused optimizer and inference on the live module."""

import copy

import numpy as np
import pytest
import torch

from skfashion import (
    Autoencoder,
    FeedForwardClassifier,
    VariationalAutoencoder,
    _runtime,
)
from skfashion._recipe import optimizer_kwargs
from skfashion._runtime import faster_precision, native_bfloat16, resolve_precision
from skfashion.datasets import load_fashion_mnist_sample

ESTIMATORS = [Autoencoder, VariationalAutoencoder, FeedForwardClassifier]


@pytest.fixture(scope="module")
def sample(fashion_sample):
    train, _ = fashion_sample
    return train.data[:600], train.target[:600]


def _fit(cls, X, y, **params):
    params = {"max_epochs": 2, "random_state": 0, **params}
    if cls is FeedForwardClassifier:
        return cls(**params).fit(X, y)
    return cls(**params).fit(X)


def _weights(est):
    return [p.detach().clone() for p in est.net_.module_.parameters()]


# The fast tier runs the classifier's (3 s); the autoencoders' three fits each
# take 9 to 14 s.
@pytest.mark.parametrize(
    "cls",
    [
        pytest.param(Autoencoder, marks=pytest.mark.slow),
        pytest.param(VariationalAutoencoder, marks=pytest.mark.slow),
        FeedForwardClassifier,
    ],
)
def test_bfloat16_trains_float32_weights_and_is_repeatable(cls, sample):
    X, y = sample
    first = _fit(cls, X, y, precision="bfloat16")
    again = _fit(cls, X, y, precision="bfloat16")
    in_float32 = _fit(cls, X, y, precision="float32")
    assert first.precision_ == "bfloat16" and in_float32.precision_ == "float32"
    # Weights and the optimizer's state stay float32.
    assert all(w.dtype == torch.float32 for w in _weights(first))
    state = first.net_.optimizer_.state_dict()["state"]
    assert all(
        t.dtype == torch.float32
        for s in state.values()
        for t in s.values()
        if torch.is_tensor(t) and t.is_floating_point() and t.dim() > 0
    )
    # Bit for bit repeatable for a given precision ...
    for a, b in zip(_weights(first), _weights(again)):
        assert torch.equal(a, b)
    # ... and the autocast does change the arithmetic.
    assert not all(
        torch.equal(a, b) for a, b in zip(_weights(first), _weights(in_float32))
    )


@pytest.mark.slow  # a quality check: two fits on real images
def test_bfloat16_reaches_the_float32_quality_on_real_images():
    X, _ = load_fashion_mnist_sample(return_X_y=True)
    X_test, _ = load_fashion_mnist_sample(subset="test", return_X_y=True)
    errors = {}
    for precision in ("float32", "bfloat16"):
        ae = Autoencoder(max_epochs=6, precision=precision, random_state=0)
        ae.fit(X[:2000])
        errors[precision] = -ae.score(X_test)
    assert errors["bfloat16"] < 1.05 * errors["float32"]


def test_auto_precision_follows_the_device(monkeypatch):
    assert resolve_precision("float32", "cpu") == "float32"
    assert resolve_precision("bfloat16", "cpu") == "bfloat16"
    expected = "bfloat16" if native_bfloat16("cpu") else "float32"
    assert resolve_precision("auto", "cpu") == expected
    for capability, expected in (((7, 5), "float32"), ((8, 0), "bfloat16")):
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda d: capability)
        assert resolve_precision("auto", "cuda") == expected
    assert resolve_precision("auto", "mps") == "float32"
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    assert resolve_precision("auto", "cpu") == "float32"


@pytest.fixture
def bfloat16_capable(monkeypatch):
    """A device that could compute bfloat16 natively, its steps' times set by
    the test (``times['bfloat16']``, float32's being 1 s), the memo empty."""
    times = {"float32": 1.0, "bfloat16": 1.0}
    measured = []

    def seconds(module, x, dtype, device, rounds=5):
        measured.append(dtype)
        return times["float32" if dtype is None else "bfloat16"]

    monkeypatch.setattr(_runtime, "native_bfloat16", lambda device: True)
    monkeypatch.setattr(_runtime, "_step_seconds", seconds)
    monkeypatch.setattr(_runtime, "_FASTER", {})
    return times, measured


@pytest.mark.parametrize(
    "bf16_seconds, expected",
    [(0.5, "bfloat16"), (1 / 1.2, "bfloat16"), (1 / 1.1, "float32"), (3.0, "float32")],
)
def test_auto_precision_takes_bfloat16_only_where_it_measured_faster(
    bfloat16_capable, bf16_seconds, expected, sample
):
    times, measured = bfloat16_capable
    times["bfloat16"] = bf16_seconds
    X, y = sample
    est = _fit(FeedForwardClassifier, X, y, max_epochs=1)
    assert est.precision_ == est.runtime_.precision == expected
    assert measured  # it measured ...
    n = len(measured)
    again = _fit(FeedForwardClassifier, X, y, max_epochs=1)
    assert len(measured) == n and again.precision_ == expected  # ... once
    # A given precision is never measured.
    _fit(FeedForwardClassifier, X, y, max_epochs=1, precision="float32")
    assert len(measured) == n
    # Going on from a fit keeps its arithmetic, whatever a new measure says.
    times["bfloat16"] = 0.5 if expected == "float32" else 3.0
    _runtime._FASTER.clear()
    again.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert again.precision_ == expected


def test_measuring_leaves_the_fit_as_it_would_be(bfloat16_capable, sample):
    times, _ = bfloat16_capable
    times["bfloat16"] = 0.5
    X, y = sample
    measured = _fit(FeedForwardClassifier, X, y, max_epochs=1)
    memo = _fit(FeedForwardClassifier, X, y, max_epochs=1)  # from the memo
    for a, b in zip(_weights(measured), _weights(memo)):
        assert torch.equal(a, b)


def test_the_measure_itself_runs_on_a_fresh_module_and_draws_nothing(monkeypatch):
    monkeypatch.setattr(_runtime, "_FASTER", {})
    from skfashion._modules import AutoencoderModule

    kwargs = dict(n_features=20, hidden_layer_sizes=(16,), n_components=4)
    torch.manual_seed(0)
    before = torch.get_rng_state()
    precision, speedup = faster_precision(AutoencoderModule, kwargs, 20, 32, "cpu", 1)
    assert torch.equal(torch.get_rng_state(), before)
    assert precision in ("float32", "bfloat16") and speedup > 0
    assert _runtime._FASTER  # kept for the next fit of this network


def test_precision_is_validated(sample):
    X, _ = sample
    with pytest.raises(ValueError, match="precision"):
        Autoencoder(precision="float16").fit(X)


@pytest.mark.few_epochs
def test_the_fused_optimizer_where_torch_has_one(sample):
    assert optimizer_kwargs("adam", "cpu") == {"fused": True}
    assert optimizer_kwargs("rmsprop", "cpu") == {}
    assert optimizer_kwargs("adam", "mps") == {}
    X, _ = sample
    for name in ("adam", "adamw", "sgd", "adagrad", "rmsprop", "adadelta"):
        ae = Autoencoder((32,), 8, optimizer=name, max_epochs=1).fit(X[:100])
        fused = ae.net_.optimizer_.defaults.get("fused")
        assert bool(fused) == (name in ("adam", "adamw", "sgd", "adagrad"))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_inference_runs_the_module_itself_and_leaves_its_mode(cls, sample):
    X, y = sample
    est = _fit(cls, X, y, max_epochs=1)
    module = est.net_.module_
    was_training = module.training
    calls = []
    original = copy.deepcopy
    try:
        copy.deepcopy = lambda *a, **k: calls.append(a) or original(*a, **k)
        est.predict(X[:5]) if cls is FeedForwardClassifier else est.transform(X[:5])
    finally:
        copy.deepcopy = original
    assert calls == [] and est.net_.module_ is module
    assert module.training == was_training
    # Called in the middle of training (a callback, say): training goes on.
    for mode in (True, False):
        module.train(mode)
        est.net_.apply(X[:3])
        assert module.training == mode


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_row_gives_the_same_output_alone_or_with_any_others(cls, sample):
    X, y = sample
    est = _fit(cls, X, y, max_epochs=1)
    method = est.predict_proba if cls is FeedForwardClassifier else est.transform
    full = method(X[:300])
    assert full.dtype == (np.float64 if cls is FeedForwardClassifier else np.float32)
    for n in [1, 2, 3, 5, 7, 15, 17, 37, 63, 65, 129]:
        start = (n * 13) % 150
        np.testing.assert_array_equal(method(X[start : start + n]), full[start:][:n])
    order = np.random.RandomState(0).permutation(300)
    np.testing.assert_array_equal(method(X[:300][order]), full[order])
