"""Stateless building blocks: activations, layers as functions, losses and attention.

    import minigrad.nn.functional as F
    loss = F.cross_entropy(logits, target)

Every function checks its arguments first and names the problem in the error, then computes
with a few Tensor operations (the engine differentiates them for free) or calls one op of
minigrad/ops/, where the formula and its derivative sit side by side:

    linear                             ops.Linear                        (ops/linear.py)
    layer_norm                         ops.LayerNorm                     (ops/normalization.py)
    cross_entropy                      ops.CrossEntropy, ops.CrossEntropyProbs   (ops/losses.py)
    nll_loss                           ops.NLLLoss                       (ops/losses.py)
    binary_cross_entropy               ops.BinaryCrossEntropy            (ops/losses.py)
    binary_cross_entropy_with_logits   ops.BinaryCrossEntropyWithLogits  (ops/losses.py)
    scaled_dot_product_attention       ops.ScaledDotProductAttention     (ops/attention.py)
    pad                                ops.Pad                           (ops/padding.py)

Formula ids (F1, F2, ...) refer to lessons/FORMULAS.md.
"""

import math

from minigrad import creation, dtypes, ops
from minigrad._coerce import common_dtype
from minigrad.backend import get_backend
from minigrad.ops.attention import attention_weights

# Re-exported (`name as name`) so that F.conv2d, F.max_pool2d, F.pad ... work as in PyTorch: these
# functions are the ops' own entry points, which check the arguments (one definition each).
from minigrad.ops.conv import conv1d as conv1d
from minigrad.ops.conv import conv2d as conv2d
from minigrad.ops.normalization_batch import batch_norm as batch_norm
from minigrad.ops.padding import pad as pad
from minigrad.ops.pooling import adaptive_avg_pool1d as adaptive_avg_pool1d
from minigrad.ops.pooling import adaptive_avg_pool2d as adaptive_avg_pool2d
from minigrad.ops.pooling import avg_pool1d as avg_pool1d
from minigrad.ops.pooling import avg_pool2d as avg_pool2d
from minigrad.ops.pooling import max_pool1d as max_pool1d
from minigrad.ops.pooling import max_pool2d as max_pool2d
from minigrad.ops.unary import leaky_relu as _leaky_relu
from minigrad.routines import broadcast_shapes, where
from minigrad.tensor import Tensor

# ============================================================================================
# Small helpers
# ============================================================================================


def _as_tensor(value, like, dtype=None):
    """Lists / NumPy arrays / backend arrays -> a Tensor on `like`'s device (Tensors unchanged)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(value, dtype=dtype, device=like.device)


def _wrap(array, like):
    """A backend array computed from `like`'s data -> a constant Tensor on the same device."""
    # dtype=array.dtype: NumPy reductions return scalars such as np.float64(2.0), which would
    # otherwise be read as a Python float and get the default dtype.
    return Tensor(array, dtype=array.dtype, device=like.device)


def _check_reduction(reduction, fn):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_float(x, fn, what="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {what} must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {what} must be a floating-point tensor, got {x.dtype}")


def _check_same_float_dtype(a, b, fn, what_a, what_b):
    # The engine's rule: float types never mix silently (a float64 would sneak into float32).
    if b.dtype.kind == "f" and b.dtype != a.dtype:
        raise TypeError(
            f"{fn}: {what_a} is {a.dtype} but {what_b} is {b.dtype}; "
            f"convert one, e.g. {what_b}.astype(minigrad.{a.dtype})"
        )


def _check_same_device(a, b, fn, what_a, what_b):
    if b.device != a.device:
        raise RuntimeError(
            f"{fn}: {what_a} is on '{a.device}' but {what_b} is on '{b.device}'; "
            f"move one, e.g. {what_b}.to('{a.device}')"
        )


def _check_integer(x, fn, what):
    if x.dtype.kind not in "iu":
        raise TypeError(f"{fn}: {what} must be integer indices (int64), got {x.dtype}")


def _check_index_range(indices, size, fn, what, allowed_extra=None):
    """Raise IndexError if an index is outside [0, size) (ignoring `allowed_extra`)."""
    data = indices.array
    bad = (data < 0) | (data >= size)
    if allowed_extra is not None:
        bad = bad & (data != allowed_extra)
    if bool(bad.any()):  # one small device->host copy; worth it for a clear message
        first = int(data[bad][0])
        extra = "" if allowed_extra is None else f" (or ignore_index={allowed_extra})"
        raise IndexError(
            f"{fn}: {what} {first} is out of range; valid values are 0 to {size - 1}{extra}"
        )


# ============================================================================================
# Activations (F6)
# ============================================================================================


def relu(input):
    """F6: ReLU(x) = max(0, x)."""
    return input.relu()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """LeakyReLU(x) = x if x > 0 else negative_slope · x (F6's ReLU with a slope on the left).

    `inplace` is accepted so that PyTorch code ports unchanged; the result is a new tensor.
    """
    return _leaky_relu(input, negative_slope)


def sigmoid(input):
    """F6: σ(x) = 1 / (1 + e^{-x})."""
    return input.sigmoid()


def tanh(input):
    """F6: tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})."""
    return input.tanh()


def gelu(input, approximate="none"):
    """GELU(x) = x · Φ(x), Φ the standard normal CDF ('tanh': the tanh approximation of Φ)."""
    return input.gelu(approximate=approximate)


def softmax(input, dim):
    """softmax(x)_i = e^{x_i} / Σ_j e^{x_j} along `dim` (F8, F9)."""
    return input.softmax(axis=dim)


def log_softmax(input, dim):
    """log softmax(x)_i = x_i - log Σ_j e^{x_j} along `dim` (computed stably by the engine)."""
    return input.log_softmax(axis=dim)


# ============================================================================================
# Linear, dropout, embedding, one-hot
# ============================================================================================


def linear(input, weight, bias=None):
    """y = x Wᵀ + b.   x: (..., in), W: (out, in), b: (out,) -> y: (..., out)   (F7, F11).

    The op and its backward: ops.Linear (ops/linear.py).
    """
    fn = "linear"
    _check_float(weight, fn, "weight")
    if weight.ndim != 2:
        raise ValueError(
            f"{fn}: weight must have shape (out_features, in_features), got {weight.shape}"
        )
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"{fn}: expected input of shape (..., {weight.shape[1]}) for a weight of shape "
            f"{weight.shape}, got {input.shape}"
        )
    if input.dtype != weight.dtype:
        # linear is x @ Wᵀ: the same dtype rule and error as that product (an integer input
        # becomes the weight's float dtype; two float dtypes never mix).
        input, _ = common_dtype(input, weight, "matmul")
    if bias is not None:
        _check_float(bias, fn, "bias")
        _check_same_float_dtype(weight, bias, fn, "weight", "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"{fn}: bias must have shape (out_features,) = "
                f"({weight.shape[0]},), got {bias.shape}"
            )
    return ops.Linear.apply(input, weight, bias)


def dropout(input, p=0.5, training=True):
    """Inverted dropout: y = x · m / (1 - p), m_i ~ Bernoulli(1 - p).

    Dividing by (1 - p) during training keeps E[y] = x, so evaluation (training=False) is the
    identity and needs no rescaling. The mask comes from minigrad's global generator.
    """
    if isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be between 0 and 1, got {p!r}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0  # every unit dropped (and 1/(1-p) would divide by zero)
    uniform = creation.rand(input.shape, dtype=input.dtype, device=input.device)
    keep = uniform >= p  # True with probability 1 - p; a constant, so no gradient through it
    return input * keep * (1.0 / (1.0 - p))


def embedding(input, weight, padding_idx=None):
    """Look up rows of `weight`: out[..., :] = weight[input[...], :].

    input: integer tensor (any shape), weight: (num_embeddings, dim) -> (*input.shape, dim).
    The gradient of a row is the sum of the output gradients of every position that looked it up
    (the engine's indexing adds repeated indices up). Positions equal to `padding_idx` send no
    gradient to the weight, so the padding row stays as it is during training.
    """
    _check_float(weight, "embedding", "weight")
    indices = _as_tensor(input, weight)
    _check_integer(indices, "embedding", "input")
    num_embeddings = weight.shape[0]
    _check_index_range(indices, num_embeddings, "embedding", "index")
    out = weight[indices]  # (*input.shape, dim)
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += num_embeddings
        # Same values either way; only the detached branch is taken at padding positions, so
        # no gradient reaches the padding row.
        not_padding = (indices != padding_idx).unsqueeze(-1)  # (*input.shape, 1)
        out = where(not_padding, out, out.detach())
    return out


def one_hot(tensor, num_classes=-1):
    """Integer class indices (...) -> int64 tensor (..., num_classes) with a 1 at each index.

    num_classes=-1 uses (largest index + 1).
    """
    if not isinstance(tensor, Tensor):
        tensor = creation.tensor(tensor)
    _check_integer(tensor, "one_hot", "tensor")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(tensor.max().item()) + 1
    _check_index_range(tensor, num_classes, "one_hot", "class index")
    xp = tensor.xp
    classes = xp.arange(num_classes)  # (C,)
    hot = xp.expand_dims(tensor.array, -1) == classes  # (..., 1) == (C,) -> (..., C)
    return _wrap(hot.astype(dtypes.int64), tensor)


# ============================================================================================
# Layer normalisation (F12)
# ============================================================================================


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) axes, then scale by weight and shift by bias.

    input: (..., *normalized_shape); weight, bias: normalized_shape (or None).
    The op and its backward: ops.LayerNorm (ops/normalization.py).   (F12)
    """
    _check_float(input, "layer_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or input.shape[input.ndim - k :] != normalized_shape:
        raise ValueError(
            f"layer_norm: expected input of shape (..., {', '.join(map(str, normalized_shape))})"
            f" for normalized_shape={normalized_shape}, got {input.shape}"
        )
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None:
            _check_same_float_dtype(input, param, "layer_norm", "input", name)
            if param.shape != normalized_shape:
                raise ValueError(
                    f"layer_norm: {name} must have shape {normalized_shape}, got {param.shape}"
                )
    return ops.LayerNorm.apply(input, weight, bias, k, float(eps))


# ============================================================================================
# Losses. Each returns one number ('mean' or 'sum') or one loss per element ('none').
# ============================================================================================


def mse_loss(input, target, reduction="mean"):
    """F1: MSE(ŷ, y) = (1/n) Σ_i (ŷ_i - y_i)²;   ∂MSE/∂ŷ_i = (2/n)(ŷ_i - y_i) (by the engine).

    Shapes must match exactly: a (N, 1) prediction against a (N,) target would broadcast to
    (N, N) and silently compute the wrong loss.
    """
    _check_reduction(reduction, "mse_loss")
    _check_float(input, "mse_loss")
    target = _as_tensor(target, input, dtype=input.dtype)
    _check_same_device(input, target, "mse_loss", "input", "target")
    if input.shape != target.shape:
        raise ValueError(
            f"mse_loss: input shape {input.shape} and target shape {target.shape} "
            "differ; they must be the same (reshape one of them)"
        )
    diff = input - target
    return _reduce(diff * diff, reduction)


# --------------------------------------------------------------------------------------------
# Cross-entropy (F2) and negative log-likelihood
# --------------------------------------------------------------------------------------------


def _classes_last(x):
    """(N, C, d1, ..., dk) -> (N·d1·…·dk, C); (N, C) unchanged; (C,) -> (1, C)."""
    if x.ndim == 1:
        return x.reshape(1, x.shape[0])
    if x.ndim == 2:
        return x
    order = (0,) + tuple(range(2, x.ndim)) + (1,)  # move the class axis to the end
    return x.permute(*order).reshape(-1, x.shape[1])


def _target_kind(input, target, fn):
    """'index' for integer class targets, 'probs' for class probabilities; errors otherwise."""
    if input.ndim == 0:
        raise ValueError(
            f"{fn}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor"
        )
    _check_same_device(input, target, fn, "input", "target")
    # The shape a class-index target must have: the input's shape without the class axis.
    index_shape = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    if target.dtype.kind in "iu":
        if target.shape != index_shape:
            batch = ""
            if target.ndim >= 1 and input.ndim >= 2 and target.shape[0] != input.shape[0]:
                batch = f"batch sizes differ (input {input.shape[0]}, target {target.shape[0]}); "
            raise ValueError(
                f"{fn}: {batch}expected a target of class indices of shape {index_shape} for "
                f"input of shape {input.shape}, got {target.shape}"
            )
        return "index"
    if target.dtype.kind == "f":
        if target.shape == input.shape:
            return "probs"
        if target.shape == index_shape:
            raise TypeError(
                f"{fn}: target has shape {target.shape} like class indices but dtype "
                f"{target.dtype}; class indices must be integers (use target.long()), while "
                f"class probabilities must have the input's shape {input.shape}"
            )
        raise ValueError(
            f"{fn}: expected a target of class indices of shape {index_shape} or of class "
            f"probabilities of shape {input.shape}, got {target.shape}"
        )
    raise TypeError(
        f"{fn}: target must hold integer class indices or float probabilities, got {target.dtype}"
    )


def _class_weights(weight, input, num_classes, fn):
    """The class weights as a backend array (C,) in the input's dtype (ones if weight is None)."""
    if weight is None:
        return input.xp.ones(num_classes, dtype=input.dtype)
    weight = _as_tensor(weight, input, dtype=input.dtype)
    _check_same_float_dtype(input, weight, fn, "input", "weight")
    if weight.shape != (num_classes,):
        raise ValueError(
            f"{fn}: weight must have one entry per class, shape ({num_classes},), "
            f"got {weight.shape}"
        )
    return weight.array


def _index_targets(target_flat, num_classes, w, ignore_index, label_smoothing, fn):
    """Class indices (M,) -> target weights T (M, C) and the divisor of the 'mean' reduction.

    Row m of T:  (1 - ε) · w[y_m] · onehot(y_m) + (ε / C) · w      (0 if y_m == ignore_index)
    Divisor:     Σ_m w[y_m] over the rows that are not ignored      (as PyTorch)
    """
    xp = get_backend(target_flat.device).xp
    _check_index_range(target_flat, num_classes, fn, "target class index", ignore_index)
    t = target_flat.array  # (M,)
    keep = xp.expand_dims(t != ignore_index, 1)  # (M, 1)
    hot = (xp.expand_dims(t, 1) == xp.arange(num_classes)) & keep  # (M, C) bool
    hot = hot.astype(w.dtype)
    T = (1.0 - label_smoothing) * hot * w
    if label_smoothing > 0.0:
        T = T + (label_smoothing / num_classes) * keep.astype(w.dtype) * w
    divisor = (hot * w).sum()  # Σ of the target classes' weights
    return T, divisor


def cross_entropy(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """F2: cross-entropy between softmax(input) and the target, from logits.

    input:  logits (N, C), or (N, C, d1, ..., dk) (one distribution per position), or (C,)
    target: class indices, int (N,) / (N, d1, ..., dk) / (), in [0, C) or ignore_index;
            or class probabilities with the input's shape (each row summing to 1)
    weight: optional (C,) weight per class. label_smoothing ε mixes the target with the uniform
    distribution: y' = (1 - ε) y + ε / C.

        loss_m = -Σ_c w_c · y'_{mc} · log softmax(z_m)_c
    'mean' divides by Σ_m w[y_m] over non-ignored rows (class indices) or by the number of rows
    (probabilities), exactly as PyTorch does.
    The ops and their backward: ops.CrossEntropy (class indices, no weight or smoothing) and
    ops.CrossEntropyProbs (a table of target weights), in ops/losses.py.
    """
    fn = "cross_entropy"
    _check_reduction(reduction, fn)
    _check_float(input, fn)
    label_smoothing = float(label_smoothing)  # a NumPy float64 would promote float32 targets
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be between 0 and 1, got {label_smoothing}")
    target = _as_tensor(target, input)
    kind = _target_kind(input, target, fn)
    num_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    w = _class_weights(weight, input, num_classes, fn)
    z = _classes_last(input)  # (M, C)

    if kind == "index" and weight is None and label_smoothing == 0.0:
        # The usual case, fused without the (M, C) table of target weights.
        target_flat = target.reshape(-1)
        _check_index_range(target_flat, num_classes, fn, "target class index", ignore_index)
        losses = ops.CrossEntropy.apply(z, target_flat, ignore_index)
        divisor = (target_flat.array != ignore_index).sum().astype(input.dtype)
        return _reduce_cross_entropy(losses, _wrap(divisor, input), reduction, input)
    keep = None
    if kind == "index":
        target_flat = target.reshape(-1)
        T, divisor = _index_targets(target_flat, num_classes, w, ignore_index, label_smoothing, fn)
        T, divisor = _wrap(T, input), _wrap(divisor, input)
        keep = _wrap(target_flat.array != ignore_index, input)
    else:
        _check_same_float_dtype(input, target, fn, "input", "target")
        # Built with Tensor ops, so a target that requires grad (distillation) gets one.
        T = _classes_last(target) * (1.0 - label_smoothing) + label_smoothing / num_classes
        T = T * _wrap(w, input)
        divisor = z.shape[0]

    losses = ops.CrossEntropyProbs.apply(z, T)  # (M,)
    if keep is not None:
        # Ignored rows get exactly 0 gradient, as in PyTorch: with every row ignored, 'mean'
        # is 0/0 = nan and its backward sends inf, which `where` stops (inf * 0 would be nan).
        losses = where(keep, losses, 0.0)
    return _reduce_cross_entropy(losses, divisor, reduction, input)


def _reduce_cross_entropy(losses, divisor, reduction, input):
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.sum() / divisor
    if input.ndim == 1:
        return losses[0]  # unbatched: a 0-d loss
    return losses.reshape((input.shape[0],) + input.shape[2:])  # (N, d1, ..., dk)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood: loss_m = -w[y_m] · input[m, y_m], input holding log-probabilities.

    cross_entropy(z, y) == nll_loss(log_softmax(z, dim=1), y). Shapes as in cross_entropy
    (class indices only); 'mean' divides by Σ_m w[y_m] over non-ignored rows.
    The op and its backward: ops.NLLLoss (ops/losses.py).
    """
    fn = "nll_loss"
    _check_reduction(reduction, fn)
    _check_float(input, fn)
    target = _as_tensor(target, input)
    if _target_kind(input, target, fn) != "index":
        raise TypeError(f"{fn}: target must hold integer class indices, got {target.dtype}")
    num_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    w = _class_weights(weight, input, num_classes, fn)  # (C,) backend array
    target_flat = target.reshape(-1)  # (M,)
    _check_index_range(target_flat, num_classes, fn, "target class index", ignore_index)
    losses = ops.NLLLoss.apply(_classes_last(input), target_flat, w, ignore_index)  # (M,)
    # 'mean' divides by Σ_m w[y_m] over the rows that are not ignored (as PyTorch).
    xp = input.xp
    t = target_flat.array
    keep = t != ignore_index
    divisor = xp.where(keep, w[xp.where(keep, t, 0)], 0.0).sum()
    return _reduce_cross_entropy(losses, _wrap(divisor, input), reduction, input)


# --------------------------------------------------------------------------------------------
# Binary cross-entropy (F3)
# --------------------------------------------------------------------------------------------


def _binary_target(input, target, fn):
    target = _as_tensor(target, input, dtype=input.dtype)
    _check_same_device(input, target, fn, "input", "target")
    if target.dtype.kind != "f":
        target = target.astype(input.dtype)  # 0/1 integer labels are fine
    _check_same_float_dtype(input, target, fn, "input", "target")
    if target.shape != input.shape:
        raise ValueError(
            f"{fn}: target shape {target.shape} and input shape {input.shape} "
            "differ; they must be the same"
        )
    return target


def _check_probabilities(x, fn, rule, hint):
    """ValueError unless every value of x is in [0, 1]. NaN is refused too (as PyTorch): the
    loss clamps log p at -100, so a NaN probability would otherwise give a finite loss."""
    data = x.array
    outside = ~((data >= 0.0) & (data <= 1.0))  # NaN fails both comparisons
    if not bool(outside.any()):  # one small device->host copy, for a clear message
        return
    if bool(x.xp.isnan(data).any()):
        raise ValueError(f"{fn}: {rule}, got NaN{hint}")
    raise ValueError(
        f"{fn}: {rule}, got values from {float(data.min())} to {float(data.max())}{hint}"
    )


def _binary_weight(loss, weight, input, fn):
    if weight is None:
        return loss
    weight = _as_tensor(weight, input, dtype=input.dtype)
    _check_same_float_dtype(input, weight, fn, "input", "weight")
    return loss * weight  # broadcasts, e.g. a (C,) weight over (N, C)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """F3: -[y log p + (1 - y) log(1 - p)] for probabilities p (e.g. after sigmoid; F7).

    Prefer binary_cross_entropy_with_logits on the raw scores: it is exact where sigmoid rounds
    to 0 or 1.
    """
    fn = "binary_cross_entropy"
    _check_reduction(reduction, fn)
    _check_float(input, fn)
    target = _binary_target(input, target, fn)
    _check_probabilities(
        input,
        fn,
        "input must hold probabilities in [0, 1] (e.g. the output of sigmoid)",
        "; for raw scores (logits) use binary_cross_entropy_with_logits",
    )
    # The target may stray past [0, 1] (the formula holds for any y, and a finite-difference
    # check of dL/dy steps past 0 and 1), but a NaN target is refused, as in PyTorch.
    if bool(target.xp.isnan(target.array).any()):
        raise ValueError(f"{fn}: target must hold labels or probabilities in [0, 1], got NaN")
    loss = ops.BinaryCrossEntropy.apply(input, target)
    return _reduce(_binary_weight(loss, weight, input, fn), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean"):
    """F3 on raw scores z: the same loss as binary_cross_entropy(sigmoid(z), y), computed stably."""
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, fn)
    _check_float(input, fn)
    target = _binary_target(input, target, fn)
    loss = ops.BinaryCrossEntropyWithLogits.apply(input, target)
    return _reduce(_binary_weight(loss, weight, input, fn), reduction)


# ============================================================================================
# Attention (F8). MultiHeadAttention (nn/attention.py) builds on these.
# ============================================================================================


def _check_qkv(query, key, value):
    """Check the three inputs; return the shape of the scores, (*batch, L, S)."""
    fn = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {name} must be a Tensor, got {type(t).__name__}")
        if t.dtype.kind != "f":
            raise TypeError(f"{fn}: {name} must be a floating-point tensor, got {t.dtype}")
        if t.ndim < 2:
            raise ValueError(f"{fn}: {name} must have shape (..., length, features), got {t.shape}")
        if t.dtype != query.dtype:
            raise TypeError(
                f"{fn}: query is {query.dtype} but {name} is {t.dtype}; "
                f"convert one, e.g. {name}.astype(minigrad.{query.dtype})"
            )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"{fn}: query {query.shape} and key {key.shape} must have the same last dimension "
            f"(the query/key size d), got {query.shape[-1]} and {key.shape[-1]}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"{fn}: key {key.shape} and value {value.shape} must have the same length S "
            f"(one value per key), got {key.shape[-2]} and {value.shape[-2]}"
        )
    if key.shape[-2] == 0:
        raise ValueError(f"{fn}: there are no keys to attend to (key has shape {key.shape})")
    try:
        batch = broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{fn}: the batch dimensions of query {query.shape}, key {key.shape} "
            f"and value {value.shape} cannot be broadcast together"
        ) from None
    return batch + (query.shape[-2], key.shape[-2])


def causal_mask(L, S=None, offset=0, device=None):
    """Boolean (L, S) mask, True where query i may look at key j:  j <= i + offset.

    With offset=0 and L = S this is the lower triangle: position t sees positions 0..t and never
    a later one, so a language model cannot peek at the token it has to predict. With a cache of
    `offset` earlier tokens, query i is token offset + i and sees keys 0..offset + i.
    """
    S = L if S is None else S
    rows = creation.arange(L, device=device).reshape(L, 1)  # (L, 1) query positions
    cols = creation.arange(S, device=device).reshape(1, S)  # (1, S) key positions
    return cols <= rows + offset  # (L, S)


def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p=0.0,
    is_causal=False,
    scale=None,
    *,
    return_weights=False,
):
    """softmax(scale · Q Kᵀ + mask) V, with PyTorch's arguments and semantics.   (F8)

    The op and its backward: ops.ScaledDotProductAttention (ops/attention.py).

    query: (..., L, d)    key: (..., S, d)    value: (..., S, dv)    -> (..., L, dv)
    The leading dimensions (batch, heads) broadcast against each other.

    attn_mask: broadcastable to (..., L, S). Boolean: True = this query may attend to this key.
        Float: added to the scores (0 = keep, -inf = remove; other values bias the weights).
    dropout_p: drop attention weights with this probability (and scale the rest by
        1/(1 - dropout_p)). Applied whenever dropout_p > 0: pass 0.0 in evaluation, as
        MultiHeadAttention does for you.
    is_causal: query i attends to keys 0..i only (the top-left-aligned lower triangle, as in
        PyTorch). Cannot be combined with attn_mask; build one mask with `causal_mask` instead.
    scale: multiplies Q Kᵀ. None means 1/√d (Vaswani et al.); 1.0 gives the documents' F8.
    return_weights: also return the attention weights P (..., L, S), before dropout, as a
        constant tensor (for heat maps).

    A query whose keys are all masked gets the zero vector as output and no gradient (PyTorch
    2.5+ does the same); the rows of its weights are all 0 instead of summing to 1.
    """
    fn = "scaled_dot_product_attention"
    score_shape = _check_qkv(query, key, value)
    L, S = score_shape[-2], score_shape[-1]
    if isinstance(dropout_p, bool) or not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{fn}: dropout_p must be between 0 and 1, got {dropout_p!r}")
    if is_causal and attn_mask is not None:
        raise ValueError(
            f"{fn}: give attn_mask or is_causal=True, not both (combine them into "
            f"one boolean mask: causal_mask(L, S) & your_mask)"
        )
    # A Python float keeps float32 float32; a NumPy float64 scalar would not.
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)

    keep = bias = None  # boolean "may attend" mask / additive float mask
    if is_causal:
        keep = causal_mask(L, S, device=query.device)
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            attn_mask = creation.tensor(attn_mask, device=query.device)
        try:
            fits = broadcast_shapes(attn_mask.shape, score_shape) == score_shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{fn}: attn_mask of shape {attn_mask.shape} does not broadcast to "
                f"the scores' shape {score_shape} (..., L, S)"
            )
        if attn_mask.dtype == dtypes.bool:
            keep = attn_mask
        elif attn_mask.dtype == query.dtype:
            bias = attn_mask
        else:
            raise TypeError(
                f"{fn}: attn_mask must be boolean or have the query's dtype "
                f"({query.dtype}), got {attn_mask.dtype}"
            )

    drop = None
    if dropout_p > 0.0:
        uniform = creation.rand(score_shape, dtype=query.dtype, device=query.device)
        kept = (uniform >= dropout_p).astype(query.dtype)  # 1 with probability 1 - p
        drop = kept * (1.0 / (1.0 - dropout_p)) if dropout_p < 1.0 else kept

    out = ops.ScaledDotProductAttention.apply(query, key, value, bias, keep, drop, scale)
    if return_weights:
        return out, _attention_weights(query, key, bias, keep, scale)
    return out


def _attention_weights(query, key, bias, keep, scale):
    """The attention weights P (..., L, S) of the op's forward, as a constant tensor.

    Computed again (only when asked for, e.g. for heat maps) by the same array function as the
    op's forward, ops.attention.attention_weights, so they are exactly the weights it used.
    """
    bias = None if bias is None else bias.array
    keep = None if keep is None else keep.array
    p = attention_weights(query.xp, query.array, key.array, bias, keep, scale)
    return Tensor(p, dtype=p.dtype, device=query.device)


# ============================================================================================
# Convolutional networks. conv1d, conv2d, the pooling functions and batch_norm are the entry
# points of their ops (ops/conv.py, ops/pooling.py, ops/normalization_batch.py), imported above
# so that F.conv2d works as in PyTorch; dropout2d is a few Tensor operations.
# ============================================================================================


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout: zero whole feature maps. y = x · m / (1 - p), with ONE m ~ Bernoulli(1 - p)
    per (example, channel), shared by all H·W positions of that channel.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    barely regularises a conv net; dropping whole channels does. input: (N, C, H, W) or
    (C, H, W). `inplace` is accepted for PyTorch compatibility and ignored.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout2d: input must be a Tensor, got {type(input).__name__}")
    if isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: probability p must be between 0 and 1, got {p!r}")
    if input.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected a 4-d input (N, C, H, W) or a 3-d one (C, H, W), got shape "
            f"{input.shape}"
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    mask_shape = input.shape[:-2] + (1, 1)  # one draw per channel, broadcast over H and W
    keep = creation.rand(*mask_shape, dtype=input.dtype, device=input.device) >= p
    return input * keep * (1.0 / (1.0 - p))
