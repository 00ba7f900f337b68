"""The built-in text corpus and CharDataset (next-character prediction)."""

import sysconfig

import numpy as np
import pytest

from minigrad.data import CharDataset, DataLoader, load_text_corpus
from minigrad.data import text as text_module


def test_stdlib_corpus_is_the_listed_modules_in_order():
    corpus = load_text_corpus()
    assert len(corpus) > 150_000
    assert corpus.startswith('"""\nModule difflib')  # the first module in the list
    # one landmark from each module, in the documented order
    landmarks = [
        "class SequenceMatcher",
        "class OptionParser",
        "class Snapshot",
        "class ParserBase",
        "def readmodule",
        "def compile(",
        "class local",
        "class ABCMeta",
    ]
    positions = [corpus.index(landmark) for landmark in landmarks]
    assert positions == sorted(positions)
    assert "\r" not in corpus
    assert corpus.isascii()


def test_corpus_is_deterministic_and_can_be_cut():
    assert load_text_corpus() == load_text_corpus()
    assert load_text_corpus(max_chars=1000) == load_text_corpus()[:1000]
    assert load_text_corpus(max_chars=0) == ""


def test_tiny_corpus_and_errors():
    tiny = load_text_corpus("tiny")
    assert 200 < len(tiny) < 5000 and "def gradient_descent" in tiny
    with pytest.raises(ValueError, match="python-stdlib"):
        load_text_corpus("shakespeare")
    with pytest.raises(ValueError, match="max_chars"):
        load_text_corpus(max_chars=-5)


def test_missing_stdlib_files_fall_back_to_the_tiny_corpus(monkeypatch, tmp_path):
    monkeypatch.setattr(sysconfig, "get_paths", lambda: {"stdlib": str(tmp_path)})
    with pytest.warns(UserWarning, match="built-in corpus"):
        corpus = load_text_corpus()
    assert corpus == text_module.TINY_CORPUS


def test_windows_line_endings_are_normalized(monkeypatch, tmp_path):
    for name in text_module.STDLIB_CORPUS_MODULES:
        (tmp_path / name).write_bytes(f"# {name}\r\nx = 1\r\n".encode())
    monkeypatch.setattr(sysconfig, "get_paths", lambda: {"stdlib": str(tmp_path)})
    corpus = load_text_corpus()
    assert "\r" not in corpus
    assert corpus.startswith("# difflib.py\nx = 1\n\n\n# optparse.py\n")


def test_char_dataset_pairs_are_shifted_by_one():
    ds = CharDataset("hello world", block_size=4)
    assert ds.chars == sorted(set("hello world")) and ds.vocab_size == 8
    assert len(ds) == len("hello world") - 4
    x, y = ds[2]
    assert x.dtype == np.int64 and x.shape == (4,)
    assert ds.decode(x) == "llo " and ds.decode(y) == "lo w"
    x_last, y_last = ds[-1]
    assert ds.decode(y_last) == "orld"
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_encode_decode_round_trip():
    ds = CharDataset("abcabc", block_size=2)
    assert ds.encode("cab") == [2, 0, 1]
    assert ds.decode([2, 0, 1]) == "cab"
    assert ds.decode(np.array([[0, 1]])) == "ab"


def test_get_batch_equals_stacked_items_and_feeds_a_dataloader():
    ds = CharDataset(load_text_corpus(max_chars=2000), block_size=16)
    xb, yb = ds.get_batch(np.array([0, 7, 100]))
    for row, index in enumerate([0, 7, 100]):
        x, y = ds[index]
        np.testing.assert_array_equal(xb.numpy()[row], x.numpy())
        np.testing.assert_array_equal(yb.numpy()[row], y.numpy())
    batches = list(DataLoader(ds, batch_size=256, shuffle=True, generator=0))
    assert sum(len(x) for x, _ in batches) == len(ds)
    assert batches[0][0].shape == (256, 16)


def test_items_do_not_share_memory_with_the_corpus():
    ds = CharDataset("abcdef", block_size=2)
    x, _ = ds[0]
    x.array[0] = 5
    assert ds.decode(ds[0][0]) == "ab"


def test_char_dataset_errors():
    with pytest.raises(ValueError, match="block_size"):
        CharDataset("abc", block_size=0)
    with pytest.raises(ValueError, match="longer"):
        CharDataset("abc", block_size=3)
