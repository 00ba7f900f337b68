"""scaled_dot_product_attention: gradients, structure, the documents' worked examples, PyTorch.

F8-F10 refer to lessons/FORMULAS.md.
"""

import math

import numpy as np
import pytest
from helpers_attention import host, leaf, numpy_attention, rng, seeds
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.nn.attention import causal_mask, scaled_dot_product_attention

sdpa = scaled_dot_product_attention


def _qkv(g, batch, L, S, d, dv):
    """Random query (*batch, L, d), key (*batch, S, d) and value (*batch, S, dv) arrays."""
    return (
        g.standard_normal(batch + (L, d)),
        g.standard_normal(batch + (S, d)),
        g.standard_normal(batch + (S, dv)),
    )


# ----------------------------------------------------------------------------------------------
# Gradients (float64, every device)
# ----------------------------------------------------------------------------------------------

MASK_KINDS = ("none", "bool", "float", "causal", "bool+float-broadcast")


def _draw_case(data, seed):
    """Random shapes (with broadcast batch dimensions), a mask kind and a scale."""
    g = rng(seed)
    batch = data.draw(st.sampled_from([(), (2,), (2, 3)]), label="batch")
    L = data.draw(st.integers(1, 4), label="L")
    S = data.draw(st.integers(1, 5), label="S")
    d = data.draw(st.integers(1, 4), label="d")
    dv = data.draw(st.integers(1, 3), label="dv")
    # keys/values may share one copy across the last batch dimension (e.g. across heads)
    kv_batch = batch[:-1] + (1,) if batch and data.draw(st.booleans(), label="share") else batch
    kind = data.draw(st.sampled_from(MASK_KINDS), label="mask")
    scale = data.draw(st.sampled_from([None, 1.0, 0.37]), label="scale")
    q = g.standard_normal(batch + (L, d))
    k = g.standard_normal(kv_batch + (S, d))
    v = g.standard_normal(kv_batch + (S, dv))
    keep = g.random((L, S)) < 0.7
    bias = g.standard_normal((L, S))
    return q, k, v, kind, keep, bias, scale


@given(data=st.data(), seed=seeds)
def test_sdpa_gradient(device, data, seed):
    """The analytic backward (softmax JVP, no Jacobian) matches finite differences for random
    shapes, masks and scales -- also for the float mask itself, which gets dL/dscores."""
    q, k, v, kind, keep, bias, scale = _draw_case(data, seed)
    inputs = [leaf(q, device), leaf(k, device), leaf(v, device)]
    if kind in ("float", "bool+float-broadcast"):
        inputs.append(leaf(bias, device))
    keep_t = mg.tensor(keep, device=device)

    def fn(q, k, v, *mask):
        if kind == "none":
            return sdpa(q, k, v, scale=scale)
        if kind == "bool":
            return sdpa(q, k, v, attn_mask=keep_t, scale=scale)
        if kind == "float":
            return sdpa(q, k, v, attn_mask=mask[0], scale=scale)
        if kind == "causal":
            return sdpa(q, k, v, is_causal=True, scale=scale)
        combined = mg.where(keep_t, mask[0], -math.inf)  # (L, S), broadcast over the batch
        return sdpa(q, k, v, attn_mask=combined, scale=scale)

    assert mg.gradcheck(fn, inputs)


@given(seed=seeds, p=st.sampled_from([0.2, 0.5]))
def test_sdpa_gradient_with_dropout(device, seed, p):
    """With the dropout mask fixed (same seed in every call), the backward is still exact."""
    g = rng(seed)
    q, k, v = _qkv(g, (2,), 3, 5, 4, 2)

    def fn(q, k, v):
        mg.manual_seed(seed % 1000)
        return sdpa(q, k, v, dropout_p=p)

    assert mg.gradcheck(fn, [leaf(q, device), leaf(k, device), leaf(v, device)])


def test_sdpa_matches_numpy_reference_on_every_device(device):
    g = rng(1)
    q, k, v = _qkv(g, (2,), 3, 6, 4, 5)
    keep = g.random((3, 6)) < 0.6
    keep[:, 0] = True
    out, weights = sdpa(
        leaf(q, device),
        leaf(k, device),
        leaf(v, device),
        attn_mask=mg.tensor(keep, device=device),
        return_weights=True,
    )
    expected, p = numpy_attention(q, k, v, keep=keep)
    assert out.device == device and weights.device == device
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights.numpy(), p, rtol=1e-12, atol=1e-12)
    assert not weights.requires_grad  # the weights are for plotting, a constant


def test_float32_stays_float32():
    q = mg.randn(2, 3, 8, requires_grad=True)
    k = mg.randn(2, 5, 8, requires_grad=True)
    v = mg.randn(2, 5, 8, requires_grad=True)
    out, weights = sdpa(q, k, v, attn_mask=mg.randn(3, 5), dropout_p=0.1, return_weights=True)
    assert out.dtype == mg.float32 and weights.dtype == mg.float32
    out.sum().backward()
    assert q.grad.dtype == k.grad.dtype == v.grad.dtype == np.float32


def test_huge_scores_do_not_overflow(device):
    """Scores of ±1e4 in float32: e^x would overflow, e^(x - max) does not."""
    q = mg.full((1, 2, 1), 100.0, device=device, requires_grad=True)
    k = mg.tensor([[[100.0], [-100.0], [99.9]]], device=device)
    v = mg.tensor([[[1.0], [2.0], [3.0]]], device=device)
    out, w = sdpa(q, k, v, scale=1.0, return_weights=True)
    assert np.isfinite(out.numpy()).all() and np.isfinite(w.numpy()).all()
    # e^0 : e^-20000 : e^-10 -> almost all weight on key 0
    np.testing.assert_allclose(
        w.numpy()[0, 0], [1 / (1 + np.exp(-10)), 0.0, np.exp(-10) / (1 + np.exp(-10))], rtol=1e-5
    )
    out.sum().backward()
    assert np.isfinite(host(q.grad)).all()


# ----------------------------------------------------------------------------------------------
# Structural properties
# ----------------------------------------------------------------------------------------------


@given(seed=seeds, L=st.integers(1, 6), S=st.integers(1, 6), causal=st.booleans())
def test_attention_rows_sum_to_one(seed, L, S, causal):
    """Every query's weights are a probability distribution over the keys it may see."""
    g = rng(seed)
    q, k, v = _qkv(g, (2,), L, S, 3, 2)
    keep = g.random((L, S)) < 0.5
    keep[:, g.integers(S)] = True  # every row can see at least one key
    mask = causal_mask(L, S) if causal else mg.tensor(keep)  # causal: row i sees keys 0..i
    _, w = sdpa(leaf(q), leaf(k), leaf(v), attn_mask=mask, return_weights=True)
    w = w.numpy()
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-12)
    assert np.all(w >= 0)
    assert np.all(w[..., ~mask.numpy()] == 0)  # masked keys get exactly nothing


@given(seed=seeds, T=st.integers(2, 6))
def test_causal_output_has_zero_gradient_from_later_positions(device, seed, T):
    """With is_causal, output t depends on q_t and on k, v at positions <= t only."""
    g = rng(seed)
    t = int(g.integers(T))
    q, k, v = (leaf(a, device) for a in _qkv(g, (2,), T, T, 3, 4))
    out = sdpa(q, k, v, is_causal=True)
    out[:, t].backward(mg.tensor(g.standard_normal((2, 4)), device=device))
    gq, gk, gv = host(q.grad), host(k.grad), host(v.grad)
    assert np.all(gk[:, t + 1 :] == 0) and np.all(gv[:, t + 1 :] == 0)
    assert np.all(np.delete(gq, t, axis=1) == 0)
    assert np.any(gv[:, : t + 1] != 0)  # and it does depend on the past


@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_fully_masked_row_gives_zeros_not_nan(device, mask_kind):
    """A query with no key to attend to outputs 0, has all-zero weights, and no gradient."""
    g = rng(3)
    q, k, v = (leaf(a, device) for a in _qkv(g, (), 3, 4, 2, 5))
    keep = np.ones((3, 4), dtype=bool)
    keep[1] = False  # query 1 may see nothing
    if mask_kind == "bool":
        mask = mg.tensor(keep, device=device)
    else:
        mask = mg.tensor(np.where(keep, 0.0, -np.inf), device=device)
    out, w = sdpa(q, k, v, attn_mask=mask, return_weights=True)
    out_np, w_np = out.numpy(), w.numpy()
    assert not np.isnan(out_np).any() and not np.isnan(w_np).any()
    np.testing.assert_array_equal(out_np[1], 0.0)
    np.testing.assert_array_equal(w_np[1], 0.0)
    np.testing.assert_allclose(w_np[[0, 2]].sum(-1), 1.0)
    upstream = np.zeros((3, 5))
    upstream[1] = g.standard_normal(5)  # gradient only from the empty row
    out.backward(mg.tensor(upstream, device=device))
    for t in (q, k, v):
        grad = host(t.grad)
        assert not np.isnan(grad).any() and np.all(grad == 0)


def test_fully_masked_row_matches_torch_convention():
    """PyTorch (2.5+) also returns zeros for a fully masked row."""
    torch = pytest.importorskip("torch")
    g = rng(0)
    q, k, v = _qkv(g, (2,), 3, 5, 4, 3)
    keep = g.random((3, 5)) < 0.5
    keep[0] = False
    ours = sdpa(leaf(q), leaf(k), leaf(v), attn_mask=mg.tensor(keep)).numpy()
    theirs = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=torch.tensor(keep)
    ).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_causal_mask_alignment():
    np.testing.assert_array_equal(causal_mask(3).numpy(), np.tril(np.ones((3, 3), bool)))
    # with 2 earlier tokens cached, new query i is token 2 + i and sees keys 0..2 + i
    np.testing.assert_array_equal(causal_mask(2, 4, offset=2).numpy(), [[1, 1, 1, 0], [1, 1, 1, 1]])


# ----------------------------------------------------------------------------------------------
# The documents' worked examples, through scaled_dot_product_attention (F8-F10)
# ----------------------------------------------------------------------------------------------


def _column(values):
    """One number per word as an (n, 1) float64 tensor: a one-dimensional query/key/value."""
    return mg.tensor(np.array(values, dtype=np.float64).reshape(-1, 1))


def test_f9_softmax_of_scores_2_3_1_4_6():
    """F9: word 1's scores against five words are 2, 3, 1, 4, 6 (q = 1, keys = the scores)."""
    _, weights = sdpa(
        _column([1.0]),
        _column([2, 3, 1, 4, 6]),
        _column([0, 0, 0, 0, 0]),
        scale=1.0,
        return_weights=True,
    )
    expected = [0.015135, 0.041140, 0.005568, 0.111831, 0.826326]
    np.testing.assert_allclose(weights.numpy()[0], expected, atol=5e-7)
    e = np.exp([2, 3, 1, 4, 6])
    assert abs(weights.numpy()[0, 0] - np.exp(2) / e.sum()) < 1e-12  # attention_11 as printed


def test_f10_documents_numbers():
    """F10 as printed: the document multiplies each word's own q_j and k_j: scores 5, 8, 9, 8, 5.
    Feeding those products as the keys of a query of 1 reproduces its numbers."""
    Q, K, V = [1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [9, 8, 7, 6, 10]
    own_products = [q * k for q, k in zip(Q, K)]  # the document's (wrong) scores
    context, weights = sdpa(
        _column([1.0]), _column(own_products), _column(V), scale=1.0, return_weights=True
    )
    np.testing.assert_allclose(
        weights.numpy()[0], [0.010334, 0.207561, 0.564210, 0.207561, 0.010334], atol=5e-7
    )
    assert abs(context.item() - 7.051669) < 5e-7


def test_f10_corrected_numbers():
    """F10 by the formula of F8: score_1j = q_1 · k_j = 5, 4, 3, 2, 1; all five contexts."""
    Q, K, V = [1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [9, 8, 7, 6, 10]
    context, weights = sdpa(_column(Q), _column(K), _column(V), scale=1.0, return_weights=True)
    np.testing.assert_allclose(
        weights.numpy()[0], [0.636409, 0.234122, 0.086129, 0.031685, 0.011656], atol=5e-7
    )
    np.testing.assert_allclose(
        context.numpy()[:, 0], [8.510223, 8.845160, 8.947635, 8.981343, 8.993216], atol=5e-7
    )


def test_default_scale_is_one_over_sqrt_d():
    g = rng(5)
    q, k, v = g.standard_normal((3, 16)), g.standard_normal((4, 16)), g.standard_normal((4, 2))
    default = sdpa(leaf(q), leaf(k), leaf(v)).numpy()
    explicit = sdpa(leaf(q), leaf(k), leaf(v), scale=1 / 4).numpy()
    unscaled = sdpa(leaf(q), leaf(k), leaf(v), scale=1.0).numpy()
    np.testing.assert_allclose(default, explicit, rtol=1e-14)
    np.testing.assert_allclose(unscaled, numpy_attention(q, k, v, scale=1.0)[0], rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# Cross-check against PyTorch
# ----------------------------------------------------------------------------------------------


@given(data=st.data(), seed=seeds)
def test_sdpa_matches_torch(data, seed):
    """Same outputs and gradients as torch.nn.functional.scaled_dot_product_attention."""
    torch = pytest.importorskip("torch")
    q, k, v, kind, keep, bias, scale = _draw_case(data, seed)
    mask_np = {
        "none": None,
        "bool": keep,
        "float": bias,
        "causal": None,
        "bool+float-broadcast": np.where(keep, bias, -np.inf),
    }[kind]
    is_causal = kind == "causal"
    if is_causal and q.shape[-2] > k.shape[-2]:
        return  # PyTorch's top-left causal mask leaves rows empty here; covered elsewhere
    ours_in = [leaf(q), leaf(k), leaf(v)]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    ours = sdpa(
        *ours_in,
        attn_mask=None if mask_np is None else mg.tensor(mask_np),
        is_causal=is_causal,
        scale=scale,
    )
    theirs = torch.nn.functional.scaled_dot_product_attention(
        *theirs_in,
        attn_mask=None if mask_np is None else torch.tensor(mask_np),
        is_causal=is_causal,
        scale=scale,
    )
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng(seed + 1).standard_normal(ours.shape)
    ours.backward(mg.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# Errors name the problem and the shapes
# ----------------------------------------------------------------------------------------------


def test_errors_name_the_shapes():
    q, k, v = mg.randn(2, 3, 4), mg.randn(2, 5, 4), mg.randn(2, 5, 6)
    with pytest.raises(ValueError, match=r"query \(2, 3, 4\) and key \(2, 5, 3\)"):
        sdpa(q, mg.randn(2, 5, 3), v)
    with pytest.raises(ValueError, match=r"key \(2, 5, 4\) and value \(2, 4, 6\)"):
        sdpa(q, k, mg.randn(2, 4, 6))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(3, 4\)"):
        sdpa(q, k, v, attn_mask=mg.ones(3, 4, dtype=mg.bool))
    with pytest.raises(ValueError, match="not both"):
        sdpa(q, k, v, attn_mask=mg.ones(3, 5, dtype=mg.bool), is_causal=True)
    with pytest.raises(TypeError, match="float64"):
        sdpa(q, k.double(), v)
    with pytest.raises(TypeError, match="attn_mask"):
        sdpa(q, k, v, attn_mask=mg.ones(3, 5, dtype=mg.int64))
    with pytest.raises(ValueError, match="batch dimensions"):
        sdpa(q, mg.randn(3, 5, 4), mg.randn(3, 5, 6))
    with pytest.raises(ValueError, match="dropout_p"):
        sdpa(q, k, v, dropout_p=1.5)
