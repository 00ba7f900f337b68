# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 13 — A byte-pair-encoding tokenizer from scratch
#
# **Formulas:** S3, S4 (text generation needs text turned into token ids); the vocabulary size
# sets the embedding table of F8's inputs
#
# A language model reads integers, not text. Lesson 8's GPT used one token per character: a
# vocabulary of about a hundred, but long sequences — a context of 64 tokens sees 64 characters.
# GPT-2 and its successors use **byte-pair encoding** (BPE): start from the 256 possible bytes,
# then repeatedly glue the most frequent adjacent pair of tokens into a new token. Frequent
# chunks (`self`, `return`, four spaces of indentation) become single tokens, so the same
# context covers more text, at the price of a bigger embedding table.
#
# In this lesson: bytes as the starting alphabet, the merge loop, encoding and decoding, the
# trade-off between vocabulary size and sequence length, and what a tokenizer learned on one
# kind of text does to another.

# %%
import os
from collections import Counter

import numpy as np

from minigrad import viz
from minigrad.data.text import load_text_corpus
from minigrad.tokenizers import CharTokenizer

FAST = os.environ.get("MINIGRAD_FAST") == "1"
NUM_MERGES = 100 if FAST else 400
OUT = viz.lesson_output_dir("13_bpe_tokenizer")

# %% [markdown]
# ## 1. Bytes: an alphabet with no unknown symbol
#
# UTF-8 writes every character as 1 to 4 bytes, each a number from 0 to 255. Starting from bytes
# means any text can be encoded — an emoji, Chinese, a typo — with no "unknown" token. The
# character tokenizer of lesson 8 only knows the characters of its training text.

# %%
text = load_text_corpus()  # Python source from the standard library
split = int(0.9 * len(text))
train_text, held_out_text = text[:split], text[split:]
train_bytes = np.frombuffer(train_text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
print(f"{len(train_text):,} characters -> {len(train_bytes):,} bytes of training text")

sample = "naïve café, 日本語 🙂"
print(list(sample.encode("utf-8"))[:12], "...")
chars = CharTokenizer(train_text)
print("character tokenizer on unseen characters:", repr(chars.decode(chars.encode(sample))))

# %% [markdown]
# ## 2. The merge loop
#
# Count every adjacent pair of tokens in the training text; the most frequent pair $(a, b)$
# becomes a new token $256 + i$ at merge $i$; replace its occurrences, left to right; repeat.
# The counting is one `np.bincount` over the pair codes $a \cdot V + b$ (V, the vocabulary so
# far, makes every pair a distinct number). Only one case needs care: a pair of the same token
# twice overlaps itself (`aaa` holds `aa` twice), and only every other occurrence can merge.


# %%
def most_frequent_pair(ids, vocab_size):
    """The adjacent pair (a, b) that occurs most often in ids, and its count."""
    codes = ids[:-1] * vocab_size + ids[1:]  # one number per adjacent pair
    counts = np.bincount(codes, minlength=vocab_size * vocab_size)
    best = int(counts.argmax())  # the first of the most frequent, so ties are stable
    return (best // vocab_size, best % vocab_size), int(counts[best])


def merge(ids, pair, new_id):
    """ids with every non-overlapping occurrence of `pair` (left to right) replaced by new_id."""
    a, b = pair
    starts = np.flatnonzero((ids[:-1] == a) & (ids[1:] == b))
    if a == b:  # 'aaa' holds (a, a) twice, overlapping: keep every other one, left to right
        kept, last = [], -2
        for p in starts:
            if p > last + 1:
                kept.append(p)
                last = p
        starts = np.array(kept, dtype=np.int64)
    merged = ids.copy()
    merged[starts] = new_id  # the first token of each pair becomes the new one...
    return np.delete(merged, starts + 1)  # ...and the second disappears


def train_bpe(ids, num_merges):
    """Learn num_merges merges; returns the merges {pair: new id}, in the order learned."""
    merges = {}
    for i in range(num_merges):
        pair, count = most_frequent_pair(ids, 256 + i)
        if count < 2:
            break  # nothing repeats any more
        merges[pair] = 256 + i
        ids = merge(ids, pair, 256 + i)
    return merges


merges = train_bpe(train_bytes, NUM_MERGES)
print(f"learned {len(merges)} merges: a vocabulary of {256 + len(merges)} tokens")

# %% [markdown]
# Each token stands for a string of bytes: a byte for itself, a merged token for the
# concatenation of its pair. The table `vocab` maps every token id to its bytes; decoding is a
# lookup and a join.


# %%
def build_vocab(merges):
    vocab = {i: bytes([i]) for i in range(256)}
    for (a, b), new_id in merges.items():  # in the order learned: a and b already exist
        vocab[new_id] = vocab[a] + vocab[b]
    return vocab


def encode(text, merges):
    """Text -> token ids: its bytes, then every merge in the order it was learned.

    Merging in that order is the same as GPT-2's "merge the lowest-ranked pair present, repeat":
    merge i can only involve tokens that existed before it, so a later merge never creates a
    pair an earlier one would have wanted.
    """
    ids = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
    for pair, new_id in merges.items():
        if len(ids) < 2:
            break
        ids = merge(ids, pair, new_id)
    return ids


def decode(ids, vocab):
    # A token may end in the middle of a multi-byte character: join all the bytes first, then
    # decode; "replace" shows a lone broken byte as � instead of failing.
    return b"".join(vocab[int(i)] for i in ids).decode("utf-8", errors="replace")


vocab = build_vocab(merges)
print("the first merges:")
for (a, b), new_id in list(merges.items())[:12]:
    print(f"  {new_id}: {vocab[a]!r} + {vocab[b]!r} -> {vocab[new_id]!r}")
longest = sorted(vocab.values(), key=len, reverse=True)[:8]
print("the longest tokens:", [token.decode("utf-8", errors="replace") for token in longest])

# %% [markdown]
# On Python source the first merge is two spaces (indentation), then pieces of indentation
# and newlines, then common fragments of English and of Python. Some tokens span the end of
# one line and the indentation of the next. GPT-2's tokenizer prevents that kind of token: it
# first cuts the text into words, numbers, punctuation and whitespace with a regular
# expression and learns merges only inside those pieces. Round trip:

# %%
snippet = "    def __init__(self, size):\n        return self.size"
snippet_ids = encode(snippet, merges)
print(f"{len(snippet.encode('utf-8'))} bytes -> {len(snippet_ids)} tokens:")
print([vocab[int(i)].decode("utf-8", errors="replace") for i in snippet_ids])
assert decode(snippet_ids, vocab) == snippet
print("unicode round trip:", decode(encode(sample, merges), vocab))

# %% [markdown]
# ## 3. Vocabulary size against sequence length
#
# Compression: how many bytes one token stands for, on average. More merges, longer tokens,
# shorter sequences. A Transformer's attention costs grow with the square of the sequence
# length, and its embedding table and output layer grow with the vocabulary: tokenizers choose
# a point on this curve (GPT-2: 50,257 tokens).
#
# **Predict, then run.** Two questions. (a) After the last merge, will the held-out 10% of the
# corpus (text the merges never saw, from other modules) compress as well as the training text,
# better, or worse? (b) The first eighth of the merges makes the training text much shorter.
# Does the last eighth shorten it by about as much, by half as much, or by a tenth as much?

# %%
held_out_bytes = len(held_out_text.encode("utf-8"))
checkpoints = sorted({0, *range(0, len(merges) + 1, max(1, len(merges) // 8)), len(merges)})
compression = {"training text": [], "held-out text": []}
all_merges = list(merges.items())
for n in checkpoints:
    first_n = dict(all_merges[:n])
    compression["training text"].append(len(train_bytes) / len(encode(train_text, first_n)))
    compression["held-out text"].append(held_out_bytes / len(encode(held_out_text, first_n)))
held_out_ratio = compression["held-out text"][-1]  # with every merge
for n, train_ratio, held_ratio in zip(checkpoints, *compression.values()):
    print(f"{n:4d} merges: {train_ratio:.2f} bytes/token (training)   {held_ratio:.2f} (held out)")


def training_tokens(n):
    """The length of the training text encoded with the first n merges."""
    return len(encode(train_text, dict(all_merges[:n])))


eighth = len(merges) // 8
shrink_first = 1 - training_tokens(eighth) / len(train_bytes)
shrink_last = 1 - training_tokens(len(merges)) / training_tokens(len(merges) - eighth)
print(
    f"the first {eighth} merges shorten the training text by {shrink_first:.1%}, "
    f"the last {eighth} by {shrink_last:.1%}"
)

# %%
plt = viz.pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for name, values in compression.items():
    left.plot(np.array(checkpoints) + 256, values, marker="o", label=name)
left.axhline(1.0, color="grey", linewidth=0.8, linestyle="--", label="bytes (no merges)")
left.set_xlabel("vocabulary size (256 bytes + merges)")
left.set_ylabel("bytes per token")
left.set_title("compression against vocabulary size")
left.legend()
left.grid(alpha=0.3)

lengths = Counter(len(vocab[new_id]) for new_id in merges.values())  # the merged tokens only
sizes = sorted(lengths)
right.bar(sizes, [lengths[s] for s in sizes])
right.set_xlabel("token length in bytes")
right.set_ylabel("merged tokens")
right.set_title(f"the {len(merges)} merged tokens by length")
viz.save_figure(fig, OUT / "bpe_compression.png")

# %% [markdown]
# (a) Worse, a little: merges that were frequent in the training modules are rarer elsewhere
# (their names, their indentation depth). (b) About a tenth as much: the merges are learned
# in order of frequency, so each one saves fewer bytes than the one before. The first ones
# (indentation, `e `, `in`) occur everywhere; the last ones are longer pieces that occur far
# less often. Doubling a vocabulary buys much less than the previous doubling did, while the
# embedding table keeps growing in proportion.
#
# **Predict, then run.** Now English prose, which is not what the tokenizer learned from. Will
# it compress better than held-out code, about as well, or worse? Below or above 1 byte per
# token?

# %%
prose = (
    "The quick brown fox jumps over the lazy dog. Tokenizers learn the statistics of the text "
    "they are trained on, so text of another kind is split into more, shorter pieces."
)
prose_ids = encode(prose, merges)
prose_ratio = len(prose.encode("utf-8")) / len(prose_ids)
print(f"English prose: {prose_ratio:.2f} bytes/token (held-out code: {held_out_ratio:.2f})")
print([vocab[int(i)].decode("utf-8", errors="replace") for i in prose_ids[:20]])

# %% [markdown]
# Worse than code, but well above 1 byte per token: Python source is full of English in its
# names, comments and docstrings, so merges like `in`, `e ` and `s ` serve prose too. What
# prose lacks is the indentation, `self.` and `):\n` that give code most of its compression.
# A tokenizer is part of the model: trained on code, it serves code best. (It can never be
# *below* 1 byte per token: the worst case is one token per byte.)
#
# What a context of 64 tokens sees, with each tokenizer:

# %%
context = 64
chars_per_context = {
    "characters": context,
    f"BPE, {len(vocab)} tokens": round(context * held_out_ratio),
}
print({name: f"about {n} bytes" for name, n in chars_per_context.items()})

# %% [markdown]
# ## Your turn
#
# Merge the pair $(5, 5)$ into token 300 in the sequence `5 5 5 5 5` by hand, following the
# rule of section 2 (left to right, no overlaps). Our answer is filled in so that the lesson
# runs: delete it and write your own.

# %%
my_merged = [300, 300, 5]  # <- delete this answer and write yours
print("merge:", merge(np.array([5, 5, 5, 5, 5]), (5, 5), 300).tolist(), "  yours:", my_merged)

# %% [markdown]
# ## Check yourself
#
# Three questions first; cover the answers.
#
# 1. Why does a byte-level BPE tokenizer never need an "unknown" token?
#
#    *Answer:* its alphabet is the 256 bytes, and any text is a sequence of bytes.
# 2. You double the number of merges. What grows, and what shrinks?
#
#    *Answer:* the embedding table and the output layer grow; sequences get shorter, by less
#    with every doubling.
# 3. Why must `encode` apply the merges in the order they were learned?
#
#    *Answer:* a merge may use a token that an earlier merge made; it must exist first.

# %%
assert list(merges)[0] == (32, 32), "on Python source the first merge is two spaces"
assert len(merges) == NUM_MERGES and max(vocab) == 255 + NUM_MERGES
assert decode(encode(held_out_text, merges), vocab) == held_out_text, "lossless round trip"
assert decode(encode(sample, merges), vocab) == sample, "no unknown tokens: any text encodes"
assert merge(np.array([7, 7, 7]), (7, 7), 300).tolist() == [300, 7], "overlapping pairs"
assert merge(np.array([1, 2, 1, 2]), (1, 2), 300).tolist() == [300, 300]
train_curve = compression["training text"]
assert all(a <= b + 1e-12 for a, b in zip(train_curve, train_curve[1:])), "merges never lengthen"
assert train_curve[-1] > 1.5 and train_curve[-1] > compression["held-out text"][-1]
assert prose_ratio < held_out_ratio, "another kind of text compresses less"
assert prose_ratio > 1.2, "but English in names and comments taught it some English"
assert shrink_last < shrink_first / 5, "diminishing returns: the last merges save little"
assert merge(np.array([5, 5, 5, 5, 5]), (5, 5), 300).tolist() == my_merged
assert (OUT / "bpe_compression.png").stat().st_size > 1000
print("lesson 13: all checks passed")
