import pytest
import torch
from torch import nn

from skfashion._modules import (
    AutoencoderModule,
    ClassifierModule,
    ConvAutoencoderModule,
    hidden_layers,
)


def _widths(sequential):
    return [m.out_features for m in sequential.modules() if isinstance(m, nn.Linear)]


def test_autoencoder_mirrors_the_encoder_and_keeps_the_code_linear():
    module = AutoencoderModule(784, (512, 256, 128), 64)
    assert _widths(module.body) + _widths(module.code) == [512, 256, 128, 64]
    assert _widths(module.decoder) == [128, 256, 512, 784]
    assert list(module.code.children()) == [module.code.linear]  # a linear code
    x = torch.rand(5, 784)
    out = module(x)
    assert set(out) == {"reconstruction", "code"}  # named outputs, no log_var
    reconstruction, code = out["reconstruction"], out["code"]
    assert reconstruction.shape == (5, 784) and code.shape == (5, 64)
    assert 0 <= reconstruction.min() and reconstruction.max() <= 1  # sigmoid


def test_no_hidden_layers_is_a_linear_autoencoder():
    module = AutoencoderModule(10, (), 3, output_activation="identity")
    assert _widths(module) == [3, 10]
    assert not any(isinstance(m, nn.ReLU) for m in module.modules())


def test_hidden_layers_order_and_batch_norm_without_bias():
    layers = list(hidden_layers([8, 4], "tanh", batch_norm=True, dropout=0.5))
    assert [type(m) for m in layers] == [nn.Linear, nn.BatchNorm1d, nn.Tanh, nn.Dropout]
    assert layers[0].bias is None  # the norm's shift makes a bias redundant


@pytest.mark.parametrize(
    "make",
    [
        lambda: AutoencoderModule(20, (16,), 4, code="gaussian"),
        lambda: ConvAutoencoderModule((1, 4, 5), (3,), 4, code="gaussian"),
    ],
    ids=["dense", "conv"],
)
def test_a_gaussian_code_samples_in_training_and_gives_its_mean_in_eval(make):
    torch.manual_seed(0)
    module = make()
    assert module.outputs == ("reconstruction", "code", "log_var")
    x = torch.rand(3, 20)
    module.train()
    a, b = module(x), module(x)
    assert set(a) == set(module.outputs)  # what it declares, no more
    assert not torch.equal(a["reconstruction"], b["reconstruction"])
    assert a["code"].shape == a["log_var"].shape == (3, 4)
    module.eval()
    c = module(x)
    torch.testing.assert_close(c["reconstruction"], module.decode(module.encode(x)))
    torch.testing.assert_close(c["code"], module.encode(x))


def test_classifier_module_logits_and_features():
    module = ClassifierModule(784, (64, 32), 10, batch_norm=True, dropout=0.1).eval()
    x = torch.rand(4, 784)
    assert module(x).shape == (4, 10)
    assert module.features(x).shape == (4, 32)
    torch.testing.assert_close(module.head(module.features(x)), module(x))
