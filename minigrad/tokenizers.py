"""Tokenizers: turn text into integer ids for an Embedding layer, and ids back into text.

    CharTokenizer   one token per character: a tiny vocabulary, long sequences (GPT on a corpus)
    WordTokenizer   one token per word or punctuation mark: a large vocabulary, short sequences

Both are built from a text (the vocabulary is what that text contains) and handle text they
have never seen: an unknown character or word becomes the unknown token instead of an error.

    tok = CharTokenizer(minigrad.data.load_text_corpus())
    ids = tok.encode("def f(x):")          # [list of ints]
    tok.decode(ids)                        # 'def f(x):'
"""

import re
from collections import Counter

import numpy as np

from minigrad.tensor import Tensor


def _ids_to_list(ids):
    """A list, NumPy array or Tensor of ids (any shape) -> a flat list of Python ints."""
    if isinstance(ids, Tensor):
        ids = ids.numpy()
    return [int(i) for i in np.asarray(ids).reshape(-1)]


class CharTokenizer:
    """Characters as tokens.

    The vocabulary is the sorted set of characters of `text`, preceded by `unk_token` (id 0),
    which stands for every character the text did not contain. unk_token=None: no unknown
    token (the ids are then those of minigrad.data.CharDataset), and encoding an unseen
    character is a ValueError.
    """

    def __init__(self, text, unk_token="\ufffd"):
        if unk_token is not None and len(unk_token) != 1:
            raise ValueError(f"CharTokenizer: unk_token must be one character, got {unk_token!r}")
        chars = sorted(set(text) - {unk_token})
        self.unk_token = unk_token
        self.itos = ([unk_token] if unk_token is not None else []) + chars  # id -> character
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}  # character -> id
        self.unk_id = None if unk_token is None else 0

    @property
    def vocab_size(self):
        return len(self.itos)

    def __len__(self):
        return self.vocab_size

    def encode(self, text):
        """A string -> a list of ids, one per character."""
        if self.unk_id is not None:
            return [self.stoi.get(ch, self.unk_id) for ch in text]
        for position, ch in enumerate(text):
            if ch not in self.stoi:
                raise ValueError(
                    f"CharTokenizer.encode: character {ch!r} at position {position} "
                    f"is not in the vocabulary (built without an unk_token)"
                )
        return [self.stoi[ch] for ch in text]

    def decode(self, ids):
        """A sequence of ids (list, NumPy array or Tensor) -> a string."""
        ids = _ids_to_list(ids)
        for i in ids:
            if not 0 <= i < self.vocab_size:
                raise ValueError(
                    f"CharTokenizer.decode: id {i} is outside the vocabulary "
                    f"(0..{self.vocab_size - 1})"
                )
        return "".join(self.itos[i] for i in ids)

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size}, unk_token={self.unk_token!r})"


class WordTokenizer:
    """Words and punctuation marks as tokens: "Hello, world!" -> hello , world !

    Vocabulary, by id: "<pad>" (0), "<unk>" (1), then `special_tokens` (e.g. "[CLS]", "[SEP]",
    "[MASK]" for BERT), then the words of `text` that occur at least min_freq times, most
    frequent first (ties alphabetical), at most max_size words. Everything else is "<unk>".
    lower=True lower-cases the text first. decode joins tokens with single spaces, so the
    original spacing and case are not restored.
    """

    PAD, UNK = "<pad>", "<unk>"
    _TOKEN = re.compile(r"\w+|[^\w\s]")  # a run of letters/digits, or one punctuation mark

    def __init__(self, text, min_freq=1, max_size=None, lower=True, special_tokens=()):
        self.lower = lower
        counts = Counter(self.tokenize(text))
        specials = [self.PAD, self.UNK] + [
            t for t in special_tokens if t not in (self.PAD, self.UNK)
        ]
        words = sorted(
            (w for w, c in counts.items() if c >= min_freq and w not in specials),
            key=lambda w: (-counts[w], w),
        )
        if max_size is not None:
            words = words[:max_size]
        self.itos = specials + words  # id -> token
        self.stoi = {token: i for i, token in enumerate(self.itos)}  # token -> id
        self.pad_id = self.stoi[self.PAD]
        self.unk_id = self.stoi[self.UNK]
        self.special_ids = set(range(len(specials)))

    @property
    def vocab_size(self):
        return len(self.itos)

    def __len__(self):
        return self.vocab_size

    def tokenize(self, text):
        """A string -> a list of token strings."""
        return self._TOKEN.findall(text.lower() if self.lower else text)

    def token_to_id(self, token):
        return self.stoi.get(token, self.unk_id)

    def encode(self, text):
        """A string -> a list of ids (unknown words -> unk_id)."""
        return [self.token_to_id(token) for token in self.tokenize(text)]

    def decode(self, ids, skip_special_tokens=False):
        """A sequence of ids -> the tokens joined by spaces.

        skip_special_tokens=True leaves out "<pad>" and the special_tokens (not "<unk>", which
        stands for a real word).
        """
        tokens = []
        for i in _ids_to_list(ids):
            if not 0 <= i < self.vocab_size:
                raise ValueError(
                    f"WordTokenizer.decode: id {i} is outside the vocabulary "
                    f"(0..{self.vocab_size - 1})"
                )
            if skip_special_tokens and i in self.special_ids and i != self.unk_id:
                continue
            tokens.append(self.itos[i])
        return " ".join(tokens)

    def __repr__(self):
        return f"WordTokenizer(vocab_size={self.vocab_size}, lower={self.lower})"
