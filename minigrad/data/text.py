"""A character-level text corpus found on every machine, and a next-character dataset.

Text generation (S3, S4) needs a text to learn from. Downloading one is fragile (no network in
class, files that move), so minigrad uses text that ships with Python itself: the source code of
a FIXED list of standard-library modules. Python source is a good first corpus: a small alphabet
(printable ASCII), strong local structure (indentation, keywords, brackets that must close) and
English prose in the docstrings and comments.

The modules were chosen because their files are byte-for-byte identical in CPython 3.10.13,
3.11.7, 3.12.1 and 3.13.0 (checked when this list was made), are plain ASCII, and are mostly
ordinary code and prose (no generated tables). About 209,000 characters in all:

    difflib.py  optparse.py  tracemalloc.py  _markupbase.py  pyclbr.py
    py_compile.py  _threading_local.py  _py_abc.py

If any of them is missing (an embedded or stripped-down Python), the small built-in text
`TINY_CORPUS` is used instead, with a warning, so that code using the corpus still runs.
"""

import os
import sysconfig
import warnings

import numpy as np

from minigrad.creation import tensor
from minigrad.data.dataset import Dataset
from minigrad.tensor import Tensor

STDLIB_CORPUS_MODULES = (
    "difflib.py",
    "optparse.py",
    "tracemalloc.py",
    "_markupbase.py",
    "pyclbr.py",
    "py_compile.py",
    "_threading_local.py",
    "_py_abc.py",
)

# The fallback corpus: short, but with the same flavour (code and prose), written for minigrad.
TINY_CORPUS = '''\
def gradient_descent(theta, grad, lr=0.1):
    """Take one small step downhill: theta <- theta - lr * grad."""
    return theta - lr * grad


class Counter:
    """Count how often each character appears in a text."""

    def __init__(self, text):
        self.counts = {}
        for ch in text:
            self.counts[ch] = self.counts.get(ch, 0) + 1

    def most_common(self, n=3):
        pairs = sorted(self.counts.items(), key=lambda kv: -kv[1])
        return pairs[:n]


# A network learns by repeating four steps: run the model forward, measure the loss,
# send the gradient backward, and move every weight a little against its gradient.
for epoch in range(10):
    loss = train_one_epoch(model, data)
    print(f"epoch {epoch}: loss {loss:.4f}")
'''

CORPORA = ("python-stdlib", "tiny")


def load_text_corpus(name="python-stdlib", max_chars=None):
    """Return a corpus as one string.

    name: "python-stdlib" (the modules listed above, joined by blank lines, in that order) or
        "tiny" (the built-in fallback text, a few hundred characters).
    max_chars: keep only the first max_chars characters (None keeps everything).

    Line endings are normalized to "\\n", so the text is the same on Windows.
    """
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; available corpora: {', '.join(CORPORA)}")
    if max_chars is not None and (isinstance(max_chars, bool) or max_chars < 0):
        raise ValueError(f"max_chars must be None or >= 0, got {max_chars!r}")

    text = TINY_CORPUS if name == "tiny" else _read_stdlib_modules()
    text = text.replace("\r\n", "\n")
    if max_chars is not None:
        text = text[:max_chars]
    return text


def _read_stdlib_modules():
    stdlib = sysconfig.get_paths()["stdlib"]
    parts = []
    for filename in STDLIB_CORPUS_MODULES:
        path = os.path.join(stdlib, filename)
        try:
            with open(path, encoding="utf-8") as file:
                parts.append(file.read())
        except OSError:
            # All or nothing: a corpus missing one module would silently differ between
            # machines, which defeats the point of a fixed corpus.
            warnings.warn(
                f"load_text_corpus: {path} is missing, so the 'python-stdlib' corpus is not "
                "available here; using the small built-in corpus instead",
                stacklevel=3,
            )
            return TINY_CORPUS
    return "\n\n".join(parts)


class CharDataset(Dataset):
    """Next-character prediction: sample i is (x, y), two int64 Tensors of length block_size.

    x = the characters text[i : i + block_size], as integer ids;
    y = text[i + 1 : i + block_size + 1], the same window shifted by one,
    so y[t] is the character that follows x[0..t] -- one training target per position.

    The vocabulary is the sorted set of characters in the text: `stoi` maps a character to its id,
    `itos` an id back to its character; `encode` and `decode` convert whole strings.
    """

    def __init__(self, text, block_size):
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size <= 0:
            raise ValueError(f"block_size must be a positive int, got {block_size!r}")
        if len(text) <= block_size:
            raise ValueError(
                f"the text ({len(text)} characters) must be longer than block_size ({block_size})"
            )
        self.block_size = block_size
        self.chars = sorted(set(text))
        self.vocab_size = len(self.chars)
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))
        self.data = np.array(self.encode(text), dtype=np.int64)

    def encode(self, text):
        """A string -> a list of ids (KeyError for a character not in the vocabulary)."""
        return [self.stoi[ch] for ch in text]

    def decode(self, ids):
        """A sequence of ids (list, NumPy array or Tensor) -> a string."""
        if isinstance(ids, Tensor):
            ids = ids.numpy()
        return "".join(self.itos[int(i)] for i in np.asarray(ids).reshape(-1))

    def __len__(self):
        return len(self.data) - self.block_size

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} is out of range for a CharDataset of {len(self)}")
        chunk = self.data[index : index + self.block_size + 1].copy()  # not a view of the corpus
        return tensor(chunk[:-1]), tensor(chunk[1:])

    def get_batch(self, indices):
        # Row r of `windows` holds the positions indices[r], indices[r] + 1, ..., so one
        # fancy-index builds the whole (batch, block_size + 1) array at once.
        starts = np.asarray(indices, dtype=np.int64)
        windows = starts[:, None] + np.arange(self.block_size + 1)
        chunks = self.data[windows]
        return tensor(chunks[:, :-1]), tensor(chunks[:, 1:])
