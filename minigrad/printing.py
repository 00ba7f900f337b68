"""How tensors print: `repr(t)` and `minigrad.set_printoptions`, as PyTorch prints them.

    >>> minigrad.tensor([[1.0, 2.5], [3.0, 4.0]], requires_grad=True) * 2
    tensor([[2., 5.],
            [6., 8.]], grad_fn=<MulBackward0>)

The numbers come first, then what else you need to know about the tensor, each only when it is
not the usual case: `device=` (other than "cpu"), `dtype=` (other than the default float dtype,
int64 and bool; for an empty tensor, anything but the default float dtype), `size=` (an empty
tensor that is not 1-d), `grad_fn=` (a computed tensor) or `requires_grad=True` (a leaf).

Floats are printed with the same number of decimals (`precision`) and the same width, so the
columns line up. Whole numbers print as `1.`; scientific notation (`1.0000e+08`) is used when
`sci_mode=True`, or, with `sci_mode=None` (automatic), when the largest and smallest non-zero
magnitudes are more than 1000 apart, or the largest is above 1e8 or the smallest below 1e-4.
Tensors with more than `threshold` numbers show only `edgeitems` at each end of each axis.
The rules and the layout are PyTorch's (torch/_tensor_str.py), so the same tensor prints the
same way in both, except that the dtype is written `minigrad.int32`.
"""

import contextlib
import math

import numpy as np

from minigrad import dtypes

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_options = {**_PROFILES["default"], "sci_mode": None}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Set how tensors print (as torch.set_printoptions). An option left out (None) keeps its
    value, except sci_mode, which every call sets (None: automatic).

    precision: digits after the decimal point (default 4)
    threshold: tensors with more elements than this are summarised with "..." (default 1000)
    edgeitems: how many items to show at the start and end of each summarised axis (default 3)
    linewidth: characters per line before the numbers wrap (default 80)
    profile:   "default", "short" (2 decimals, 2 edge items) or "full" (never summarise):
               all four options at once; `set_printoptions(profile="default")` restores them
    sci_mode:  True / False forces scientific / fixed notation; None chooses automatically
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}"
            )
        _options.update(_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems}
    given["linewidth"] = linewidth
    for name, value in given.items():
        if value is None or (name == "threshold" and value == math.inf):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"set_printoptions: {name} must be a non-negative int, got {value!r}")
    if sci_mode not in (None, True, False):
        raise ValueError(
            f"set_printoptions: sci_mode must be None, True or False, got {sci_mode!r}"
        )
    _options.update({name: value for name, value in given.items() if value is not None})
    _options["sci_mode"] = sci_mode


def get_printoptions():
    """The current print options, as a dict (a copy)."""
    return dict(_options)


@contextlib.contextmanager
def printoptions(**options):
    """`with minigrad.printing.printoptions(precision=2): print(t)` -- restored afterwards."""
    saved = get_printoptions()
    try:
        set_printoptions(**{**saved, **options})
        yield
    finally:
        _options.update(saved)


class _Formatter:
    """Turns each number of one tensor into text of one common width (PyTorch's rules).

    Integers and bools print as Python prints them. Floats: only the non-zero finite values
    decide the style --
        all whole numbers ("int mode")     1.   -3.   10.       (the dot says: a float tensor)
        scientific (when automatic: the largest and smallest magnitudes are more than 1000
        apart, or the largest > 1e8, or the smallest < 1e-4)     1.0000e-05
        otherwise `precision` decimals      0.5000
    """

    def __init__(self, values, precision, sci_mode):
        self.floating = values.dtype.kind == "f"
        self.precision = precision
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max([1] + [len(str(v)) for v in flat.tolist()])
            return
        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if nonzero_finite.size == 0:
            return  # zeros, inf and nan only: "0.", "inf", "nan"
        magnitudes = np.abs(nonzero_finite)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if sci_mode is None:
            sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        self.sci_mode = bool(sci_mode)
        for v in nonzero_finite.tolist():
            if self.sci_mode:
                text = f"{v:.{precision}e}"
            elif self.int_mode:
                text = f"{v:.0f}."
            else:
                text = f"{v:.{precision}f}"
            self.width = max(self.width, len(text))

    def format(self, v):
        if not self.floating:
            text = str(v)
        elif self.sci_mode:
            text = f"{v:.{self.precision}e}"
        elif self.int_mode:
            text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            text = f"{v:.{self.precision}f}"
        return text.rjust(self.width)


def _summarized(array, edgeitems):
    """Only the numbers a summarised print shows: `edgeitems` at each end of every long axis."""
    for axis, size in enumerate(array.shape):
        if size > 2 * edgeitems:
            ends = np.r_[0:edgeitems, size - edgeitems : size]
            array = np.take(array, ends, axis=axis)
    return array


def _vector(values, indent, summarize, formatter):
    opts = _options
    edge = opts["edgeitems"]
    per_line = max(1, (opts["linewidth"] - indent) // (formatter.width + 2))
    if summarize and edge == 0:
        texts = ["..."]
    elif summarize and values.shape[0] > 2 * edge:
        texts = [formatter.format(v) for v in values[:edge].tolist()]
        texts += [" ..."]
        texts += [formatter.format(v) for v in values[-edge:].tolist()]
    else:
        texts = [formatter.format(v) for v in values.tolist()]
    lines = [", ".join(texts[i : i + per_line]) for i in range(0, len(texts), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values, indent, summarize, formatter):
    """The text of an n-d array: rows of rows, blank lines between blocks of 3-d and up."""
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, formatter)
    edge = _options["edgeitems"]
    rows = range(values.shape[0])
    if summarize and values.shape[0] > 2 * edge:
        head = [_nested(values[i], indent + 1, summarize, formatter) for i in rows[:edge]]
        tail = [_nested(values[i], indent + 1, summarize, formatter) for i in rows[-edge:]]
        parts = [*head, "...", *tail]
    else:
        parts = [_nested(values[i], indent + 1, summarize, formatter) for i in rows]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _with_suffixes(text, suffixes, indent):
    """Append ", dtype=..." and the like, starting a new line where one would be too long."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > _options["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(t):
    """The text of `repr(t)`: the numbers, then device, shape, dtype and autograd information,
    each only when it is not the usual case (PyTorch's rules)."""
    array = t.numpy()
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.device != "cpu":
        suffixes.append(f"device='{t.device}'")
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:  # [] alone would not tell (0, 3) from (3, 0)
            suffixes.append(f"size={tuple(array.shape)}")
        if t.dtype != dtypes.get_default_dtype():  # no numbers to tell ints from floats
            suffixes.append(f"dtype={dtypes.name(t.dtype)}")
    else:
        summarize = array.size > _options["threshold"]
        shown = _summarized(array, _options["edgeitems"]) if summarize else array
        formatter = _Formatter(shown, _options["precision"], _options["sci_mode"])
        body = _nested(array, indent, summarize, formatter)
        if t.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool):
            suffixes.append(f"dtype={dtypes.name(t.dtype)}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
