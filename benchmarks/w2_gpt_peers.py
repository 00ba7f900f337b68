"""W2's tiny GPT in MyGrad, HIPS autograd and tinygrad (see w2_gpt.py for the model).

MyGrad and HIPS autograd both mirror NumPy's API, so one functional GPT serves both: `gpt_loss`
takes the parameters as a dict (the names of minigrad's state dict) and a small "library" object
with the array module and the few functions that differ. Adam is written once in NumPy for the
two (the update of torch.optim.Adam). Each library uses its own fused functions where it has
them (MyGrad's softmax and softmax_crossentropy).

MyGrad has no erf, so its exact GELU is composed from MyGrad ops with the float32 rational
approximation of erf that minigrad itself evaluates (minigrad.ops.unary._erf_float32): the same
arithmetic, differentiated by MyGrad op by op instead of by a hand-written backward. MyGrad
turns Python floats into float64 (NumPy keeps them "weak"), so every constant here is a float32
scalar: the whole computation stays float32 in every library.
"""

import math

import numpy as np

from benchmarks.common import require, require_tinygrad
from benchmarks.w2_gpt import CONTEXT, D_MODEL, HEADS, LAYERS, LR, VOCAB

D_HEAD = D_MODEL // HEADS
F32 = np.float32  # constants as float32 scalars: a Python float would make MyGrad use float64
# Additive causal mask: 0 where query i may see key j (j <= i), -inf above the diagonal.
CAUSAL = np.where(np.tril(np.ones((CONTEXT, CONTEXT), bool)), 0.0, -np.inf).astype(np.float32)


def _linear(xp, x, P, name):
    return xp.matmul(x, xp.transpose(P[name + ".weight"])) + P[name + ".bias"]


EPS = F32(1e-5)


def _layer_norm(xp, x, P, name, eps=EPS):
    mean = xp.mean(x, axis=-1, keepdims=True)
    centred = x - mean
    var = xp.mean(centred * centred, axis=-1, keepdims=True)
    return centred / xp.sqrt(var + eps) * P[name + ".weight"] + P[name + ".bias"]


def _attention(lib, x, P, name):
    xp = lib.xp
    N, T, _ = x.shape

    def heads(t):  # (N, T, E) -> (N, H, T, d_head)
        return xp.transpose(xp.reshape(t, (N, T, HEADS, D_HEAD)), (0, 2, 1, 3))

    q, k, v = (heads(_linear(xp, x, P, f"{name}.{p}")) for p in ("q_proj", "k_proj", "v_proj"))
    scores = xp.matmul(q, xp.swapaxes(k, -1, -2)) * F32(1 / math.sqrt(D_HEAD)) + CAUSAL[:T, :T]
    out = xp.matmul(lib.softmax(scores), v)  # (N, H, T, d_head)
    out = xp.reshape(xp.transpose(out, (0, 2, 1, 3)), (N, T, D_MODEL))
    return _linear(xp, out, P, f"{name}.out_proj")


def gpt_loss(P, idx, targets, lib):
    """The mean next-token cross-entropy of the tiny GPT (pre-LN, tied output layer)."""
    xp = lib.xp
    N, T = idx.shape
    x = P["tok_emb.weight"][idx] + P["pos_emb.weight"][:T]
    for i in range(LAYERS):
        block = f"blocks.{i}"
        x = x + _attention(lib, _layer_norm(xp, x, P, f"{block}.norm1"), P, f"{block}.attn")
        h = lib.gelu(_linear(xp, _layer_norm(xp, x, P, f"{block}.norm2"), P, f"{block}.ff.fc1"))
        x = x + _linear(xp, h, P, f"{block}.ff.fc2")
    x = _layer_norm(xp, x, P, "ln_f")
    logits = xp.matmul(x, xp.transpose(P["tok_emb.weight"]))  # tied output layer
    return lib.cross_entropy(xp.reshape(logits, (N * T, VOCAB)), targets.reshape(N * T))


class NumpyAdam:
    """torch.optim.Adam's update on NumPy arrays, in place (lr 1e-3, betas 0.9/0.999, eps 1e-8)."""

    def __init__(self, arrays, lr=LR, betas=(0.9, 0.999), eps=1e-8):
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
        self.m = [np.zeros_like(a) for a in arrays]
        self.v = [np.zeros_like(a) for a in arrays]

    def step(self, arrays, grads):
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1 - beta1**self.t)
        root_correction2 = math.sqrt(1 - beta2**self.t)
        for p, g, m, v in zip(arrays, grads, self.m, self.v):
            m += (1 - beta1) * (g - m)
            v *= beta2
            v += (1 - beta2) * g * g
            p -= step_size * (m / (np.sqrt(v) / root_correction2 + self.eps))


def _weights(inputs):
    """The state dict without lm_head.weight: the functional GPTs reuse tok_emb.weight."""
    return {name: a.copy() for name, a in inputs["state"].items()}


# --------------------------------------------------------------------------------------------
# MyGrad
# --------------------------------------------------------------------------------------------


class _MyGradLib:
    def __init__(self):
        import mygrad
        from mygrad.nnet.activations import softmax
        from mygrad.nnet.losses import softmax_crossentropy

        self.xp = mygrad
        self.softmax = lambda x: softmax(x, axis=-1)
        self.cross_entropy = softmax_crossentropy

    def gelu(self, x):
        """x Φ(x), Φ(x) = (1 + erf(x / √2)) / 2, with erf(u) ≈ u A(u²) / B(u²), u in [-4, 4]."""
        from minigrad.ops.special import _ERF32_A, _ERF32_B

        u = self.xp.clip(x * F32(1 / math.sqrt(2)), F32(-4), F32(4))
        z = u * u
        numerator, denominator = F32(_ERF32_A[0]), F32(_ERF32_B[0])
        for c in _ERF32_A[1:]:
            numerator = numerator * z + F32(c)
        for c in _ERF32_B[1:]:
            denominator = denominator * z + F32(c)
        return F32(0.5) * x * (F32(1) + u * numerator / denominator)


def build_mygrad(inputs):
    mg = require("mygrad", "mygrad")
    lib = _MyGradLib()
    P = {name: mg.tensor(a) for name, a in _weights(inputs).items()}
    params = list(P.values())
    adam = NumpyAdam([p.data for p in params])
    idx, targets = inputs["idx"], inputs["targets"]

    def step():
        loss = gpt_loss(P, idx, targets, lib)
        loss.backward()
        adam.step([p.data for p in params], [p.grad for p in params])
        return loss

    return step


# --------------------------------------------------------------------------------------------
# HIPS autograd
# --------------------------------------------------------------------------------------------


class _AutogradLib:
    def __init__(self):
        import autograd.numpy as anp
        from autograd.scipy.special import erf

        self.xp = anp
        self.erf = erf

    def softmax(self, x):
        e = self.xp.exp(x - self.xp.max(x, axis=-1, keepdims=True))
        return e / self.xp.sum(e, axis=-1, keepdims=True)

    def cross_entropy(self, logits, targets):
        xp = self.xp
        shifted = logits - xp.max(logits, axis=1, keepdims=True)
        log_p = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
        return -xp.mean(log_p[np.arange(logits.shape[0]), targets])

    def gelu(self, x):
        return F32(0.5) * x * (F32(1) + self.erf(x * F32(1 / math.sqrt(2))))


def build_autograd(inputs):
    autograd = require("autograd", "autograd")
    require("scipy", "autograd")  # autograd.scipy.special.erf
    lib = _AutogradLib()
    P = _weights(inputs)
    names = list(P)
    adam = NumpyAdam([P[n] for n in names])
    idx, targets = inputs["idx"], inputs["targets"]
    loss_and_grad = autograd.value_and_grad(lambda params: gpt_loss(params, idx, targets, lib))

    def step():
        loss, grads = loss_and_grad(P)
        adam.step([P[n] for n in names], [grads[n] for n in names])
        return loss

    return step


# --------------------------------------------------------------------------------------------
# tinygrad (eager: no TinyJit, like the others)
# --------------------------------------------------------------------------------------------


def build_tinygrad(inputs):
    require_tinygrad()
    from tinygrad import Tensor
    from tinygrad.helpers import Context
    from tinygrad.nn import Embedding
    from tinygrad.nn.optim import Adam

    P = {name: Tensor(a) for name, a in _weights(inputs).items()}
    embedding = Embedding(VOCAB, D_MODEL)
    embedding.weight = P["tok_emb.weight"]
    idx = Tensor(inputs["idx"].astype(np.int32))
    targets = Tensor(inputs["targets"].astype(np.int32))
    optimizer = Adam(list(P.values()), lr=LR, b1=0.9, b2=0.999, eps=1e-8)

    def linear(x, name):
        return x.linear(P[name + ".weight"].T, P[name + ".bias"])

    def norm(x, name):
        return x.layernorm(eps=1e-5) * P[name + ".weight"] + P[name + ".bias"]

    def attention(x, name):
        N, T, _ = x.shape
        q, k, v = (
            linear(x, f"{name}.{p}").reshape(N, T, HEADS, D_HEAD).transpose(1, 2)
            for p in ("q_proj", "k_proj", "v_proj")
        )
        out = q.scaled_dot_product_attention(k, v, is_causal=True)
        return linear(out.transpose(1, 2).reshape(N, T, D_MODEL), f"{name}.out_proj")

    def forward():
        N, T = idx.shape
        x = embedding(idx) + P["pos_emb.weight"][:T]
        for i in range(LAYERS):
            block = f"blocks.{i}"
            x = x + attention(norm(x, f"{block}.norm1"), f"{block}.attn")
            h = linear(norm(x, f"{block}.norm2"), f"{block}.ff.fc1").gelu(approximate="none")
            x = x + linear(h, f"{block}.ff.fc2")
        logits = norm(x, "ln_f") @ P["tok_emb.weight"].T
        return logits.reshape(N * T, VOCAB).sparse_categorical_crossentropy(targets.reshape(-1))

    def step():
        with Context(TRAINING=1):
            optimizer.zero_grad()
            loss = forward()
            loss.backward()
            loss.realize()  # lazy: realise it before the update changes the weights it reads
            optimizer.step()
        return loss

    return step
