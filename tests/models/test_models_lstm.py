"""The documents' LSTM systems: S1 (classifier) and S3 (language model, erratum fixed)."""

import math

import numpy as np
import pytest
from helpers_models import train

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.models import LSTMClassifier, LSTMLanguageModel
from minigrad.optim import Adam
from minigrad.tokenizers import CharTokenizer


def test_language_model_has_one_output_per_vocabulary_entry():
    """S3's erratum: Dense(1, softmax) is a softmax over one number, always 1, so every next
    token would be equally 'certain'. Here the head has vocab_size outputs."""
    model = LSTMLanguageModel(vocab_size=13, embed_dim=4, hidden_size=6)
    idx = mg.randint(0, 13, (2, 5))
    logits, loss = model(idx, targets=mg.randint(0, 13, (2, 5)))
    assert logits.shape == (2, 5, 13) and model.head.out_features == 13
    assert abs(loss.item() - math.log(13)) < 0.3
    probs = logits.softmax(axis=-1).numpy()
    assert not np.allclose(probs, 1.0) and np.allclose(probs.sum(-1), 1.0)
    single = mg.randn(2, 5, 1).softmax(axis=-1).numpy()
    np.testing.assert_array_equal(single, 1.0)  # what the document's output layer computes


def test_language_model_step_carries_the_state():
    model = LSTMLanguageModel(vocab_size=7, embed_dim=3, hidden_size=5)
    idx = mg.randint(0, 7, (2, 6))
    full, _ = model(idx)
    first, state = model.step(idx[:, :4])
    rest, _ = model.step(idx[:, 4:], state)
    np.testing.assert_allclose(
        mg.cat([first, rest], axis=1).numpy(), full.numpy(), rtol=1e-5, atol=1e-6
    )


def test_lstm_language_model_memorises_a_string():
    text = "to be or not to be"
    tok = CharTokenizer(text)
    ids = np.array(tok.encode(text))
    model = LSTMLanguageModel(tok.vocab_size, embed_dim=16, hidden_size=32)
    x, y = mg.tensor(ids[None, :-1]), mg.tensor(ids[None, 1:])
    losses = train(model, lambda: (x, y), steps=150, lr=2e-2)
    assert losses[-1] < 0.1
    out = model.generate(mg.tensor(ids[None, :1]), len(ids) - 1, temperature=0)
    assert tok.decode(out[0]) == text
    assert model.training


def test_classifier_uses_the_state_after_the_last_real_token():
    model = LSTMClassifier(vocab_size=10, embed_dim=4, hidden_size=6, padding_idx=0)
    ids = np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 1]])
    logits = model(mg.tensor(ids), lengths=[3, 5])
    assert logits.shape == (2, 1)
    alone = model(mg.tensor(ids[:1, :3]))
    np.testing.assert_allclose(logits.numpy()[0], alone.numpy()[0], rtol=1e-5)
    loss = F.binary_cross_entropy_with_logits(logits.reshape(-1), mg.tensor([1.0, 0.0]))
    loss.backward()
    assert model.lstm.weight_ih_l0.grad is not None


def test_classifier_learns_a_toy_sentiment_task():
    """S1 in miniature: label 1 when the token 'good' (1) appears more often than 'bad' (2)."""
    g = np.random.default_rng(0)
    model = LSTMClassifier(vocab_size=6, embed_dim=8, hidden_size=16, num_classes=1)
    optimizer = Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(150):
        ids = g.integers(1, 6, (32, 6))
        labels = ((ids == 1).sum(1) > (ids == 2).sum(1)).astype(np.float32)
        logits = model(mg.tensor(ids)).reshape(-1)  # (N,): one logit, S1's Dense(1, sigmoid)
        loss = F.binary_cross_entropy_with_logits(logits, mg.tensor(labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.35


def test_bad_lengths_are_reported():
    model = LSTMClassifier(vocab_size=5, embed_dim=2, hidden_size=3)
    with pytest.raises(ValueError, match=r"lengths must be \(N,\) = \(1,\) values in 1..3"):
        model(mg.tensor([[1, 2, 3]]), lengths=[4])


def test_lstm_classifier_matches_the_same_model_in_pytorch():
    """The models take (N, T) ids, so their LSTM is batch_first=True (nn.LSTM's default is
    time-major, as PyTorch's); the same weights in PyTorch give the same logits."""
    torch = pytest.importorskip("torch")
    model = LSTMClassifier(vocab_size=7, embed_dim=3, hidden_size=4, num_classes=2, num_layers=2)
    assert model.lstm.batch_first is True
    emb = torch.nn.Embedding(7, 3)
    lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
    fc = torch.nn.Linear(4, 2)
    state = {k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}
    for prefix, layer in (("embedding.", emb), ("lstm.", lstm), ("fc.", fc)):
        layer.load_state_dict(
            {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        )
    ids = np.array([[1, 2, 3, 4, 5], [6, 5, 0, 1, 1]])
    out, _ = lstm(emb(torch.tensor(ids)))
    expected = fc(out[:, -1]).detach().numpy()
    np.testing.assert_allclose(model(mg.tensor(ids)).numpy(), expected, rtol=1e-5, atol=1e-6)
