"""CharTokenizer and WordTokenizer: round trips, unknown tokens, vocabulary order."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.data import CharDataset
from minigrad.tokenizers import CharTokenizer, WordTokenizer

TEXT = "the cat sat on the mat. The dog sat too!"


@given(text=st.text(alphabet="abc de.\n", min_size=1, max_size=30))
def test_char_round_trip(text):
    tok = CharTokenizer(TEXT + "abc de.\n")
    assert tok.decode(tok.encode(text)) == text


def test_char_vocabulary_and_unknown_characters():
    tok = CharTokenizer(TEXT)
    assert tok.itos[0] == "\ufffd" and tok.unk_id == 0
    assert tok.itos[1:] == sorted(set(TEXT)) and tok.vocab_size == len(set(TEXT)) + 1
    ids = tok.encode("cat€")
    assert ids[-1] == tok.unk_id and tok.decode(ids) == "cat\ufffd"
    assert tok.decode(mg.tensor([ids])) == "cat\ufffd"  # a (1, T) Tensor works too
    assert tok.decode(np.array(ids)) == "cat\ufffd"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([tok.vocab_size])


def test_char_without_unknown_token_matches_char_dataset():
    tok = CharTokenizer(TEXT, unk_token=None)
    dataset = CharDataset(TEXT, block_size=4)
    assert tok.encode(TEXT) == dataset.encode(TEXT)
    with pytest.raises(ValueError, match=r"'€' at position 3"):
        tok.encode("cat€")
    with pytest.raises(ValueError, match="one character"):
        CharTokenizer(TEXT, unk_token="<unk>")


def test_word_tokenizer():
    tok = WordTokenizer(TEXT, special_tokens=["[CLS]", "[SEP]", "[MASK]"])
    assert tok.tokenize("The cat, sat!") == ["the", "cat", ",", "sat", "!"]
    assert tok.itos[:5] == ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"]
    assert tok.pad_id == 0 and tok.unk_id == 1
    # most frequent first ("the" 3 times, "sat" twice), ties alphabetical
    assert tok.itos[5:7] == ["the", "sat"]
    ids = tok.encode("the bird sat.")
    assert ids == [tok.stoi["the"], tok.unk_id, tok.stoi["sat"], tok.stoi["."]]
    assert tok.decode(ids) == "the <unk> sat ."
    assert tok.decode([2] + ids + [0, 0], skip_special_tokens=True) == "the <unk> sat ."


def test_word_tokenizer_min_freq_max_size_and_case():
    tok = WordTokenizer(TEXT, min_freq=2)
    assert tok.itos[2:] == ["the", "sat"]  # "the" 3 times (lower-cased), "sat" twice
    assert WordTokenizer(TEXT, max_size=1).itos == ["<pad>", "<unk>", "the"]
    cased = WordTokenizer(TEXT, lower=False)
    assert "The" in cased.stoi and "the" in cased.stoi
    assert cased.encode("THE") == [cased.unk_id]
