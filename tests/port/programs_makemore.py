# ruff: noqa: C901, E501, UP031, B007
# (The programs keep the originals' style: one function per program holding its classes,
# their long lines, %-formatting and loop variables; a student compares them line by line.)
"""Port programs in the style of Andrej Karpathy's micrograd and makemore lectures.

Each function takes the framework as `torch` (PyTorch or minigrad) and a seeded NumPy Generator
`rng`, and returns what it measured; see conftest.py for the idea and the `sample_`/`stat_` keys.
Where the lecture draws with `torch.randn(..., generator=g)`, these draw the same numbers with
NumPy (`randn(torch, rng, ...)`) so both frameworks start from the same weights.
"""

import numpy as np
from helpers_port import NAMES, randn


def micrograd_neuron(torch, rng):
    """The lecture's one neuron, checked with PyTorch (float64, scalars as 1-element tensors)."""
    x1 = torch.Tensor([2.0]).double()
    x1.requires_grad = True
    x2 = torch.Tensor([0.0]).double()
    x2.requires_grad = True
    w1 = torch.Tensor([-3.0]).double()
    w1.requires_grad = True
    w2 = torch.Tensor([1.0]).double()
    w2.requires_grad = True
    b = torch.Tensor([6.8813735870195432]).double()
    b.requires_grad = True
    n = x1 * w1 + x2 * w2 + b
    o = torch.tanh(n)

    print(o.data.item())
    o.backward()

    print("---")
    print("x2", x2.grad.item())
    print("w2", w2.grad.item())
    print("x1", x1.grad.item())
    print("w1", w1.grad.item())
    return {
        "o": o,
        "grads": [x1.grad, x2.grad, w1.grad, w2.grad, b.grad],
        "float64": o.dtype == torch.float64,
    }


def micrograd_mlp(torch, rng):
    """micrograd's Neuron/Layer/MLP, with every weight a 0-d float64 tensor, manual SGD."""

    class Neuron:
        def __init__(self, nin):
            self.w = [
                torch.tensor(rng.uniform(-1, 1), dtype=torch.float64, requires_grad=True)
                for _ in range(nin)
            ]
            self.b = torch.tensor(rng.uniform(-1, 1), dtype=torch.float64, requires_grad=True)

        def __call__(self, x):
            # w * x + b, summed with Python's sum (0-d tensors and floats mix)
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            out = act.tanh()
            return out

        def parameters(self):
            return self.w + [self.b]

    class Layer:
        def __init__(self, nin, nout):
            self.neurons = [Neuron(nin) for _ in range(nout)]

        def __call__(self, x):
            outs = [n(x) for n in self.neurons]
            return outs[0] if len(outs) == 1 else outs

        def parameters(self):
            return [p for neuron in self.neurons for p in neuron.parameters()]

    class MLP:
        def __init__(self, nin, nouts):
            sz = [nin] + nouts
            self.layers = [Layer(sz[i], sz[i + 1]) for i in range(len(nouts))]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    n = MLP(3, [4, 4, 1])
    xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0]  # desired targets
    print(len(n.parameters()))

    losses = []
    for k in range(20):
        # forward pass
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))

        # backward pass
        for p in n.parameters():
            p.grad = None
        loss.backward()

        # update
        for p in n.parameters():
            p.data -= 0.05 * p.grad

        print(k, loss.item())
        losses.append(loss.item())

    return {"losses": losses, "ypred": [y.item() for y in ypred], "w0": n.parameters()[0]}


def micrograd_demo(torch, rng):
    """micrograd's demo.ipynb written with tensors: the two moons, a 2-16-16-1 ReLU MLP, the SVM
    max-margin loss with L2 regularization, SGD with a decaying learning rate (float64)."""
    # make up a dataset (sklearn.datasets.make_moons(n_samples=100, noise=0.1))
    t = rng.uniform(0, np.pi, size=100)
    upper = rng.random(100) < 0.5
    Xnp = np.where(
        upper[:, None], np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)]
    )
    Xnp = Xnp + rng.normal(0, 0.1, size=Xnp.shape)
    X = torch.tensor(Xnp)
    y = torch.tensor(upper.astype(np.float64)) * 2 - 1  # make y be -1 or 1

    class MLP:
        def __init__(self, nin, nouts):
            sz = [nin] + nouts
            self.layers = [
                (
                    torch.tensor(rng.uniform(-1, 1, (sz[i], sz[i + 1])), requires_grad=True),
                    torch.zeros(sz[i + 1], dtype=torch.float64, requires_grad=True),
                )
                for i in range(len(nouts))
            ]

        def __call__(self, x):
            for i, (W, b) in enumerate(self.layers):
                x = x @ W + b
                if i < len(self.layers) - 1:  # the last layer is linear
                    x = x.relu()
            return x.squeeze(-1)

        def parameters(self):
            return [p for W, b in self.layers for p in (W, b)]

        def zero_grad(self):
            for p in self.parameters():
                p.grad = None

    model = MLP(2, [16, 16, 1])  # 2-layer neural network
    print("number of parameters", sum(p.numel() for p in model.parameters()))

    # loss function
    def loss():
        # forward the model to get scores
        scores = model(X)

        # svm "max-margin" loss
        losses = (1 + -y * scores).relu()
        data_loss = losses.sum() * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p * p).sum() for p in model.parameters())
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    total_loss, acc = loss()
    print(total_loss.item(), acc.item())

    losses = []
    for k in range(30):
        # forward
        total_loss, acc = loss()

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        if k % 5 == 0:
            print(f"step {k} loss {total_loss.item()}, accuracy {acc.item() * 100}%")
        losses.append(total_loss.item())

    # the decision boundary on a grid (the notebook plots it)
    h = 0.25
    xx, yy = np.meshgrid(np.arange(-2, 3, h), np.arange(-1.5, 2, h))
    Xmesh = np.c_[xx.ravel(), yy.ravel()]
    scores = model(torch.tensor(Xmesh))
    Z = scores > 0

    return {"losses": losses, "acc": acc, "Z": Z, "scores": scores, "W1": model.layers[0][0]}


def _vocabulary(words):
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    return stoi, itos


def bigram_counts(torch, rng):
    """makemore part 1: the bigram counts table, normalised rows, sampling, the mean NLL."""
    words = NAMES
    stoi, itos = _vocabulary(words)
    assert len(stoi) == 27

    N = torch.zeros((27, 27), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            N[ix1, ix2] += 1

    P = (N + 1).float()
    P /= P.sum(1, keepdim=True)

    g = torch.Generator().manual_seed(2147483647)
    samples = []
    for _ in range(5):
        out = []
        ix = 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        samples.append("".join(out))

    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            prob = P[ix1, ix2]
            logprob = torch.log(prob)
            log_likelihood += logprob
            n += 1
    print(f"{log_likelihood=}")
    nll = -log_likelihood
    print(f"{nll=}")
    print(f"{nll / n}")

    # many draws from one row: their frequencies approach the row (a check of the sampler)
    draws = torch.multinomial(P[0], num_samples=20000, replacement=True, generator=g)
    assert draws.shape == (20000,) and draws.dtype == torch.int64
    assert 0 <= draws.min().item() and draws.max().item() < 27
    freq = torch.bincount(draws, minlength=27).float() / 20000

    return {
        "N": N,
        "N_int32": N.dtype == torch.int32,
        "P": P,
        "row_sums": P.sum(1),
        "nll": nll / n,
        "sample_names": samples,
        "stat_freq_row0": freq,
        "P_row0": P[0],
    }


def bigram_nn(torch, rng):
    """makemore part 1, second half: the bigram as a one-layer network trained by hand."""
    F = torch.nn.functional
    words = NAMES
    stoi, itos = _vocabulary(words)

    xs, ys = [], []
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    xs = torch.tensor(xs)
    ys = torch.tensor(ys)
    num = xs.nelement()
    print("number of examples: ", num)

    g = torch.Generator().manual_seed(2147483647)
    W = torch.randn((27, 27), generator=g, requires_grad=True)
    assert W.shape == (27, 27) and W.dtype == torch.float32
    W.data = randn(torch, rng, 27, 27)  # the test's starting point (the same in both runs)

    losses = []
    for k in range(20):
        # forward pass
        xenc = F.one_hot(xs, num_classes=27).float()  # input to the network: one-hot encoding
        logits = xenc @ W  # predict log-counts
        counts = logits.exp()  # counts, equivalent to N
        probs = counts / counts.sum(1, keepdims=True)  # probabilities for next character
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
        print(loss.item())
        losses.append(loss.item())

        # backward pass
        W.grad = None  # set to zero the gradient
        loss.backward()

        # update
        W.data += -50 * W.grad

    g = torch.Generator().manual_seed(2147483647)
    samples = []
    first_probs = None
    for _ in range(5):
        out = []
        ix = 0
        while True:
            xenc = F.one_hot(torch.tensor([ix]), num_classes=27).float()
            logits = xenc @ W
            counts = logits.exp()
            p = counts / counts.sum(1, keepdims=True)
            if first_probs is None:
                first_probs = p
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0 or len(out) > 30:
                break
        samples.append("".join(out))

    return {"losses": losses, "W": W, "W_grad": W.grad, "p0": first_probs, "sample_names": samples}


def _build_dataset(torch, words, stoi, block_size):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y


def makemore_mlp(torch, rng):
    """makemore part 2 (Bengio et al. 2003): embedding table C[X], tanh layer, cross-entropy,
    minibatches, a learning-rate decay, then sampling."""
    F = torch.nn.functional
    words = NAMES
    stoi, itos = _vocabulary(words)
    block_size = 3
    Xtr, Ytr = _build_dataset(torch, words, stoi, block_size)
    print(list(Xtr.shape), list(Ytr.shape))  # the lecture prints X.shape: a torch.Size
    batches = rng.integers(0, Xtr.shape[0], size=(30, 32))  # the minibatches both runs see

    g = torch.Generator().manual_seed(2147483647)
    C = randn(torch, rng, 27, 10)
    W1 = randn(torch, rng, 30, 64) * 0.2
    b1 = randn(torch, rng, 64) * 0.01
    W2 = randn(torch, rng, 64, 27) * 0.01
    b2 = torch.zeros(27)
    parameters = [C, W1, b1, W2, b2]
    print(sum(p.nelement() for p in parameters))  # number of parameters in total
    for p in parameters:
        p.requires_grad = True

    lossi = []
    stepi = []
    for i in range(30):
        # minibatch construct
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        assert ix.shape == (32,) and ix.dtype == torch.int64
        assert 0 <= ix.min().item() and ix.max().item() < Xtr.shape[0]
        if i == 0:
            first_draw = ix
        ix = torch.tensor(batches[i])  # the same minibatch in both runs

        # forward pass
        emb = C[Xtr[ix]]  # (32, 3, 10)
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (32, 64)
        logits = h @ W2 + b2  # (32, 27)
        loss = F.cross_entropy(logits, Ytr[ix])

        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()

        # update
        lr = 0.1 if i < 20 else 0.01
        for p in parameters:
            p.data += -lr * p.grad

        stepi.append(i)
        lossi.append(loss.log10().item())

    with torch.no_grad():
        emb = C[Xtr]
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
        logits = h @ W2 + b2
        train_loss = F.cross_entropy(logits, Ytr)
    print(train_loss.item())

    # sample from the model
    g = torch.Generator().manual_seed(2147483647 + 10)
    samples = []
    for _ in range(5):
        out = []
        context = [0] * block_size
        while True:
            emb = C[torch.tensor([context])]  # (1, block_size, d)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            logits = h @ W2 + b2
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0 or len(out) > 30:
                break
        samples.append("".join(itos[i] for i in out))

    # the greedy continuation is deterministic: it is compared with PyTorch's
    greedy = []
    context = [0] * block_size
    with torch.no_grad():
        for _ in range(12):
            emb = C[torch.tensor([context])]
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.argmax(probs).item()
            context = context[1:] + [ix]
            greedy.append(itos[ix])
            if ix == 0:
                break

    return {
        "lossi": lossi,
        "train_loss": train_loss,
        "grads": [p.grad for p in parameters],
        "C": C,
        "probs_last": probs,
        "greedy": "".join(greedy),
        "sample_names": samples,
        "sample_first_batch": first_draw,
    }


def backprop_ninja(torch, rng):
    """makemore part 4, "becoming a backprop ninja": every gradient by hand, compared with
    autograd's with torch.allclose (the lecture's cmp)."""
    F = torch.nn.functional
    words = NAMES
    stoi, itos = _vocabulary(words)
    block_size = 3
    Xtr, Ytr = _build_dataset(torch, words, stoi, block_size)
    n_embd, n_hidden, vocab_size = 10, 64, 27

    C = randn(torch, rng, vocab_size, n_embd)
    # Layer 1
    W1 = randn(torch, rng, n_embd * block_size, n_hidden) * (5 / 3) / ((n_embd * block_size) ** 0.5)
    b1 = randn(torch, rng, n_hidden) * 0.1  # using b1 just for fun, it's useless because of BN
    # Layer 2
    W2 = randn(torch, rng, n_hidden, vocab_size) * 0.1
    b2 = randn(torch, rng, vocab_size) * 0.1
    # BatchNorm parameters
    bngain = randn(torch, rng, 1, n_hidden) * 0.1 + 1.0
    bnbias = randn(torch, rng, 1, n_hidden) * 0.1
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True

    batch_size = 32
    n = batch_size  # a shorter variable also, for convenience
    ix = torch.tensor(rng.integers(0, Xtr.shape[0], size=(batch_size,)))
    Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

    # forward pass, "chunkated" into smaller steps that are possible to backward one at a time
    emb = C[Xb]  # embed the characters into vectors
    embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
    # Linear layer 1
    hprebn = embcat @ W1 + b1  # hidden layer pre-activation
    # BatchNorm layer
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)  # note: Bessel's correction
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    # Non-linearity
    h = torch.tanh(hpreact)  # hidden layer
    # Linear layer 2
    logits = h @ W2 + b2  # output layer
    # cross entropy loss (same as F.cross_entropy(logits, Yb))
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes  # subtract max for numerical stability
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()

    # PyTorch backward pass
    for p in parameters:
        p.grad = None
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes,
              logits, h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani,
              embcat, emb]:  # fmt: skip
        t.retain_grad()
    loss.backward()

    checks = {}

    def cmp(s, dt, t):
        app = torch.allclose(dt, t.grad)
        maxdiff = (dt - t.grad).abs().max().item()
        checks[s] = app
        assert app, f"{s}: maxdiff {maxdiff}"

    # Exercise 1: backprop through the whole thing manually
    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0 / n
    dprobs = (1.0 / probs) * dlogprobs
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
    dcounts = counts_sum_inv * dprobs
    dcounts_sum = (-(counts_sum**-2)) * dcounts_sum_inv
    dcounts += torch.ones_like(counts) * dcounts_sum
    dnorm_logits = counts * dcounts
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnraw = bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbndiff = bnvar_inv * dbnraw
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
    dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
    dbndiff += (2 * bndiff) * dbndiff2
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0)
    dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]

    cmp("logprobs", dlogprobs, logprobs)
    cmp("probs", dprobs, probs)
    cmp("counts_sum_inv", dcounts_sum_inv, counts_sum_inv)
    cmp("counts_sum", dcounts_sum, counts_sum)
    cmp("counts", dcounts, counts)
    cmp("norm_logits", dnorm_logits, norm_logits)
    cmp("logit_maxes", dlogit_maxes, logit_maxes)
    cmp("logits", dlogits, logits)
    cmp("h", dh, h)
    cmp("W2", dW2, W2)
    cmp("b2", db2, b2)
    cmp("hpreact", dhpreact, hpreact)
    cmp("bngain", dbngain, bngain)
    cmp("bnbias", dbnbias, bnbias)
    cmp("bnraw", dbnraw, bnraw)
    cmp("bnvar_inv", dbnvar_inv, bnvar_inv)
    cmp("bnvar", dbnvar, bnvar)
    cmp("bndiff2", dbndiff2, bndiff2)
    cmp("bndiff", dbndiff, bndiff)
    cmp("bnmeani", dbnmeani, bnmeani)
    cmp("hprebn", dhprebn, hprebn)
    cmp("embcat", dembcat, embcat)
    cmp("W1", dW1, W1)
    cmp("b1", db1, b1)
    cmp("emb", demb, emb)
    cmp("C", dC, C)

    # Exercise 2: the cross-entropy backward in one go
    loss_fast = F.cross_entropy(logits, Yb)
    print(loss_fast.item(), "diff:", (loss_fast - loss).item() < 1e-6)
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    cmp("logits (fused)", dlogits, logits)

    # Exercise 3: the batchnorm backward in one go
    hpreact_fast = (
        bngain
        * (hprebn - hprebn.mean(0, keepdim=True))
        / torch.sqrt(hprebn.var(0, keepdim=True, unbiased=True) + 1e-5)
        + bnbias
    )
    print("max diff:", (hpreact_fast - hpreact).abs().max().item() < 1e-5)
    dhprebn = (
        bngain * bnvar_inv / n
        * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    )  # fmt: skip
    cmp("hprebn (fused)", dhprebn, hprebn)

    return {
        "loss": loss,
        "checks": checks,
        "manual": [dlogits, dh, dW2, db2, dhpreact, dbngain, dbnbias, dhprebn, dW1, db1, dC],
        "autograd": [p.grad for p in parameters],
    }


def batchnorm_by_hand(torch, rng):
    """makemore part 3, "PyTorch-ifying" the code: Linear, BatchNorm1d (running statistics kept
    as plain attributes, no register_buffer) and Tanh by hand, activation and update statistics."""
    F = torch.nn.functional
    words = NAMES
    stoi, itos = _vocabulary(words)
    block_size = 3
    Xtr, Ytr = _build_dataset(torch, words, stoi, block_size)
    n_embd, n_hidden, vocab_size = 10, 64, 27

    class Linear:
        def __init__(self, fan_in, fan_out, bias=True):
            self.weight = randn(torch, rng, fan_in, fan_out) / fan_in**0.5
            self.bias = torch.zeros(fan_out) if bias else None

        def __call__(self, x):
            self.out = x @ self.weight
            if self.bias is not None:
                self.out += self.bias
            return self.out

        def parameters(self):
            return [self.weight] + ([] if self.bias is None else [self.bias])

    class BatchNorm1d:
        def __init__(self, dim, eps=1e-5, momentum=0.1):
            self.eps = eps
            self.momentum = momentum
            self.training = True
            # parameters (trained with backprop)
            self.gamma = torch.ones(dim)
            self.beta = torch.zeros(dim)
            # buffers (trained with a running 'momentum update')
            self.running_mean = torch.zeros(dim)
            self.running_var = torch.ones(dim)

        def __call__(self, x):
            # calculate the forward pass
            if self.training:
                xmean = x.mean(0, keepdim=True)  # batch mean
                xvar = x.var(0, keepdim=True)  # batch variance
            else:
                xmean = self.running_mean
                xvar = self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
            self.out = self.gamma * xhat + self.beta
            # update the buffers
            if self.training:
                with torch.no_grad():
                    self.running_mean = (
                        1 - self.momentum
                    ) * self.running_mean + self.momentum * xmean
                    self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
            return self.out

        def parameters(self):
            return [self.gamma, self.beta]

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

        def parameters(self):
            return []

    C = randn(torch, rng, vocab_size, n_embd)
    layers = [
        Linear(n_embd * block_size, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, vocab_size, bias=False), BatchNorm1d(vocab_size),
    ]  # fmt: skip
    with torch.no_grad():
        # last layer: make less confident
        layers[-1].gamma *= 0.1
        # all other layers: apply gain
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 5 / 3

    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    print(sum(p.nelement() for p in parameters))  # number of parameters in total
    for p in parameters:
        p.requires_grad = True

    batches = rng.integers(0, Xtr.shape[0], size=(25, 32))
    lossi = []
    ud = []
    for i in range(25):
        ix = torch.tensor(batches[i])
        Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

        # forward pass
        emb = C[Xb]  # embed the characters into vectors
        x = emb.view(emb.shape[0], -1)  # concatenate the vectors
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Yb)  # loss function

        # backward pass
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()

        # update
        lr = 0.1 if i < 15 else 0.01  # step learning rate decay
        for p in parameters:
            p.data += -lr * p.grad

        lossi.append(loss.log10().item())
        with torch.no_grad():
            ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in parameters])

    # visualize histograms: here, their statistics
    for i, layer in enumerate(layers[:-1]):  # note: exclude the output layer
        if isinstance(layer, Tanh):
            t = layer.out
            print(
                f"layer {i} ({layer.__class__.__name__:10s}): mean {t.mean():+.2f}, "
                f"std {t.std():.2f}, saturated: {(t.abs() > 0.97).float().mean() * 100:.2f}%"
            )
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Tanh):
            t = layer.out.grad
            print(f"layer {i} ({layer.__class__.__name__:10s}): std {t.std():e}")

    # the same statistics as nn.BatchNorm1d keeps (it uses the unbiased variance for running_var)
    bn = torch.nn.BatchNorm1d(n_hidden)
    hand = BatchNorm1d(n_hidden)
    with torch.no_grad():
        hpre = layers[0](C[Xtr[:64]].view(64, -1))
        out_nn = bn(hpre)
        out_hand = hand(hpre)

    # evaluation: the running statistics replace the batch's
    for layer in layers:
        layer.training = False
    with torch.no_grad():
        x = C[Xtr].view(Xtr.shape[0], -1)
        for layer in layers:
            x = layer(x)
        eval_loss = F.cross_entropy(x, Ytr)
    print("train", eval_loss.item())

    return {
        "lossi": lossi,
        "ud": ud,
        "eval_loss": eval_loss,
        "running": [layers[1].running_mean, layers[1].running_var, layers[-1].running_var],
        "bn_nn": [out_nn, bn.running_mean, bn.running_var, bn.num_batches_tracked],
        "bn_hand": [out_hand, hand.running_mean.view(-1), hand.running_var.view(-1)],
        "grads": [p.grad for p in parameters],
    }
