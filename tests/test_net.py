import numpy as np
import pytest
import torch

from skfashion._modules import AutoencoderModule
from skfashion._net import (
    AutoencoderNet,
    InMemoryBatchIterator,
    InMemoryDataset,
    ValidationSplit,
)
from skfashion._variational_face import KLDivergence


def _batches(n, batch_size, **kwargs):
    dataset = InMemoryDataset(torch.arange(n).reshape(n, 1), torch.arange(n))
    return list(InMemoryBatchIterator(dataset, batch_size, **kwargs))


def test_iterator_yields_whole_batches_covering_every_sample_once():
    torch.manual_seed(0)
    batches = _batches(10, 4, shuffle=True)
    assert [len(X) for X, _ in batches] == [4, 4, 2]
    seen = torch.cat([y for _, y in batches])
    assert sorted(seen.tolist()) == list(range(10))
    assert seen.tolist() != list(range(10))  # shuffled
    for X, y in batches:
        assert torch.equal(X[:, 0], y)  # inputs and targets stay paired
    assert [y.tolist() for _, y in _batches(5, 2)] == [[0, 1], [2, 3], [4]]


def test_a_last_batch_of_one_is_merged_when_asked():
    # batch norm cannot train on a batch of one sample
    assert [len(X) for X, _ in _batches(9, 4, merge_singleton=True)] == [4, 5]
    assert [len(X) for X, _ in _batches(9, 4)] == [4, 4, 1]
    assert (
        len(
            InMemoryBatchIterator(
                InMemoryDataset(torch.zeros(9, 1)), 4, merge_singleton=True
            )
        )
        == 2
    )
    assert [len(X) for X, _ in _batches(1, 4, merge_singleton=True)] == [1]


def test_validation_split_is_stratified_reproducible_and_refuses_nothing_left():
    X = np.zeros((100, 2), dtype=np.float32)
    y = np.repeat([0, 1], [80, 20])
    dataset = InMemoryDataset(X, y)
    train, valid = ValidationSplit(0.1, 0)(dataset, y)
    assert len(train) == 90 and len(valid) == 10
    assert valid.y.tolist().count(1) == 2  # 20% of the held-out, as in the data
    again = ValidationSplit(0.1, 0)(dataset, y)[1]
    assert torch.equal(valid.X, again.X) and torch.equal(valid.y, again.y)
    # at least one held-out sample per class
    small = np.repeat([0, 1, 2], 4)
    _, valid = ValidationSplit(0.1, 0)(InMemoryDataset(np.zeros((12, 1)), small), small)
    assert sorted(valid.y.tolist()) == [0, 1, 2]
    with pytest.raises(ValueError, match="n_samples=1"):
        ValidationSplit(0.1, 0)(InMemoryDataset(np.zeros((1, 2))))


def _initialized_net(module=AutoencoderModule, **kwargs):
    return AutoencoderNet(
        module,
        module__n_features=6,
        module__hidden_layer_sizes=(5,),
        module__n_components=3,
        **kwargs,
    ).initialize()


def test_loss_is_reconstruction_plus_the_code_penalty():
    net = _initialized_net(l1_activity=0.5)
    X = torch.rand(4, 6)
    reconstruction, code = torch.rand(4, 6), torch.randn(4, 3)
    loss = net.get_loss({"reconstruction": reconstruction, "code": code}, None, X=X)
    expected = ((reconstruction - X) ** 2).mean() + 0.5 * code.abs().sum(1).mean()
    torch.testing.assert_close(loss, expected)


def test_elbo_kl_term_vanishes_at_the_prior_and_is_weighted_by_beta():
    net = _initialized_net(
        loss="bce", code_penalty=KLDivergence(2.0), module__code="gaussian"
    )
    X = torch.rand(4, 6)
    reconstruction = torch.rand(4, 6).clamp(0.01, 0.99)
    zeros = torch.zeros(4, 3)
    bce = torch.nn.functional.binary_cross_entropy(reconstruction, X)

    def outputs(mean):
        return {"reconstruction": reconstruction, "code": mean, "log_var": zeros}

    torch.testing.assert_close(net.get_loss(outputs(zeros), None, X=X), bce)
    mean = torch.ones(4, 3)  # KL of N(1, 1) to N(0, 1) is 1/2 per dimension
    loss = net.get_loss(outputs(mean), None, X=X)
    torch.testing.assert_close(loss, bce + 2.0 * (0.5 * 3) / 6)


def test_noise_goes_to_the_input_in_training_only():
    net = _initialized_net(noise=0.5)
    X = torch.rand(4, 6)
    net.module_.eval()
    torch.testing.assert_close(net.infer(X)["code"], net.infer(X)["code"])
    net.module_.train()
    torch.manual_seed(0)
    noisy = net.infer(X)["code"]
    torch.manual_seed(0)
    expected = net.module_.encode(X + 0.5 * torch.randn_like(X))
    torch.testing.assert_close(noisy, expected)


@pytest.mark.few_epochs
def test_the_epoch_table_has_no_colour_codes_outside_a_terminal(capsys):
    from skfashion import FeedForwardClassifier

    rng = np.random.default_rng(0)
    X, y = rng.random((64, 8), dtype=np.float32), np.arange(64) % 2
    FeedForwardClassifier((4,), max_epochs=3, verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out  # the table is there, each best value marked...
    assert "\x1b[" not in out  # ...but not in colour: stdout is not a terminal
