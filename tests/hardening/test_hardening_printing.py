"""Printing tensors: `minigrad.printing.format_tensor` (what repr(t) shows) and
`set_printoptions` (precision, threshold, edgeitems, linewidth, sci_mode), as in PyTorch.
"""

import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import printing
from minigrad.printing import format_tensor, printoptions, set_printoptions


@pytest.fixture(autouse=True)
def _default_printoptions():
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


def test_computed_tensor_shows_values_and_grad_fn():
    """Columns line up, whole numbers print as `2.`, and a computed tensor names its grad_fn."""
    x = mg.tensor([[1.0, 2.5], [3.0, 4.0]], requires_grad=True)
    assert format_tensor(x * 2) == ("tensor([[2., 5.],\n        [6., 8.]], grad_fn=<MulBackward0>)")


def test_leaf_fixed_precision_and_requires_grad():
    """Four decimals by default, one width for all entries; a leaf says requires_grad=True."""
    x = mg.tensor([1.23456, -20.5, 0.1], requires_grad=True)
    assert format_tensor(x) == "tensor([  1.2346, -20.5000,   0.1000], requires_grad=True)"


def test_scalar_int_bool_and_dtype_annotations():
    """0-d tensors print bare; int64, bool and the default float dtype are not annotated,
    every other dtype is."""
    assert format_tensor(mg.tensor(3.14159265)) == "tensor(3.1416)"
    assert format_tensor(mg.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert format_tensor(mg.tensor([True, False])) == "tensor([ True, False])"
    assert format_tensor(mg.tensor([1, 2], dtype=mg.int32)) == (
        "tensor([1, 2], dtype=minigrad.int32)"
    )
    assert format_tensor(mg.tensor([0.5], dtype=mg.float64)) == (
        "tensor([0.5000], dtype=minigrad.float64)"
    )


def test_device_is_shown_when_not_cpu():
    """A tensor off the CPU says where it is."""
    x = mg.tensor([1.0, 2.0], device="strict", requires_grad=True)
    assert format_tensor(x) == "tensor([1., 2.], device='strict', requires_grad=True)"


def test_non_finite_values():
    """nan and inf print as such, padded like the other entries."""
    x = mg.tensor([float("nan"), float("-inf"), 1.5])
    assert format_tensor(x) == "tensor([   nan,   -inf, 1.5000])"


def test_scientific_notation_is_automatic_for_wide_ranges():
    """Magnitudes more than 1000 apart, or very large or small, switch to scientific notation
    (PyTorch's rule); sci_mode=False / True force either."""
    assert format_tensor(mg.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert format_tensor(mg.tensor([2e10, 1.0])) == "tensor([2.0000e+10, 1.0000e+00])"
    assert format_tensor(mg.tensor([0.5, 2.0])) == "tensor([0.5000, 2.0000])"
    with printoptions(sci_mode=False):
        assert format_tensor(mg.tensor([1e-5, 1.0])) == "tensor([0.0000, 1.0000])"
    with printoptions(sci_mode=True, precision=2):
        assert format_tensor(mg.tensor([1.5, 2.25])) == "tensor([1.50e+00, 2.25e+00])"


def test_precision():
    """precision sets the number of decimals (rounded, not truncated)."""
    set_printoptions(precision=2)
    assert format_tensor(mg.tensor([1.23456, 2.0001])) == "tensor([1.23, 2.00])"


def test_big_tensors_are_summarised():
    """Above `threshold` elements only `edgeitems` per axis edge are shown (PyTorch's layout:
    " ..." takes the place of the hidden numbers)."""
    text = format_tensor(mg.arange(2000))
    assert text == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    with printoptions(threshold=10, edgeitems=1):
        text = format_tensor(mg.zeros(4, 5))
    assert text == ("tensor([[0.,  ..., 0.],\n        ...,\n        [0.,  ..., 0.]])")


def test_linewidth_wraps_rows():
    """No line is longer than `linewidth`, and all numbers are still there."""
    x = mg.tensor(np.linspace(0.5, 1.5, 30))
    for width in (40, 80):
        with printoptions(linewidth=width):
            text = format_tensor(x)
        assert max(len(line) for line in text.splitlines()) <= width
        assert len(re.findall(r"\d\.\d{4}", text)) == 30


def test_empty_tensor_shows_its_shape():
    """An empty tensor that is not 1-d prints its size: [] alone would not say (0, 3) from
    (3, 0); its dtype is shown unless it is the default float dtype (no numbers to tell)."""
    assert format_tensor(mg.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert format_tensor(mg.zeros(0)) == "tensor([])"
    assert format_tensor(mg.zeros(0, dtype=mg.int64)) == "tensor([], dtype=minigrad.int64)"


def test_set_printoptions_resets_and_validates():
    """As in PyTorch, an option left out keeps its value and profile="default" restores them
    all; nonsense values are a ValueError naming the option."""
    set_printoptions(precision=1, linewidth=50)
    set_printoptions(threshold=7)
    assert printing.get_printoptions()["precision"] == 1
    assert printing.get_printoptions()["linewidth"] == 50
    set_printoptions(profile="short")
    assert printing.get_printoptions()["precision"] == 2
    assert printing.get_printoptions()["edgeitems"] == 2
    set_printoptions(profile="default")
    assert printing.get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    with pytest.raises(ValueError, match="precision must be a non-negative int"):
        set_printoptions(precision=-1)
    with pytest.raises(ValueError, match="sci_mode must be None, True or False"):
        set_printoptions(sci_mode="yes")
    with pytest.raises(ValueError, match="threshold must be a non-negative int"):
        set_printoptions(threshold=1.5)


def test_printoptions_context_restores_on_error():
    """The printoptions context puts the previous options back even after an exception."""
    with pytest.raises(RuntimeError), printoptions(precision=1):
        raise RuntimeError
    assert printing.get_printoptions()["precision"] == 4


def test_repr_and_set_printoptions_are_wired():
    """repr(t) is format_tensor(t), and minigrad.set_printoptions changes it."""
    x = mg.tensor([1.23456, 2.0], requires_grad=True)
    assert repr(x) == format_tensor(x)
    assert mg.set_printoptions is set_printoptions
    mg.set_printoptions(precision=1)
    assert repr(x) == "tensor([1.2, 2.0], requires_grad=True)"


# The same tensor printed by PyTorch and by minigrad: identical text (torch. -> minigrad.).
PRINT_CASES = {
    "floats": lambda m: m.tensor([1.0, 2.0]),
    "fractions": lambda m: m.tensor([1.5, 2.25, -3.125]),
    "matrix": lambda m: m.tensor([[1.0, 2.5], [3.0, 4.0]]),
    "negative zero and whole": lambda m: m.tensor([-0.0, 2.0, -3.0]),
    "ints": lambda m: m.tensor([1, -20, 3]),
    "int32": lambda m: m.tensor([1, 2, 3], dtype=m.int32),
    "int8": lambda m: m.tensor([1, 2, 3], dtype=m.int8),
    "uint8": lambda m: m.tensor([1, 2, 3], dtype=m.uint8),
    "bools": lambda m: m.tensor([True, False]),
    "0-d float": lambda m: m.tensor(3.5),
    "0-d int": lambda m: m.tensor(3),
    "0-d bool": lambda m: m.tensor(True),
    "0-d float64": lambda m: m.tensor(1.5, dtype=m.float64),
    "empty": lambda m: m.tensor([]),
    "empty 2-d": lambda m: m.zeros(0, 3),
    "empty int": lambda m: m.tensor([], dtype=m.int64),
    "empty bool 2-d": lambda m: m.zeros(2, 0, dtype=m.bool),
    "float64": lambda m: m.tensor([1.0, 2.0], dtype=m.float64),
    "float16": lambda m: m.tensor([1.0, 2.5], dtype=m.float16),
    "requires_grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad 0-d": lambda m: m.tensor(2.0, requires_grad=True),
    "grad_fn": lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn sum": lambda m: m.tensor([1.0, 2.0], requires_grad=True).sum(),
    "grad_fn float64": lambda m: m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True) + 1,
    "summarised matrix": lambda m: m.arange(2000).reshape(40, 50) * 1.0,
    "summarised ints": lambda m: m.arange(5000),
    "summarised 3-d": lambda m: m.arange(3000).reshape(10, 15, 20),
    "scientific": lambda m: m.tensor([1e-5, 1.0, 1e5]),
    "huge whole": lambda m: m.tensor([1e9, 1.0]),
    "nan and inf": lambda m: m.tensor([float("nan"), float("inf"), -1.5]),
    "only nan": lambda m: m.tensor([float("nan"), 0.0]),
    "big": lambda m: m.tensor([123456.0, 1.0]),
    "3-d": lambda m: m.arange(8).reshape(2, 2, 2),
    "wraps": lambda m: m.arange(30) * 1.5,
    "wraps with dtype suffix": lambda m: m.arange(30, dtype=m.float64) * 1.123,
    "long ints wrap": lambda m: m.arange(40) * 1000000,
    "empty requires_grad": lambda m: m.zeros(0, requires_grad=True),
}


@pytest.mark.parametrize("case", sorted(PRINT_CASES))
def test_repr_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    expected = repr(PRINT_CASES[case](torch)).replace("torch.", "minigrad.")
    assert repr(PRINT_CASES[case](mg)) == expected


@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"precision": 6, "linewidth": 40},
        {"threshold": 5, "edgeitems": 1},
        {"threshold": 5, "edgeitems": 2},
        {"sci_mode": True},
        {"sci_mode": False},
        {"profile": "short"},
        {"profile": "full"},
    ],
)
def test_print_options_match_pytorch(options):
    torch = pytest.importorskip("torch")
    cases = ["fractions", "matrix", "scientific", "summarised 3-d", "wraps", "nan and inf"]
    try:
        torch.set_printoptions(**options)
        set_printoptions(**options)
        for case in cases:
            expected = repr(PRINT_CASES[case](torch)).replace("torch.", "minigrad.")
            assert repr(PRINT_CASES[case](mg)) == expected, case
    finally:
        torch.set_printoptions(profile="default")
