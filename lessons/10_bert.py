# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 10 — BERT-style pre-training, then fine-tuning
#
# **Formulas:** F14 (the pre-training loss, and its two errata), S5 (BERT pre-trained, then
# fine-tuned as a classifier), F2, F3
#
# GPT (lesson 8) reads left to right and predicts the next token. BERT reads the whole
# sentence at once — every position attends to every other — so "predict the next token" would
# be cheating: it could just look. BERT is pre-trained on two other tasks instead, then the
# same encoder is fine-tuned for the task we care about. Everything here runs on a small
# synthetic language so that it trains in seconds.

# %%
import os

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.models import BertClassifier, BertMLM, mask_tokens, mlm_loss, nsp_loss

FAST = os.environ.get("MINIGRAD_FAST") == "1"
PRETRAIN_STEPS = 100 if FAST else 700
FINETUNE_STEPS = 40 if FAST else 100
OUT = viz.lesson_output_dir("10_bert")
minigrad.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A tiny language
#
# Words are the numbers 0–9 (token ids 4–13). A "document" counts around a clock of 10 in steps
# of $\pm1$, $\pm2$ or $\pm3$: `3 5 7 9 1 3 5 ...`. A sentence is 5 consecutive words. The
# special tokens: `[PAD]` (unused here), `[CLS]` (its output summarises the input), `[SEP]`
# (ends a sentence) and `[MASK]`. A pre-training example is a pair of sentences:
#
# `[CLS] A1 A2 A3 A4 A5 [SEP] B1 B2 B3 B4 B5 [SEP]`, with segment ids 0 for A and 1 for B.

# %%
PAD, CLS, SEP, MASK = 0, 1, 2, 3
SPECIAL = [PAD, CLS, SEP]
WORDS, SENTENCE = 10, 5
VOCAB = 4 + WORDS
STEPS = np.array([1, 2, 3, -1, -2, -3])


def sentences(start, step, offset):
    """Rows of SENTENCE words: (start + step * (offset + i)) mod 10, as token ids."""
    positions = offset + np.arange(SENTENCE)
    return 4 + (start[:, None] + step[:, None] * positions) % WORDS


def pretraining_batch(rng, n):
    """Sentence pairs; half the B's follow their A, half come from another document."""
    start, step = rng.integers(0, WORDS, n), rng.choice(STEPS, n)
    A = sentences(start, step, 0)
    follows = sentences(start, step, SENTENCE)
    other = sentences(rng.integers(0, WORDS, n), rng.choice(STEPS, n), 0)
    is_next = rng.random(n) < 0.5
    B = np.where(is_next[:, None], follows, other)
    is_next = (B == follows).all(axis=1)  # a random B that happens to follow A does follow it
    ids = np.concatenate(
        [np.full((n, 1), CLS), A, np.full((n, 1), SEP), B, np.full((n, 1), SEP)], axis=1
    )
    segments = np.concatenate([np.zeros((n, SENTENCE + 2)), np.ones((n, SENTENCE + 1))], axis=1)
    return (
        minigrad.tensor(ids),
        minigrad.tensor(segments.astype(np.int64)),
        minigrad.tensor(is_next.astype(np.float32)),
    )


ids, segments, is_next = pretraining_batch(rng, 4)
NAMES = ["[PAD]", "[CLS]", "[SEP]", "[MASK]"] + [str(w) for w in range(WORDS)]


def show(row):
    return " ".join(NAMES[i] for i in row)


for row, label in zip(ids.tolist(), is_next.tolist()):
    print(f"{show(row):<50} B follows A: {bool(label)}")

# %% [markdown]
# ## 2. Masking (MLM)
#
# *Masked language model*: choose 15% of the ordinary tokens; replace 80% of the chosen ones by
# `[MASK]`, 10% by a random word, and leave 10% unchanged (so the model cannot rely on
# `[MASK]` marking every position it is asked about). The labels keep the original token at the
# chosen positions and $-100$ ("no loss here") everywhere else.
#
# **Predict, then run.** Over 4000 pairs, what fraction of the chosen tokens will the model see
# unchanged in its input: exactly 10%, a little more, or a little less?

# %%
example_masked, example_labels = mask_tokens(ids, VOCAB, MASK, special_ids=SPECIAL)
print(show(ids.tolist()[0]))
print(show(example_masked.tolist()[0]))
print("labels:", example_labels.tolist()[0])

big_ids, _, _ = pretraining_batch(np.random.default_rng(1), 4000)
big_masked, big_labels = mask_tokens(big_ids, VOCAB, MASK, special_ids=SPECIAL)
chosen = big_labels.numpy() != -100
ordinary = ~np.isin(big_ids.numpy(), SPECIAL)
fraction_chosen = chosen.sum() / ordinary.sum()
became_mask = (big_masked.numpy()[chosen] == MASK).mean()
unchanged = (big_masked.numpy()[chosen] == big_ids.numpy()[chosen]).mean()
print(
    f"chosen {fraction_chosen:.3f} of the ordinary tokens; of those {became_mask:.3f} became "
    f"[MASK], {unchanged:.3f} stayed the same"
)

# %% [markdown]
# A little more: about 11%. The 10% kept, plus the 10% replaced by a random word, which is one
# of the 10 words, so it is the original word again one time in 10: $0.1 + 0.1 \cdot 0.1 =
# 0.11$. With a real vocabulary of 30,000 words the second part is negligible; in a toy
# language it is not.

# %% [markdown]
# ## 3. The loss (F14), corrected
#
# $$\mathcal L = \mathcal L_\text{MLM} + \mathcal L_\text{NSP}$$
#
# **MLM.** A masked position must pick *one* word out of the vocabulary: a softmax over the
# vocabulary and the cross-entropy of F2, **at the masked positions only**. Document 004 writes
# it as a per-word binary cross-entropy. Two things go wrong with that reading. A yes/no
# sigmoid per vocabulary entry does not make the candidates compete (their probabilities need
# not add up to one); and a loss over *every* word rewards copying the visible ones, which a
# bidirectional model can see — a trivial task that dilutes the real one. (We measure that
# dilution after training, below.)
#
# **NSP.** Next-sentence prediction: a logit $z$ from the `[CLS]` output, $p = \sigma(z)$, and
# the binary cross-entropy of F3 with $y = 1$ when B follows A. Document 004 writes
# $\mathcal L_\text{NSP} = -\frac1N\sum(\log p + \log(1-p))$ without the label (lesson 3 shows
# it trains every prediction to 0.5). Against the definition, on one batch:

# %%
logits_example = minigrad.tensor(np.random.default_rng(2).standard_normal(8) * 2)
labels_example = minigrad.tensor([1.0, 0, 1, 1, 0, 0, 1, 0])
p_example = logits_example.sigmoid()


def nsp_document(p):
    return -(p.log() + (1 - p).log()).mean()


nsp_as_printed = {name: nsp_document(p_example).item() for name in ("labels", "flipped labels")}
nsp_corrected = {
    "labels": nsp_loss(logits_example, labels_example).item(),
    "flipped labels": nsp_loss(logits_example, 1 - labels_example).item(),
}
print("document's NSP loss:", nsp_as_printed)
print("corrected NSP loss: ", nsp_corrected)

# %% [markdown]
# ## 4. Pre-training
#
# `BertMLM` is the encoder (`BERT`) with the two heads. We use pre-LN blocks (lesson 7: stable
# at a larger learning rate) and no dropout — this toy language is small, clean and unlimited,
# so there is nothing to overfit.

# %%
model = BertMLM(VOCAB, max_len=16, n_layer=2, n_head=4, d_model=64, dropout=0.0, norm_first=True)
optimizer = minigrad.optim.Adam(model.parameters(), lr=3e-3)
test_ids, test_segments, test_is_next = pretraining_batch(np.random.default_rng(5), 500)
minigrad.manual_seed(5)
test_inputs, test_labels = mask_tokens(test_ids, VOCAB, MASK, special_ids=SPECIAL)


def evaluate():
    """MLM accuracy at the masked positions and NSP accuracy, on a fixed test batch."""
    model.eval()
    with minigrad.no_grad():
        mlm_logits, nsp_logits, _ = model(test_inputs, test_segments)
    model.train()
    masked = test_labels.numpy() != -100
    mlm = (mlm_logits.numpy().argmax(-1)[masked] == test_labels.numpy()[masked]).mean()
    nsp = ((nsp_logits.numpy() > 0) == test_is_next.numpy().astype(bool)).mean()
    return float(mlm), float(nsp)


history = {"MLM + NSP loss": []}
accuracy = {"MLM accuracy": [], "NSP accuracy": []}
checkpoints = []
minigrad.manual_seed(0)
for step in range(PRETRAIN_STEPS):
    ids, segments, is_next = pretraining_batch(rng, 64)
    inputs, labels = mask_tokens(ids, VOCAB, MASK, special_ids=SPECIAL)
    _, _, loss = model(inputs, segments, mlm_labels=labels, is_next=is_next)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    history["MLM + NSP loss"].append(loss.item())
    if step % max(1, PRETRAIN_STEPS // 10) == 0 or step == PRETRAIN_STEPS - 1:
        mlm_accuracy, nsp_accuracy = evaluate()
        checkpoints.append(step)
        accuracy["MLM accuracy"].append(mlm_accuracy)
        accuracy["NSP accuracy"].append(nsp_accuracy)
        print(
            f"step {step:4d}  loss {loss.item():.3f}  MLM accuracy {mlm_accuracy:.2f}  "
            f"NSP accuracy {nsp_accuracy:.2f}"
        )

plt = viz.pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
viz.plot_loss_curves(history, ax=left, title="pre-training loss")
for name, values in accuracy.items():
    right.plot(checkpoints, values, marker="o", label=name)
right.axhline(1 / WORDS, color="grey", linestyle=":", label="MLM chance")
right.axhline(0.5, color="grey", linestyle="--", label="NSP chance")
right.set_xlabel("step")
right.set_title("pre-training accuracy (test batch)")
right.legend()
viz.save_figure(fig, OUT / "pretraining.png")

# %% [markdown]
# **Predict, then run.** Take the trained model and the test batch, and compute the MLM
# cross-entropy twice: at the masked positions only (the corrected F14), and averaged over every
# word, as a loss over all positions would. Which is lower, and why?

# %%
model.eval()
with minigrad.no_grad():
    mlm_logits, _, _ = model(test_inputs, test_segments)
model.train()
every_word = test_ids.numpy().copy()
every_word[np.isin(every_word, SPECIAL)] = -100  # all ordinary words get a label
loss_masked_only = mlm_loss(mlm_logits, test_labels).item()
loss_every_word = mlm_loss(mlm_logits, minigrad.tensor(every_word)).item()
print(
    f"MLM loss at the masked positions: {loss_masked_only:.3f};  averaged over every word: "
    f"{loss_every_word:.3f}"
)

# %% [markdown]
# The loss over every word is much lower, but not because the model got better: 85% of the
# positions are visible words, which the model sees and only has to copy. Averaging over all
# of them makes the loss look better than the model is at the real task, and a model trained
# on it spends most of its training signal on the trivial part.

# %% [markdown]
# **The per-word BCE, trained as printed.** Reading sigmoids off logits that a softmax trained
# says little about document 004's formula. So train it: two output heads (a linear layer from
# the encoder's 64 features to the vocabulary) on the same frozen, pre-trained encoder, the
# same masked positions and the same steps; one with the softmax cross-entropy (F2), one with
# the per-word binary cross-entropy of 004 (a sigmoid per vocabulary entry, target 1 for the
# right word and 0 for every other).
#
# **Predict, then run.** Which head picks the right word more often? And do the per-word
# head's probabilities at one position add up to one?


# %%
def masked_features(seed, n):
    """The frozen encoder's features at the masked positions of n fresh pairs, and the words."""
    ids, segments, _ = pretraining_batch(np.random.default_rng(seed), n)
    minigrad.manual_seed(seed)
    inputs, labels = mask_tokens(ids, VOCAB, MASK, special_ids=SPECIAL)
    with minigrad.no_grad():
        hidden, _ = model.bert(inputs, segments)  # (n, T, 64)
    where = labels.numpy() != -100
    return minigrad.tensor(hidden.numpy()[where]), minigrad.tensor(labels.numpy()[where])


model.eval()
train_features, train_words = masked_features(11, 400)
test_features, test_words = masked_features(12, 200)
heads = {}
for loss_name in ("softmax cross-entropy", "per-word BCE (004)"):
    minigrad.manual_seed(3)  # the same initial head for both
    head = minigrad.nn.Linear(train_features.shape[1], VOCAB)
    head_optimizer = minigrad.optim.Adam(head.parameters(), lr=1e-2)
    one_hot = F.one_hot(train_words, VOCAB).float()
    for _ in range(100 if FAST else 300):
        logits = head(train_features)  # (positions, V)
        if loss_name.startswith("softmax"):
            head_loss = F.cross_entropy(logits, train_words)
        else:  # every vocabulary entry is its own yes/no question
            head_loss = F.binary_cross_entropy_with_logits(logits, one_hot)
        head_optimizer.zero_grad()
        head_loss.backward()
        head_optimizer.step()
    with minigrad.no_grad():
        test_logits = head(test_features)
    probabilities = (
        test_logits.softmax(-1) if loss_name.startswith("softmax") else test_logits.sigmoid()
    )
    sums = probabilities.sum(-1).numpy()
    accuracy_at_mask = float((test_logits.numpy().argmax(-1) == test_words.numpy()).mean())
    heads[loss_name] = (accuracy_at_mask, sums)
    print(
        f"{loss_name:<22} accuracy {accuracy_at_mask:.2f};  probabilities at one position add "
        f"up to {sums.min():.2f} ... {sums.max():.2f}"
    )
model.train()

# %% [markdown]
# The per-word head can still rank the right word first — each sigmoid learns "is it this
# word?" — but its numbers are not a distribution: at some positions they add up to far less
# than one (no word is likely), at others to more (several are). Nothing makes the candidates
# compete, so they cannot be read as "the probability that the masked word is w", which is what
# sampling a word or measuring perplexity needs. The softmax's add up to one by construction.

# %% [markdown]
# ## 5. Fine-tuning a classifier (S5)
#
# The task we care about: *is there a wrong word in this sentence?* Half the sentences have one
# word (not the first) replaced by another — like a grammar check. We have 256 labelled
# sentences. `BertClassifier` puts dropout (0.1, as in S5) and one linear layer on the
# encoder's pooled `[CLS]` output, and the whole thing is trained with Adam. (The documents
# fine-tune a full-size BERT at lr 2e-5; our tiny one can take 1e-3.) To see what
# pre-training buys, the same classifier is also trained from a freshly initialised encoder.
#
# **Predict, then run.** The pre-trained encoder will do well. The fresh one is the same
# network, with the same 256 sentences, steps and learning rate. Its test accuracy: about the
# same, somewhat lower (around 80%), or not far above chance (50%)?


# %%
def classification_data(rng, n):
    """Single sentences; label 1 when one word was replaced by a different one."""
    start, step = rng.integers(0, WORDS, n), rng.choice(STEPS, n)
    words = sentences(start, step, 0)
    wrong = rng.random(n) < 0.5
    position = rng.integers(1, SENTENCE, n)
    replaced = 4 + (words[np.arange(n), position] - 4 + rng.integers(1, WORDS, n)) % WORDS
    words[np.arange(n), position] = np.where(wrong, replaced, words[np.arange(n), position])
    ids = np.concatenate([np.full((n, 1), CLS), words, np.full((n, 1), SEP)], axis=1)
    return minigrad.tensor(ids), minigrad.tensor(wrong.astype(np.int64))


train_x, train_y = classification_data(np.random.default_rng(10), 256)
test_x, test_y = classification_data(np.random.default_rng(11), 500)
print(show(train_x.tolist()[0]), "-> wrong word:", bool(train_y[0].item()))


def fine_tune(encoder):
    minigrad.manual_seed(1)
    classifier = BertClassifier(encoder, num_classes=2, dropout=0.1)
    optimizer = minigrad.optim.Adam(classifier.parameters(), lr=1e-3)
    losses = []
    for _ in range(FINETUNE_STEPS):
        loss = F.cross_entropy(classifier(train_x), train_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    classifier.eval()
    with minigrad.no_grad():
        predicted = classifier(test_x).argmax(axis=-1)
    return losses, float((predicted.numpy() == test_y.numpy()).mean())


minigrad.manual_seed(3)
fresh = BertMLM(VOCAB, max_len=16, n_layer=2, n_head=4, d_model=64, dropout=0.0, norm_first=True)
fine_tuned = {"pre-trained encoder": fine_tune(model.bert), "fresh encoder": fine_tune(fresh.bert)}
for name, (losses, test_accuracy) in fine_tuned.items():
    print(f"{name:<20} final loss {losses[-1]:.3f}  test accuracy {test_accuracy:.1%}")
viz.plot_loss_curves(
    {name: run[0] for name, run in fine_tuned.items()},
    OUT / "fine_tuning.png",
    title="fine-tuning on 256 labelled sentences",
)

# %% [markdown]
# Not far above chance. From scratch, 256 sentences are too few to learn which word may follow
# which: the fresh encoder's training loss falls slowly, and what it learns from those sentences
# carries over little to new ones. Masked-word prediction had already taught the pre-trained
# encoder which word fits where, from unlimited unlabelled text; fine-tuning only has to read
# that out. That is the whole point of pre-training: labels are scarce, raw text is not.

# %% [markdown]
# ## Check yourself
#
# Three questions first; cover the answers.
#
# 1. Why can BERT not be pre-trained to predict the next token, as GPT is?
#
#    *Answer:* every position attends to every other, so it would see the token it must
#    predict.
# 2. Why are 10% of the chosen tokens left unchanged rather than all replaced by `[MASK]`?
#
#    *Answer:* `[MASK]` never appears in fine-tuning; the model must make a useful
#    representation of every token, not only of the masked ones.
# 3. Trained with document 004's NSP loss, which has no label, where does every prediction
#    $p$ end up?
#
#    *Answer:* at 0.5: its gradient $2\sigma(z) - 1$ is zero there, whatever the truth.

# %%
assert abs(fraction_chosen - 0.15) < 0.01 and abs(became_mask - 0.8) < 0.03
assert 0.09 < unchanged < 0.14  # 10% kept, plus random words that happen to be the original
assert abs(unchanged - (0.1 + 0.1 / WORDS)) < 0.01, "kept, or replaced by the same word"
assert nsp_as_printed["labels"] == nsp_as_printed["flipped labels"], "no label, no signal"
assert nsp_corrected["labels"] != nsp_corrected["flipped labels"]
definition = -np.mean(
    np.log(np.where(labels_example.numpy() == 1, p_example.numpy(), 1 - p_example.numpy()))
)
assert abs(nsp_corrected["labels"] - definition) < 1e-6
first, last = np.mean(history["MLM + NSP loss"][:10]), np.mean(history["MLM + NSP loss"][-10:])
assert last < first - (0.3 if FAST else 1.0), "pre-training lowered the loss"
assert accuracy["MLM accuracy"][-1] > (0.2 if FAST else 0.5), "MLM beats chance (0.1)"
# NSP needs a few hundred steps to take off (see the plot); in fast mode we only check that the
# head is not inverted.
assert accuracy["NSP accuracy"][-1] > (0.4 if FAST else 0.65), "NSP beats chance (0.5)"
assert loss_every_word < 0.8 * loss_masked_only, "an all-positions loss hides the real task"
softmax_sums, bce_sums = heads["softmax cross-entropy"][1], heads["per-word BCE (004)"][1]
assert np.allclose(softmax_sums, 1.0, atol=1e-5), "a softmax is a distribution"
assert np.abs(bce_sums - 1.0).max() > 0.05, "per-word sigmoids are not"
assert heads["softmax cross-entropy"][0] > 2 / WORDS, "the head learned the task"
pretrained_accuracy = fine_tuned["pre-trained encoder"][1]
assert pretrained_accuracy > (0.6 if FAST else 0.85)
assert pretrained_accuracy > fine_tuned["fresh encoder"][1] + 0.1, "pre-training helps"
assert fine_tuned["pre-trained encoder"][0][-1] < fine_tuned["pre-trained encoder"][0][0]
assert (OUT / "pretraining.png").stat().st_size > 1000
print("lesson 10: all checks passed")
