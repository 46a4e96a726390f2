import pytest
import torch
from torch import nn

from skfashion._modules import (
    AutoencoderModule,
    ClassifierModule,
    ConvAutoencoderModule,
    ConvClassifierModule,
    Dropout,
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


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5, 0.9])
@pytest.mark.parametrize("layout", ["nchw", "channels_last", "rows"])
def test_dropout_zeroes_p_of_the_values_and_scales_the_rest(p, layout):
    shape = (64, 24, 10, 10) if layout != "rows" else (800, 300)
    x = torch.rand(shape, dtype=torch.float64) + 0.5
    if layout == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_()
    torch.manual_seed(0)
    y = Dropout(p).train()(x)
    dropped = y == 0
    # the binomial's standard error is sqrt(p (1 - p) / n) < 0.002 here
    assert abs(dropped.double().mean().item() - p) < 0.01
    # 1 / the keep probability, exactly as drawn: round((1 - p) 2**16) / 2**16
    scale = 2**16 / round((1 - p) * 2**16)
    expected = (~dropped).to(x.dtype) * scale
    assert torch.allclose(y, x.detach() * expected)
    # the output keeps the input's layout (the product reads both in order)
    assert y.stride() == x.stride()
    # the gradient is the same mask and scale
    y.backward(torch.ones_like(y))
    assert torch.equal(x.grad, expected)
    # the mask is not the same pattern from one image or row to the next
    flat = dropped.reshape(shape[0], -1)
    assert (flat != flat[:1]).any(dim=1).float().mean() > 0.9


def test_dropout_is_seeded_by_torch_and_the_identity_in_evaluation():
    x = torch.rand(32, 50)
    layer = Dropout(0.3)
    torch.manual_seed(1)
    a = layer(x)
    torch.manual_seed(1)
    b = layer(x)
    assert torch.equal(a, b) and not torch.equal(a, layer(x))
    assert torch.equal(layer.eval()(x), x)
    assert torch.equal(Dropout(0.0)(x), x)
    assert not Dropout(1.0)(x).any()
    # bfloat16 activations (autocast) stay bfloat16
    assert Dropout(0.3)(x.bfloat16()).dtype == torch.bfloat16


def test_dropout_matches_torch_in_distribution():
    # the same layer as torch's: same fraction dropped, same scale, same mean
    x = torch.ones(200_000)
    torch.manual_seed(0)
    ours = Dropout(0.25)(x)
    theirs = nn.Dropout(0.25)(x)
    assert abs((ours == 0).float().mean() - (theirs == 0).float().mean()) < 0.005
    assert abs(ours.mean() - 1) < 0.01 and abs(theirs.mean() - 1) < 0.01
    assert torch.allclose(ours.max(), theirs.max())


def test_conv_modules_keep_channels_last_from_the_code_to_the_image():
    # The decoder's maps follow its weights' layout, so no convolution copies
    # its input to another layout.
    module = ConvAutoencoderModule((1, 8, 8), (4, 6), 3)
    module.to(memory_format=torch.channels_last)
    seen = []
    hooks = [
        m.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
        for m in module.decoder
        if isinstance(m, nn.Conv2d)
    ]
    module(torch.rand(5, 64))
    for h in hooks:
        h.remove()
    assert seen and all(
        t.is_contiguous(memory_format=torch.channels_last) for t in seen
    )
    # and in the standard layout, the standard layout
    module.to(memory_format=torch.contiguous_format)
    seen.clear()
    first = next(m for m in module.decoder if isinstance(m, nn.Conv2d))
    hook = first.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    module(torch.rand(5, 64))
    hook.remove()
    assert seen[0].is_contiguous()
    assert isinstance(ConvClassifierModule((1, 8, 8), (4,), 3).dense[-1], Dropout)
