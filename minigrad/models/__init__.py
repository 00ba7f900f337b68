"""Complete models built from minigrad.nn, one readable file each (nanoGPT-style).

gpt.py    GPT                 decoder-only Transformer language model, KV-cached generate (S4)
bert.py   BERT, BertMLM,      bidirectional encoder, masked-LM + next-sentence pre-training
          BertClassifier      (F14, errata fixed) and a classifier for fine-tuning (S5)
lstm.py   LSTMClassifier,     the documents' LSTM systems (S1, S3 with its erratum fixed)
          LSTMLanguageModel
cnn.py    VGG, ResNet,        convolutional networks for 1-D signals and 2-D images
          BasicBlock          (document 003's vision networks)
"""

from minigrad.models.bert import BERT, BertClassifier, BertMLM, mask_tokens, mlm_loss, nsp_loss
from minigrad.models.gpt import GPT, sample_next_token
from minigrad.models.lstm import LSTMClassifier, LSTMLanguageModel

# isort: split
from minigrad.models.cnn import VGG, BasicBlock, ResNet, VGGBlock

__all__ = [
    "GPT", "sample_next_token",
    "BERT", "BertMLM", "BertClassifier", "mask_tokens", "mlm_loss", "nsp_loss",
    "LSTMClassifier", "LSTMLanguageModel",
]  # fmt: skip
__all__ += ["VGG", "VGGBlock", "ResNet", "BasicBlock"]
