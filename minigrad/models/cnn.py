"""Convolutional networks (document 003: the deep networks behind vision), small enough to train
on a laptop CPU. One file, small named modules, shapes in comments. Each works on 1-D signals
(dims=1: input (N, C, L), e.g. MNIST-1D) or on 2-D images (dims=2: input (N, C, H, W)).

    VGG          Simonyan & Zisserman 2014: stacks of 3-wide convolutions + ReLU, then a 2x max
                 pool that halves the resolution while the channels double.
    BasicBlock   He et al. 2015: two 3-wide conv + BatchNorm layers whose output is ADDED to the
                 block's input (the shortcut). A 1x1 conv + BatchNorm projects the shortcut when
                 the block changes the channels or the resolution; otherwise it is the identity.
    ResNet       a stem, stages of BasicBlocks (each stage after the first halves the resolution
                 and doubles the channels), global average pooling, a Linear classifier.

Why the shortcut: a block computes x + F(x), so dL/dx = dL/dy · (1 + dF/dx): the gradient
reaches early layers through the "1" even when dF/dx is small. `ResNet(..., skip=False)` builds
the same network without shortcuts, for the comparison in lessons/12_convolutions.py.
"""

from minigrad.nn.activation import ReLU
from minigrad.nn.batchnorm import BatchNorm1d, BatchNorm2d
from minigrad.nn.containers import Sequential
from minigrad.nn.conv import Conv1d, Conv2d
from minigrad.nn.flatten import Flatten
from minigrad.nn.linear import Identity, Linear
from minigrad.nn.module import Module
from minigrad.nn.pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, MaxPool1d, MaxPool2d

# The layer classes for 1-D signals and 2-D images: the models below are written once for both.
LAYERS = {
    1: {"conv": Conv1d, "bn": BatchNorm1d, "pool": MaxPool1d, "gap": AdaptiveAvgPool1d},
    2: {"conv": Conv2d, "bn": BatchNorm2d, "pool": MaxPool2d, "gap": AdaptiveAvgPool2d},
}


def _layers(dims):
    if dims not in LAYERS:
        raise ValueError(f"dims must be 1 (signals) or 2 (images), got {dims!r}")
    return LAYERS[dims]


# ----------------------------------------------------------------------------------------------
# VGG
# ----------------------------------------------------------------------------------------------


class VGGBlock(Module):
    """n_convs x (conv 3, padding 1 -> [BatchNorm] -> ReLU), then max pool 2.
    (N, c_in, S) -> (N, c_out, S / 2), S the length (or height and width)."""

    def __init__(self, c_in, c_out, n_convs=2, dims=2, batch_norm=True):
        super().__init__()
        L = _layers(dims)
        layers = []
        for i in range(n_convs):
            layers.append(L["conv"](c_in if i == 0 else c_out, c_out, 3, padding=1))
            layers.append(L["bn"](c_out) if batch_norm else Identity())
            layers.append(ReLU())
        self.convs = Sequential(*layers)
        self.pool = L["pool"](2)

    def forward(self, x):
        x = self.convs(x)  # (N, c_out, S): padding 1 keeps the size
        return self.pool(x)  # (N, c_out, S / 2)


class VGG(Module):
    """A small VGG: blocks of widths[i] channels, global average pooling, a Linear classifier.

    x (N, in_channels, S) -> logits (N, num_classes). Each block halves S, so S must be at least
    2 ** len(widths).
    """

    def __init__(self, in_channels, num_classes, widths=(16, 32), n_convs=2, dims=2,
                 batch_norm=True):  # fmt: skip
        super().__init__()
        L = _layers(dims)
        blocks, c_in = [], in_channels
        for width in widths:
            blocks.append(VGGBlock(c_in, width, n_convs, dims, batch_norm))
            c_in = width
        self.features = Sequential(*blocks)
        self.pool = L["gap"](1)
        self.flatten = Flatten()
        self.classifier = Linear(c_in, num_classes)

    def forward(self, x):
        x = self.features(x)  # (N, widths[-1], S / 2^len(widths))
        x = self.flatten(self.pool(x))  # (N, widths[-1]): one average per channel
        return self.classifier(x)  # (N, num_classes)


# ----------------------------------------------------------------------------------------------
# ResNet
# ----------------------------------------------------------------------------------------------


class BasicBlock(Module):
    """y = relu( bn(conv(relu(bn(conv(x))))) + shortcut(x) ).

    (N, c_in, S) -> (N, c_out, S / stride). The shortcut is the identity when the shapes agree,
    else a 1x1 conv with the same stride + BatchNorm (the "projection shortcut", option B of
    He et al.). skip=False drops the shortcut: a plain two-layer block.
    """

    def __init__(self, c_in, c_out, stride=1, dims=2, skip=True):
        super().__init__()
        L = _layers(dims)
        self.conv1 = L["conv"](c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = L["bn"](c_out)
        self.relu = ReLU()
        self.conv2 = L["conv"](c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = L["bn"](c_out)
        self.skip = skip
        if skip and (stride != 1 or c_in != c_out):
            self.shortcut = Sequential(
                L["conv"](c_in, c_out, 1, stride=stride, bias=False), L["bn"](c_out)
            )
        else:
            self.shortcut = Identity()

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))  # (N, c_out, S / stride)
        out = self.bn2(self.conv2(out))  # (N, c_out, S / stride)
        if self.skip:
            out = out + self.shortcut(x)  # the residual connection: F(x) + x
        return self.relu(out)


class ResNet(Module):
    """A small ResNet: stem conv 3 -> BN -> ReLU, then one stage per width (blocks_per_stage
    BasicBlocks; every stage but the first starts with stride 2), global average pooling, Linear.

    x (N, in_channels, S) -> logits (N, num_classes).
    """

    def __init__(self, in_channels, num_classes, widths=(16, 32, 64), blocks_per_stage=1, dims=2,
                 skip=True):  # fmt: skip
        super().__init__()
        L = _layers(dims)
        self.stem = Sequential(
            L["conv"](in_channels, widths[0], 3, padding=1, bias=False), L["bn"](widths[0]), ReLU()
        )
        blocks, c_in = [], widths[0]
        for stage, width in enumerate(widths):
            for i in range(blocks_per_stage):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(c_in, width, stride, dims, skip))
                c_in = width
        self.blocks = Sequential(*blocks)
        self.pool = L["gap"](1)
        self.flatten = Flatten()
        self.fc = Linear(c_in, num_classes)

    def forward(self, x):
        x = self.stem(x)  # (N, widths[0], S)
        x = self.blocks(x)  # (N, widths[-1], S / 2^(len(widths) - 1))
        x = self.flatten(self.pool(x))  # (N, widths[-1])
        return self.fc(x)  # (N, num_classes)
