"""BERT: a bidirectional Transformer encoder, pre-trained by filling in blanks (F14, S5).

One file, read top to bottom, in the same style as gpt.py (nanoGPT's):

    SelfAttention     every token looks at EVERY token that is not padding (F8, F12)
    MLP               then each token is transformed on its own (F11)
    EncoderBlock      the two, each with a residual "+" and a LayerNorm, post-LN or pre-LN (F12)
    BERT              embeddings -> n_layer EncoderBlocks -> hidden states and a pooled summary
    MLMHead, BertMLM  the two pre-training heads and their losses (F14)
    BertClassifier    one Linear layer on the pooled output, for fine-tuning (S5)

Shapes in the comments: B batch size, T tokens, C = d_model channels per token, nh heads,
hs = C / nh features per head, V vocab_size.

    token ids (B, T), segment ids (B, T)
      -> token + segment + position embeddings, LayerNorm, dropout    (B, T, C)
      -> n_layer EncoderBlocks, WITHOUT a causal mask                 (B, T, C)
      -> hidden states; the first token's ([CLS]) state -> pooler     (B, C)

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

Why this file does not import GPT's Block: BERT's block differs from GPT's in exactly the
places a student should compare (no causal mask, a padding mask instead of a KV cache, the
LayerNorm after the "+" by default). One Block with flags for both would make each model's file
harder to read; two small classes side by side show the differences. The MLP is the same as
GPT's, repeated here so that this file reads on its own.

Arguments are checked once, where they come in (BERT's constructor and forward, the losses,
mask_tokens); the small modules inside trust what BERT hands them.
"""

from numbers import Integral

import numpy as np

from minigrad import dtypes, random
from minigrad.creation import tensor, zeros_like
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.activation import GELU
from minigrad.nn.containers import ModuleList
from minigrad.nn.dropout import Dropout
from minigrad.nn.embedding import Embedding
from minigrad.nn.linear import Identity, Linear
from minigrad.nn.module import Module
from minigrad.nn.normalization import LayerNorm
from minigrad.nn.transformer import PositionalEmbedding
from minigrad.tensor import Tensor

IGNORE_INDEX = -100  # label of a position that has no loss (F.cross_entropy's ignore_index)


class SelfAttention(Module):
    """Multi-head self-attention without a causal mask (F8, F12).

        q, k, v = x W_Qᵀ, x W_Kᵀ, x W_Vᵀ                      each (B, T, C)
        split C into nh heads of hs features                  (B, nh, T, hs)
        y_h = softmax(q_h k_hᵀ / √hs + padding mask) v_h      (B, nh, T, hs), F8 per head
        out = concat(y_1, ..., y_nh) W_Oᵀ                      (B, T, C)

    padding_mask (B, T), True where a token is padding: no token looks at a padding token
    (its attention weight is exactly 0), so what stands there cannot change the result.
    """

    def __init__(self, d_model, n_head, dropout=0.0):
        super().__init__()
        self.n_head = n_head
        self.dropout = dropout  # on the attention weights, while training
        self.q_proj = Linear(d_model, d_model)  # W_Q of F8, all heads at once
        self.k_proj = Linear(d_model, d_model)  # W_K
        self.v_proj = Linear(d_model, d_model)  # W_V
        self.out_proj = Linear(d_model, d_model)  # W_O mixes the heads' results
        self.resid_drop = Dropout(dropout)  # on the output, before the residual "+"

    def forward(self, x, padding_mask=None):
        B, T, C = x.shape
        nh, hs = self.n_head, C // self.n_head
        # (B, T, C) -> (B, T, nh, hs) -> (B, nh, T, hs): each head attends on its own
        q = self.q_proj(x).reshape(B, T, nh, hs).transpose(1, 2)
        k = self.k_proj(x).reshape(B, T, nh, hs).transpose(1, 2)
        v = self.v_proj(x).reshape(B, T, nh, hs).transpose(1, 2)
        mask = None  # True = may attend; (B, 1, 1, T): one row of keys for every head and query
        if padding_mask is not None:
            mask = (~padding_mask).reshape(B, 1, 1, T)
        dropout_p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=dropout_p, is_causal=False
        )  # (B, nh, T, hs)
        y = y.transpose(1, 2).reshape(B, T, C)  # the heads side by side again: (B, T, C)
        return self.resid_drop(self.out_proj(y))  # (B, T, C)

    def extra_repr(self):
        return f"n_head={self.n_head}, dropout={self.dropout}"


class MLP(Module):
    """F11: the feed-forward network, applied to every token on its own (as in gpt.py).

    (B, T, C) -> fc1 -> (B, T, d_ff) -> GELU -> fc2 -> (B, T, C) -> dropout
    """

    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.fc1 = Linear(d_model, d_ff)  # W₁, b₁
        self.gelu = GELU()  # BERT's activation (exact)
        self.fc2 = Linear(d_ff, d_model)  # W₂, b₂
        self.drop = Dropout(dropout)  # on the output, before the residual "+"

    def forward(self, x):
        h = self.gelu(self.fc1(x))  # (B, T, d_ff)
        return self.drop(self.fc2(h))  # (B, T, C)


class EncoderBlock(Module):
    """One Transformer encoder block (F12). Where the LayerNorm goes is the one difference
    between the two classic layouts:

        norm_first=False (post-LN, BERT and the 2017 paper):  x = norm1(x + attn(x))
                                                              x = norm2(x + ff(x))
        norm_first=True  (pre-LN, as GPT-2):                  x = x + attn(norm1(x))
                                                              x = x + ff(norm2(x))

    Post-LN normalises every block's output; pre-LN keeps an un-normalised residual stream,
    trains stably without learning-rate warm-up, and needs one final LayerNorm (BERT adds it).
    """

    def __init__(self, d_model, n_head, d_ff, dropout=0.0, norm_first=False):
        super().__init__()
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_head, dropout)
        self.norm2 = LayerNorm(d_model)
        self.ff = MLP(d_model, d_ff, dropout)

    def forward(self, x, padding_mask=None):
        if self.norm_first:
            x = x + self.attn(self.norm1(x), padding_mask)  # (B, T, C)
            x = x + self.ff(self.norm2(x))
        else:
            x = self.norm1(x + self.attn(x, padding_mask))  # (B, T, C)
            x = self.norm2(x + self.ff(x))
        return x

    def extra_repr(self):
        return f"norm_first={self.norm_first}"


def _init_weights(model):
    """BERT's initialisation: Linear and Embedding weights N(0, 0.02²), biases 0."""
    for module in model.modules():
        if isinstance(module, (Linear, Embedding)):
            init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, Linear) and module.bias is not None:
            init.zeros_(module.bias)


class BERT(Module):
    """The encoder: ids -> (hidden states (B, T, C), pooled output (B, C)).

    norm_first=False is the original (post-LN) layout; True uses pre-LN blocks and adds a
    final LayerNorm. n_segments: how many sentence ids (A = 0, B = 1) there are. dropout: on
    the embeddings, the attention weights and each sublayer's output, while training.

    Parameter names (state_dict): tok_emb, seg_emb, pos_emb, emb_norm, blocks.<i>.{norm1,
    attn.{q,k,v,out}_proj, norm2, ff.fc1, ff.fc2}, final_norm (pre-LN only), pooler.
    """

    def __init__(
        self,
        vocab_size,
        max_len=128,
        n_layer=2,
        n_head=2,
        d_model=64,
        d_ff=None,
        dropout=0.1,
        n_segments=2,
        norm_first=False,
    ):
        super().__init__()
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.config = dict(
            vocab_size=vocab_size,
            max_len=max_len,
            n_layer=n_layer,
            n_head=n_head,
            d_model=d_model,
            d_ff=d_ff,
            dropout=dropout,
            n_segments=n_segments,
            norm_first=norm_first,
        )
        _check_config(self.config)
        self.tok_emb = Embedding(vocab_size, d_model)
        self.seg_emb = Embedding(n_segments, d_model)  # which sentence a token belongs to
        self.pos_emb = PositionalEmbedding(max_len, d_model)
        self.emb_norm = LayerNorm(d_model)
        self.drop = Dropout(dropout)
        self.blocks = ModuleList(
            [EncoderBlock(d_model, n_head, d_ff, dropout, norm_first) for _ in range(n_layer)]
        )
        self.final_norm = LayerNorm(d_model) if norm_first else Identity()
        self.pooler = Linear(d_model, d_model)  # reads the [CLS] token's state
        _init_weights(self)

    def forward(self, input_ids, segment_ids=None, padding_mask=None):
        """input_ids, segment_ids: int64 (B, T); padding_mask: bool (B, T), True = padding.

        Returns hidden (B, T, C) and pooled = tanh(pooler(hidden[:, 0])) (B, C).
        Padding tokens are never attended to (but still get a hidden state of their own).
        """
        if segment_ids is None:
            segment_ids = zeros_like(input_ids)  # everything is sentence A
        self._check_input(input_ids, segment_ids, padding_mask)
        x = self.tok_emb(input_ids) + self.seg_emb(segment_ids)  # (B, T, C)
        x = self.drop(self.emb_norm(self.pos_emb(x)))  # + positions 0..T-1
        for block in self.blocks:
            x = block(x, padding_mask)  # (B, T, C)
        hidden = self.final_norm(x)
        pooled = self.pooler(hidden[:, 0]).tanh()  # (B, C): the [CLS] summary
        return hidden, pooled

    def _check_input(self, input_ids, segment_ids, padding_mask):
        """forward's checks, with errors that say what was expected."""
        if not isinstance(input_ids, Tensor) or input_ids.dtype.kind not in "iu":
            what = input_ids.dtype if isinstance(input_ids, Tensor) else type(input_ids).__name__
            raise TypeError(f"BERT: input_ids must be a Tensor of integer token ids, got {what}")
        if input_ids.ndim != 2 or input_ids.shape[1] == 0:
            raise ValueError(
                f"BERT: expected input_ids of shape (N, T) with T >= 1, got {input_ids.shape}"
            )
        if input_ids.shape[1] > self.config["max_len"]:
            raise ValueError(
                f"BERT: {input_ids.shape[1]} tokens do not fit "
                f"max_len={self.config['max_len']} (input_ids {input_ids.shape})"
            )
        if not isinstance(segment_ids, Tensor) or segment_ids.shape != input_ids.shape:
            what = segment_ids.shape if isinstance(segment_ids, Tensor) else segment_ids
            raise ValueError(
                f"BERT: segment_ids {what} must have the shape of input_ids {input_ids.shape}"
            )
        if padding_mask is not None and (
            not isinstance(padding_mask, Tensor)
            or padding_mask.dtype != dtypes.bool
            or padding_mask.shape != input_ids.shape
        ):
            what = (
                f"{padding_mask.dtype} {padding_mask.shape}"
                if isinstance(padding_mask, Tensor)
                else type(padding_mask).__name__
            )
            raise ValueError(
                f"BERT: padding_mask must be a boolean tensor shaped like "
                f"input_ids {input_ids.shape} (True = padding), got {what}"
            )


def _check_config(config):
    """BERT's constructor arguments: positive sizes, heads that divide d_model, a probability."""
    for name in ("vocab_size", "max_len", "n_layer", "n_head", "d_model", "d_ff", "n_segments"):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"BERT: {name} must be a positive int, got {value!r}")
    if config["d_model"] % config["n_head"] != 0:
        raise ValueError(
            f"BERT: d_model={config['d_model']} must be divisible by "
            f"n_head={config['n_head']} (each head gets d_model / n_head features)"
        )
    dropout = config["dropout"]
    if isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"BERT: dropout must be in [0, 1), got {dropout!r}")


class MLMHead(Module):
    """Hidden states -> one logit per vocabulary entry: dense, GELU, LayerNorm, decoder.

    The decoder's weight can be the token embedding matrix (tied), as in BERT.
    (B, T, C) -> (B, T, V)
    """

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = Linear(d_model, d_model)
        self.gelu = GELU()
        self.norm = LayerNorm(d_model)
        self.decoder = Linear(d_model, vocab_size)

    def forward(self, hidden):
        return self.decoder(self.norm(self.gelu(self.dense(hidden))))  # (B, T, V)


class BertMLM(Module):
    """BERT with its two pre-training heads: masked-token prediction and next-sentence (F14).

    Takes BERT's arguments (see BERT). forward returns (mlm_logits (B, T, V), nsp_logits (B,),
    loss), where loss = mlm_loss + nsp_loss over the labels given (None if none).
    """

    def __init__(
        self,
        vocab_size,
        max_len=128,
        n_layer=2,
        n_head=2,
        d_model=64,
        d_ff=None,
        dropout=0.1,
        n_segments=2,
        norm_first=False,
        tie_weights=True,
    ):
        super().__init__()
        self.bert = BERT(
            vocab_size, max_len, n_layer, n_head, d_model, d_ff, dropout, n_segments, norm_first
        )
        self.config = dict(self.bert.config, tie_weights=tie_weights)
        self.mlm_head = MLMHead(d_model, vocab_size)
        self.nsp_head = Linear(d_model, 1)  # one logit: "B follows A"
        _init_weights(self.mlm_head)
        _init_weights(self.nsp_head)
        self.tie_weights = tie_weights
        if tie_weights:
            self.mlm_head.decoder.weight = self.bert.tok_emb.weight

    def forward(
        self, input_ids, segment_ids=None, padding_mask=None, mlm_labels=None, is_next=None
    ):
        hidden, pooled = self.bert(input_ids, segment_ids, padding_mask)
        mlm_logits = self.mlm_head(hidden)  # (B, T, V)
        nsp_logits = self.nsp_head(pooled).reshape(-1)  # (B,)
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
    (B, T) ids -> (B, num_classes) logits, for F.cross_entropy.
    """

    def __init__(self, bert, num_classes, dropout=0.1):
        super().__init__()
        if not isinstance(bert, BERT):
            raise TypeError(
                f"BertClassifier: bert must be a BERT encoder (e.g. BertMLM(...).bert),"
                f" got {type(bert).__name__}"
            )
        self.bert = bert
        self.dropout = Dropout(dropout)
        self.classifier = Linear(bert.config["d_model"], num_classes)

    def forward(self, input_ids, segment_ids=None, padding_mask=None):
        _, pooled = self.bert(input_ids, segment_ids, padding_mask)  # (B, C)
        return self.classifier(self.dropout(pooled))  # (B, num_classes)


def mlm_loss(logits, labels):
    """𝓛_MLM (F14 corrected): mean softmax cross-entropy (F2) over the masked positions only.

    logits: (N, T, V); labels: int64 (N, T), the original token at masked positions and
    IGNORE_INDEX (-100) everywhere else. A batch without any masked position has loss 0.
    """
    N, T, V = logits.shape
    if labels.shape != (N, T):
        raise ValueError(
            f"mlm_loss: labels {labels.shape} must be (N, T) = {(N, T)} for logits {logits.shape}"
        )
    if not bool((labels.array != IGNORE_INDEX).any()):
        return logits.sum() * 0.0  # nothing masked: no loss, but keep the graph (and dtype)
    return F.cross_entropy(
        logits.reshape(N * T, V), labels.reshape(N * T), ignore_index=IGNORE_INDEX
    )


def nsp_loss(logits, is_next):
    """𝓛_NSP (F14 corrected, F3): −(1/N) Σ [y log σ(z) + (1 − y) log(1 − σ(z))].

    logits z: (N,) (or (N, 1)); is_next y: (N,), 1/True when sentence B follows sentence A.
    Computed from the logits in the stable form max(z, 0) − z·y + log(1 + e^{−|z|}).
    """
    logits = logits.reshape(-1)
    if not isinstance(is_next, Tensor):
        is_next = tensor(is_next, device=logits.device)
    if is_next.shape != logits.shape:
        raise ValueError(
            f"nsp_loss: is_next {is_next.shape} must have one label per logit {logits.shape}"
        )
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
    generator = random.generator()
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
    return (
        tensor(masked, device=input_ids.device),
        tensor(labels.astype(ids.dtype), device=input_ids.device),
    )
