"""GPT: shapes, causality, tied weights, the KV cache, saving, and learning tests (S4)."""

import math
import time

import numpy as np
import pytest
from helpers_models import module_gradcheck, reversal_batch, train
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.data import load_text_corpus
from minigrad.models import GPT, sample_next_token
from minigrad.tokenizers import CharTokenizer


def _tiny(**kwargs):
    config = dict(vocab_size=11, block_size=8, n_layer=2, n_head=2, d_model=8)
    config.update(kwargs)
    return GPT(**config)


def test_shapes_and_initial_loss_is_near_uniform():
    model = _tiny(vocab_size=20, d_model=16)
    idx = mg.randint(0, 20, (3, 8))
    logits, loss = model(idx, targets=mg.randint(0, 20, (3, 8)))
    assert logits.shape == (3, 8, 20) and logits.dtype == mg.float32
    assert abs(loss.item() - math.log(20)) < 0.05  # small init: nearly uniform predictions
    logits, loss = model(idx)
    assert loss is None
    with pytest.raises(ValueError, match="block_size=8"):
        model(mg.randint(0, 20, (1, 9)))
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        model(mg.randint(0, 20, (8,)))


def test_tied_and_untied_heads():
    tied, untied = _tiny(), _tiny(tie_weights=False)
    assert tied.lm_head.weight is tied.tok_emb.weight
    assert untied.lm_head.weight is not untied.tok_emb.weight
    assert untied.num_parameters() - tied.num_parameters() == 11 * 8
    # the tie survives a dtype / device change (and counts once)
    tied.double()
    assert tied.lm_head.weight is tied.tok_emb.weight
    assert tied.lm_head.weight.dtype == mg.float64
    _, loss = tied(mg.randint(0, 11, (2, 8)), mg.randint(0, 11, (2, 8)))
    loss.backward()
    assert tied.tok_emb.weight.grad is not None


@given(seed=st.integers(0, 10_000))
def test_logits_at_t_do_not_depend_on_later_tokens(seed):
    g = np.random.default_rng(seed)
    model = _tiny()
    idx = g.integers(0, 11, (1, 8))
    t = int(g.integers(7))
    changed = idx.copy()
    changed[0, t + 1 :] = g.integers(0, 11, 7 - t)
    a, _ = model(mg.tensor(idx))
    b, _ = model(mg.tensor(changed))
    np.testing.assert_array_equal(a.numpy()[0, : t + 1], b.numpy()[0, : t + 1])


@pytest.mark.parametrize("tie_weights", [True, False])
def test_gpt_loss_gradient_float64(tie_weights):
    """The loss's gradient w.r.t. every parameter of a small GPT, by finite differences (a tied
    weight gets the sum of its two uses)."""
    model = _tiny(d_model=4, block_size=5, tie_weights=tie_weights).double()
    idx, targets = mg.randint(0, 11, (2, 5)), mg.randint(0, 11, (2, 5))
    assert module_gradcheck(model, [idx, targets], output=lambda out: out[1])


def test_cached_and_uncached_logits_agree(device):
    """Prefill 3 tokens, then feed one token at a time through the KV caches: the logits equal
    those of one uncached pass over the whole sequence."""
    mg.manual_seed(1)
    model = _tiny(block_size=10).to(device)
    idx = mg.randint(0, 11, (2, 10), device=device)
    full, _ = model(idx)
    caches = model.new_kv_caches()
    pieces = [model(idx[:, :3], kv_caches=caches)[0]]
    for t in range(3, 10):
        pieces.append(model(idx[:, t : t + 1], kv_caches=caches)[0])
    assert [len(c) for c in caches] == [10, 10]
    np.testing.assert_allclose(mg.cat(pieces, axis=1).numpy(), full.numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="11 tokens do not fit"):
        model(idx[:, :1], kv_caches=caches)


def test_cache_takes_several_new_tokens_at_once(device):
    """After tokens are cached, a chunk of new tokens needs a causal mask shifted by the cached
    length (new token i sees keys 0..past + i): chunks of 2, 5 and 3 give the uncached logits."""
    mg.manual_seed(2)
    model = _tiny(block_size=10).to(device)
    idx = mg.randint(0, 11, (2, 10), device=device)
    full, _ = model(idx)
    caches = model.new_kv_caches()
    pieces = [model(idx[:, a:b], kv_caches=caches)[0] for a, b in ((0, 2), (2, 7), (7, 10))]
    np.testing.assert_allclose(mg.cat(pieces, axis=1).numpy(), full.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("top_k", [None, 3])
def test_cached_and_uncached_generation_agree(top_k):
    """Same seed, same samples: within block_size the cache changes the cost, not the result."""
    model = _tiny(block_size=12)
    prompt = mg.randint(0, 11, (3, 4))
    mg.manual_seed(7)
    cached = model.generate(prompt, 8, temperature=0.8, top_k=top_k).numpy()
    mg.manual_seed(7)
    uncached = model.generate(prompt, 8, temperature=0.8, top_k=top_k, use_cache=False).numpy()
    np.testing.assert_array_equal(cached, uncached)
    np.testing.assert_array_equal(cached[:, :4], prompt.numpy())


def test_generation_beyond_block_size_and_modes_restored():
    model = _tiny(block_size=6)
    model.train()
    prompt = mg.randint(0, 11, (2, 3))
    for use_cache in (True, False):
        out = model.generate(prompt, 20, use_cache=use_cache)
        assert out.shape == (2, 23) and out.dtype == mg.int64
        assert int(out.numpy().max()) < 11
    assert model.training  # generate switched to eval and back
    assert model.generate(prompt, 0).shape == (2, 3)


@given(seed=st.integers(0, 10_000), k=st.integers(1, 5))
def test_sample_next_token_respects_top_k_and_temperature_zero(seed, k):
    g = np.random.default_rng(seed)
    logits = mg.tensor(g.standard_normal((4, 9)))
    allowed = np.argsort(logits.numpy(), axis=-1)[:, -k:]
    for _ in range(5):
        ids = sample_next_token(logits, temperature=1.5, top_k=k).numpy()[:, 0]
        assert all(ids[r] in allowed[r] for r in range(4))
    greedy = sample_next_token(logits, temperature=0).numpy()[:, 0]
    np.testing.assert_array_equal(greedy, logits.numpy().argmax(-1))
    with pytest.raises(ValueError, match="temperature"):
        sample_next_token(logits, temperature=-1.0)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_sample_next_token_with_a_tiny_temperature_is_the_argmax():
    # logits / 1e-45 overflows float32: without the shift by the row's maximum the softmax was
    # inf - inf = NaN and the sample silently token 0.
    logits = mg.tensor([[1.0, 3.0, 2.0], [5.0, -1.0, 4.0]])
    for seed in range(5):
        mg.manual_seed(seed)
        ids = sample_next_token(logits, temperature=1e-45).numpy()[:, 0]
        np.testing.assert_array_equal(ids, [1, 0])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"top_k": 2.5}, TypeError, "top_k must be an int"),
        ({"top_k": True}, TypeError, "top_k must be an int"),
        ({"top_k": 0}, ValueError, "top_k must be at least 1"),
        ({"temperature": True}, TypeError, "temperature must be a number"),
        ({"temperature": float("nan")}, ValueError, "finite number >= 0"),
        ({"temperature": float("inf")}, ValueError, "finite number >= 0"),
    ],
)
def test_sample_next_token_rejects_bad_arguments_by_name(kwargs, error, message):
    with pytest.raises(error, match=message):
        sample_next_token(mg.tensor([[0.0, 1.0]]), **kwargs)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_sample_next_token_rejects_diverged_logits_and_allows_masked_ones(bad):
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        sample_next_token(mg.tensor([[0.0, bad, 1.0]]))
    with pytest.raises(ValueError, match="all -inf: every token is masked out"):
        sample_next_token(mg.tensor([[0.0, 1.0], [-math.inf, -math.inf]]))
    masked = mg.tensor([[0.0, -math.inf, 1.0]])
    for seed in range(20):
        mg.manual_seed(seed)
        assert int(sample_next_token(masked).numpy()[0, 0]) != 1


def test_attention_weights_for_heat_maps():
    model = _tiny()
    maps = model.attention_weights(mg.randint(0, 11, (1, 5)))
    assert len(maps) == 2 and maps[0].shape == (1, 2, 5, 5)
    np.testing.assert_array_equal(np.triu(maps[1].numpy(), k=1), 0.0)
    np.testing.assert_allclose(maps[0].numpy().sum(-1), 1.0, rtol=1e-6)


def test_attention_weights_are_those_of_the_forward_pass():
    """Layer 0's maps equal softmax(q kᵀ / √hs + causal mask) computed by hand from its
    projections; training mode and the layers' state are restored afterwards."""
    model = _tiny(dropout=0.5).double()
    model.train()
    idx = mg.randint(0, 11, (2, 6))
    maps = model.attention_weights(idx)
    assert model.training
    assert all(not b.attn.keep_weights and b.attn.weights is None for b in model.blocks)
    block = model.blocks[0]
    x = model.pos_emb(model.tok_emb(idx))
    h = block.norm1(x)

    def heads(t):  # (B, T, C) -> (B, nh, T, hs)
        return t.numpy().reshape(2, 6, 2, 4).transpose(0, 2, 1, 3)

    q, k = heads(block.attn.q_proj(h)), heads(block.attn.k_proj(h))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(4)
    scores = np.where(np.tril(np.ones((6, 6), bool)), scores, -np.inf)
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(maps[0].numpy(), expected, rtol=1e-10, atol=1e-12)


def test_dropout_acts_in_training_only():
    model = _tiny(dropout=0.5)
    idx = mg.randint(0, 11, (2, 8))
    a, b = model(idx)[0].numpy(), model(idx)[0].numpy()
    assert not np.allclose(a, b)
    model.eval()
    np.testing.assert_array_equal(model(idx)[0].numpy(), model(idx)[0].numpy())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(d_model=10, n_head=3), "divisible by n_head=3"),
        (dict(vocab_size=0), "vocab_size must be a positive int"),
        (dict(n_layer=2.0), "n_layer must be a positive int"),
        (dict(dropout=1.0), r"dropout must be in \[0, 1\)"),
    ],
)
def test_constructor_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _tiny(**kwargs)


def test_forward_and_generate_check_their_arguments():
    model = _tiny()
    idx = mg.randint(0, 11, (2, 4))
    with pytest.raises(TypeError, match="integer token ids"):
        model(idx.astype(mg.float32))
    with pytest.raises(TypeError, match="Tensor of token ids"):
        model([[1, 2, 3]])
    with pytest.raises(ValueError, match="targets"):
        model(idx, targets=mg.randint(0, 11, (2, 3)))
    with pytest.raises(ValueError, match="one KVCache per block"):
        model(idx, kv_caches=model.new_kv_caches()[:1])
    with pytest.raises(ValueError, match=r"T >= 1"):
        model.generate(idx[:, :0], 3)
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate(idx, -1)
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate(idx, 2.5)
    with pytest.raises(ValueError, match="temperature"):
        model.generate(idx, 3, temperature=-0.5)
    with pytest.raises(ValueError, match="top_k"):
        model.generate(idx, 3, top_k=0)


# ----------------------------------------------------------------------------------------------
# Learning tests (seconds on a CPU)
# ----------------------------------------------------------------------------------------------


def test_two_layer_gpt_memorises_a_string_and_generates_it_back():
    text = "attention is all you need; minigrad reads it twice."
    tok = CharTokenizer(text)
    ids = np.array(tok.encode(text))
    model = GPT(tok.vocab_size, block_size=len(ids), n_layer=2, n_head=2, d_model=32)
    x, y = mg.tensor(ids[None, :-1]), mg.tensor(ids[None, 1:])
    losses = train(model, lambda: (x, y), steps=150, lr=1e-2)
    assert losses[-1] < 0.05
    out = model.generate(mg.tensor(ids[None, :1]), len(ids) - 1, temperature=0)
    assert tok.decode(out[0]) == text


def test_tiny_gpt_learns_to_reverse_digit_sequences():
    """Reverse 4 digits: 10,000 possible inputs, far more than the model can memorise in 250
    steps of 32, so >= 95% exact match on fresh sequences means it learned the algorithm."""
    n, sep = 4, 10
    g = np.random.default_rng(0)
    model = GPT(11, block_size=2 * n, n_layer=2, n_head=2, d_model=32)
    start = time.perf_counter()
    train(model, lambda: reversal_batch(g, 32, n, sep)[:2], steps=250, lr=3e-3)
    _, _, digits = reversal_batch(g, 500, n, sep)
    prompt = mg.tensor(np.concatenate([digits, np.full((500, 1), sep)], axis=1))
    answer = model.generate(prompt, n, temperature=0).numpy()[:, n + 1 :]
    exact = (answer == digits[:, ::-1]).all(axis=1).mean()
    assert exact >= 0.95, f"exact match {exact:.3f}"
    assert time.perf_counter() - start < 60


def test_char_gpt_on_the_builtin_corpus_trains_saves_reloads_and_samples(tmp_path):
    """The issue's "done when": build, train, save, reload and sample a character-level GPT."""
    text = load_text_corpus(max_chars=20_000)
    tok = CharTokenizer(text)
    data = np.array(tok.encode(text))
    g = np.random.default_rng(0)
    block = 32

    def batch():
        starts = g.integers(0, len(data) - block - 1, 16)
        windows = data[starts[:, None] + np.arange(block + 1)]
        return mg.tensor(windows[:, :-1]), mg.tensor(windows[:, 1:])

    model = GPT(tok.vocab_size, block_size=block, n_layer=2, n_head=2, d_model=32)
    losses = train(model, batch, steps=60, lr=3e-3)
    assert np.mean(losses[-10:]) < np.mean(losses[:5]) - 0.5  # it is learning

    path = tmp_path / "char_gpt.npz"
    mg.save({"config": model.config, "model": model.state_dict()}, str(path))
    checkpoint = mg.load(str(path))
    reloaded = GPT(**checkpoint["config"])
    reloaded.load_state_dict(checkpoint["model"])
    x, _ = batch()
    np.testing.assert_array_equal(reloaded(x)[0].numpy(), model(x)[0].numpy())

    prompt = mg.tensor([tok.encode("def ")])
    mg.manual_seed(3)
    sample = reloaded.generate(prompt, 40, temperature=0.8, top_k=10)
    mg.manual_seed(3)
    assert tok.decode(sample[0]) == tok.decode(
        model.generate(prompt, 40, temperature=0.8, top_k=10)[0]
    )
    assert tok.decode(sample[0]).startswith("def ") and len(tok.decode(sample[0])) == 44


def test_training_step_and_generation_on_other_devices_agree_with_cpu(device):
    if device == "cpu":
        pytest.skip("compares another device with the CPU")
    results = {}
    for dev in ("cpu", device):
        mg.manual_seed(0)
        model = _tiny().to(dev)
        idx = mg.randint(0, 11, (2, 8), device=dev)
        _, loss = model(idx, targets=mg.randint(0, 11, (2, 8), device=dev))
        loss.backward()
        mg.manual_seed(5)
        sample = model.generate(idx[:, :3], 10, temperature=0.9, top_k=4)
        assert sample.device == dev
        results[dev] = (loss.item(), model.tok_emb.weight.grad.numpy(), sample.numpy())
    assert abs(results[device][0] - results["cpu"][0]) < 1e-6
    np.testing.assert_allclose(
        results[device][1],
        results["cpu"][1],
        rtol=1e-4,
        atol=1e-7,
    )
    np.testing.assert_array_equal(results[device][2], results["cpu"][2])
