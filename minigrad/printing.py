"""How tensors print: `repr(t)` and `minigrad.set_printoptions` (as torch.set_printoptions).

    >>> minigrad.tensor([[1.0, 2.5], [3.0, 4.0]], requires_grad=True) * 2
    tensor([[2.0000, 5.0000],
            [6.0000, 8.0000]], grad_fn=<MulBackward>)

The numbers come first, then what else you need to know about the tensor, each only when it is
not the usual case: `dtype=` (other than the default float dtype, int64 and bool), `device=`
(other than "cpu"), `grad_fn=` (a computed tensor) or `requires_grad=True` (a leaf), and
`shape=` when not every number is shown (a big tensor, summarised with "...") or the tensor is
empty.

Floats are printed with the same number of decimals (`precision`) and the same width, so the
columns line up. Whole numbers print as `1.`; scientific notation (`1.0000e+08`) is used when
`sci_mode=True`, or, with `sci_mode=None` (automatic), when the largest and smallest non-zero
magnitudes are more than 1000 apart, or the largest is at least 1e8 or the smallest below 1e-4.
"""

import contextlib

import numpy as np

from minigrad import dtypes

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_options = dict(_DEFAULTS)


def set_printoptions(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None):
    """Set how tensors print. Every call sets all five options (those not given go back to
    their defaults), so `set_printoptions()` restores the defaults.

    precision: digits after the decimal point (default 4)
    threshold: tensors with more elements than this are summarised with "..." (default 1000)
    edgeitems: how many items to show at the start and end of each summarised axis (default 3)
    linewidth: characters per line before the numbers wrap (default 80)
    sci_mode:  True / False forces scientific / fixed notation; None chooses automatically
    """
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"set_printoptions: {name} must be a non-negative int, got {value!r}")
    if sci_mode not in (None, True, False):
        raise ValueError(
            f"set_printoptions: sci_mode must be None, True or False, got {sci_mode!r}"
        )
    _options.update(
        precision=int(precision),
        threshold=int(threshold),
        edgeitems=int(edgeitems),
        linewidth=int(linewidth),
        sci_mode=sci_mode,
    )


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


def _float_formatter(values, precision, sci_mode):
    """A function float -> text for the numbers in `values`, all padded to one width."""
    finite = values[np.isfinite(values)]
    magnitudes = np.abs(finite[finite != 0]).astype(np.float64)
    if sci_mode is None:
        sci_mode = magnitudes.size > 0 and (
            magnitudes.max() / magnitudes.min() > 1000.0
            or magnitudes.max() >= 1e8
            or magnitudes.min() < 1e-4
        )
    whole = finite.size > 0 and bool(np.all(finite == np.round(finite)))
    if sci_mode:

        def text(v):
            return f"{v:.{precision}e}"
    elif whole:

        def text(v):
            return f"{v:.0f}."
    else:

        def text(v):
            return f"{v:.{precision}f}"

    def number(v):
        return text(v) if np.isfinite(v) else str(float(v))  # nan, inf, -inf

    width = max((len(number(v)) for v in _sample(values)), default=0)
    return lambda v: number(v).rjust(width)


def _sample(values):
    """The numbers whose width decides the column width: extremes, and a few special values."""
    flat = values.reshape(-1)
    if flat.size == 0:
        return []
    finite = flat[np.isfinite(flat)]
    picks = [v for v in flat[~np.isfinite(flat)][:3]]
    if finite.size:
        picks += [finite.min(), finite.max(), finite[np.argmin(np.abs(finite))]]
        picks += list(finite[:64])
    return picks


def _body(array):
    opts = _options
    formatter = None
    if array.dtype.kind == "f":
        formatter = {"float_kind": _float_formatter(array, opts["precision"], opts["sci_mode"])}
    return np.array2string(
        array,
        separator=", ",
        prefix="tensor(",
        formatter=formatter,
        threshold=opts["threshold"],
        edgeitems=opts["edgeitems"],
        max_line_width=opts["linewidth"],
    )


def format_tensor(t):
    """The text of `repr(t)`: the numbers, then dtype, device, shape and autograd information."""
    array = t.numpy()
    body = _body(array)
    extras = []
    summarised = array.size > _options["threshold"]
    if array.size == 0 or summarised:
        extras.append(f"shape={tuple(array.shape)}")
    if t.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool):
        extras.append(f"dtype={t.dtype}")
    if t.device != "cpu":
        extras.append(f"device='{t.device}'")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *extras]) + ")"
