"""The exercises: what each stub must define, how it is called, and what a right answer is.

Every exercise is a `minigrad.Function` subclass in `lessons/exercises/<name>.py`. Its forward
is given; the student writes its backward. For each exercise this file records

    class_name   the class the stub defines (the checker looks it up by this name)
    inputs       the names of forward's tensor inputs, in order (used in messages)
    make_case    (sizes, rng) -> the forward's inputs as NumPy arrays, float64 (an int array for
                 an input that gets no gradient, such as class labels)
    sizes        the range of each size make_case takes; the checker draws them (hypothesis)
    reference    the same function built from minigrad's own (gradient-checked) ops: its
                 gradients are the expected answer
    mistakes     typical wrong backwards, each with the hint shown when a student's gradient
                 matches it
    derivation   the section of lessons/DERIVATIONS.md where the backward is derived
    factors      (inputs) -> [(factor, hint)]: a gradient off by exactly this factor gets the hint

The mistakes are written with NumPy on the host (they only ever see float64 test inputs).
"""

import math
from dataclasses import dataclass

import numpy as np

from minigrad.creation import arange
from minigrad.ops.conv import conv1d

LAYER_NORM_EPS = 1e-5  # the stubs' layer norm uses the same epsilon


@dataclass
class Mistake:
    hint: object  # the hint, or a function (inputs) -> the hint, when it names a shape
    gradients: object  # (inputs, upstream) -> one gradient (array or None) per input


@dataclass
class Exercise:
    name: str
    class_name: str
    title: str
    formula: str  # what backward must compute, in words a student can check against
    formula_ids: str
    inputs: tuple
    sizes: tuple  # ((low, high), ...) inclusive
    make_case: object
    reference: object = None  # None: expected gradients come from finite differences
    mistakes: tuple = ()
    factors: object = None
    error_hint: str = ""
    fixed_sizes: tuple = ()
    derivation: str = None  # the section of lessons/DERIVATIONS.md that derives the backward

    @property
    def stub(self):
        return f"{self.name}.py"


def _normal(rng, shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------------------------
# sigmoid and tanh (F6)
# --------------------------------------------------------------------------------------------


# Sizes of the ops that take any number of dimensions: (ndim, last axis, the other axes...).
ANY_SHAPE_SIZES = ((1, 4), (1, 5), (1, 3), (1, 3), (1, 3))


def _any_shape(sizes):
    """(ndim, last, d0, d1, d2) -> a shape of ndim axes ending in `last`, e.g. (d0, d1, last)."""
    ndim, last, *others = sizes
    return tuple(others[: ndim - 1]) + (last,)


def _elementwise_case(sizes, rng):
    return (_normal(rng, _any_shape(sizes), scale=2.0),)


SIGMOID = Exercise(
    derivation="Sigmoid",
    name="sigmoid",
    class_name="Sigmoid",
    title="the logistic sigmoid",
    formula="y = σ(x) = 1 / (1 + e^(-x));   dL/dx = dL/dy · y (1 - y)",
    formula_ids="F6",
    inputs=("x",),
    sizes=ANY_SHAPE_SIZES,
    fixed_sizes=(2, 4, 3, 1, 1),  # shape (3, 4)
    make_case=_elementwise_case,
    reference=lambda x: x.sigmoid(),
    mistakes=(
        Mistake(
            "you used x (1 - x); the derivative is σ(x)(1 - σ(x)): apply it to the output "
            "y = σ(x) that forward saved, not to the input x.",
            lambda inputs, g: [g * inputs[0] * (1 - inputs[0])],
        ),
        Mistake(
            "the factor (1 - y) is missing: σ'(x) = σ(x) (1 - σ(x)).",
            lambda inputs, g: [g * _sigmoid(inputs[0])],
        ),
        Mistake(
            "the sign inside is wrong: σ'(x) = y (1 - y), with a minus. y (1 + y) grows with y, "
            "but the sigmoid flattens out (σ' → 0) as y → 1.",
            lambda inputs, g: [g * _sigmoid(inputs[0]) * (1 + _sigmoid(inputs[0]))],
        ),
    ),
)

TANH = Exercise(
    derivation="Tanh",
    name="tanh",
    class_name="Tanh",
    title="the hyperbolic tangent",
    formula="y = tanh(x);   dL/dx = dL/dy · (1 - y²)",
    formula_ids="F6",
    inputs=("x",),
    sizes=ANY_SHAPE_SIZES,
    fixed_sizes=(2, 4, 3, 1, 1),  # shape (3, 4)
    make_case=_elementwise_case,
    reference=lambda x: x.tanh(),
    mistakes=(
        Mistake(
            "you used 1 - x²; the derivative is 1 - tanh(x)²: square the output y, not the "
            "input x.",
            lambda inputs, g: [g * (1 - inputs[0] ** 2)],
        ),
        Mistake(
            "you used 1 - y; the derivative of tanh is 1 - y² (y squared).",
            lambda inputs, g: [g * (1 - np.tanh(inputs[0]))],
        ),
    ),
    factors=lambda inputs: [
        (
            2.0,
            "your gradient is 2 times the right one: tanh'(x) = 1 - y² has no factor 2 (the "
            "2 belongs to tanh(x) = 2σ(2x) - 1, not to its derivative in terms of y).",
        )
    ],
)

# --------------------------------------------------------------------------------------------
# softmax and log_softmax along the last axis (F8, F2)
# --------------------------------------------------------------------------------------------


# The last axis has at least 2 entries (over 1 entry softmax is constant); the fixed case is 3-D,
# so that a sum over axis=1 instead of the last axis is caught on the first case.
ROW_SIZES = ((1, 4), (2, 5), (1, 3), (1, 3), (1, 3))
ROW_FIXED_SIZES = (3, 5, 2, 3, 1)  # shape (2, 3, 5)


def _rows_case(sizes, rng):
    return (_normal(rng, _any_shape(sizes), scale=2.0),)


_NOT_DIAGONAL = (
    "softmax mixes a whole row: every output y_i depends on every input x_j, so its Jacobian is "
    "not diagonal. dL/dx_i = y_i (g_i - Σ_j g_j y_j), with the sum over the row."
)

_AXIS_ONE = (
    "you summed over axis=1. The row is the LAST axis: axis=-1 (with keepdims=True). On a 2-D "
    "input the two are the same axis, which is why it seemed right; on this {ndim}-D input "
    "axis=1 mixes different rows."
)

_KEEPDIMS = (
    "A sum over a row must keep its axis to broadcast back over the row: "
    ".sum(axis=-1, keepdims=True). Without keepdims the sums broadcast along the wrong axis "
    "(an error, or silently wrong numbers when the array is square)."
)


def _over_axis_one(fn):
    """A mistake that sums over axis=1: only defined for inputs of 2 or more axes."""

    def gradients(inputs, g):
        if inputs[0].ndim < 2:
            return [None] * len(inputs)
        return fn(inputs, g)

    return gradients


def _axis_one_hint(inputs):
    return _AXIS_ONE.format(ndim=inputs[0].ndim)


def _softmax_without_keepdims(inputs, g):
    """Row sums without keepdims: they broadcast along the wrong axis (square arrays only)."""
    y = _softmax(inputs[0])
    try:
        return [y * (g - (g * y).sum(axis=-1))]
    except ValueError:  # the shapes do not broadcast: the student got an error instead
        return [None]


SOFTMAX = Exercise(
    derivation="Softmax",
    name="softmax",
    class_name="Softmax",
    title="softmax over the last axis",
    formula="y_i = e^(x_i) / Σ_j e^(x_j);   dL/dx_i = y_i (g_i - Σ_j g_j y_j)  (g = dL/dy)",
    formula_ids="F8, F9",
    inputs=("x",),
    sizes=ROW_SIZES,
    fixed_sizes=ROW_FIXED_SIZES,
    make_case=_rows_case,
    reference=lambda x: x.softmax(-1),
    mistakes=(
        Mistake(
            _NOT_DIAGONAL, lambda inputs, g: [g * _softmax(inputs[0]) * (1 - _softmax(inputs[0]))]
        ),
        Mistake(
            "the sum Σ_j g_j y_j must be taken along each row (axis=-1, keepdims=True), not "
            "over the whole array.",
            lambda inputs, g: [_softmax(inputs[0]) * (g - (g * _softmax(inputs[0])).sum())],
        ),
        Mistake(
            _axis_one_hint,
            _over_axis_one(
                lambda inputs, g: [
                    _softmax(inputs[0]) * (g - (g * _softmax(inputs[0])).sum(axis=1, keepdims=True))
                ]
            ),
        ),
        Mistake("you summed without keepdims=True. " + _KEEPDIMS, _softmax_without_keepdims),
    ),
    error_hint=_KEEPDIMS,
)

LOG_SOFTMAX = Exercise(
    derivation="Log-softmax",
    name="log_softmax",
    class_name="LogSoftmax",
    title="log-softmax over the last axis",
    formula="y_i = x_i - log Σ_j e^(x_j);   dL/dx_j = g_j - softmax(x)_j Σ_i g_i",
    formula_ids="F2",
    inputs=("x",),
    sizes=ROW_SIZES,
    fixed_sizes=ROW_FIXED_SIZES,
    make_case=_rows_case,
    reference=lambda x: x.log_softmax(-1),
    mistakes=(
        Mistake(
            "the second term needs the sum of the incoming gradient over the row: "
            "dL/dx_j = g_j - softmax(x)_j · Σ_i g_i.",
            lambda inputs, g: [g - _softmax(inputs[0]) * g],
        ),
        Mistake(
            "you used the derivative of y_j with respect to x_j alone; each y_i depends on "
            "every x_j through the log-sum, so sum over the row: g_j - softmax(x)_j Σ_i g_i.",
            lambda inputs, g: [g * (1 - _softmax(inputs[0]))],
        ),
        Mistake(
            "softmax(x) is e^(y), the exponential of the OUTPUT (the log-probabilities), not "
            "e^(x) of the input.",
            lambda inputs, g: [g - np.exp(inputs[0]) * g.sum(axis=-1, keepdims=True)],
        ),
        Mistake(
            _axis_one_hint,
            _over_axis_one(
                lambda inputs, g: [g - _softmax(inputs[0]) * g.sum(axis=1, keepdims=True)]
            ),
        ),
    ),
    error_hint=_KEEPDIMS,
)

# --------------------------------------------------------------------------------------------
# layer norm over the last axis (F12)
# --------------------------------------------------------------------------------------------


def _layer_norm_case(sizes, rng):
    shape = _any_shape(sizes)
    d = shape[-1]
    x = _normal(rng, shape, scale=2.0) + rng.uniform(-1, 1)
    gamma = 1.0 + 0.5 * _normal(rng, (d,))
    beta = 0.5 * _normal(rng, (d,))
    return x, gamma, beta


def _layer_norm_reference(x, gamma, beta):
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / (var + LAYER_NORM_EPS).sqrt() * gamma + beta


def _layer_norm_parts(inputs, g):
    x, gamma, _ = inputs
    mean = x.mean(axis=-1, keepdims=True)
    inv_std = 1 / np.sqrt(((x - mean) ** 2).mean(axis=-1, keepdims=True) + LAYER_NORM_EPS)
    x_hat = (x - mean) * inv_std
    g_hat = g * gamma
    d = x.shape[-1]
    right_gamma = (g * x_hat).reshape(-1, d).sum(axis=0)  # summed over every axis but the last
    right_beta = g.reshape(-1, d).sum(axis=0)
    return x_hat, g_hat, inv_std, right_gamma, right_beta


def _layer_norm_constant_stats(inputs, g):
    x_hat, g_hat, inv_std, dgamma, dbeta = _layer_norm_parts(inputs, g)
    return [g_hat * inv_std, dgamma, dbeta]


def _layer_norm_mean_only(inputs, g):
    x_hat, g_hat, inv_std, dgamma, dbeta = _layer_norm_parts(inputs, g)
    return [(g_hat - g_hat.mean(axis=-1, keepdims=True)) * inv_std, dgamma, dbeta]


def _layer_norm_forgot_gamma(inputs, g):
    x_hat, g_hat, inv_std, dgamma, dbeta = _layer_norm_parts(inputs, g)
    dx = (
        g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True)
    ) * inv_std
    return [dx, dgamma, dbeta]


def _layer_norm_axis_one(inputs, g):
    x_hat, g_hat, inv_std, dgamma, dbeta = _layer_norm_parts(inputs, g)
    dx = (
        g_hat
        - g_hat.mean(axis=1, keepdims=True)
        - x_hat * (g_hat * x_hat).mean(axis=1, keepdims=True)
    ) * inv_std
    return [dx, dgamma, dbeta]


LAYER_NORM = Exercise(
    derivation="Layer normalisation",
    name="layer_norm",
    class_name="LayerNorm",
    title="layer normalisation over the last axis",
    formula=(
        "x̂ = (x - μ)/σ, y = γ x̂ + β;  with ĝ = g γ:  dL/dx = (ĝ - mean(ĝ) - x̂ mean(ĝ x̂)) / σ,  "
        "dL/dγ = Σ_rows g x̂,  dL/dβ = Σ_rows g"
    ),
    formula_ids="F12",
    inputs=("x", "gamma", "beta"),
    sizes=ROW_SIZES,
    fixed_sizes=ROW_FIXED_SIZES,
    make_case=_layer_norm_case,
    reference=_layer_norm_reference,
    mistakes=(
        Mistake(
            "you treated μ and σ as constants. They are computed from x, so they depend on it: "
            "dL/dx = (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂)) / σ has two extra terms.",
            _layer_norm_constant_stats,
        ),
        Mistake(
            "the mean's dependence on x is there, but not the variance's: subtract "
            "x̂ · mean(ĝ · x̂) as well (means along the row).",
            _layer_norm_mean_only,
        ),
        Mistake(
            "the gradient reaching x̂ is g · γ (y = γ x̂ + β): multiply by gamma before the "
            "normalisation's backward.",
            _layer_norm_forgot_gamma,
        ),
        Mistake(_axis_one_hint, _over_axis_one(_layer_norm_axis_one)),
    ),
)

# --------------------------------------------------------------------------------------------
# matmul with broadcasting
# --------------------------------------------------------------------------------------------

# (batch shape of a, batch shape of b); None means a 1-D operand (a vector).
MATMUL_PATTERNS = (
    ((), ()),
    ((2,), ()),
    ((), (3,)),
    ((2,), (2,)),
    ((2, 1), (3,)),
    ((1,), (2,)),
    (None, ()),
    ((), None),
    (None, (2,)),
    ((2,), None),
    (None, None),  # vector @ vector: a 0-d result, the dot product
    ((2, 2), (2, 1)),  # 4-D, broadcast over the second batch axis
    (None, (2, 3)),  # vector @ a 4-D stack of matrices
)


def _matmul_case(sizes, rng):
    n, k, m, pattern = sizes
    batch_a, batch_b = MATMUL_PATTERNS[pattern]
    a_shape = (k,) if batch_a is None else batch_a + (n, k)
    b_shape = (k,) if batch_b is None else batch_b + (k, m)
    return _normal(rng, a_shape), _normal(rng, b_shape)


def _square_only(fn):
    """A mistake that only makes sense when the shapes allow it (None otherwise)."""

    def gradients(inputs, g):
        try:
            return fn(inputs, g)
        except ValueError:
            return [None, None]

    return gradients


MATMUL = Exercise(
    derivation="Matrix multiplication",
    name="matmul",
    class_name="MatMul",
    title="matrix multiplication with broadcasting",
    formula="C = A @ B;   dL/dA = dL/dC @ Bᵀ,   dL/dB = Aᵀ @ dL/dC  (batch axes summed back)",
    formula_ids="F7, F8",
    inputs=("a", "b"),
    sizes=((1, 3), (1, 3), (1, 3), (0, len(MATMUL_PATTERNS) - 1)),
    fixed_sizes=(3, 4, 2, 4),
    make_case=_matmul_case,
    reference=lambda a, b: a @ b,
    mistakes=(
        Mistake(
            "dL/dA = dL/dC @ Bᵀ: B must be transposed (swap its last two axes).",
            _square_only(lambda inputs, g: [g @ inputs[1], None]),
        ),
        Mistake(
            "dL/dB = Aᵀ @ dL/dC: A must be transposed (swap its last two axes), and it "
            "multiplies from the left.",
            _square_only(lambda inputs, g: [None, inputs[0] @ g]),
        ),
    ),
    error_hint=(
        "Check the shapes: for A (n, k) and B (k, m), dL/dC is (n, m), dL/dA = dL/dC @ Bᵀ is "
        "(n, k) and dL/dB = Aᵀ @ dL/dC is (k, m). Use xp.swapaxes(b, -1, -2) (not .T, which "
        "reverses the batch axes too). A 1-D A is a row (1, k) and a 1-D B a column (k, 1): "
        "put that axis back (into the operand and into dL/dC) before using the formulas, and "
        "take it out of the result."
    ),
)

# --------------------------------------------------------------------------------------------
# cross-entropy on logits (F2)
# --------------------------------------------------------------------------------------------


def _cross_entropy_case(sizes, rng):
    n, c = sizes
    logits = _normal(rng, (n, c), scale=2.0)
    target = rng.integers(0, c, size=n).astype(np.int64)
    return logits, target


def _cross_entropy_reference(logits, target):
    n = logits.shape[0]
    picked = logits.log_softmax(-1)[arange(n), target]
    return -picked.mean()


def _one_hot(target, c):
    return np.eye(c)[target]


CROSS_ENTROPY = Exercise(
    derivation="Cross-entropy on logits",
    name="cross_entropy",
    class_name="CrossEntropy",
    title="cross-entropy on logits (softmax + negative log-likelihood, mean over the batch)",
    formula="L = -(1/N) Σ_n log softmax(z_n)[t_n];   dL/dz = g · (softmax(z) - onehot(t)) / N",
    formula_ids="F2",
    inputs=("logits", "target"),
    sizes=((2, 5), (2, 5)),
    fixed_sizes=(4, 3),
    make_case=_cross_entropy_case,
    reference=_cross_entropy_reference,
    mistakes=(
        Mistake(
            "subtract 1 only at each row's target class: the target is one-hot, so the "
            "gradient is softmax(z) - onehot(t), divided by N.",
            lambda inputs, g: [g * (_softmax(inputs[0]) - 1) / inputs[0].shape[0], None],
        ),
        Mistake(
            "this is the document's cross-entropy derivative 1/ŷ - y/ŷ (the F2 erratum, see "
            "lesson 3). On logits the gradient is (softmax(z) - onehot(t)) / N.",
            lambda inputs, g: [
                g
                * (1 - _one_hot(inputs[1], inputs[0].shape[1]))
                / _softmax(inputs[0])
                / inputs[0].shape[0],
                None,
            ],
        ),
    ),
    factors=lambda inputs: [
        (
            inputs[0].shape[0],
            f"your gradient is off by a factor of N = {inputs[0].shape[0]} (the batch size): "
            "did you forget the mean? The loss averages over the N rows, so its gradient is "
            "divided by N too.",
        ),
        (
            1 / inputs[0].shape[0],
            f"your gradient is N = {inputs[0].shape[0]} times too small: did you divide by N "
            "twice?",
        ),
    ],
)

# --------------------------------------------------------------------------------------------
# scaled dot-product attention (F8)
# --------------------------------------------------------------------------------------------


def _attention_case(sizes, rng):
    batch_axes, batch, t, s, d = sizes
    # 0, 1 or 2 batch axes: (T, d), (B, T, d) or (B, heads, T, d) as in multi-head attention.
    lead = (batch, 2)[:batch_axes]
    q = _normal(rng, lead + (t, d))
    k = _normal(rng, lead + (s, d))
    v = _normal(rng, lead + (s, d + 1))
    return q, k, v


def _attention_reference(q, k, v):
    scale = 1.0 / math.sqrt(q.shape[-1])
    return (q @ k.swapaxes(-1, -2) * scale).softmax(-1) @ v


def _attention_diagonal_softmax(inputs, g):
    q, k, v = inputs
    scale = 1.0 / math.sqrt(q.shape[-1])
    a = _softmax(q @ np.swapaxes(k, -1, -2) * scale)
    da = g @ np.swapaxes(v, -1, -2)
    ds = a * (1 - a) * da * scale
    return [ds @ k, np.swapaxes(ds, -1, -2) @ q, np.swapaxes(a, -1, -2) @ g]


def _attention_softmax_sum_all(inputs, g):
    q, k, v = inputs
    scale = 1.0 / math.sqrt(q.shape[-1])
    a = _softmax(q @ np.swapaxes(k, -1, -2) * scale)
    da = g @ np.swapaxes(v, -1, -2)
    ds = a * (da - (da * a).sum()) * scale
    return [ds @ k, np.swapaxes(ds, -1, -2) @ q, np.swapaxes(a, -1, -2) @ g]


ATTENTION = Exercise(
    derivation="Scaled dot-product attention",
    name="attention",
    class_name="ScaledDotProductAttention",
    title="scaled dot-product attention softmax(Q Kᵀ / √d) V",
    formula=(
        "S = Q Kᵀ s (s = 1/√d), A = softmax(S), O = A V;  dV = Aᵀ dO,  dA = dO Vᵀ,  "
        "dS = A ⊙ (dA - Σ_j dA A),  dQ = s dS K,  dK = s dSᵀ Q"
    ),
    formula_ids="F8",
    inputs=("q", "k", "v"),
    sizes=((0, 2), (1, 2), (1, 4), (1, 4), (1, 4)),
    fixed_sizes=(1, 2, 3, 4, 4),  # Q (2, 3, 4)
    make_case=_attention_case,
    reference=_attention_reference,
    mistakes=(
        Mistake(
            "the softmax's backward is not elementwise: dS = A ⊙ (dA - Σ_j dA_j A_j), with "
            "the sum along each row of A.",
            _attention_diagonal_softmax,
        ),
        Mistake(
            "in the softmax's backward, the sum Σ_j dA_j A_j is taken along each row of A "
            "(axis=-1, keepdims=True): one number per query, not one for the whole array.",
            _attention_softmax_sum_all,
        ),
    ),
    factors=lambda inputs: [
        (
            math.sqrt(inputs[0].shape[-1]),
            f"this gradient is √d = {math.sqrt(inputs[0].shape[-1]):.4g} times too large: did you "
            "forget the scale s = 1/√d in the backward? S = s Q Kᵀ, so dQ and dK carry s too.",
        ),
        (
            1 / math.sqrt(inputs[0].shape[-1]),
            f"this gradient is √d = {math.sqrt(inputs[0].shape[-1]):.4g} times too small: did you "
            "apply the scale 1/√d twice?",
        ),
    ],
    error_hint=(
        "backward returns (dL/dQ, dL/dK, dL/dV) in this order, each with its input's shape: "
        "Q (B, T, d), K (B, S, d), V (B, S, e); A is (B, T, S) and O (B, T, e). Transpose only "
        "the last two axes (xp.swapaxes(x, -1, -2))."
    ),
)

# --------------------------------------------------------------------------------------------
# 1-D convolution, stride 1, no padding, no bias (F15)
# --------------------------------------------------------------------------------------------


def _conv1d_case(sizes, rng):
    n, c, o, kernel, extra = sizes
    x = _normal(rng, (n, c, kernel + extra))  # L = K + extra: extra = 0 is a kernel as long as x
    weight = _normal(rng, (o, c, kernel))
    return x, weight


def _conv1d_weight_term(x, g, k):
    """Σ_l g[n, o, l] x[n, c, l + k] for one k, per sample: (N, O, C)."""
    window = x[:, :, k : k + g.shape[2]]
    return g @ np.swapaxes(window, -1, -2)


def _conv1d_right_weight(x, g, kernel):
    return np.stack([_conv1d_weight_term(x, g, k).sum(axis=0) for k in range(kernel)], axis=-1)


def _conv1d_input_grad(inputs, g, offset, add=True):
    """dL/dx with window k's gradient W[:, :, k]ᵀ g put at offset(k) (right: offset(k) = k)."""
    x, weight = inputs
    kernel, out_length = weight.shape[2], g.shape[2]
    grad_x = np.zeros_like(x)
    for k in range(kernel):
        part = np.swapaxes(weight[:, :, k], 0, 1) @ g  # (N, C, L_out)
        start = offset(k, kernel)
        if add:
            grad_x[:, :, start : start + out_length] += part
        else:
            grad_x[:, :, start : start + out_length] = part
    return grad_x


def _conv1d_not_flipped(inputs, g):
    return [_conv1d_input_grad(inputs, g, lambda k, kernel: kernel - 1 - k), None]


def _conv1d_no_overlap_sum(inputs, g):
    return [_conv1d_input_grad(inputs, g, lambda k, kernel: k, add=False), None]


def _conv1d_last_sample_only(inputs, g):
    x, weight = inputs
    last = slice(x.shape[0] - 1, x.shape[0])
    return [None, _conv1d_right_weight(x[last], g[last], weight.shape[2])]


def _conv1d_weight_transposed(inputs, g):
    x, weight = inputs
    return [None, np.swapaxes(_conv1d_right_weight(x, g, weight.shape[2]), 0, 1)]


CONV1D = Exercise(
    derivation="1-D convolution",
    name="conv1d",
    class_name="Conv1d",
    title="1-D convolution (stride 1, no padding, no bias)",
    formula=(
        "y[n,o,l] = Σ_c Σ_k W[o,c,k] x[n,c,l+k];  dL/dW[o,c,k] = Σ_n Σ_l g[n,o,l] x[n,c,l+k],  "
        "dL/dx[n,c,j] = Σ_o Σ_k W[o,c,k] g[n,o,j-k]  (0 ≤ j-k < L_out)"
    ),
    formula_ids="F15",
    inputs=("x", "weight"),
    # N, C, O, K, and L - K (0: the kernel covers all of x, L_out = 1)
    sizes=((1, 3), (1, 3), (1, 3), (1, 4), (0, 3)),
    fixed_sizes=(2, 3, 2, 3, 2),  # C ≠ O, so a (C, O, K) weight gradient shows as a shape error
    make_case=_conv1d_case,
    reference=lambda x, weight: conv1d(x, weight),
    mistakes=(
        Mistake(
            "the kernel is the wrong way round in dL/dx (not flipped, or the offset runs the "
            "wrong way). Window k read x[n, c, l + k] for output l, so its gradient "
            "W[:, :, k]ᵀ @ g goes back to dL/dx[:, :, k : k + L_out], at offset +k: "
            "dL/dx[n,c,j] = Σ_o Σ_k W[o,c,k] g[n,o,j-k]. As a full correlation of the "
            "zero-padded g, that is the kernel flipped along k.",
            _conv1d_not_flipped,
        ),
        Mistake(
            "dL/dx misses the overlaps: x[n, c, j] is read by several windows (one for each k "
            "with 0 ≤ j - k < L_out), so its gradient is the sum of their contributions. "
            "Start from zeros and add each window's gradient (+=), don't assign it (=): "
            "assigning keeps only the last k.",
            _conv1d_no_overlap_sum,
        ),
        Mistake(
            "dL/dweight holds only one sample's contribution: every sample of the batch uses "
            "the same W, so dL/dW[o,c,k] = Σ_n Σ_l g[n,o,l] x[n,c,l+k] sums over the batch "
            "axis n as well as over the positions l (add each sample's part with +=, or "
            ".sum(axis=0) over n).",
            _conv1d_last_sample_only,
        ),
        Mistake(
            "dL/dweight is transposed: it must have weight's shape (O, C, K), o first. "
            "dL/dW[:, :, k] = Σ_n g[n] @ window[n]ᵀ, i.e. (O, L_out) @ (L_out, C), not "
            "window @ gᵀ, which gives (C, O).",
            _conv1d_weight_transposed,
        ),
    ),
    factors=lambda inputs: [
        (
            1 / inputs[0].shape[0],
            f"this gradient is N = {inputs[0].shape[0]} (the batch size) times too small: did "
            "you average over the batch (.mean(axis=0))? The samples' contributions to the "
            "shared weight add up: sum over n.",
        ),
    ],
    error_hint=(
        "backward returns (dL/dx, dL/dweight) in this order, shaped like x (N, C, L) and weight "
        "(O, C, K); grad is (N, O, L_out) with L_out = L - K + 1. A dL/dweight of shape "
        "(C, O, K) is transposed: dL/dW[:, :, k] = Σ_n g[n] @ window[n]ᵀ, (O, L_out) @ "
        "(L_out, C), with window = x[:, :, k : k + L_out]."
    ),
)

# --------------------------------------------------------------------------------------------
# batch normalisation in training mode (BatchNorm1d; lessons 12, 14 and 15)
# --------------------------------------------------------------------------------------------

BATCH_NORM_EPS = 1e-5  # the stub's BatchNorm uses the same epsilon, as nn.BatchNorm1d does


def _batch_norm_case(sizes, rng):
    """x (N, C) or (N, C, L), with an offset and a scale of its own for every channel."""
    ndim, n, c, length = sizes
    shape = (n, c) if ndim == 2 else (n, c, length)
    channel = (1, c) + (1,) * (ndim - 2)
    x = _normal(rng, shape) * rng.uniform(0.5, 3.0, channel) + _normal(rng, channel)
    gamma = 1.0 + 0.5 * _normal(rng, (c,))
    beta = 0.5 * _normal(rng, (c,))
    return x, gamma, beta


def _batch_axes(x):
    """The axes BatchNorm1d averages over: all but the channels (axis 1)."""
    return (0,) if x.ndim == 2 else (0, 2)


def _channel_shape(x):
    """(1, C) or (1, C, 1): a per-channel vector reshaped to broadcast against x."""
    return (1, -1) + (1,) * (x.ndim - 2)


def _batch_norm_reference(x, gamma, beta):
    axes, shape = _batch_axes(x), _channel_shape(x)
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    x_hat = centred / (var + BATCH_NORM_EPS).sqrt()
    return x_hat * gamma.reshape(shape) + beta.reshape(shape)


def _values_per_channel(inputs):
    """m: the values a channel has in the batch (N, or N·L)."""
    return inputs[0].size // inputs[0].shape[1]


def _batch_norm_parts(inputs, g):
    x, gamma, _ = inputs
    axes = _batch_axes(x)
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + BATCH_NORM_EPS)
    x_hat = (x - mean) * inv_std
    g_hat = g * gamma.reshape(_channel_shape(x))
    return axes, x_hat, g_hat, inv_std, (g * x_hat).sum(axis=axes), g.sum(axis=axes)


def _batch_norm_dx(x_hat, g_hat, inv_std, axes, second_mean=None):
    """inv_std (ĝ - mean(ĝ) - x̂ mean(ĝ x̂)), the means over `axes` (a mistake may change the
    second one)."""
    first = g_hat.mean(axis=axes, keepdims=True)
    if second_mean is None:
        second_mean = (g_hat * x_hat).mean(axis=axes, keepdims=True)
    return inv_std * (g_hat - first - x_hat * second_mean)


def _batch_norm_constant_stats(inputs, g):
    axes, x_hat, g_hat, inv_std, dgamma, dbeta = _batch_norm_parts(inputs, g)
    return [g_hat * inv_std, dgamma, dbeta]


def _batch_norm_unbiased(inputs, g):
    axes, x_hat, g_hat, inv_std, dgamma, dbeta = _batch_norm_parts(inputs, g)
    second = (g_hat * x_hat).sum(axis=axes, keepdims=True) / (_values_per_channel(inputs) - 1)
    return [_batch_norm_dx(x_hat, g_hat, inv_std, axes, second), dgamma, dbeta]


def _batch_norm_feature_axis(inputs, g):
    axes, x_hat, g_hat, inv_std, dgamma, dbeta = _batch_norm_parts(inputs, g)
    return [_batch_norm_dx(x_hat, g_hat, inv_std, -1), dgamma, dbeta]


def _batch_norm_batch_axis_only(inputs, g):
    if inputs[0].ndim < 3:
        return [None, None, None]
    axes, x_hat, g_hat, inv_std, dgamma, dbeta = _batch_norm_parts(inputs, g)
    return [_batch_norm_dx(x_hat, g_hat, inv_std, 0), dgamma, dbeta]


def _batch_norm_forgot_gamma(inputs, g):
    axes, x_hat, g_hat, inv_std, dgamma, dbeta = _batch_norm_parts(inputs, g)
    return [_batch_norm_dx(x_hat, g, inv_std, axes), dgamma, dbeta]


BATCH_NORM = Exercise(
    derivation="Batch normalisation",
    name="batch_norm",
    class_name="BatchNorm",
    title="batch normalisation in training mode (BatchNorm1d: statistics over the batch)",
    formula=(
        "x̂ = (x - μ_B)/σ_B, y = γ x̂ + β, statistics per channel over the m = N (·L) values of "
        "the batch;  with ĝ = g γ:  dL/dx = (ĝ - mean_B(ĝ) - x̂ mean_B(ĝ x̂)) / σ_B,  "
        "dL/dγ = Σ_B g x̂,  dL/dβ = Σ_B g"
    ),
    formula_ids="F16",
    inputs=("x", "gamma", "beta"),
    sizes=((2, 3), (2, 5), (1, 4), (1, 3)),  # ndim, N, C, L
    fixed_sizes=(2, 5, 3, 1),  # x (5, 3), as in lesson 15
    make_case=_batch_norm_case,
    reference=_batch_norm_reference,
    mistakes=(
        Mistake(
            "you treated the batch mean μ_B and standard deviation σ_B as constants. They are "
            "computed from x, every row of the batch: dL/dx = (ĝ - mean_B(ĝ) - x̂ · "
            "mean_B(ĝ · x̂)) / σ_B has two more terms, one through μ_B, one through σ_B.",
            _batch_norm_constant_stats,
        ),
        Mistake(
            "the last term divides by m - 1: that is the unbiased variance. BatchNorm "
            "normalises with the biased batch variance (1/m, m = the values per channel), so "
            "the backward must too: x̂ · mean_B(ĝ · x̂), a mean over m values.",
            _batch_norm_unbiased,
        ),
        Mistake(
            "you took the means along the last axis, as LayerNorm does. BatchNorm's "
            "statistics run down the batch, one mean per channel: axis 0 for (N, C), axes "
            "(0, 2) for (N, C, L), with keepdims=True.",
            _batch_norm_feature_axis,
        ),
        Mistake(
            "on an (N, C, L) input BatchNorm1d's statistics run over the batch AND the length: "
            "axes (0, 2), m = N·L values per channel. Your means in dL/dx used axis 0 only.",
            _batch_norm_batch_axis_only,
        ),
        Mistake(
            "the gradient reaching x̂ is g · γ (y = γ x̂ + β): multiply by gamma (reshaped to "
            "broadcast over the channel axis) before the normalisation's backward.",
            _batch_norm_forgot_gamma,
        ),
    ),
    factors=lambda inputs: [
        (
            1 / _values_per_channel(inputs),
            f"this gradient is m = {_values_per_channel(inputs)} times too small (m = the "
            "values per channel in the batch): did you average (.mean) where a sum belongs? "
            "gamma and beta are used at every one of the m positions, so their gradients add "
            "up.",
        ),
    ],
    error_hint=(
        "backward returns (dL/dx, dL/dgamma, dL/dbeta) in this order, shaped like x (N, C) or "
        "(N, C, L), gamma (C,) and beta (C,): sum dL/dgamma and dL/dbeta over every axis but "
        "the channels (axis 1), i.e. axis 0 for (N, C) and axes (0, 2) for (N, C, L). To "
        "multiply by gamma, reshape it to (1, C) or (1, C, 1) first."
    ),
)

# --------------------------------------------------------------------------------------------
# embedding lookup (lesson 15): indexing forward, scatter-add backward
# --------------------------------------------------------------------------------------------


def _embedding_case(sizes, rng):
    """indices of 1 to 3 axes, drawn from a small table so that rows repeat."""
    ndim, num_embeddings, dim, *axes = sizes
    indices = rng.integers(0, num_embeddings, size=tuple(axes[:ndim])).astype(np.int64)
    weight = _normal(rng, (num_embeddings, dim))
    return indices, weight


def _embedding_fancy_add(inputs, g):
    indices, weight = inputs
    grad_weight = np.zeros_like(weight)
    grad_weight[indices] += g  # buffered: one addition per repeated row survives
    return [None, grad_weight]


def _embedding_returns_grad(inputs, g):
    indices, weight = inputs
    return [None, g if g.shape == weight.shape else None]


EMBEDDING = Exercise(
    derivation="Embedding lookup",
    name="embedding",
    class_name="Embedding",
    title="an embedding lookup (indexing rows of a table; its backward is a scatter-add)",
    formula=(
        "out[p] = weight[indices[p]] for every position p;  dL/dweight[i] = Σ over the "
        "positions p with indices[p] = i of g[p]  (xp.add.at(dW, indices, grad))"
    ),
    formula_ids="F17",
    inputs=("indices", "weight"),
    # ndim of indices, V (rows of the table), D, then the sizes of the index's axes
    sizes=((1, 3), (2, 6), (1, 4), (1, 5), (1, 4), (1, 3)),
    fixed_sizes=(2, 5, 3, 2, 4, 1),  # indices (2, 4) into 5 rows: some row repeats
    make_case=_embedding_case,
    reference=lambda indices, weight: weight[indices],
    mistakes=(
        Mistake(
            "the rows read more than once are wrong: `dW[indices] += grad` "
            "(or `dW[indices] = grad`) reads all the rows first and writes them back one after "
            "the other, so for a repeated index only one of the additions survives. Add every "
            "position's gradient: xp.add.at(dW, indices, grad), a scatter-add.",
            _embedding_fancy_add,
        ),
        Mistake(
            "you returned grad itself: that is dL/d(output), one row per position. dL/dweight "
            "has weight's shape (V, D): start from zeros and add each position's row of grad "
            "into the row of the table it came from (xp.add.at).",
            _embedding_returns_grad,
        ),
    ),
    error_hint=(
        "backward returns (None, dL/dweight): None for the integer indices, and dL/dweight "
        "shaped like weight (V, D). grad has shape indices.shape + (D,). xp.add.at(dW, indices, "
        "grad) works for indices of any shape; with a matrix product, flatten first: "
        "indices.reshape(-1) and grad.reshape(-1, D)."
    ),
)

# --------------------------------------------------------------------------------------------
# a Function of the student's own
# --------------------------------------------------------------------------------------------

CUSTOM = Exercise(
    derivation="Your own Function: the chain rule",
    name="custom",
    class_name="MyFunction",
    title="a Function of your choice (checked against finite differences)",
    formula="whatever your forward computes: dL/dx = dL/dy · dy/dx for each input",
    formula_ids="any",
    inputs=(),
    sizes=(),
    make_case=None,  # the stub's own example_inputs(rng) makes the inputs
)

EXERCISES = {
    e.name: e
    for e in (
        SIGMOID,
        TANH,
        SOFTMAX,
        LOG_SOFTMAX,
        LAYER_NORM,
        MATMUL,
        CROSS_ENTROPY,
        ATTENTION,
        CONV1D,
        BATCH_NORM,
        EMBEDDING,
        CUSTOM,
    )
}
