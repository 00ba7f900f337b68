"""FeedForward (F11), TransformerBlock (F12, pre-LN and post-LN) and positional information."""

import math

import numpy as np
import pytest
from helpers_attention import host, leaf, module_gradcheck, rng, seeds
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.nn.attention import MultiHeadAttention
from minigrad.nn.transformer import (
    FeedForward,
    PositionalEmbedding,
    SinusoidalPositionalEncoding,
    TransformerBlock,
)


def _set(param, array):
    param.array = mg.backend.get_backend(param.device).asarray(np.asarray(array), dtype=param.dtype)


# ----------------------------------------------------------------------------------------------
# FeedForward (F11)
# ----------------------------------------------------------------------------------------------


def test_feedforward_is_f11_with_consistent_shapes():
    """F11 redone with shapes that fit (the document's example does not): x (1, 2),
    W₁ (2, 3), b₁ (3,), W₂ (3, 2), b₂ (2,).  FFN(x) = max(0, x W₁ + b₁) W₂ + b₂."""
    ff = FeedForward(2, 3).double()
    W1 = np.array([[1.0, -1.0, 2.0], [0.5, 1.0, -3.0]])
    b1 = np.array([3.0, -4.0, 1.0])
    W2 = np.array([[5.0, 6.0], [7.0, 8.0], [-1.0, 2.0]])
    b2 = np.array([7.0, 8.0])
    _set(ff.fc1.weight, W1.T)  # Linear stores W as (out, in)
    _set(ff.fc1.bias, b1)
    _set(ff.fc2.weight, W2.T)
    _set(ff.fc2.bias, b2)
    x = np.array([[1.0, 2.0]])
    # x W₁ + b₁ = [2, 1, -4] + [3, -4, 1] = [5, -3, -3];  ReLU -> [5, 0, 0];  · W₂ + b₂ = [32, 38]
    np.testing.assert_allclose(ff(leaf(x, requires_grad=False)).numpy(), [[32.0, 38.0]])
    np.testing.assert_allclose(np.maximum(0, x @ W1 + b1) @ W2 + b2, [[32.0, 38.0]])


@given(seed=seeds, activation=st.sampled_from(["relu", "gelu"]))
def test_feedforward_gradient(device, seed, activation):
    g = rng(seed)
    ff = FeedForward(3, 5, activation=activation).double().to(device)
    # a random input lands within eps = 1e-6 of ReLU's kink with probability ~1e-6
    x = g.standard_normal((2, 4, 3))
    assert module_gradcheck(ff, [leaf(x, device)])


def test_feedforward_gelu_and_bad_activation():
    ff = FeedForward(3, 4, activation="gelu").double()
    x = mg.randn(2, 3, dtype=mg.float64)
    expected = ff.fc2(ff.fc1(x).gelu()).numpy()
    np.testing.assert_allclose(ff(x).numpy(), expected)
    with pytest.raises(ValueError, match="activation must be one of"):
        FeedForward(3, 4, activation="swish")


# ----------------------------------------------------------------------------------------------
# TransformerBlock (F12)
# ----------------------------------------------------------------------------------------------


@given(seed=seeds, norm_first=st.booleans(), causal=st.booleans(), padded=st.booleans())
def test_transformer_block_gradient(device, seed, norm_first, causal, padded):
    """A whole block -- attention, FFN, two LayerNorms, residuals -- w.r.t. input and weights."""
    g = rng(seed)
    block = (
        TransformerBlock(4, 2, 6, norm_first=norm_first, causal=causal, activation="gelu")
        .double()
        .to(device)
    )
    x = leaf(g.standard_normal((2, 3, 4)), device)
    kwargs = {}
    if padded:
        kwargs["key_padding_mask"] = mg.tensor([[False, False, True], [False] * 3], device=device)
    assert module_gradcheck(block, [x], forward_kwargs=kwargs)


def _zero_sublayers(block):
    """Make both sublayers output exactly 0 (their last Linear layers all zero)."""
    for layer in (block.attn.out_proj, block.ff.fc2):
        _set(layer.weight, np.zeros(layer.weight.shape))
        _set(layer.bias, np.zeros(layer.bias.shape))


@given(seed=seeds)
def test_pre_ln_and_post_ln_differ_only_in_where_the_norm_is(seed):
    """Same weights in both layouts. If the sublayers output 0, a pre-LN block is the identity
    (x + 0 + 0) while a post-LN block normalises: LayerNorm(LayerNorm(x)). In general, a post-LN
    block's output rows are standardised (γ = 1, β = 0) and a pre-LN block's are not."""
    g = rng(seed)
    pre = TransformerBlock(8, 2, 16, norm_first=True).double()
    post = TransformerBlock(8, 2, 16, norm_first=False).double()
    assert list(pre.state_dict()) == list(post.state_dict())  # the same parameters
    post.load_state_dict(pre.state_dict())
    x = g.standard_normal((2, 5, 8)) * 3 + 1
    xt = leaf(x, requires_grad=False)

    out_post = post(xt).numpy()
    np.testing.assert_allclose(out_post.mean(-1), 0.0, atol=1e-10)
    np.testing.assert_allclose(out_post.var(-1), 1.0, rtol=1e-3)
    out_pre = pre(xt).numpy()
    assert np.abs(out_pre.mean(-1)).max() > 0.1  # the residual stream keeps x's offset
    assert not np.allclose(out_pre, out_post)

    _zero_sublayers(pre)
    _zero_sublayers(post)
    np.testing.assert_allclose(pre(xt).numpy(), x, rtol=1e-12)
    standardised = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    twice = (standardised - standardised.mean(-1, keepdims=True)) / np.sqrt(
        standardised.var(-1, keepdims=True) + 1e-5
    )
    np.testing.assert_allclose(post(xt).numpy(), twice, rtol=1e-9, atol=1e-12)


@given(seed=seeds, T=st.integers(2, 5))
def test_block_without_positions_is_permutation_equivariant(seed, T):
    g = rng(seed)
    block = TransformerBlock(6, 3, 12, norm_first=bool(seed % 2)).double()
    x = g.standard_normal((1, T, 6))
    perm = g.permutation(T)
    out = block(leaf(x, requires_grad=False)).numpy()
    np.testing.assert_allclose(
        block(leaf(x[:, perm], requires_grad=False)).numpy(), out[:, perm], rtol=1e-10, atol=1e-12
    )
    # ... and adding positions breaks that symmetry (positions carry word order)
    pe = SinusoidalPositionalEncoding(6)
    with_pos = block(pe(leaf(x, requires_grad=False))).numpy()
    with_pos_perm = block(pe(leaf(x[:, perm], requires_grad=False))).numpy()
    if not np.array_equal(perm, np.arange(T)):
        assert not np.allclose(with_pos_perm, with_pos[:, perm])


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_block_matches_torch_encoder_layer(norm_first, activation):
    torch = pytest.importorskip("torch")
    block = TransformerBlock(
        8, 2, 16, norm_first=norm_first, causal=True, activation=activation
    ).double()
    ref = torch.nn.TransformerEncoderLayer(
        8,
        2,
        16,
        dropout=0.0,
        activation=activation,
        batch_first=True,
        norm_first=norm_first,
        dtype=torch.float64,
    )
    a = block.attn
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(
            torch.tensor(
                np.concatenate(
                    [a.q_proj.weight.numpy(), a.k_proj.weight.numpy(), a.v_proj.weight.numpy()]
                )
            )
        )
        ref.self_attn.in_proj_bias.copy_(
            torch.tensor(
                np.concatenate(
                    [a.q_proj.bias.numpy(), a.k_proj.bias.numpy(), a.v_proj.bias.numpy()]
                )
            )
        )
        for theirs, ours in (
            (ref.self_attn.out_proj, a.out_proj),
            (ref.linear1, block.ff.fc1),
            (ref.linear2, block.ff.fc2),
            (ref.norm1, block.norm1),
            (ref.norm2, block.norm2),
        ):
            theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
            theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    ref.eval()
    x = rng(0).standard_normal((2, 5, 8))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    expected = ref(torch.tensor(x), src_mask=causal, is_causal=True).detach().numpy()
    np.testing.assert_allclose(
        block(leaf(x, requires_grad=False)).numpy(), expected, rtol=1e-9, atol=1e-11
    )


def test_block_need_weights_and_eval_mode_is_deterministic():
    block = TransformerBlock(8, 4, 16, dropout=0.5, causal=True)
    x = mg.randn(2, 5, 8)
    block.eval()
    out, weights = block(x, need_weights=True)
    assert out.shape == (2, 5, 8) and weights.shape == (2, 4, 5, 5)
    np.testing.assert_array_equal(np.triu(weights.numpy(), k=1), 0.0)  # causal heat map
    np.testing.assert_array_equal(block(x).numpy(), out.numpy())
    block.train()
    assert not np.allclose(block(x).numpy(), out.numpy())  # dropout is active again
    with pytest.raises(ValueError, match=r"\(N, T, d_model\)"):
        block(mg.randn(5, 8))


def test_block_layers_have_the_expected_names():
    block = TransformerBlock(8, 2, 32)
    names = [name for name, _ in block.named_parameters()]
    assert names[:8] == [
        "attn.q_proj.weight",
        "attn.q_proj.bias",
        "attn.k_proj.weight",
        "attn.k_proj.bias",
        "attn.v_proj.weight",
        "attn.v_proj.bias",
        "attn.out_proj.weight",
        "attn.out_proj.bias",
    ]
    assert {"ff.fc1.weight", "ff.fc2.weight", "norm1.weight", "norm2.bias"} <= set(names)
    assert isinstance(block.attn, MultiHeadAttention)


# ----------------------------------------------------------------------------------------------
# Positional information
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d_model", [6, 7])
def test_sinusoidal_encoding_values(d_model, device):
    pe = SinusoidalPositionalEncoding(d_model, max_len=50)
    x = mg.zeros(1, 10, d_model, dtype=mg.float64, device=device)
    out = pe(x, start=3).numpy()[0]
    for row, pos in enumerate(range(3, 13)):
        for i in range(d_model):
            angle = pos / 10000 ** (2 * (i // 2) / d_model)
            expected = math.sin(angle) if i % 2 == 0 else math.cos(angle)
            assert abs(out[row, i] - expected) < 1e-12
    assert pe(mg.zeros(2, 4, d_model)).dtype == mg.float32
    assert pe.num_parameters() == 0
    with pytest.raises(ValueError, match="max_len is 50"):
        pe(mg.zeros(1, 10, d_model), start=45)


def test_sinusoidal_shift_is_a_rotation():
    """PE[pos + k] is a fixed rotation of PE[pos], for every pos (why it encodes offsets)."""
    d, k = 8, 5
    table = SinusoidalPositionalEncoding(d, max_len=100)(mg.zeros(1, 100, d, dtype=mg.float64))
    table = table.numpy()[0]
    for i in range(d // 2):
        w = 1 / 10000 ** (2 * i / d)
        c, s = math.cos(k * w), math.sin(k * w)
        sin_now, cos_now = table[:-k, 2 * i], table[:-k, 2 * i + 1]
        np.testing.assert_allclose(table[k:, 2 * i], sin_now * c + cos_now * s, atol=1e-12)
        np.testing.assert_allclose(table[k:, 2 * i + 1], cos_now * c - sin_now * s, atol=1e-12)


def test_learned_positional_embedding(device):
    pos = PositionalEmbedding(8, 3).double().to(device)
    x = mg.zeros(2, 4, 3, dtype=mg.float64, device=device)
    out = pos(x, start=2)
    np.testing.assert_array_equal(out.numpy()[1], pos.weight.numpy()[2:6])
    out.sum().backward()
    grad = host(pos.weight.grad)
    np.testing.assert_array_equal(grad[2:6], 2.0)  # two sequences used each of these rows
    np.testing.assert_array_equal(grad[[0, 1, 6, 7]], 0.0)
    with pytest.raises(ValueError, match="max_len is 8"):
        pos(mg.zeros(1, 9, 3, dtype=mg.float64, device=device))
