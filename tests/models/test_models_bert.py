"""BERT: masking, the corrected F14 losses, bidirectionality, padding, fine-tuning, learning."""

import math

import numpy as np
import pytest
from helpers_models import module_gradcheck, train
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.models import BERT, BertClassifier, BertMLM, mask_tokens, mlm_loss, nsp_loss

W = 20  # ordinary tokens 0..19, then the special ones
PAD, CLS, SEP, MASK = W, W + 1, W + 2, W + 3
V = W + 4
SPECIALS = [PAD, CLS, SEP]


def _tiny(**kwargs):
    config = dict(vocab_size=V, max_len=12, n_layer=2, n_head=2, d_model=8, dropout=0.0)
    config.update(kwargs)
    return BertMLM(**config)


# ----------------------------------------------------------------------------------------------
# 80/10/10 masking
# ----------------------------------------------------------------------------------------------


def test_mask_tokens_follows_80_10_10():
    g = np.random.default_rng(0)
    ids = g.integers(0, W, (400, 50))
    ids[:, 0], ids[:, -1], ids[:, 40:-1] = CLS, SEP, PAD
    masked, labels = mask_tokens(mg.tensor(ids), V, MASK, mask_prob=0.15, special_ids=SPECIALS)
    masked, labels = masked.numpy(), labels.numpy()
    chosen = labels != -100
    ordinary = ids < W
    assert not chosen[~ordinary].any()  # [CLS], [SEP], [PAD] are never chosen
    np.testing.assert_array_equal(labels[chosen], ids[chosen])  # labels = the original tokens
    np.testing.assert_array_equal(masked[~chosen], ids[~chosen])  # the rest is untouched
    assert abs(chosen.sum() / ordinary.sum() - 0.15) < 0.01
    to_mask = masked[chosen] == MASK
    kept = masked[chosen] == ids[chosen]
    replaced = ~to_mask & ~kept
    assert abs(to_mask.mean() - 0.8) < 0.02
    # a random replacement can hit the original token by chance (1 in 20): 10% + 10%/20 kept
    assert abs(kept.mean() - (0.1 + 0.1 / W)) < 0.02
    assert abs(replaced.mean() - (0.1 - 0.1 / W)) < 0.02
    assert (masked[chosen][replaced] < W).all()  # random tokens are ordinary tokens
    assert masked.dtype == np.int64 and labels.dtype == np.int64


# ----------------------------------------------------------------------------------------------
# The losses of F14, with its errata fixed
# ----------------------------------------------------------------------------------------------


@given(seed=st.integers(0, 10_000))
def test_mlm_loss_counts_only_masked_positions(seed):
    """𝓛_MLM is the mean softmax cross-entropy over the masked positions; logits elsewhere
    have no effect and get zero gradient."""
    g = np.random.default_rng(seed)
    logits = mg.tensor(g.standard_normal((3, 5, V)), requires_grad=True)
    labels = np.full((3, 5), -100)
    positions = g.random((3, 5)) < 0.4
    positions[0, 0] = True
    labels[positions] = g.integers(0, W, positions.sum())
    loss = mlm_loss(logits, mg.tensor(labels))
    z = logits.numpy()[positions]  # (M, V)
    log_p = z - z.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    expected = -log_p[np.arange(len(z)), labels[positions]].mean()
    assert abs(loss.item() - expected) < 1e-6
    loss.backward()
    grad = logits.grad.numpy()
    assert np.all(grad[~positions] == 0)
    assert np.any(grad[positions] != 0)


def test_mlm_loss_without_masked_positions_is_zero():
    logits = mg.randn(2, 3, V, requires_grad=True)
    loss = mlm_loss(logits, mg.full((2, 3), -100, dtype=mg.int64))
    assert loss.item() == 0.0 and loss.dtype == mg.float32
    loss.backward()
    assert np.all(logits.grad.numpy() == 0)


@given(seed=st.integers(0, 10_000))
def test_nsp_loss_is_the_binary_cross_entropy_of_f3(seed):
    """𝓛_NSP = −(1/N) Σ [y log p + (1 − y) log(1 − p)], p = σ(z); its gradient is (p − y)/N.
    The document's −(1/N) Σ (log p + log(1 − p)) ignores y and gives something else."""
    g = np.random.default_rng(seed)
    z = g.standard_normal(6) * 2
    y = g.integers(0, 2, 6)
    p = 1 / (1 + np.exp(-z))
    correct = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    documents = -np.mean(np.log(p) + np.log(1 - p))
    logits = mg.tensor(z, requires_grad=True)
    loss = nsp_loss(logits, mg.tensor(y.astype(bool)))
    assert abs(loss.item() - correct) < 1e-12
    assert abs(loss.item() - documents) > 1e-3
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), (p - y) / 6, rtol=1e-10)


def test_pretraining_loss_is_mlm_plus_nsp():
    model = _tiny()
    ids = mg.randint(0, W, (3, 7))
    inputs, labels = mask_tokens(ids, V, MASK, mask_prob=0.5, special_ids=SPECIALS)
    is_next = mg.tensor([True, False, True])
    mlm_logits, nsp_logits, loss = model(inputs, mlm_labels=labels, is_next=is_next)
    assert mlm_logits.shape == (3, 7, V) and nsp_logits.shape == (3,)
    expected = mlm_loss(mlm_logits, labels).item() + nsp_loss(nsp_logits, is_next).item()
    assert abs(loss.item() - expected) < 1e-6
    assert model(inputs)[2] is None


# ----------------------------------------------------------------------------------------------
# The encoder
# ----------------------------------------------------------------------------------------------


def test_bert_is_bidirectional_and_ignores_padding():
    model = _tiny().double()
    bert = model.bert
    ids = np.array([[CLS, 3, 4, 5, SEP, PAD, PAD]])
    padding = ids == PAD
    hidden, pooled = bert(mg.tensor(ids), padding_mask=mg.tensor(padding))
    assert hidden.shape == (1, 7, 8) and pooled.shape == (1, 8)
    # the first token's state depends on the LAST real token (no causal mask) ...
    changed = ids.copy()
    changed[0, 3] = 9
    hidden2, _ = bert(mg.tensor(changed), padding_mask=mg.tensor(padding))
    assert not np.allclose(hidden2.numpy()[0, 0], hidden.numpy()[0, 0])
    # ... but not on what stands in the padding
    changed = ids.copy()
    changed[0, 5:] = 7
    hidden3, _ = bert(mg.tensor(changed), padding_mask=mg.tensor(padding))
    np.testing.assert_allclose(hidden3.numpy()[0, :5], hidden.numpy()[0, :5], rtol=1e-12)


def test_segments_matter_and_shapes_are_checked():
    bert = BERT(V, max_len=12, n_layer=1, n_head=2, d_model=8, dropout=0.0)
    ids = mg.randint(0, W, (2, 6))
    a, _ = bert(ids)
    b, _ = bert(ids, segment_ids=mg.tensor([[0, 0, 0, 1, 1, 1]] * 2))
    assert not np.allclose(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="segment_ids"):
        bert(ids, segment_ids=mg.zeros(2, 5, dtype=mg.int64))


def test_constructor_and_forward_check_their_arguments():
    with pytest.raises(ValueError, match="divisible by n_head=3"):
        BERT(V, d_model=8, n_head=3)
    with pytest.raises(ValueError, match="max_len must be a positive int"):
        BERT(V, max_len=0)
    bert = BERT(V, max_len=6, n_layer=1, n_head=2, d_model=8, dropout=0.0)
    ids = mg.randint(0, W, (2, 6))
    with pytest.raises(ValueError, match="max_len=6"):
        bert(mg.randint(0, W, (2, 7)))
    with pytest.raises(TypeError, match="integer token ids"):
        bert(ids.astype(mg.float32))
    with pytest.raises(ValueError, match="padding_mask"):
        bert(ids, padding_mask=(ids == 0).astype(mg.int64))
    with pytest.raises(ValueError, match="padding_mask"):
        bert(ids, padding_mask=mg.zeros(2, 5, dtype=mg.bool))
    with pytest.raises(TypeError, match="must be a BERT"):
        BertClassifier(_tiny(), num_classes=2)


@pytest.mark.parametrize("norm_first", [False, True])
def test_bert_pretraining_loss_gradient_float64(norm_first):
    model = _tiny(d_model=4, max_len=5, n_layer=1, norm_first=norm_first).double()
    ids = mg.tensor([[CLS, 1, 2, SEP, PAD], [CLS, 4, 5, 6, SEP]])
    labels = mg.tensor([[-100, 1, -100, -100, -100], [-100, -100, 5, 6, -100]])
    padding = ids == PAD
    is_next = mg.tensor([1.0, 0.0], dtype=mg.float64)
    assert module_gradcheck(
        model,
        [ids],
        output=lambda out: out[2],
        forward_kwargs=dict(padding_mask=padding, mlm_labels=labels, is_next=is_next),
    )


def test_tied_decoder_survives_double_and_classifier_shares_the_encoder():
    model = _tiny().double()
    assert model.mlm_head.decoder.weight is model.bert.tok_emb.weight
    classifier = BertClassifier(model.bert, num_classes=3, dropout=0.1)
    assert classifier.bert is model.bert
    classifier.double()  # the classifier's own layer; the shared encoder is already float64
    logits = classifier(mg.randint(0, W, (4, 6)))
    assert logits.shape == (4, 3)
    loss = F.cross_entropy(logits, mg.tensor([0, 1, 2, 1]))
    loss.backward()
    assert model.bert.tok_emb.weight.grad is not None  # fine-tuning trains the encoder too


# ----------------------------------------------------------------------------------------------
# Learning: the masked-token loss falls far below the uniform baseline ln(V)
# ----------------------------------------------------------------------------------------------


def test_bert_mlm_learns_a_structured_corpus():
    """Sentences are arithmetic progressions mod 20 (start and step 1 or 2 random), so a masked
    token is determined by its neighbours. Guessing gives ln(V) = 3.18 nats."""
    g = np.random.default_rng(0)
    T = 10

    def sentences(n):
        start, step = g.integers(0, W, (n, 1)), g.integers(1, 3, (n, 1))
        body = (start + step * np.arange(T - 2)) % W
        return mg.tensor(np.concatenate([np.full((n, 1), CLS), body, np.full((n, 1), SEP)], 1))

    def batch():
        inputs, labels = mask_tokens(sentences(64), V, MASK, special_ids=SPECIALS)
        return inputs, None, None, labels

    model = BertMLM(V, max_len=T, n_layer=2, n_head=2, d_model=32, dropout=0.0)
    train(model, batch, steps=400, lr=3e-3)
    model.eval()
    with mg.no_grad():
        inputs, labels = mask_tokens(sentences(1000), V, MASK, special_ids=SPECIALS)
        _, _, loss = model(inputs, mlm_labels=labels)
    assert loss.item() < 0.5 * math.log(V), f"masked-token loss {loss.item():.3f}"


def test_pretraining_step_on_other_devices_agrees_with_cpu(device):
    if device == "cpu":
        pytest.skip("compares another device with the CPU")
    results = {}
    for dev in ("cpu", device):
        mg.manual_seed(0)
        model = _tiny().to(dev)
        ids = mg.randint(0, W, (3, 7), device=dev)
        inputs, labels = mask_tokens(ids, V, MASK, mask_prob=0.5, special_ids=SPECIALS)
        assert inputs.device == labels.device == dev
        _, _, loss = model(
            inputs,
            padding_mask=ids == 0,
            mlm_labels=labels,
            is_next=mg.tensor([1, 0, 1], device=dev),
        )
        loss.backward()
        results[dev] = (loss.item(), inputs.numpy())
    assert abs(results[device][0] - results["cpu"][0]) < 1e-5
    np.testing.assert_array_equal(results[device][1], results["cpu"][1])
