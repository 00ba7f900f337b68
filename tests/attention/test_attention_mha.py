"""MultiHeadAttention: gradients, masks, permutation equivariance, the KV cache, PyTorch."""

import numpy as np
import pytest
from helpers_attention import host, leaf, module_gradcheck, rng, seeds
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.nn.attention import KVCache, MultiHeadAttention


def _mha(d_model, n_heads, device="cpu", bias=True):
    return MultiHeadAttention(d_model, n_heads, bias=bias).double().to(device)


# ----------------------------------------------------------------------------------------------
# Gradients
# ----------------------------------------------------------------------------------------------


@given(data=st.data(), seed=seeds)
def test_mha_gradient(device, data, seed):
    """Gradients w.r.t. query, key, value and all four projections, for self- and
    cross-attention with causal, key-padding and float masks, batched or not."""
    g = rng(seed)
    n_heads = data.draw(st.sampled_from([1, 2, 3]), label="heads")
    d_model = n_heads * data.draw(st.integers(1, 3), label="d_head")
    N, L = data.draw(st.integers(1, 2), label="N"), data.draw(st.integers(1, 4), label="L")
    cross = data.draw(st.booleans(), label="cross")
    S = data.draw(st.integers(1, 4), label="S") if cross else L
    mask = data.draw(st.sampled_from(["none", "causal", "padding", "float"]), label="mask")
    bias = data.draw(st.booleans(), label="bias")
    module = _mha(d_model, n_heads, device, bias=bias)
    query = leaf(g.standard_normal((N, L, d_model)), device)
    inputs = [query]
    if cross:
        inputs += [
            leaf(g.standard_normal((N, S, d_model)), device),
            leaf(g.standard_normal((N, S, d_model)), device),
        ]
    kwargs = {}
    if mask == "causal":
        kwargs["is_causal"] = True
    elif mask == "padding":
        padding = g.random((N, S)) < 0.4
        kwargs["key_padding_mask"] = mg.tensor(padding, device=device)
    elif mask == "float":
        kwargs["attn_mask"] = mg.tensor(g.standard_normal((L, S)), device=device)

    assert module_gradcheck(module, inputs, forward_kwargs=kwargs)


# ----------------------------------------------------------------------------------------------
# Structure
# ----------------------------------------------------------------------------------------------


@given(seed=seeds, T=st.integers(2, 6), n_heads=st.sampled_from([1, 2, 4]))
def test_self_attention_is_permutation_equivariant(seed, T, n_heads):
    """Without positional information, permuting the tokens permutes the outputs the same way."""
    g = rng(seed)
    module = _mha(4 * n_heads, n_heads)
    x = g.standard_normal((2, T, module.d_model))
    perm = g.permutation(T)
    out = module(leaf(x, requires_grad=False)).numpy()
    out_permuted = module(leaf(x[:, perm], requires_grad=False)).numpy()
    np.testing.assert_allclose(out_permuted, out[:, perm], rtol=1e-10, atol=1e-12)


@given(seed=seeds, S=st.integers(2, 6))
def test_fully_padded_key_gets_no_attention(seed, S):
    """A padded key gets weight exactly 0 from every query in every head; changing what it holds
    changes nothing, and it receives no gradient."""
    g = rng(seed)
    module = _mha(6, 3)
    padding = g.random((2, S)) < 0.5
    padding[:, 0] = False  # every sequence keeps at least one real key
    padding[1, -1] = True
    x = g.standard_normal((2, S, 6))
    xt = leaf(x)
    out, weights = module(xt, key_padding_mask=mg.tensor(padding), need_weights=True)
    w = weights.numpy()  # (N, H, L, S)
    assert w.shape == (2, 3, S, S)
    for n in range(2):
        assert np.all(w[n][..., padding[n]] == 0)
        np.testing.assert_allclose(w[n][..., ~padding[n]].sum(-1), 1.0, rtol=1e-12)
    # the queries at real positions do not see the padded keys at all
    x_changed = x.copy()
    x_changed[padding] = g.standard_normal((padding.sum(), 6)) * 10
    out_changed = module(leaf(x_changed, requires_grad=False), key_padding_mask=mg.tensor(padding))
    real = ~padding
    np.testing.assert_allclose(out_changed.numpy()[real], out.numpy()[real], rtol=1e-10, atol=1e-12)
    # gradient from the real positions' outputs never reaches a padded token
    upstream = g.standard_normal(out.shape) * real[..., None]
    out.backward(mg.tensor(upstream))
    assert np.all(host(xt.grad)[padding] == 0)


@given(seed=seeds, T=st.integers(2, 6))
def test_causal_mha_has_zero_gradient_from_later_positions(seed, T):
    g = rng(seed)
    module = _mha(4, 2)
    x = leaf(g.standard_normal((1, T, 4)))
    t = int(g.integers(T - 1))
    out = module(x, is_causal=True)
    out[:, t].backward(mg.tensor(g.standard_normal((1, 4))))
    assert np.all(host(x.grad)[:, t + 1 :] == 0)
    assert np.any(host(x.grad)[:, : t + 1] != 0)


def test_need_weights_gives_per_head_maps_and_unbatched_input_works():
    module = _mha(8, 4)
    x = mg.randn(5, 8, dtype=mg.float64)  # (L, E), unbatched
    memory = mg.randn(7, 8, dtype=mg.float64)
    out, weights = module(x, memory, need_weights=True)  # cross-attention
    assert out.shape == (5, 8) and weights.shape == (4, 5, 7)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0)
    batched = module(x.unsqueeze(0), memory.unsqueeze(0))
    np.testing.assert_allclose(batched.numpy()[0], out.numpy(), rtol=1e-12)


def test_kv_cache_gives_the_same_outputs_as_the_full_causal_pass():
    """Feeding tokens one (or a few) at a time with a KVCache equals one causal pass."""
    g = rng(0)
    module = _mha(8, 2)
    x = g.standard_normal((2, 7, 8))
    full = module(leaf(x, requires_grad=False), is_causal=True).numpy()
    cache = KVCache()
    pieces = [module(leaf(x[:, :3], requires_grad=False), is_causal=True, kv_cache=cache)]
    for t in range(3, 7):
        pieces.append(
            module(leaf(x[:, t : t + 1], requires_grad=False), is_causal=True, kv_cache=cache)
        )
    assert len(cache) == 7 and cache.k.shape == (2, 2, 7, 4)
    np.testing.assert_allclose(
        np.concatenate([p.numpy() for p in pieces], 1), full, rtol=1e-10, atol=1e-12
    )


def test_float32_module_stays_float32_and_errors_name_shapes():
    module = MultiHeadAttention(8, 2)
    out = module(mg.randn(2, 3, 8), attn_mask=mg.randn(3, 3))
    assert out.dtype == mg.float32
    with pytest.raises(ValueError, match="d_model=10 must be divisible by n_heads=4"):
        MultiHeadAttention(10, 4)
    with pytest.raises(ValueError, match=r"expected query of shape \(N, length, 8\).*\(2, 3, 6\)"):
        module(mg.randn(2, 3, 6))
    with pytest.raises(ValueError, match=r"key_padding_mask .* \(N, S\) = \(2, 3\)"):
        module(mg.randn(2, 3, 8), key_padding_mask=mg.ones(2, 4, dtype=mg.bool))
    with pytest.raises(ValueError, match=r"attn_mask must have shape .* \(3, 3\)"):
        module(mg.randn(2, 3, 8), attn_mask=mg.ones(3, 4, dtype=mg.bool))


def test_mha_on_other_devices_agrees_with_cpu(other_device):
    results = {}
    for dev in ("cpu", other_device):
        mg.manual_seed(0)
        module = MultiHeadAttention(8, 2).to(dev)
        x = mg.randn(2, 5, 8).to(dev).requires_grad_()
        padding = mg.tensor([[False] * 5, [False] * 3 + [True] * 2], device=dev)
        out, w = module(x, key_padding_mask=padding, is_causal=True, need_weights=True)
        (out * out).sum().backward()
        results[dev] = [out.numpy(), w.numpy(), host(x.grad)] + [
            host(p.grad) for p in module.parameters()
        ]
    for a, b in zip(results[other_device], results["cpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Cross-check against torch.nn.MultiheadAttention
# ----------------------------------------------------------------------------------------------


def _torch_mha(torch, module):
    """A torch.nn.MultiheadAttention with the same weights (float64, batch_first)."""
    E, H = module.d_model, module.n_heads
    ref = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(
            torch.tensor(
                np.concatenate(
                    [
                        module.q_proj.weight.numpy(),
                        module.k_proj.weight.numpy(),
                        module.v_proj.weight.numpy(),
                    ]
                )
            )
        )
        ref.in_proj_bias.copy_(
            torch.tensor(
                np.concatenate(
                    [
                        module.q_proj.bias.numpy(),
                        module.k_proj.bias.numpy(),
                        module.v_proj.bias.numpy(),
                    ]
                )
            )
        )
        ref.out_proj.weight.copy_(torch.tensor(module.out_proj.weight.numpy()))
        ref.out_proj.bias.copy_(torch.tensor(module.out_proj.bias.numpy()))
    return ref


@given(seed=seeds, cross=st.booleans(), mask=st.sampled_from(["none", "causal", "padding", "bool"]))
def test_mha_matches_torch(seed, cross, mask):
    torch = pytest.importorskip("torch")
    g = rng(seed)
    module = _mha(8, 2)
    ref = _torch_mha(torch, module)
    N, L = 2, 4
    S = 5 if cross else L
    query = g.standard_normal((N, L, 8))
    key = g.standard_normal((N, S, 8)) if cross else query
    value = g.standard_normal((N, S, 8)) if cross else query
    ours_kwargs, torch_kwargs = {}, {}
    if mask == "causal":
        keep = np.tril(np.ones((L, S), bool))
        ours_kwargs["is_causal"] = True
        torch_kwargs["attn_mask"] = torch.tensor(~keep)  # torch: True = NOT allowed
    elif mask == "padding":
        padding = np.zeros((N, S), bool)
        padding[1, -2:] = True
        ours_kwargs["key_padding_mask"] = mg.tensor(padding)
        torch_kwargs["key_padding_mask"] = torch.tensor(padding)
    elif mask == "bool":
        keep = g.random((L, S)) < 0.6
        keep[:, 0] = True
        ours_kwargs["attn_mask"] = mg.tensor(keep)
        torch_kwargs["attn_mask"] = torch.tensor(~keep)
    out, weights = module(
        leaf(query, requires_grad=False),
        leaf(key, requires_grad=False),
        leaf(value, requires_grad=False),
        need_weights=True,
        **ours_kwargs,
    )
    ref_out, ref_weights = ref(
        torch.tensor(query),
        torch.tensor(key),
        torch.tensor(value),
        need_weights=True,
        average_attn_weights=False,
        **torch_kwargs,
    )
    np.testing.assert_allclose(out.numpy(), ref_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        weights.numpy(), ref_weights.detach().numpy(), rtol=1e-10, atol=1e-12
    )
