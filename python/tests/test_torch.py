"""lowbit.torch: QuantLinear and quantize_linears on a small torch model,
against the float product with the dequantized weights."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch (Debian's python3-torch) is not installed")

import lowbit  # noqa: E402
import lowbit.torch as ltorch  # noqa: E402

SCHEMES = ["gptq_u4_g128", "awq_u4_g128", "mxfp4", "nvfp4", "mxfp8_e4m3", "int8_per_channel"]


def reference(layer, x):
    """x W^T + b in float64 with the weights the kernel sees."""
    w = layer.dequantized_weight().to(torch.float64)
    y = x.to(torch.float64) @ w.T
    if layer.bias is not None:
        y = y + layer.bias.to(torch.float64)
    return y


@pytest.mark.parametrize("scheme", SCHEMES)
def test_quant_linear_matches_the_dequantized_product(scheme):
    torch.manual_seed(0)
    linear = torch.nn.Linear(256, 48)
    layer = ltorch.QuantLinear.from_linear(linear, scheme, threads=1)
    x = torch.randn(5, 256)
    y = layer(x)
    assert y.dtype == torch.float32 and y.shape == (5, 48)
    exact = reference(layer, x)
    # The fast path rounds activations to int8 blocks: ~3e-3 relative L2.
    assert (torch.linalg.norm(y - exact) / torch.linalg.norm(exact)).item() < 1e-2
    # The quantized weights are those of lowbit.quantize (the compiler's).
    q = lowbit.quantize(linear.weight.detach().numpy(), scheme)
    assert np.array_equal(layer.quantized.codes, q.codes)


def test_generic_target_is_the_reference_path():
    torch.manual_seed(1)
    layer = ltorch.QuantLinear.from_linear(torch.nn.Linear(128, 32), "mxfp4", target="generic")
    x = torch.randn(3, 128)
    exact = reference(layer, x)
    assert (torch.linalg.norm(layer(x) - exact) / torch.linalg.norm(exact)).item() < 1e-6


def test_batch_dimensions_and_no_bias():
    torch.manual_seed(2)
    layer = ltorch.QuantLinear.from_linear(torch.nn.Linear(128, 16, bias=False), "gptq_u4_g128")
    assert layer.bias is None
    x = torch.randn(2, 3, 128)
    y = layer(x)
    assert y.shape == (2, 3, 16)
    exact = reference(layer, x.reshape(6, 128)).reshape(2, 3, 16)
    assert (torch.linalg.norm(y - exact) / torch.linalg.norm(exact)).item() < 1e-2
    # Other dtypes and non-contiguous inputs are converted, not refused.
    xt = torch.randn(128, 4).T
    assert not xt.is_contiguous()
    assert torch.allclose(layer(xt), layer(xt.contiguous()))
    assert torch.allclose(layer(xt.to(torch.float64)), layer(xt.contiguous()))


def test_wrong_input_width_is_an_error():
    layer = ltorch.QuantLinear.from_linear(torch.nn.Linear(128, 16), "mxfp4")
    with pytest.raises(ValueError, match="QuantLinear\\(128 -> 16\\) got input of shape \\(2, 64\\)"):
        layer(torch.randn(2, 64))


def test_layers_of_one_shape_share_a_compile():
    a = ltorch.QuantLinear.from_linear(torch.nn.Linear(128, 32), "mxfp4")
    b = ltorch.QuantLinear.from_linear(torch.nn.Linear(128, 32), "mxfp4")
    assert a._function._module is b._function._module


def test_quantize_linears_swaps_a_model():
    torch.manual_seed(3)
    model = torch.nn.Sequential(
        torch.nn.Linear(128, 256), torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.GELU()),
        torch.nn.Linear(256, 10))
    x = torch.randn(4, 128)
    with torch.no_grad():
        expected = model(x)
    ltorch.quantize_linears(model, "gptq_u4_g128", skip={"3"})
    kinds = [type(m).__name__ for m in model.modules()]
    assert kinds.count("QuantLinear") == 2 and kinds.count("Linear") == 1  # the head kept
    # Against the same model with the dequantized weights in float.
    reference_model = torch.nn.Sequential(
        torch.nn.Linear(128, 256), torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.GELU()),
        torch.nn.Linear(256, 10))
    with torch.no_grad():
        reference_model[0].weight.copy_(model[0].dequantized_weight())
        reference_model[0].bias.copy_(model[0].bias)
        reference_model[2][0].weight.copy_(model[2][0].dequantized_weight())
        reference_model[2][0].bias.copy_(model[2][0].bias)
        reference_model[3].load_state_dict(model[3].state_dict())
        y, exact = model(x), reference_model(x)
    assert (torch.linalg.norm(y - exact) / torch.linalg.norm(exact)).item() < 2e-2
    # 4-bit weights move the result, but not far (the model still works).
    assert (torch.linalg.norm(y - expected) / torch.linalg.norm(expected)).item() < 0.2
