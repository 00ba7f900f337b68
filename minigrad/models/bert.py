"""BERT: a bidirectional Transformer encoder, pre-trained by filling in blanks (F14, S5).

    token ids (N, T), segment ids (N, T)
      -> token + segment + position embeddings, LayerNorm, dropout    (N, T, d_model)
      -> n_layer TransformerBlocks WITHOUT a causal mask              (N, T, d_model)
      -> hidden states; the first token's ([CLS]) state -> pooler     (N, d_model)

Every position sees the whole sentence, left and right ("bidirectional"). That is why BERT
cannot be trained like GPT to predict the next token (it would just look at it); instead:

    MLM  (masked language model): hide ~15% of the tokens and predict them from the rest.
    NSP  (next-sentence prediction): given sentences A and B, does B really follow A?

F14 (corrected): 𝓛 = 𝓛_MLM + 𝓛_NSP, where
    𝓛_MLM = softmax cross-entropy over the vocabulary (F2), at the masked positions only
            (the document writes a per-word binary cross-entropy);
    𝓛_NSP = −(1/N) Σ [y log p + (1 − y) log(1 − p)],  p = σ(z), y = 1 when B follows A
            (F3; the document's −(1/N) Σ (log p + log(1 − p)) ignores the label y).

Fine-tuning (S5): keep the pre-trained encoder, put dropout and one Linear layer on the pooled
output (BertClassifier), train everything with a small learning rate (the documents: Adam 2e-5).

    model = BertMLM(vocab_size=100, max_len=32, n_layer=2, n_head=2, d_model=64)
    inputs, labels = mask_tokens(ids, vocab_size=100, mask_id=MASK, special_ids=[PAD, CLS, SEP])
    mlm_logits, nsp_logits, loss = model(inputs, segment_ids, mlm_labels=labels, is_next=y)
    classifier = BertClassifier(model.bert, num_classes=2)
"""

import numpy as np

import minigrad
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.containers import ModuleList
from minigrad.nn.dropout import Dropout
from minigrad.nn.embedding import Embedding
from minigrad.nn.linear import Identity, Linear
from minigrad.nn.module import Module
from minigrad.nn.normalization import LayerNorm
from minigrad.nn.transformer import PositionalEmbedding, TransformerBlock

IGNORE_INDEX = -100  # label of a position that has no loss (F.cross_entropy's ignore_index)


def _init_weights(model):
    """BERT's initialisation: Linear and Embedding weights N(0, 0.02²), biases 0."""
    for module in model.modules():
        if isinstance(module, (Linear, Embedding)):
            init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, Linear) and module.bias is not None:
            init.zeros_(module.bias)


class BERT(Module):
    """The encoder: ids -> (hidden states (N, T, d_model), pooled output (N, d_model)).

    norm_first=False is the original (post-LN) layout; True uses pre-LN blocks and adds a
    final LayerNorm. n_segments: how many sentence ids (A = 0, B = 1) there are.
    """

    def __init__(self, vocab_size, max_len=128, n_layer=2, n_head=2, d_model=64, d_ff=None,
                 dropout=0.1, n_segments=2, norm_first=False):
        super().__init__()
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.config = dict(vocab_size=vocab_size, max_len=max_len, n_layer=n_layer,
                           n_head=n_head, d_model=d_model, d_ff=d_ff, dropout=dropout,
                           n_segments=n_segments, norm_first=norm_first)
        self.tok_emb = Embedding(vocab_size, d_model)
        self.seg_emb = Embedding(n_segments, d_model)  # which sentence a token belongs to
        self.pos_emb = PositionalEmbedding(max_len, d_model)
        self.emb_norm = LayerNorm(d_model)
        self.drop = Dropout(dropout)
        self.blocks = ModuleList([
            TransformerBlock(d_model, n_head, d_ff, dropout=dropout, norm_first=norm_first,
                             causal=False, activation="gelu")
            for _ in range(n_layer)
        ])
        self.final_norm = LayerNorm(d_model) if norm_first else Identity()
        self.pooler = Linear(d_model, d_model)  # reads the [CLS] token's state
        _init_weights(self)

    def forward(self, input_ids, segment_ids=None, padding_mask=None):
        """input_ids, segment_ids: int64 (N, T); padding_mask: bool (N, T), True = padding.

        Returns hidden (N, T, d_model) and pooled = tanh(pooler(hidden[:, 0])) (N, d_model).
        Padding tokens are never attended to (but still get a hidden state of their own).
        """
        if input_ids.ndim != 2:
            raise ValueError(f"BERT: expected input_ids of shape (N, T), got {input_ids.shape}")
        if segment_ids is None:
            segment_ids = minigrad.zeros_like(input_ids)  # everything is sentence A
        if segment_ids.shape != input_ids.shape:
            raise ValueError(f"BERT: segment_ids {segment_ids.shape} must have the shape of "
                             f"input_ids {input_ids.shape}")
        x = self.tok_emb(input_ids) + self.seg_emb(segment_ids)  # (N, T, d_model)
        x = self.drop(self.emb_norm(self.pos_emb(x)))
        for block in self.blocks:
            x = block(x, key_padding_mask=padding_mask)  # (N, T, d_model)
        hidden = self.final_norm(x)
        pooled = self.pooler(hidden[:, 0]).tanh()  # (N, d_model): the [CLS] summary
        return hidden, pooled


class MLMHead(Module):
    """Hidden states -> one logit per vocabulary entry: dense, GELU, LayerNorm, decoder.

    The decoder's weight can be the token embedding matrix (tied), as in BERT.
    (N, T, d_model) -> (N, T, vocab_size)
    """

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = Linear(d_model, d_model)
        self.norm = LayerNorm(d_model)
        self.decoder = Linear(d_model, vocab_size)

    def forward(self, hidden):
        return self.decoder(self.norm(self.dense(hidden).gelu()))


class BertMLM(Module):
    """BERT with its two pre-training heads: masked-token prediction and next-sentence (F14).

    Takes BERT's arguments (see BERT). forward returns (mlm_logits (N, T, vocab_size),
    nsp_logits (N,), loss), where loss = mlm_loss + nsp_loss over the labels given (None if none).
    """

    def __init__(self, vocab_size, max_len=128, n_layer=2, n_head=2, d_model=64, d_ff=None,
                 dropout=0.1, n_segments=2, norm_first=False, tie_weights=True):
        super().__init__()
        self.bert = BERT(vocab_size, max_len, n_layer, n_head, d_model, d_ff, dropout,
                         n_segments, norm_first)
        self.config = dict(self.bert.config, tie_weights=tie_weights)
        self.mlm_head = MLMHead(d_model, vocab_size)
        self.nsp_head = Linear(d_model, 1)  # one logit: "B follows A"
        _init_weights(self.mlm_head)
        _init_weights(self.nsp_head)
        self.tie_weights = tie_weights
        if tie_weights:
            self.mlm_head.decoder.weight = self.bert.tok_emb.weight


    def forward(self, input_ids, segment_ids=None, padding_mask=None, mlm_labels=None,
                is_next=None):
        hidden, pooled = self.bert(input_ids, segment_ids, padding_mask)
        mlm_logits = self.mlm_head(hidden)  # (N, T, vocab_size)
        nsp_logits = self.nsp_head(pooled).reshape(-1)  # (N,)
        loss = None
        if mlm_labels is not None:
            loss = mlm_loss(mlm_logits, mlm_labels)
        if is_next is not None:
            nsp = nsp_loss(nsp_logits, is_next)
            loss = nsp if loss is None else loss + nsp  # F14: 𝓛 = 𝓛_MLM + 𝓛_NSP
        return mlm_logits, nsp_logits, loss


class BertClassifier(Module):
    """S5: a classifier on BERT's pooled output: logits = W · dropout(pooled) + b.

    bert: a (pre-trained) BERT, shared, not copied; fine-tuning trains it too.
    (N, T) ids -> (N, num_classes) logits, for F.cross_entropy.
    """

    def __init__(self, bert, num_classes, dropout=0.1):
        super().__init__()
        self.bert = bert
        self.dropout = Dropout(dropout)
        self.classifier = Linear(bert.config["d_model"], num_classes)

    def forward(self, input_ids, segment_ids=None, padding_mask=None):
        _, pooled = self.bert(input_ids, segment_ids, padding_mask)  # (N, d_model)
        return self.classifier(self.dropout(pooled))  # (N, num_classes)


def mlm_loss(logits, labels):
    """𝓛_MLM (F14 corrected): mean softmax cross-entropy (F2) over the masked positions only.

    logits: (N, T, V); labels: int64 (N, T), the original token at masked positions and
    IGNORE_INDEX (-100) everywhere else. A batch without any masked position has loss 0.
    """
    N, T, V = logits.shape
    if labels.shape != (N, T):
        raise ValueError(f"mlm_loss: labels {labels.shape} must be (N, T) = {(N, T)} for logits "
                         f"{logits.shape}")
    if not bool((labels.array != IGNORE_INDEX).any()):
        return logits.sum() * 0.0  # nothing masked: no loss, but keep the graph (and dtype)
    return F.cross_entropy(logits.reshape(N * T, V), labels.reshape(N * T),
                           ignore_index=IGNORE_INDEX)


def nsp_loss(logits, is_next):
    """𝓛_NSP (F14 corrected, F3): −(1/N) Σ [y log σ(z) + (1 − y) log(1 − σ(z))].

    logits z: (N,) (or (N, 1)); is_next y: (N,), 1/True when sentence B follows sentence A.
    Computed from the logits in the stable form max(z, 0) − z·y + log(1 + e^{−|z|}).
    """
    logits = logits.reshape(-1)
    if not isinstance(is_next, minigrad.Tensor):
        is_next = minigrad.tensor(is_next, device=logits.device)
    if is_next.shape != logits.shape:
        raise ValueError(f"nsp_loss: is_next {is_next.shape} must have one label per logit "
                         f"{logits.shape}")
    return F.binary_cross_entropy_with_logits(logits, is_next.astype(logits.dtype))


def mask_tokens(input_ids, vocab_size, mask_id, mask_prob=0.15, special_ids=()):
    """BERT's masking for MLM (Devlin et al. 2019). Returns (masked_ids, labels).

    Each position whose token is not in special_ids ([PAD], [CLS], [SEP], ...) is chosen with
    probability mask_prob. A chosen token is replaced by
        mask_id               80% of the time   (the model must fill the blank),
        a random token        10%               (it cannot trust unmasked-looking tokens),
        itself                10%               (what it sees at fine-tuning time, no [MASK]).
    labels hold the original token at chosen positions and IGNORE_INDEX (-100) elsewhere, so
    the loss is computed only where something was chosen. Random tokens are drawn from the ids
    that are neither special nor mask_id. Uses minigrad's global generator.
    """
    generator = minigrad.random.generator()
    ids = input_ids.numpy()  # a host copy: the masking is data preparation, done on the CPU
    special = np.isin(ids, np.asarray(list(special_ids), dtype=ids.dtype))
    chosen = (generator.random(ids.shape) < mask_prob) & ~special
    labels = np.where(chosen, ids, IGNORE_INDEX)

    action = generator.random(ids.shape)  # one draw decides mask / random / keep
    to_mask = chosen & (action < 0.8)
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    not_ordinary = np.asarray(list(special_ids) + [mask_id], dtype=np.int64)
    ordinary = np.setdiff1d(np.arange(vocab_size), not_ordinary)  # ids a random token may be
    masked = ids.copy()
    masked[to_mask] = mask_id
    masked[to_random] = ordinary[generator.integers(len(ordinary), size=int(to_random.sum()))]
    return (minigrad.tensor(masked, device=input_ids.device),
            minigrad.tensor(labels.astype(ids.dtype), device=input_ids.device))
