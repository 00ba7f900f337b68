"""W4: causal scaled dot-product attention, forward and backward, at (B=8, H=8, T=256, d=64).

    O = softmax(Q Kᵀ / √d + causal mask) V         Q, K, V: (8, 8, 256, 64) float32
    O.backward(G)                                   G: a fixed random ∂L/∂O

minigrad uses minigrad.nn.functional.scaled_dot_product_attention (a fused Function), PyTorch
its own F.scaled_dot_product_attention; MyGrad and HIPS autograd compose it from their ops.
FLOPs count the full T×T products (QKᵀ, PV forward; four of that size backward), although a
causal kernel may skip the masked half.
"""

import math

import numpy as np

from benchmarks.common import require, require_tinygrad

NAME = "W4"
TITLE = "causal attention fwd+bwd, B8 H8 T256 d64"
UNIT = "ms"
B, H, T, D = 8, 8, 256, 64
FLOPS = 12 * B * H * T * T * D  # forward 2 products, backward 4, 2·T·T·d each
CAUSAL = np.where(np.tril(np.ones((T, T), bool)), 0.0, -np.inf).astype(np.float32)


def make_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal((B, H, T, D)).astype(np.float32) for name in "qkvg"}


def build_minigrad(inputs):
    import minigrad
    from minigrad.nn.functional import scaled_dot_product_attention

    q, k, v = (minigrad.tensor(inputs[n], requires_grad=True) for n in "qkv")
    g = minigrad.tensor(inputs["g"])

    def step():
        q.grad = k.grad = v.grad = None
        out = scaled_dot_product_attention(q, k, v, is_causal=True)
        out.backward(g)
        return (out * g).sum()

    return step


def build_torch(inputs):
    torch = require("torch", "torch")
    q, k, v = (torch.tensor(inputs[n], requires_grad=True) for n in "qkv")
    g = torch.tensor(inputs["g"])

    def step():
        q.grad = k.grad = v.grad = None
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        out.backward(g)
        return (out.detach() * g).sum()

    return step


def _composed_attention(xp, softmax, q, k, v):
    # A float32 scale: MyGrad would turn a Python float into float64.
    scores = xp.matmul(q, xp.swapaxes(k, -1, -2)) * np.float32(1 / math.sqrt(D)) + CAUSAL
    return xp.matmul(softmax(scores), v)


def build_mygrad(inputs):
    mg = require("mygrad", "mygrad")
    from mygrad.nnet.activations import softmax

    q, k, v = (mg.tensor(inputs[n]) for n in "qkv")
    g = inputs["g"]

    def step():
        out = _composed_attention(mg, lambda s: softmax(s, axis=-1), q, k, v)
        loss = mg.sum(out * g)  # ∂loss/∂out = G
        loss.backward()
        return loss

    return step


def build_autograd(inputs):
    autograd = require("autograd", "autograd")
    import autograd.numpy as anp

    def softmax(s):
        e = anp.exp(s - anp.max(s, axis=-1, keepdims=True))
        return e / anp.sum(e, axis=-1, keepdims=True)

    g = inputs["g"]

    def loss(params):
        return anp.sum(_composed_attention(anp, softmax, *params) * g)

    loss_and_grad = autograd.value_and_grad(loss)
    params = tuple(inputs[n].copy() for n in "qkv")

    def step():
        value, _grads = loss_and_grad(params)
        return value

    return step


def build_tinygrad(inputs):
    require_tinygrad()
    from tinygrad import Tensor

    q, k, v = (Tensor(inputs[n].copy()) for n in "qkv")
    g = Tensor(inputs["g"].copy())

    def step():
        q.grad = k.grad = v.grad = None
        loss = (q.scaled_dot_product_attention(k, v, is_causal=True) * g).sum()
        loss.backward()
        Tensor.realize(loss, q.grad, k.grad, v.grad)
        return loss

    return step


BUILDERS = {
    "minigrad": build_minigrad,
    "torch": build_torch,
    "mygrad": build_mygrad,
    "autograd": build_autograd,
    "tinygrad": build_tinygrad,
}
