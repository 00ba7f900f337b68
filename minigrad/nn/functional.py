"""Stateless building blocks: activations, layers as functions, and losses.

    import minigrad.nn.functional as F
    loss = F.cross_entropy(logits, target)

Most functions here are a few Tensor operations, so the engine differentiates them for free.
Five are written as fused `minigrad.Function`s, with their own backward next to the forward,
because fusing makes them simpler, faster or more stable:

    _Linear                          x Wᵀ + b as one op: one matrix product for all rows
    _LayerNorm                       one pass instead of ~8 ops, and the textbook backward
    _SoftmaxCrossEntropy             F2: the gradient is just (softmax(z) - y), no exp overflow
    _BinaryCrossEntropy              F3: log clamped at -100 so log(0) never appears
    _BinaryCrossEntropyWithLogits    F3, stable form: max(z,0) - z*y + log(1 + e^-|z|)

Every function checks its arguments first and names the problem in the error. Formula ids (F1, F2,
...) refer to shared/lessons/FORMULAS.md.
"""

import math

import minigrad
from minigrad.backend import get_backend

# ============================================================================================
# Small helpers
# ============================================================================================


def _as_tensor(value, like, dtype=None):
    """Lists / NumPy arrays / backend arrays -> a Tensor on `like`'s device (Tensors unchanged)."""
    if isinstance(value, minigrad.Tensor):
        return value
    return minigrad.Tensor(value, dtype=dtype, device=like.device)


def _wrap(array, like):
    """A backend array computed from `like`'s data -> a constant Tensor on the same device."""
    # dtype=array.dtype: NumPy reductions return scalars such as np.float64(2.0), which would
    # otherwise be read as a Python float and get the default dtype.
    return minigrad.Tensor(array, dtype=array.dtype, device=like.device)


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
    if not isinstance(x, minigrad.Tensor):
        raise TypeError(f"{fn}: {what} must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {what} must be a floating-point tensor, got {x.dtype}")


def _check_same_float_dtype(a, b, fn, what_a, what_b):
    # The engine's rule: float types never mix silently (a float64 would sneak into float32).
    if b.dtype.kind == "f" and b.dtype != a.dtype:
        raise TypeError(f"{fn}: {what_a} is {a.dtype} but {what_b} is {b.dtype}; "
                        f"convert one, e.g. {what_b}.astype(minigrad.{a.dtype})")


def _check_same_device(a, b, fn, what_a, what_b):
    if b.device != a.device:
        raise RuntimeError(f"{fn}: {what_a} is on '{a.device}' but {what_b} is on '{b.device}'; "
                           f"move one, e.g. {what_b}.to('{a.device}')")


def _check_integer(x, fn, what):
    if x.dtype.kind not in "iu":
        raise TypeError(f"{fn}: {what} must be integer indices (int64), got {x.dtype}")


def _check_index_range(indices, size, fn, what, allowed_extra=None):
    """Raise IndexError if an index is outside [0, size) (ignoring `allowed_extra`)."""
    data = indices.data
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


class _Linear(minigrad.Function):
    r"""y = x Wᵀ + b, fused: the leading axes of x are rows of one matrix product.   (F7, F11)

    Forward, with X = x reshaped to (M, in) (M = the product of the leading axes):
        Y = X Wᵀ + b                      (M, out), then reshaped to (..., out)
    Backward, with G = ∂L/∂Y (M, out):
        ∂L/∂X = G W                       (M, in)
        ∂L/∂W = Gᵀ X                      (out, in): one product over all M rows
        ∂L/∂b = Σ_rows G                  (out,)
    The same numbers as `x @ W.T + b` (which `linear` still computes for unusual arguments),
    in one graph node instead of three, and without the (..., in, out) per-batch weight
    gradients that a batched matmul would make and then sum.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        rows = math.prod(x.shape[:-1])
        x_rows = x.reshape(rows, x.shape[-1])  # a view when x is contiguous (the usual case)
        y = x_rows @ weight.T  # (M, in) @ (in, out): BLAS reads Wᵀ as a view, no copy
        if bias is not None:
            y += bias  # in place: y is a new array that nothing else holds yet
        ctx.save_for_backward(x_rows, weight)
        ctx.x_shape = x.shape
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):  # grad: (..., out)
        x_rows, weight = ctx.saved_tensors
        g = grad.reshape(x_rows.shape[0], weight.shape[0])  # (M, out)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = (g @ weight).reshape(ctx.x_shape)
        if ctx.needs_input_grad[1]:
            grad_weight = g.T @ x_rows
        if ctx.needs_input_grad[2]:
            grad_bias = _column_sums(ctx.xp, g)
        return grad_x, grad_weight, grad_bias


def linear(input, weight, bias=None):
    """y = x Wᵀ + b.   x: (..., in), W: (out, in), b: (out,) -> y: (..., out)   (F7, F11)."""
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: expected input of shape (..., {weight.shape[1]}) for a weight of shape "
            f"{weight.shape}, got {input.shape}"
        )
    if _fusable_linear(input, weight, bias):
        return _Linear.apply(input, weight, bias)
    # Anything else (mixed dtypes or devices, an unusual bias shape) takes the composite path,
    # which converts or reports exactly as the Tensor operators do.
    out = input @ weight.T  # (..., in) @ (in, out) -> (..., out)
    if bias is not None:
        out = out + bias  # (out,) broadcasts over the leading dimensions
    return out


def _fusable_linear(input, weight, bias):
    """The usual case: float tensors of one dtype on one device, W 2-D, b of shape (out,)."""
    if not isinstance(input, minigrad.Tensor) or not isinstance(weight, minigrad.Tensor):
        return False
    if weight.ndim != 2 or input.dtype != weight.dtype or input.dtype.kind != "f":
        return False
    if input.device != weight.device:
        return False
    if bias is None:
        return True
    return (isinstance(bias, minigrad.Tensor) and bias.shape == (weight.shape[0],)
            and bias.dtype == weight.dtype and bias.device == weight.device)


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
    uniform = minigrad.rand(input.shape, dtype=input.dtype, device=input.device)
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
        out = minigrad.where(not_padding, out, out.detach())
    return out


def one_hot(tensor, num_classes=-1):
    """Integer class indices (...) -> int64 tensor (..., num_classes) with a 1 at each index.

    num_classes=-1 uses (largest index + 1).
    """
    if not isinstance(tensor, minigrad.Tensor):
        tensor = minigrad.tensor(tensor)
    _check_integer(tensor, "one_hot", "tensor")
    if num_classes == -1:
        if tensor.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(tensor.max().item()) + 1
    _check_index_range(tensor, num_classes, "one_hot", "class index")
    xp = tensor.xp
    classes = xp.arange(num_classes)  # (C,)
    hot = xp.expand_dims(tensor.data, -1) == classes  # (..., 1) == (C,) -> (..., C)
    return _wrap(hot.astype(minigrad.int64), tensor)


# ============================================================================================
# Layer normalisation (F12)
# ============================================================================================


class _LayerNorm(minigrad.Function):
    r"""Layer normalisation over the last k axes (D numbers per row), fused.

    Forward, per row x (the normalised axes):
        μ  = (1/D) Σ x_i
        σ² = (1/D) Σ (x_i - μ)²                  (biased variance, as in Ba et al. 2016)
        x̂  = (x - μ) / √(σ² + ε)
        y  = γ ⊙ x̂ + β
    Backward, with g = ∂L/∂y and ĝ = g ⊙ γ:
        ∂L/∂x = (ĝ - mean(ĝ) - x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + ε)
        ∂L/∂γ = Σ_rows g ⊙ x̂          ∂L/∂β = Σ_rows g
    (The two means come from μ and σ² depending on every x_i of the row.)
    """

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_ndim, eps):
        xp = ctx.xp
        # Work on a 2-D view: one row of D numbers per normalised vector.
        D = math.prod(x.shape[x.ndim - normalized_ndim:])
        rows = x.reshape(math.prod(x.shape[:x.ndim - normalized_ndim]), D)
        # Shift each row by its first element before averaging (same x̂ mathematically): a
        # constant row becomes exact zeros, so it normalises to exactly 0 rather than to the
        # rounding error of its mean divided by √ε (up to 0.3 in float32 for values near 1e4).
        centred = rows - rows[:, :1]  # a new array, so the steps below can work in place
        centred -= _row_means(xp, centred)  # (M, D) - (M, 1)
        var = _row_means(xp, centred * centred)  # (M, 1)
        inv_std = 1.0 / xp.sqrt(var + eps)  # (M, 1)
        x_hat = centred
        x_hat *= inv_std  # (M, D), in place: centred is not needed any more
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.normalized_shape = x.shape[x.ndim - normalized_ndim:]
        if weight is not None:
            y = x_hat * weight.reshape(D)  # a new array...
            if bias is not None:
                y += bias.reshape(D)  # ...so the bias is added in place
        elif bias is not None:
            y = x_hat + bias.reshape(D)
        else:
            y = x_hat
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x_hat, inv_std, weight = ctx.saved_tensors  # x_hat: (M, D), inv_std: (M, 1)
        xp = ctx.xp
        g = grad.reshape(x_hat.shape)  # (M, D)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            g_hat = g if weight is None else g * weight.reshape(-1)
            mean_g = _row_means(xp, g_hat)  # (M, 1)
            mean_gx = _row_means(xp, g_hat * x_hat)  # (M, 1)
            grad_x = g_hat - mean_g  # a new array: the rest is done in place
            grad_x -= x_hat * mean_gx
            grad_x *= inv_std
            grad_x = grad_x.reshape(grad.shape)
        if ctx.needs_input_grad[1]:
            grad_weight = _column_sums(xp, g * x_hat).reshape(ctx.normalized_shape)
        if ctx.needs_input_grad[2]:
            grad_bias = _column_sums(xp, g).reshape(ctx.normalized_shape)
        return grad_x, grad_weight, grad_bias, None, None


def _column_sums(xp, a):
    """The sum of each column of a 2-D array (a.sum(axis=0)), shape (D,).

    Computed as (1, ..., 1) · a, a vector-matrix product: BLAS does it in about half the time
    of NumPy's reduction, and on two cores. Bias gradients are such sums over every row.
    """
    return xp.ones(a.shape[0], dtype=a.dtype) @ a


def _row_means(xp, a):
    """The mean of each row of a 2-D array, shape (M, 1).

    Computed as a matrix-vector product a · (1/D, ..., 1/D), which BLAS does several times
    faster than NumPy's reduction along the last axis (that mean is on LayerNorm's hot path).
    """
    D = a.shape[1]
    if D == 0:
        return a.mean(axis=1, keepdims=True)  # nan, as the mean of nothing is
    return (a @ xp.full(D, 1.0 / D, dtype=a.dtype)).reshape(a.shape[0], 1)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) axes, then scale by weight and shift by bias.

    input: (..., *normalized_shape); weight, bias: normalized_shape (or None).
    """
    _check_float(input, "layer_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or input.shape[input.ndim - k:] != normalized_shape:
        raise ValueError(
            f"layer_norm: expected input of shape (..., {', '.join(map(str, normalized_shape))})"
            f" for normalized_shape={normalized_shape}, got {input.shape}"
        )
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None:
            _check_same_float_dtype(input, param, "layer_norm", "input", name)
            if param.shape != normalized_shape:
                raise ValueError(f"layer_norm: {name} must have shape {normalized_shape}, "
                                 f"got {param.shape}")
    return _LayerNorm.apply(input, weight, bias, k, float(eps))


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
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} "
                         "differ; they must be the same (reshape one of them)")
    diff = input - target
    return _reduce(diff * diff, reduction)


# --------------------------------------------------------------------------------------------
# Cross-entropy (F2) and negative log-likelihood
# --------------------------------------------------------------------------------------------


class _SoftmaxCrossEntropy(minigrad.Function):
    r"""F2 fused with softmax: one cross-entropy per row of logits z (M, C) and target weights
    T (M, C) (a one-hot row, a probability row, or those with class weights / label smoothing).

    Forward, per row:
        log p_c = z_c - max(z) - log Σ_k e^{z_k - max(z)}      (log-softmax; exponents ≤ 0, so
                                                               logits of ±1e4 cannot overflow)
        loss    = -Σ_c T_c · log p_c
    Backward:
        ∂loss/∂z_c = p_c · Σ_k T_k - T_c        (= p - y for a one-hot or probability row y:
                                                 the "(softmax(z) - y)" of F2)
        ∂loss/∂T_c = -log p_c
    """

    @staticmethod
    def forward(ctx, z, T):
        xp = ctx.xp
        shifted = z - z.max(axis=1, keepdims=True)  # (M, C), every entry ≤ 0
        log_p = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))  # (M, C)
        ctx.save_for_backward(log_p, T)
        # A logit of -inf (a masked class) gives log p = -inf; where its weight T is 0 the term
        # must be 0, not 0 · (-inf) = nan, so those log p are replaced by 0 first.
        return -(T * xp.where(T != 0, log_p, 0.0)).sum(axis=1)  # (M,)

    @staticmethod
    def backward(ctx, grad):  # grad: (M,)
        log_p, T = ctx.saved_tensors
        xp = ctx.xp
        g = xp.expand_dims(grad, 1)  # (M, 1)
        grad_z = grad_T = None
        if ctx.needs_input_grad[0]:
            p = xp.exp(log_p)
            grad_z = g * (p * T.sum(axis=1, keepdims=True) - T)
        if ctx.needs_input_grad[1]:
            grad_T = -g * log_p
        return grad_z, grad_T


class _SoftmaxCrossEntropyIndex(minigrad.Function):
    r"""F2 fused with softmax for the usual case: one class index y_m per row of logits z (M, C),
    no class weights, no label smoothing (the same numbers as _SoftmaxCrossEntropy with one-hot
    rows T, without building T).

    Forward, per row:
        log p_c = z_c - max(z) - log Σ_k e^{z_k - max(z)}
        loss    = -log p_{y}                     (0 where y == ignore_index)
    Backward:
        ∂loss/∂z = p - onehot(y)                 (the "(softmax(z) - y)" of F2; 0 if ignored)
    """

    @staticmethod
    def forward(ctx, z, targets, ignore_index):
        xp = ctx.xp
        shifted = z - z.max(axis=1, keepdims=True)  # (M, C), every entry ≤ 0
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)  # (M, 1)
        keep = targets != ignore_index  # (M,)
        rows = xp.arange(z.shape[0])
        picked = xp.where(keep, targets, 0)  # any valid column for ignored rows
        log_p = shifted[rows, picked] - xp.log(total[:, 0])  # (M,): log p of each target
        e /= total  # p, in place: e is not needed any more
        ctx.save_for_backward(e, picked, keep)
        return xp.where(keep, -log_p, 0.0).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):  # grad: (M,)
        p, picked, keep = ctx.saved_tensors
        xp = ctx.xp
        g = grad * keep  # ignored rows send no gradient
        grad_z = p * xp.expand_dims(g, 1)  # g p ...
        grad_z[xp.arange(p.shape[0]), picked] -= g  # ... - g onehot(y)
        return grad_z, None, None


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
        raise ValueError(f"{fn}: expected input of shape (C,), (N, C) or (N, C, d1, ...), "
                         f"got a 0-d tensor")
    _check_same_device(input, target, fn, "input", "target")
    # The shape a class-index target must have: the input's shape without the class axis.
    index_shape = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    if target.dtype.kind in "iu":
        if target.shape != index_shape:
            batch = ""
            if target.ndim >= 1 and input.ndim >= 2 and target.shape[0] != input.shape[0]:
                batch = (f"batch sizes differ (input {input.shape[0]}, "
                         f"target {target.shape[0]}); ")
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
    raise TypeError(f"{fn}: target must hold integer class indices or float probabilities, "
                    f"got {target.dtype}")


def _class_weights(weight, input, num_classes, fn):
    """The class weights as a backend array (C,) in the input's dtype (ones if weight is None)."""
    if weight is None:
        return input.xp.ones(num_classes, dtype=input.dtype)
    weight = _as_tensor(weight, input, dtype=input.dtype)
    _check_same_float_dtype(input, weight, fn, "input", "weight")
    if weight.shape != (num_classes,):
        raise ValueError(f"{fn}: weight must have one entry per class, shape ({num_classes},), "
                         f"got {weight.shape}")
    return weight.data


def _index_targets(target_flat, num_classes, w, ignore_index, label_smoothing, fn):
    """Class indices (M,) -> target weights T (M, C) and the divisor of the 'mean' reduction.

    Row m of T:  (1 - ε) · w[y_m] · onehot(y_m) + (ε / C) · w      (0 if y_m == ignore_index)
    Divisor:     Σ_m w[y_m] over the rows that are not ignored      (as PyTorch)
    """
    xp = get_backend(target_flat.device).xp
    _check_index_range(target_flat, num_classes, fn, "target class index", ignore_index)
    t = target_flat.data  # (M,)
    keep = xp.expand_dims(t != ignore_index, 1)  # (M, 1)
    hot = (xp.expand_dims(t, 1) == xp.arange(num_classes)) & keep  # (M, C) bool
    hot = hot.astype(w.dtype)
    T = (1.0 - label_smoothing) * hot * w
    if label_smoothing > 0.0:
        T = T + (label_smoothing / num_classes) * keep.astype(w.dtype) * w
    divisor = (hot * w).sum()  # Σ of the target classes' weights
    return T, divisor


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """F2: cross-entropy between softmax(input) and the target, from logits.

    input:  logits (N, C), or (N, C, d1, ..., dk) (one distribution per position), or (C,)
    target: class indices, int (N,) / (N, d1, ..., dk) / (), in [0, C) or ignore_index;
            or class probabilities with the input's shape (each row summing to 1)
    weight: optional (C,) weight per class. label_smoothing ε mixes the target with the uniform
    distribution: y' = (1 - ε) y + ε / C.

        loss_m = -Σ_c w_c · y'_{mc} · log softmax(z_m)_c
    'mean' divides by Σ_m w[y_m] over non-ignored rows (class indices) or by the number of rows
    (probabilities), exactly as PyTorch does.
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
        losses = _SoftmaxCrossEntropyIndex.apply(z, target_flat.data, ignore_index)
        divisor = (target_flat.data != ignore_index).sum().astype(input.dtype)
        return _reduce_cross_entropy(losses, _wrap(divisor, input), reduction, input)
    if kind == "index":
        T, divisor = _index_targets(target.reshape(-1), num_classes, w, ignore_index,
                                    label_smoothing, fn)
        T, divisor = _wrap(T, input), _wrap(divisor, input)
    else:
        _check_same_float_dtype(input, target, fn, "input", "target")
        # Built with Tensor ops, so a target that requires grad (distillation) gets one.
        T = (_classes_last(target) * (1.0 - label_smoothing) + label_smoothing / num_classes)
        T = T * _wrap(w, input)
        divisor = z.shape[0]

    losses = _SoftmaxCrossEntropy.apply(z, T)  # (M,)
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
    """
    fn = "nll_loss"
    _check_reduction(reduction, fn)
    _check_float(input, fn)
    target = _as_tensor(target, input)
    if _target_kind(input, target, fn) != "index":
        raise TypeError(f"{fn}: target must hold integer class indices, got {target.dtype}")
    num_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    w = _class_weights(weight, input, num_classes, fn)
    log_p = _classes_last(input)  # (M, C)
    T, divisor = _index_targets(target.reshape(-1), num_classes, w, ignore_index, 0.0, fn)
    # Pick each row's target entry with masked_fill rather than multiplying by T, so that a
    # log-probability of -inf in another class does not turn into 0 · (-inf) = nan.
    picked = log_p.masked_fill(_wrap(T == 0, input), 0.0)  # (M, C): w-weighted entries only
    losses = -(picked * _wrap(T, input)).sum(axis=1)  # (M,)
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.sum() / _wrap(divisor, input)
    if input.ndim == 1:
        return losses[0]
    return losses.reshape((input.shape[0],) + input.shape[2:])


# --------------------------------------------------------------------------------------------
# Binary cross-entropy (F3)
# --------------------------------------------------------------------------------------------


def _clamped_log(xp, a):
    """max(log a, -100) for a ≥ 0, without ever evaluating log(0) (which would be -inf and warn)."""
    positive = a > 0
    safe = xp.where(positive, a, 1.0)  # log is only taken of positive numbers
    return xp.where(positive, xp.maximum(xp.log(safe), -100.0), -100.0)


class _BinaryCrossEntropy(minigrad.Function):
    r"""F3 on probabilities p ∈ [0, 1] with targets y, elementwise:

        L = -(y · log p + (1 - y) · log(1 - p)),  each log clamped at -100 (as PyTorch), so
                                                  p = 0 or 1 gives a finite loss, never log(0)
        ∂L/∂p = (p - y) / (p (1 - p)),   denominator clamped at 1e-12 (as PyTorch)
        ∂L/∂y = log(1 - p) - log p       (both logs clamped)
    """

    @staticmethod
    def forward(ctx, p, y):
        xp = ctx.xp
        log_p = _clamped_log(xp, p)
        log_1mp = _clamped_log(xp, 1.0 - p)
        ctx.save_for_backward(p, y, log_p, log_1mp)
        return -(y * log_p + (1.0 - y) * log_1mp)

    @staticmethod
    def backward(ctx, grad):
        p, y, log_p, log_1mp = ctx.saved_tensors
        xp = ctx.xp
        grad_p = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_p = grad * (p - y) / xp.maximum(p * (1.0 - p), 1e-12)
        if ctx.needs_input_grad[1]:
            grad_y = grad * (log_1mp - log_p)
        return grad_p, grad_y


def _binary_target(input, target, fn):
    target = _as_tensor(target, input, dtype=input.dtype)
    _check_same_device(input, target, fn, "input", "target")
    if target.dtype.kind != "f":
        target = target.astype(input.dtype)  # 0/1 integer labels are fine
    _check_same_float_dtype(input, target, fn, "input", "target")
    if target.shape != input.shape:
        raise ValueError(f"{fn}: target shape {target.shape} and input shape {input.shape} "
                         "differ; they must be the same")
    return target


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
    data = input.data
    if bool(((data < 0.0) | (data > 1.0)).any()):
        raise ValueError(
            f"{fn}: input must hold probabilities in [0, 1] (e.g. the output of sigmoid), got "
            f"values from {float(data.min())} to {float(data.max())}; for raw scores (logits) use "
            "binary_cross_entropy_with_logits"
        )
    loss = _BinaryCrossEntropy.apply(input, target)
    return _reduce(_binary_weight(loss, weight, input, fn), reduction)


class _BinaryCrossEntropyWithLogits(minigrad.Function):
    r"""F3 on logits z (p = σ(z)), in the stable form:

        L = max(z, 0) - z·y + log(1 + e^{-|z|})     (= -[y log σ(z) + (1-y) log(1-σ(z))];
                                                     e^{-|z|} ≤ 1, so nothing overflows)
        ∂L/∂z = σ(z) - y
        ∂L/∂y = -z
    """

    @staticmethod
    def forward(ctx, z, y):
        xp = ctx.xp
        e = xp.exp(-xp.abs(z))  # in (0, 1]
        ctx.save_for_backward(z, y, e)
        return xp.maximum(z, 0.0) - z * y + xp.log1p(e)

    @staticmethod
    def backward(ctx, grad):
        z, y, e = ctx.saved_tensors
        xp = ctx.xp
        grad_z = grad_y = None
        if ctx.needs_input_grad[0]:
            # σ(z) from e = e^{-|z|} without overflow: 1/(1+e) for z ≥ 0, e/(1+e) for z < 0.
            sig = xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            grad_z = grad * (sig - y)
        if ctx.needs_input_grad[1]:
            grad_y = -grad * z
        return grad_z, grad_y


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean"):
    """F3 on raw scores z: the same loss as binary_cross_entropy(sigmoid(z), y), computed stably."""
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, fn)
    _check_float(input, fn)
    target = _binary_target(input, target, fn)
    loss = _BinaryCrossEntropyWithLogits.apply(input, target)
    return _reduce(_binary_weight(loss, weight, input, fn), reduction)


# Attention (F8) lives beside MultiHeadAttention in attention.py; it is re-exported here so that
# F.scaled_dot_product_attention works as in PyTorch. Imported last: attention.py uses Linear,
# which uses this module.
from minigrad.nn.attention import causal_mask, scaled_dot_product_attention  # noqa: E402, F401
