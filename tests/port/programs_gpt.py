# ruff: noqa: C901, E501, UP031, B007
# (The programs keep the originals' style: one function per program holding its classes,
# their long lines, %-formatting and loop variables; a student compares them line by line.)
"""Port programs in the style of "Let's build GPT" (gpt-dev), nanoGPT's model.py and minGPT.

Each function takes the framework as `torch` (PyTorch or minigrad) and a seeded NumPy Generator
`rng`; see conftest.py. Models are built as in the originals, then given NumPy-made weights
(`load_numpy_weights`) so that both frameworks start from the same numbers; minibatch offsets
come from `rng`.
"""

import inspect
import math
from dataclasses import dataclass

from helpers_port import SHAKESPEARE, load_numpy_weights, randn


def gpt_dev_batches(torch, rng):
    """gpt-dev, part 1: encode the text, data[i:i+block_size] batches, the bigram model."""
    nn = torch.nn
    F = torch.nn.functional
    text = SHAKESPEARE

    # here are all the unique characters that occur in this text
    chars = sorted(list(set(text)))
    vocab_size = len(chars)
    print("".join(chars))
    print(vocab_size)
    # create a mapping from characters to integers
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for i, ch in enumerate(chars)}
    encode = lambda s: [stoi[c] for c in s]  # noqa: E731 (as in the lecture)
    decode = lambda l: "".join([itos[i] for i in l])  # noqa: E731
    print(encode("hii there"))
    print(decode(encode("hii there")))

    data = torch.tensor(encode(text), dtype=torch.long)
    assert data.dtype == torch.int64
    print(data[:20])
    # Let's now split up the data into train and validation sets
    n = int(0.9 * len(data))  # first 90% will be train, rest val
    train_data = data[:n]
    val_data = data[n:]

    block_size = 8
    x = train_data[:block_size]
    y = train_data[1 : block_size + 1]
    for t in range(block_size):
        context = x[: t + 1]
        target = y[t]
        print(f"when input is {context} the target: {target}")

    torch.manual_seed(1337)
    batch_size = 4  # how many independent sequences will we process in parallel?

    def get_batch(split, ix=None):
        # generate a small batch of data of inputs x and targets y
        data = train_data if split == "train" else val_data
        if ix is None:
            ix = torch.randint(len(data) - block_size, (batch_size,))
        x = torch.stack([data[i : i + block_size] for i in ix])
        y = torch.stack([data[i + 1 : i + block_size + 1] for i in ix])
        return x, y

    xb, yb = get_batch("train")
    assert xb.shape == (batch_size, block_size) and yb.shape == (batch_size, block_size)
    assert (xb[:, 1:] == yb[:, :-1]).all()
    random_batch = xb

    class BigramLanguageModel(nn.Module):
        def __init__(self, vocab_size):
            super().__init__()
            # each token directly reads off the logits for the next token from a lookup table
            self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

        def forward(self, idx, targets=None):
            # idx and targets are both (B,T) tensor of integers
            logits = self.token_embedding_table(idx)  # (B,T,C)
            if targets is None:
                loss = None
            else:
                B, T, C = logits.shape
                logits = logits.view(B * T, C)
                targets = targets.view(B * T)
                loss = F.cross_entropy(logits, targets)
            return logits, loss

        def generate(self, idx, max_new_tokens):
            # idx is (B, T) array of indices in the current context
            for _ in range(max_new_tokens):
                logits, loss = self(idx)  # get the predictions
                logits = logits[:, -1, :]  # focus only on the last time step: (B, C)
                probs = F.softmax(logits, dim=-1)  # (B, C)
                idx_next = torch.multinomial(probs, num_samples=1)  # (B, 1)
                idx = torch.cat((idx, idx_next), dim=1)  # (B, T+1)
            return idx

    m = BigramLanguageModel(vocab_size)
    load_numpy_weights(torch, m, std=1.0)
    xb, yb = get_batch("train", ix=torch.tensor([0, 17, 100, 333]))
    logits, loss = m(xb, yb)
    print(list(logits.shape))  # the lecture prints the torch.Size itself
    print(loss.item())
    idx = torch.zeros((1, 1), dtype=torch.long)
    generated = m.generate(idx, max_new_tokens=50)[0].tolist()
    assert all(0 <= i < vocab_size for i in generated)

    optimizer = torch.optim.AdamW(m.parameters(), lr=1e-2)
    offsets = rng.integers(0, n - block_size, size=(20, batch_size))
    losses = []
    for steps in range(20):
        xb, yb = get_batch("train", ix=torch.tensor(offsets[steps]))  # sample a batch of data
        logits, loss = m(xb, yb)  # evaluate the loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(loss.item())

    eval_iters = 4

    @torch.no_grad()
    def estimate_loss():
        out = {}
        m.eval()
        for split in ["train", "val"]:
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                X, Y = get_batch(split, ix=torch.tensor([k, k + 5, k + 10, k + 15]))
                logits, loss = m(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean()
        m.train()
        return out

    est = estimate_loss()
    print(f"train loss {est['train']:.4f}, val loss {est['val']:.4f}")

    return {
        "data": data,
        "losses": losses,
        "estimate": est,
        "weights": m.token_embedding_table.weight,
        "sample_batch": random_batch,
        "sample_generated": decode(generated),
    }


def attention_trick(torch, rng):
    """gpt-dev, part 2: the mathematical trick in self-attention, one Head, MultiHeadAttention
    with register_buffer('tril', ...), LayerNorm1d by hand."""
    nn = torch.nn
    F = torch.nn.functional

    B, T, C = 4, 8, 2  # batch, time, channels
    x = randn(torch, rng, B, T, C)  # torch.randn(B,T,C)
    print(list(x.shape))  # the lecture prints the torch.Size itself

    # We want x[b,t] = mean_{i<=t} x[b,i]
    xbow = torch.zeros((B, T, C))
    for b in range(B):
        for t in range(T):
            xprev = x[b, : t + 1]  # (t,C)
            xbow[b, t] = torch.mean(xprev, 0)

    # version 2: using matrix multiply for a weighted aggregation
    wei = torch.tril(torch.ones(T, T))
    wei = wei / wei.sum(1, keepdim=True)
    xbow2 = wei @ x  # (B, T, T) @ (B, T, C) ----> (B, T, C)
    print(torch.allclose(xbow, xbow2))

    # version 3: use Softmax
    tril = torch.tril(torch.ones(T, T))
    wei = torch.zeros((T, T))
    wei = wei.masked_fill(tril == 0, float("-inf"))
    wei = F.softmax(wei, dim=-1)
    xbow3 = wei @ x
    print(torch.allclose(xbow, xbow3))

    # version 4: self-attention!
    B, T, C = 4, 8, 32  # batch, time, channels
    x = randn(torch, rng, B, T, C)

    # let's see a single Head perform self-attention
    head_size = 16
    key = nn.Linear(C, head_size, bias=False)
    query = nn.Linear(C, head_size, bias=False)
    value = nn.Linear(C, head_size, bias=False)
    for i, layer in enumerate([key, query, value]):
        load_numpy_weights(torch, layer, seed=i, std=0.2)
    k = key(x)  # (B, T, 16)
    q = query(x)  # (B, T, 16)
    wei = q @ k.transpose(-2, -1)  # (B, T, 16) @ (B, 16, T) ---> (B, T, T)

    tril = torch.tril(torch.ones(T, T))
    wei = wei.masked_fill(tril == 0, float("-inf"))
    wei = F.softmax(wei, dim=-1)

    v = value(x)
    out = wei @ v
    print(list(out.shape))  # the lecture prints the torch.Size itself

    # "Scaled" attention: divide by sqrt(head_size), so that wei keeps unit variance
    k = randn(torch, rng, B, T, head_size)
    q = randn(torch, rng, B, T, head_size)
    wei_scaled = q @ k.transpose(-2, -1) * head_size**-0.5
    variances = [k.var(), q.var(), wei_scaled.var()]
    soft = torch.softmax(torch.tensor([0.1, -0.2, 0.3, -0.2, 0.5]), dim=-1)
    sharp = torch.softmax(torch.tensor([0.1, -0.2, 0.3, -0.2, 0.5]) * 8, dim=-1)

    n_embd, block_size, dropout = 32, 8, 0.0

    class Head(nn.Module):
        """one head of self-attention"""

        def __init__(self, head_size):
            super().__init__()
            self.key = nn.Linear(n_embd, head_size, bias=False)
            self.query = nn.Linear(n_embd, head_size, bias=False)
            self.value = nn.Linear(n_embd, head_size, bias=False)
            self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            B, T, C = x.shape
            k = self.key(x)  # (B,T,C)
            q = self.query(x)  # (B,T,C)
            # compute attention scores ("affinities")
            wei = (
                q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
            )  # (B, T, C) @ (B, C, T) -> (B, T, T)
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))  # (B, T, T)
            wei = F.softmax(wei, dim=-1)  # (B, T, T)
            wei = self.dropout(wei)
            # perform the weighted aggregation of the values
            v = self.value(x)  # (B,T,C)
            out = wei @ v  # (B, T, T) @ (B, T, C) -> (B, T, C)
            return out

    class MultiHeadAttention(nn.Module):
        """multiple heads of self-attention in parallel"""

        def __init__(self, num_heads, head_size):
            super().__init__()
            self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
            self.proj = nn.Linear(n_embd, n_embd)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            out = torch.cat([h(x) for h in self.heads], dim=-1)
            out = self.dropout(self.proj(out))
            return out

    class LayerNorm1d:  # (used to be BatchNorm1d)
        def __init__(self, dim, eps=1e-5, momentum=0.1):
            self.eps = eps
            self.gamma = torch.ones(dim)
            self.beta = torch.zeros(dim)

        def __call__(self, x):
            # calculate the forward pass
            xmean = x.mean(1, keepdim=True)  # batch mean
            xvar = x.var(1, keepdim=True)  # batch variance
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
            self.out = self.gamma * xhat + self.beta
            return self.out

        def parameters(self):
            return [self.gamma, self.beta]

    sa = MultiHeadAttention(4, n_embd // 4)
    load_numpy_weights(torch, sa, seed=3, std=0.2)
    print(sorted(sa.state_dict().keys()))
    print(len(list(sa.parameters())), len(list(sa.buffers())))
    xin = randn(torch, rng, B, T, n_embd).requires_grad_()
    y = sa(xin)
    y.pow(2).mean().backward()

    module = LayerNorm1d(100)
    xln = randn(torch, rng, 32, 100)  # batch size 32 of 100-dimensional vectors
    xln = module(xln)
    print(list(xln.shape))  # the lecture prints the torch.Size itself

    return {
        "xbow": xbow,
        "xbow2": xbow2,
        "xbow3": xbow3,
        "wei_v4": wei,
        "out_v4": out,
        "variances": variances,
        "softmax": [soft, sharp],
        "mha_out": y,
        "mha_grads": [xin.grad, sa.heads[0].key.weight.grad, sa.proj.bias.grad],
        "tril": sa.heads[0].tril,
        "layernorm": [xln[:, 0].mean(), xln[:, 0].std(), xln[0, :].mean(), xln[0, :].std()],
    }


# ------------------------------------------------------------------------------------------
# nanoGPT: model.py (condensed only where it concerns flash attention and checkpoints)


def nanogpt(torch, rng):
    """nanoGPT's model.py: CausalSelfAttention with its causal-mask buffer, weight tying,
    configure_optimizers (AdamW, two parameter groups), a training loop with the cosine learning
    rate, clip_grad_norm_, and generate with temperature, top_k and multinomial."""
    nn = torch.nn
    F = torch.nn.functional

    class LayerNorm(nn.Module):
        """LayerNorm but with an optional bias. PyTorch doesn't support simply bias=False"""

        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, input):
            return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            # key, query, value projections for all heads, but in a batch
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            # output projection
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            # regularization
            self.attn_dropout = nn.Dropout(config.dropout)
            self.resid_dropout = nn.Dropout(config.dropout)
            self.n_head = config.n_head
            self.n_embd = config.n_embd
            self.dropout = config.dropout
            # the slow attention path: nanoGPT takes it where flash attention is unavailable
            self.flash = False
            # causal mask to ensure that attention is only applied to the left in the input sequence
            self.register_buffer(
                "bias",
                torch.tril(torch.ones(config.block_size, config.block_size)).view(
                    1, 1, config.block_size, config.block_size
                ),
            )

        def forward(self, x):
            B, T, C = x.size()  # batch size, sequence length, embedding dimensionality (n_embd)

            # calculate query, key, values for all heads in batch and move head forward to be the batch dim
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)

            # manual implementation of attention
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            att = self.attn_dropout(att)
            y = att @ v  # (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)
            y = (
                y.transpose(1, 2).contiguous().view(B, T, C)
            )  # re-assemble all head outputs side by side

            # output projection
            y = self.resid_dropout(self.c_proj(y))
            return y

    class MLP(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            x = self.c_fc(x)
            x = self.gelu(x)
            x = self.c_proj(x)
            x = self.dropout(x)
            return x

    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention(config)
            self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP(config)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            x = x + self.mlp(self.ln_2(x))
            return x

    @dataclass
    class GPTConfig:
        block_size: int = 16
        vocab_size: int = 50304
        n_layer: int = 2
        n_head: int = 2
        n_embd: int = 32
        dropout: float = 0.0
        bias: bool = True  # True: bias in Linears and LayerNorms, like GPT-2.

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            assert config.vocab_size is not None
            assert config.block_size is not None
            self.config = config

            self.transformer = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(config.vocab_size, config.n_embd),
                    wpe=nn.Embedding(config.block_size, config.n_embd),
                    drop=nn.Dropout(config.dropout),
                    h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                    ln_f=LayerNorm(config.n_embd, bias=config.bias),
                )
            )
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            # with weight tying when using torch.compile() some warnings get generated:
            # "UserWarning: functional_call was passed multiple values for tied weights.
            # This behavior is deprecated and will be an error in future versions"
            # not 100% sure what this is, so far seems to be harmless. TODO investigate
            self.transformer.wte.weight = (
                self.lm_head.weight
            )  # https://paperswithcode.com/method/weight-tying

            # init all weights
            self.apply(self._init_weights)
            # apply special scaled init to the residual projections, per GPT-2 paper
            for pn, p in self.named_parameters():
                if pn.endswith("c_proj.weight"):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

            # report number of parameters
            print("number of parameters: %.2fM" % (self.get_num_params() / 1e6,))

        def get_num_params(self, non_embedding=True):
            n_params = sum(p.numel() for p in self.parameters())
            if non_embedding:
                n_params -= self.transformer.wpe.weight.numel()
            return n_params

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            device = idx.device
            b, t = idx.size()
            assert t <= self.config.block_size, (
                f"Cannot forward sequence of length {t}, block size is only {self.config.block_size}"
            )
            pos = torch.arange(0, t, dtype=torch.long, device=device)  # shape (t)

            # forward the GPT model itself
            tok_emb = self.transformer.wte(idx)  # token embeddings of shape (b, t, n_embd)
            pos_emb = self.transformer.wpe(pos)  # position embeddings of shape (t, n_embd)
            x = self.transformer.drop(tok_emb + pos_emb)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)

            if targets is not None:
                # if we are given some desired targets also calculate the loss
                logits = self.lm_head(x)
                loss = F.cross_entropy(
                    logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
                )
            else:
                # inference-time mini-optimization: only forward the lm_head on the very last position
                logits = self.lm_head(
                    x[:, [-1], :]
                )  # note: using list [-1] to preserve the time dim
                loss = None

            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
            # start with all of the candidate parameters
            param_dict = {pn: p for pn, p in self.named_parameters()}
            # filter out those that do not require grad
            param_dict = {pn: p for pn, p in param_dict.items() if p.requires_grad}
            # create optim groups. Any parameters that is 2D will be weight decayed, otherwise no.
            # i.e. all weight tensors in matmuls + embeddings decay, all biases and layernorms don't.
            decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
            nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
            optim_groups = [
                {"params": decay_params, "weight_decay": weight_decay},
                {"params": nodecay_params, "weight_decay": 0.0},
            ]
            num_decay_params = sum(p.numel() for p in decay_params)
            num_nodecay_params = sum(p.numel() for p in nodecay_params)
            print(
                f"num decayed parameter tensors: {len(decay_params)}, with {num_decay_params:,} parameters"
            )
            print(
                f"num non-decayed parameter tensors: {len(nodecay_params)}, with {num_nodecay_params:,} parameters"
            )
            # Create AdamW optimizer and use the fused version if it is available
            fused_available = "fused" in inspect.signature(torch.optim.AdamW).parameters
            use_fused = fused_available and device_type == "cuda"
            extra_args = dict(fused=True) if use_fused else dict()
            optimizer = torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)
            return optimizer

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                # if the sequence context is growing too long we must crop it at block_size
                idx_cond = (
                    idx
                    if idx.size(1) <= self.config.block_size
                    else idx[:, -self.config.block_size :]
                )
                # forward the model to get the logits for the index in the sequence
                logits, _ = self(idx_cond)
                # pluck the logits at the final step and scale by desired temperature
                logits = logits[:, -1, :] / temperature
                # optionally crop the logits to only the top k options
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                # apply softmax to convert logits to (normalized) probabilities
                probs = F.softmax(logits, dim=-1)
                # sample from the distribution
                idx_next = torch.multinomial(probs, num_samples=1)
                # append sampled index to the running sequence and continue
                idx = torch.cat((idx, idx_next), dim=1)

            return idx

    # ---- train.py, condensed: a character-level dataset and the training loop
    chars = sorted(list(set(SHAKESPEARE)))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in SHAKESPEARE], dtype=torch.long)
    block_size, batch_size = 16, 8
    device = "cpu"

    def get_batch(ix):
        x = torch.stack([data[i : i + block_size] for i in ix])
        y = torch.stack([data[i + 1 : i + 1 + block_size] for i in ix])
        return x, y

    torch.manual_seed(1337)
    config = GPTConfig(block_size=block_size, vocab_size=len(chars))
    model = GPT(config)
    model.to(device)
    assert model.transformer.wte.weight is model.lm_head.weight
    names = [pn for pn, _ in model.named_parameters()]
    load_numpy_weights(torch, model, seed=7, std=0.2)

    learning_rate, warmup_iters, lr_decay_iters, min_lr = 6e-3, 3, 12, 6e-4

    def get_lr(it):
        # 1) linear warmup for warmup_iters steps
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        # 2) if it > lr_decay_iters, return min learning rate
        if it > lr_decay_iters:
            return min_lr
        # 3) in between, use cosine decay down to min learning rate
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # coeff ranges 0..1
        return min_lr + coeff * (learning_rate - min_lr)

    optimizer = model.configure_optimizers(0.1, learning_rate, (0.9, 0.95), device)
    offsets = rng.integers(0, len(data) - block_size - 1, size=(12, batch_size))
    losses, norms = [], []
    for it in range(12):
        lr = get_lr(it)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        X, Y = get_batch(torch.tensor(offsets[it]))
        logits, loss = model(X, Y)
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if it % 4 == 0:
            print(f"iter {it}: loss {loss.item():.4f}, lr {lr:.2e}")

    model.eval()
    start = torch.tensor([[stoi["F"]]], dtype=torch.long)
    greedy = model.generate(start, 20, top_k=1)  # top_k=1: always the likeliest token
    sampled = model.generate(start, 20, temperature=0.8, top_k=5)
    assert sampled.shape == (1, 21) and sampled.dtype == torch.long
    assert 0 <= sampled.min().item() and sampled.max().item() < len(chars)
    logits, _ = model(get_batch([0, 50])[0])

    return {
        "names": names,
        "num_params": model.get_num_params(),
        "losses": losses,
        "norms": norms,
        "greedy": greedy,
        "logits": logits,
        "wte": model.transformer.wte.weight,
        "bias_buffer": model.transformer.h[0].attn.bias,
        "state_keys": list(model.state_dict().keys()),
        "sample_tokens": sampled,
    }


# ------------------------------------------------------------------------------------------
# minGPT: its module-type based configure_optimizers and top-1 generation


def mingpt(torch, rng):
    """minGPT's model.py, condensed: NewGELU, an nn.ModuleDict MLP, configure_optimizers that
    sorts parameters into decay / no_decay by module type, and generate(do_sample=False)."""
    nn = torch.nn
    F = torch.nn.functional

    class NewGELU(nn.Module):
        """
        Implementation of the GELU activation function currently in Google BERT repo (identical to OpenAI GPT).
        Reference: Gaussian Error Linear Units (GELU) paper: https://arxiv.org/abs/1606.08415
        """

        def forward(self, x):
            return (
                0.5
                * x
                * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
            )

    class CausalSelfAttention(nn.Module):
        def __init__(self, n_embd, n_head, block_size):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)
            self.attn_dropout = nn.Dropout(0.0)
            self.resid_dropout = nn.Dropout(0.0)
            self.register_buffer(
                "bias",
                torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size),
            )
            self.n_head = n_head
            self.n_embd = n_embd

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            att = self.attn_dropout(att)
            y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            y = self.resid_dropout(self.c_proj(y))
            return y

    class Block(nn.Module):
        def __init__(self, n_embd, n_head, block_size):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention(n_embd, n_head, block_size)
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = nn.ModuleDict(
                dict(
                    c_fc=nn.Linear(n_embd, 4 * n_embd),
                    c_proj=nn.Linear(4 * n_embd, n_embd),
                    act=NewGELU(),
                    dropout=nn.Dropout(0.0),
                )
            )
            m = self.mlp
            self.mlpf = lambda x: m.dropout(m.c_proj(m.act(m.c_fc(x))))  # MLP forward

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            x = x + self.mlpf(self.ln_2(x))
            return x

    class GPT(nn.Module):
        def __init__(self, vocab_size, block_size, n_layer=2, n_head=2, n_embd=24):
            super().__init__()
            self.block_size = block_size
            self.transformer = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(vocab_size, n_embd),
                    wpe=nn.Embedding(block_size, n_embd),
                    drop=nn.Dropout(0.0),
                    h=nn.ModuleList([Block(n_embd, n_head, block_size) for _ in range(n_layer)]),
                    ln_f=nn.LayerNorm(n_embd),
                )
            )
            self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)

        def configure_optimizers(self, train_config):
            # separate out all parameters to those that will and won't experience regularizing weight decay
            decay = set()
            no_decay = set()
            whitelist_weight_modules = (torch.nn.Linear,)
            blacklist_weight_modules = (torch.nn.LayerNorm, torch.nn.Embedding)
            for mn, m in self.named_modules():
                for pn, p in m.named_parameters():
                    fpn = "%s.%s" % (mn, pn) if mn else pn  # full param name
                    # random note: because named_modules and named_parameters are recursive
                    # we will see the same tensors p many many times. but doing it this way
                    # allows us to know which parent module any tensor p belongs to...
                    if pn.endswith("bias"):
                        # all biases will not be decayed
                        no_decay.add(fpn)
                    elif pn.endswith("weight") and isinstance(m, whitelist_weight_modules):
                        # weights of whitelist modules will be weight decayed
                        decay.add(fpn)
                    elif pn.endswith("weight") and isinstance(m, blacklist_weight_modules):
                        # weights of blacklist modules will NOT be weight decayed
                        no_decay.add(fpn)

            # validate that we considered every parameter
            param_dict = {pn: p for pn, p in self.named_parameters()}
            inter_params = decay & no_decay
            union_params = decay | no_decay
            assert len(inter_params) == 0, (
                "parameters %s made it into both decay/no_decay sets!" % (str(inter_params),)
            )
            assert len(param_dict.keys() - union_params) == 0, (
                "parameters %s were not separated into either decay/no_decay set!"
                % (str(param_dict.keys() - union_params),)
            )

            # create the pytorch optimizer object
            optim_groups = [
                {"params": [param_dict[pn] for pn in sorted(list(decay))], "weight_decay": train_config["weight_decay"]},
                {"params": [param_dict[pn] for pn in sorted(list(no_decay))], "weight_decay": 0.0},
            ]  # fmt: skip
            optimizer = torch.optim.AdamW(
                optim_groups, lr=train_config["learning_rate"], betas=train_config["betas"]
            )
            return optimizer, sorted(decay), sorted(no_decay)

        def forward(self, idx, targets=None):
            device = idx.device
            b, t = idx.size()
            assert t <= self.block_size, (
                f"Cannot forward sequence of length {t}, block size is only {self.block_size}"
            )
            pos = torch.arange(0, t, dtype=torch.long, device=device).unsqueeze(0)  # shape (1, t)

            # forward the GPT model itself
            tok_emb = self.transformer.wte(idx)  # token embeddings of shape (b, t, n_embd)
            pos_emb = self.transformer.wpe(pos)  # position embeddings of shape (1, t, n_embd)
            x = self.transformer.drop(tok_emb + pos_emb)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            logits = self.lm_head(x)

            # if we are given some desired targets also calculate the loss
            loss = None
            if targets is not None:
                loss = F.cross_entropy(
                    logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
                )

            return logits, loss

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, do_sample=False, top_k=None):
            for _ in range(max_new_tokens):
                # if the sequence context is growing too long we must crop it at block_size
                idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size :]
                # forward the model to get the logits for the index in the sequence
                logits, _ = self(idx_cond)
                # pluck the logits at the final step and scale by desired temperature
                logits = logits[:, -1, :] / temperature
                # optionally crop the logits to only the top k options
                if top_k is not None:
                    v, _ = torch.topk(logits, top_k)
                    logits[logits < v[:, [-1]]] = -float("Inf")
                # apply softmax to convert logits to (normalized) probabilities
                probs = F.softmax(logits, dim=-1)
                # either sample from the distribution or take the most likely element
                if do_sample:
                    idx_next = torch.multinomial(probs, num_samples=1)
                else:
                    _, idx_next = torch.topk(probs, k=1, dim=-1)
                # append sampled index to the running sequence and continue
                idx = torch.cat((idx, idx_next), dim=1)

            return idx

    # the sorting task of minGPT's demo.ipynb: learn to sort 6 digits from 0..2
    length, num_digits = 6, 3
    block_size = length * 2 - 1
    model = GPT(num_digits, block_size)
    load_numpy_weights(torch, model, seed=11, std=0.2)
    train_config = {"weight_decay": 0.1, "learning_rate": 5e-3, "betas": (0.9, 0.95)}
    optimizer, decay, no_decay = model.configure_optimizers(train_config)
    print(len(decay), len(no_decay), [len(g["params"]) for g in optimizer.param_groups])

    def batch(count):
        inp = torch.tensor(rng.integers(0, num_digits, size=(count, length)), dtype=torch.long)
        sol = torch.sort(inp, dim=1)[0]
        cat = torch.cat((inp, sol), dim=1)
        x = cat[:, :-1].clone()
        y = cat[:, 1:].clone()
        y[:, : length - 1] = -1  # only the solution is predicted
        return x, y

    losses = []
    model.train()
    for it in range(10):
        x, y = batch(16)
        logits, loss = model(x, y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())

    model.eval()
    inp = torch.tensor([[2, 2, 2, 1, 0, 1]], dtype=torch.long)
    cat = model.generate(inp, length, do_sample=False)
    sol_candidate = cat[:, length:]
    print("input sequence  :", inp.tolist())
    print("predicted sorted:", sol_candidate.tolist())

    return {
        "decay": decay,
        "no_decay": no_decay,
        "group_decay": [g["weight_decay"] for g in optimizer.param_groups],
        "losses": losses,
        "generated": cat,
        "adam_state": optimizer.state[model.lm_head.weight]["exp_avg_sq"],
        "lm_head": model.lm_head.weight,
    }
