"""Bad input to the convolutional layers and ops: clear errors that name the layer (or op), the
argument and the shapes -- never a raw NumPy error."""

import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def _raises(error, match, fn, *args, **kwargs):
    with pytest.raises(error, match=match):
        fn(*args, **kwargs)


# --- wrong input rank -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer, shape, expected",
    [
        (nn.Conv2d(3, 4, 3), (3, 8, 8), r"Conv2d\(3, 4.*4-d input \(N, C, H, W\).*\(3, 8, 8\)"),
        (nn.Conv1d(3, 4, 3), (2, 3, 8, 8), r"Conv1d\(3, 4.*3-d input \(N, C, L\).*\(2, 3, 8, 8\)"),
        (nn.MaxPool2d(2), (4, 4), r"MaxPool2d\(kernel_size=2.*4-d input.*\(4, 4\)"),
        (nn.AvgPool1d(2), (4, 4), r"AvgPool1d\(kernel_size=2.*3-d input.*\(4, 4\)"),
        (nn.AdaptiveAvgPool2d(1), (2, 3, 4), r"AdaptiveAvgPool2d\(output_size=1\).*\(2, 3, 4\)"),
        (nn.BatchNorm2d(3), (2, 3, 4), r"BatchNorm2d\(3.*\(N, C, H, W\).*\(2, 3, 4\)"),
        (nn.BatchNorm1d(3), (3,), r"BatchNorm1d\(3.*\(N, C\) or \(N, C, L\).*\(3,\)"),
    ],
)
def test_wrong_input_rank_names_the_layer_and_shape(layer, shape, expected):
    _raises(ValueError, expected, layer, mg.randn(*shape))


# --- channels that do not match the layer ------------------------------------------------------


@pytest.mark.parametrize(
    "layer, shape, expected",
    [
        (nn.Conv2d(3, 4, 3), (2, 5, 8, 8), r"Conv2d\(3, 4.*expected 3 input channels.*5"),
        (nn.Conv1d(2, 4, 3, groups=2), (1, 4, 8), r"Conv1d\(2, 4.*expected 2 input channels"),
        (nn.BatchNorm2d(3), (2, 4, 5, 5), r"BatchNorm2d\(3.*expected 3 channels.*\(2, 4, 5, 5\)"),
    ],
)
def test_channel_mismatch_names_the_layer_and_shapes(layer, shape, expected):
    _raises(ValueError, expected, layer, mg.randn(*shape))


def test_functional_channel_mismatch_names_weight_and_input():
    _raises(
        ValueError,
        r"conv2d: the input has 5 channels \(shape \(1, 5, 4, 4\)\) but the weight "
        r"\(2, 3, 3, 3\) with groups=1 expects 3",
        F.conv2d, mg.randn(1, 5, 4, 4), mg.randn(2, 3, 3, 3),
    )  # fmt: skip


# --- kernels larger than the padded input ------------------------------------------------------


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: nn.Conv2d(1, 1, 5)(mg.randn(1, 1, 4, 8)),
         r"Conv2d\(1, 1, kernel_size=\(5, 5\).*larger than the padded input \(4, 8\)"),
        (lambda: nn.Conv1d(1, 1, 3, dilation=3)(mg.randn(1, 1, 6)),
         r"Conv1d.*kernel size \(3,\) \(spanning \(7,\) with dilation \(3,\)\).*\(6,\)"),
        (lambda: nn.MaxPool2d(5, padding=1)(mg.randn(1, 1, 2, 2)),
         r"MaxPool2d\(kernel_size=5.*larger than the padded input \(4, 4\)"),
        (lambda: F.avg_pool1d(mg.randn(1, 1, 2), 3),
         r"avg_pool1d: kernel size \(3,\).*larger than the padded input \(2,\)"),
    ],
)  # fmt: skip
def test_kernel_larger_than_padded_input(call, expected):
    _raises(ValueError, expected, call)


# --- non-integer strides and other bad arguments ------------------------------------------------


@pytest.mark.parametrize(
    "make, error, expected",
    [
        (lambda: nn.Conv2d(3, 4, 3, stride=1.5), TypeError,
         r"Conv2d: stride must be an int or a tuple of 2 ints, got 1\.5"),
        (lambda: nn.Conv1d(3, 4, 3, stride=(1, 2)), TypeError,
         r"Conv1d: stride must be an int or a tuple of 1 ints"),
        (lambda: nn.Conv2d(3, 4, 3, stride=0), ValueError, r"Conv2d: stride must be >= 1"),
        (lambda: nn.Conv2d(3, 4, 2.0), TypeError, r"Conv2d: kernel_size must be an int"),
        (lambda: nn.Conv2d(3, 4, 3, stride=True), TypeError, r"Conv2d: stride must be an int"),
        (lambda: nn.Conv2d(3, 4, 3, padding=-1), ValueError, r"Conv2d: padding must be >= 0"),
        (lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError, r"Conv2d: padding must be"),
        (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError,
         r"Conv2d: padding='same' needs stride 1"),
        (lambda: nn.Conv2d(3, 4, 3, padding_mode="reflect"), NotImplementedError,
         r"Conv2d: padding_mode='reflect'"),
        (lambda: nn.MaxPool2d(2, stride=0.5)(mg.randn(1, 1, 4, 4)), TypeError,
         r"MaxPool2d.*stride must be an int"),
        (lambda: F.max_pool2d(mg.randn(1, 1, 4, 4), 2, padding=2), ValueError,
         r"max_pool2d: padding \(2, 2\) must be at most half the kernel size \(2, 2\)"),
        (lambda: F.conv1d(mg.randn(1, 2, 8), mg.randn(2, 2, 3), stride=2.0), TypeError,
         r"conv1d: stride must be an int"),
    ],
)  # fmt: skip
def test_bad_arguments(make, error, expected):
    _raises(error, expected, make)


# --- groups not dividing channels --------------------------------------------------------------


def test_groups_must_divide_channels():
    _raises(ValueError, r"Conv2d: groups=2 must divide in_channels \(3\) and out_channels \(4\)",
            nn.Conv2d, 3, 4, 3, groups=2)  # fmt: skip
    _raises(ValueError, r"Conv1d: groups=3 must divide in_channels \(6\) and out_channels \(4\)",
            nn.Conv1d, 6, 4, 3, groups=3)  # fmt: skip
    _raises(ValueError, r"conv2d: groups=2 must divide both the input channels \(3\)",
            F.conv2d, mg.randn(1, 3, 4, 4), mg.randn(4, 1, 3, 3), groups=2)  # fmt: skip
    _raises(ValueError, r"Conv2d: groups must be a positive int, got 0", nn.Conv2d, 2, 2, 1,
            groups=0)  # fmt: skip


# --- dtypes, devices, batch norm specifics -------------------------------------------------------


def test_dtype_mismatch_is_named():
    _raises(TypeError, r"conv2d: input is float32 but weight is float64", F.conv2d,
            mg.randn(1, 1, 4, 4), mg.randn(1, 1, 3, 3, dtype=mg.float64))  # fmt: skip
    _raises(TypeError, r"conv2d: input must be a floating-point tensor, got int64", F.conv2d,
            mg.ones(1, 1, 4, 4, dtype=mg.int64), mg.randn(1, 1, 3, 3))  # fmt: skip


def test_bias_shape_is_checked():
    _raises(ValueError, r"conv1d: bias must have shape \(2,\), got \(3,\)", F.conv1d,
            mg.randn(1, 1, 5), mg.randn(2, 1, 3), mg.randn(3))  # fmt: skip


def test_batch_norm_needs_more_than_one_value_per_channel_when_training():
    _raises(ValueError, r"batch_norm: expected more than 1 value per channel when training, got "
            r"input of shape \(1, 3\)", nn.BatchNorm1d(3), mg.randn(1, 3))  # fmt: skip
    nn.BatchNorm1d(3).eval()(mg.randn(1, 3))  # fine in eval: running statistics


def test_batch_norm_functional_checks_shapes():
    _raises(ValueError, r"batch_norm: running_mean must be a tensor of shape \(3,\)", F.batch_norm,
            mg.randn(2, 3), mg.zeros(4), mg.ones(3))  # fmt: skip
    _raises(ValueError, r"training=False\) needs running_mean", F.batch_norm, mg.randn(2, 3),
            None, None)  # fmt: skip


def test_unsupported_options_say_so():
    _raises(NotImplementedError, r"MaxPool2d: ceil_mode=True is not supported", nn.MaxPool2d, 2,
            ceil_mode=True)  # fmt: skip
    _raises(NotImplementedError, r"avg_pool2d: divisor_override", F.avg_pool2d,
            mg.randn(1, 1, 4, 4), 2, divisor_override=3)  # fmt: skip
