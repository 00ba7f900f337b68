"""minigrad.nn: layers, losses and the Module system, with PyTorch's names.

Used as in PyTorch:

    import minigrad.nn as nn
    import minigrad.nn.functional as F

    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    loss = nn.BCEWithLogitsLoss()(model(x), y)
"""

from minigrad.nn import functional, init, utils
from minigrad.nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minigrad.nn.attention import KVCache, MultiHeadAttention
from minigrad.nn.containers import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from minigrad.nn.dropout import Dropout
from minigrad.nn.embedding import Embedding
from minigrad.nn.flatten import Flatten
from minigrad.nn.linear import Identity, Linear
from minigrad.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from minigrad.nn.module import Module, Parameter
from minigrad.nn.normalization import LayerNorm
from minigrad.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from minigrad.nn.transformer import (
    FeedForward,
    PositionalEmbedding,
    SinusoidalPositionalEncoding,
    TransformerBlock,
)

# isort: split
# Convolutional networks
from minigrad.nn.batchnorm import BatchNorm1d, BatchNorm2d
from minigrad.nn.conv import Conv1d, Conv2d, Dropout2d
from minigrad.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)

__all__ = [
    "functional", "init", "utils",
    "Module", "Parameter",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Linear", "Identity", "Flatten", "Embedding", "Dropout", "LayerNorm",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",
    "RNNCell", "GRUCell", "LSTMCell", "RNN", "GRU", "LSTM",
    "MultiHeadAttention", "KVCache", "FeedForward", "TransformerBlock",
    "PositionalEmbedding", "SinusoidalPositionalEncoding",
    "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
]  # fmt: skip
__all__ += [
    "Conv1d", "Conv2d", "Dropout2d", "BatchNorm1d", "BatchNorm2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
]  # fmt: skip
