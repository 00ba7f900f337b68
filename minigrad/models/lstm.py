"""LSTM models from the documents (S1, S3), to compare with the Transformer on the same tasks.

    LSTMClassifier      S1: Embedding -> LSTM -> Linear on the last hidden state
                        (binary: one logit and BCE-with-logits, F3; or num_classes logits, F2)
    LSTMLanguageModel   S3: Embedding -> LSTM -> Linear with ONE OUTPUT PER VOCABULARY ENTRY.
                        The document's Dense(1, softmax) is a softmax over a single number, which
                        is always 1: the model could never prefer one next token to another.

The language model has the same interface as GPT (`logits, loss = model(x, targets)`,
`model.generate(...)`), so a lesson can swap one for the other. An LSTM carries its past in its
state (h, c), so generating a token costs O(1) however long the text is, but that fixed-size
state is also all it can remember.
"""

from minigrad.creation import arange, tensor
from minigrad.grad_mode import no_grad
from minigrad.models.gpt import sample_next_token
from minigrad.nn import functional as F
from minigrad.nn.embedding import Embedding
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module
from minigrad.nn.rnn import LSTM
from minigrad.routines import cat
from minigrad.tensor import Tensor


class LSTMClassifier(Module):
    """S1: a sequence classifier. ids (N, T) -> logits (N, num_classes).

    num_classes=1 (the documents' sentiment / spam filter): one logit per sequence; train with
    F.binary_cross_entropy_with_logits (the sigmoid of S1's Dense(1, sigmoid) is inside that
    loss, computed stably). lengths (N,), optional: the true length of each padded sequence, so
    that the state after its last real token is classified, not the state after the padding.
    """

    def __init__(
        self,
        vocab_size,
        embed_dim,
        hidden_size,
        num_classes=1,
        num_layers=1,
        dropout=0.0,
        padding_idx=None,
    ):
        super().__init__()
        self.embedding = Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        # batch_first=True: ids come as (N, T) rows of tokens (LSTM's default, as PyTorch's,
        # is time-major (T, N, features)).
        self.lstm = LSTM(
            embed_dim, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout
        )
        self.fc = Linear(hidden_size, num_classes)

    def forward(self, idx, lengths=None):
        x = self.embedding(idx)  # (N, T, embed_dim)
        output, _ = self.lstm(x)  # (N, T, hidden): the top layer's state after every token
        N, T = idx.shape
        if lengths is None:
            last = output[:, T - 1]  # (N, hidden)
        else:
            if not isinstance(lengths, Tensor):
                lengths = tensor(lengths, device=idx.device)
            host_lengths = lengths.numpy()  # a small copy, for a clear error message
            if lengths.shape != (N,) or host_lengths.min() < 1 or host_lengths.max() > T:
                raise ValueError(
                    f"LSTMClassifier: lengths must be (N,) = ({N},) values in "
                    f"1..{T} for ids {idx.shape}, got {host_lengths.tolist()}"
                )
            last = output[arange(N, device=idx.device), lengths - 1]  # (N, hidden)
        logits = self.fc(last)  # (N, num_classes)
        return logits


class LSTMLanguageModel(Module):
    """S3 (erratum fixed): next-token prediction, ids (N, T) -> logits (N, T, vocab_size).

    forward(idx, targets=None) returns (logits, loss) like GPT: loss is the cross-entropy (F2)
    of every position's prediction of the next token.
    """

    def __init__(self, vocab_size, embed_dim, hidden_size, num_layers=1, dropout=0.0):
        super().__init__()
        self.config = dict(
            vocab_size=vocab_size,
            embed_dim=embed_dim,
            hidden_size=hidden_size,
            num_layers=num_layers,
            dropout=dropout,
        )
        self.vocab_size = vocab_size
        self.embedding = Embedding(vocab_size, embed_dim)
        self.lstm = LSTM(  # batch_first=True: (N, T) ids, as GPT takes them
            embed_dim, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout
        )
        self.head = Linear(hidden_size, vocab_size)  # one logit per vocabulary entry

    def step(self, idx, state=None):
        """Run idx (N, T) from `state` (None = zeros); returns (logits (N, T, V), new state)."""
        output, state = self.lstm(self.embedding(idx), state)  # (N, T, hidden)
        return self.head(output), state

    def forward(self, idx, targets=None):
        logits, _ = self.step(idx)  # (N, T, vocab_size)
        loss = None
        if targets is not None:
            N, T = idx.shape
            loss = F.cross_entropy(logits.reshape(N * T, self.vocab_size), targets.reshape(N * T))
        return logits, loss

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        """Continue each row of idx (N, T) by max_new_tokens tokens; see GPT.generate.

        The prompt is read once; after that each new token is one LSTM step from the state.
        """
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                logits, state = self.step(idx)
                for step in range(max_new_tokens):
                    next_id = sample_next_token(logits[:, -1, :], temperature, top_k)  # (N, 1)
                    idx = cat([idx, next_id], axis=1)
                    if step < max_new_tokens - 1:
                        logits, state = self.step(next_id, state)
        finally:
            self.train(was_training)
        return idx
