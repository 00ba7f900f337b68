# ruff: noqa: C901, E501, UP031, B007
# (The programs keep the originals' style: one function per program holding its classes,
# their long lines, %-formatting and loop variables; a student compares them line by line.)
"""Port programs in the style of the PyTorch tutorials and everyday PyTorch code.

Each function takes the framework as `torch` (PyTorch or minigrad) and a seeded NumPy Generator
`rng`; see conftest.py. Where a tutorial downloads a dataset (FashionMNIST, CIFAR-10), a program
uses random images of the same shape from `rng`; where it relies on a module's random
initialisation, it loads NumPy-made weights (`load_numpy_weights`).
"""

import numpy as np
from helpers_port import load_numpy_weights, randn


def quickstart(torch, rng):
    """The PyTorch quickstart: Dataset and DataLoader, nn.Flatten + nn.Sequential, the train and
    test loops with loss.item(), f"{loss:>7f}", len(dataloader.dataset), argmax(1) accuracy."""
    nn = torch.nn
    DataLoader = torch.utils.data.DataLoader
    TensorDataset = torch.utils.data.TensorDataset

    # Random 28x28 "images" in ten classes stand in for datasets.FashionMNIST
    X = rng.random((320, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=320)
    training_data = TensorDataset(torch.tensor(X[:256]), torch.tensor(y[:256]))
    test_data = TensorDataset(torch.tensor(X[256:]), torch.tensor(y[256:]))

    batch_size = 64

    # Create data loaders.
    train_dataloader = DataLoader(training_data, batch_size=batch_size)
    test_dataloader = DataLoader(test_data, batch_size=batch_size)

    for X, y in test_dataloader:
        print(f"Shape of X [N, C, H, W]: {list(X.shape)}")
        print(f"Shape of y: {list(y.shape)} {y.dtype == torch.int64}")
        break

    device = "cuda" if torch.cuda.is_available() else "cpu"

    # Define model
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork().to(device)
    load_numpy_weights(torch, model, std=0.05)

    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
    losses = []

    def train(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)

            # Compute prediction error
            pred = model(X)
            loss = loss_fn(pred, y)

            # Backpropagation
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

            print(f"raw loss: {loss:>7f}")  # a 0-d tensor formats like its number
            losses.append(loss.item())
            if batch % 2 == 0:
                loss, current = loss.item(), (batch + 1) * len(X)
                print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

    def test(dataloader, model, loss_fn):
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        test_loss /= num_batches
        correct /= size
        print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
        return test_loss, correct

    epochs = 3
    for t in range(epochs):
        print(f"Epoch {t + 1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer)
        result = test(test_dataloader, model, loss_fn)
    print("Done!")

    model.eval()
    x, y = test_data[0][0], test_data[0][1]
    with torch.no_grad():
        x = x.to(device)
        pred = model(x)
        predicted = pred[0].argmax(0)

    return {
        "losses": losses,
        "test": list(result),
        "pred": pred,
        "predicted": predicted,
        "label": y,
        "sizes": [len(train_dataloader), len(train_dataloader.dataset)],
    }


def autograd_tutorial(torch, rng):
    """ "Automatic differentiation with torch.autograd" and the 60-minute blitz: grad_fn,
    no_grad, detach, requires_grad_, backward(gradient), retain_graph, ones_like."""
    x = torch.ones(5)  # input tensor
    y = torch.zeros(3)  # expected output
    w = torch.tensor(rng.standard_normal((5, 3)), dtype=torch.float32, requires_grad=True)
    b = torch.tensor(rng.standard_normal(3), dtype=torch.float32, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    assert z.grad_fn is not None and loss.grad_fn is not None
    assert w.grad_fn is None and w.is_leaf and not z.is_leaf

    loss.backward()
    grads = [w.grad, b.grad]

    z = torch.matmul(x, w) + b
    print(z.requires_grad)
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    print(z.requires_grad)

    z = torch.matmul(x, w) + b
    z_det = z.detach()
    print(z_det.requires_grad)

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(out), retain_graph=True)
    second = inp.grad.clone()
    inp.grad.zero_()
    out.backward(torch.ones_like(out))  # without retain_graph: the graph is freed
    after_zero = inp.grad.clone()
    try:
        out.backward(torch.ones_like(out))
        print("a third backward through a freed graph ran")
    except RuntimeError:
        print("a third backward through a freed graph raised RuntimeError")

    # the blitz: requires_grad_ changes a tensor's flag in place
    a = torch.tensor(rng.standard_normal((2, 2)), dtype=torch.float32)
    a = (a * 3) / (a - 1)
    print(a.requires_grad)
    a.requires_grad_(True)
    print(a.requires_grad)
    c = (a * a).sum()
    print(c.grad_fn is not None)

    # the blitz: a vector-Jacobian product
    x = torch.tensor(rng.standard_normal(3), dtype=torch.float32, requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
    y.backward(v)

    # the blitz: stop tracking with .detach() or no_grad
    print(x.requires_grad)
    print((x**2).requires_grad)
    with torch.no_grad():
        print((x**2).requires_grad)
    yd = x.detach()
    print(yd.requires_grad)
    print(x.eq(yd).all().item())

    # a retained gradient of an intermediate tensor
    h = x.exp()
    h.retain_grad()
    (h * h).sum().backward()

    return {
        "loss": loss,
        "grads": grads,
        "calls": [first, second, after_zero],
        "vjp": [y, x.grad],
        "h_grad": h.grad,
    }


def lstm_tagger(torch, rng):
    """ "Sequence Models and Long Short-Term Memory Networks": the LSTM part-of-speech tagger,
    with nn.LSTM's default (seq, batch, feature) layout."""
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim

    def prepare_sequence(seq, to_ix):
        idxs = [to_ix[w] for w in seq]
        return torch.tensor(idxs, dtype=torch.long)

    training_data = [
        # Tags are: DET - determiner; NN - noun; V - verb
        # For example, the word "The" is a determiner
        ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
        ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ]
    word_to_ix = {}
    # For each words-list (sentence) and tags-list in each tuple of training_data
    for sent, tags in training_data:
        for word in sent:
            if word not in word_to_ix:  # word has not been assigned an index yet
                word_to_ix[word] = len(word_to_ix)  # Assign each word with a unique index
    print(word_to_ix)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}  # Assign each tag with a unique index

    # These will usually be more like 32 or 64 dimensional.
    # We will keep them small, so we can see how the weights change as we train.
    EMBEDDING_DIM = 6
    HIDDEN_DIM = 6

    class LSTMTagger(nn.Module):
        def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
            super().__init__()
            self.hidden_dim = hidden_dim

            self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)

            # The LSTM takes word embeddings as inputs, and outputs hidden states
            # with dimensionality hidden_dim.
            self.lstm = nn.LSTM(embedding_dim, hidden_dim)

            # The linear layer that maps from hidden state space to tag space
            self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

        def forward(self, sentence):
            embeds = self.word_embeddings(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
            tag_scores = F.log_softmax(tag_space, dim=1)
            return tag_scores

    torch.manual_seed(1)
    model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
    load_numpy_weights(torch, model, std=0.4)
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    # See what the scores are before training
    with torch.no_grad():
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        before = model(inputs)

    losses = []
    for epoch in range(30):  # again, normally you would NOT do 300 epochs, it is toy data
        for sentence, tags in training_data:
            # Step 1. Remember that Pytorch accumulates gradients.
            # We need to clear them out before each instance
            model.zero_grad()

            # Step 2. Get our inputs ready for the network, that is, turn them into
            # Tensors of word indices.
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = prepare_sequence(tags, tag_to_ix)

            # Step 3. Run our forward pass.
            tag_scores = model(sentence_in)

            # Step 4. Compute the loss, gradients, and update the parameters by
            #  calling optimizer.step()
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

    # See what the scores are after training
    with torch.no_grad():
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        tag_scores = model(inputs)
        print(tag_scores.argmax(dim=1).tolist())

    names = [name for name, _ in model.named_parameters()]
    return {"before": before, "after": tag_scores, "losses": losses, "names": names,
            "shapes": [list(p.shape) for p in model.parameters()]}  # fmt: skip


def gru_classifier(torch, rng):
    """A two-layer GRU sequence classifier: input (seq, batch, feature), the last layer's final
    hidden state h_n[-1] into a Linear, Adam."""
    nn = torch.nn
    F = torch.nn.functional

    class GRUClassifier(nn.Module):
        def __init__(self, input_size, hidden_size, num_layers, num_classes):
            super().__init__()
            self.gru = nn.GRU(input_size, hidden_size, num_layers=num_layers)
            self.fc = nn.Linear(hidden_size, num_classes)

        def forward(self, x):
            # x: (seq_len, batch, input_size); h0 defaults to zeros
            output, h_n = self.gru(x)
            # h_n: (num_layers, batch, hidden_size); the last layer's final state
            return self.fc(h_n[-1]), output

    seq_len, batch, input_size = 7, 5, 4
    model = GRUClassifier(input_size, hidden_size=8, num_layers=2, num_classes=3)
    load_numpy_weights(torch, model, std=0.3)
    x = randn(torch, rng, seq_len, batch, input_size)
    labels = torch.tensor(rng.integers(0, 3, size=batch))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    losses = []
    for epoch in range(8):
        logits, output = model(x)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"final loss {losses[-1]:.4f}")

    # an explicit initial state and the output's layout
    h0 = torch.zeros(2, batch, 8)
    out, h_n = model.gru(x, h0)
    assert out.shape == (seq_len, batch, 8) and h_n.shape == (2, batch, 8)
    assert torch.allclose(out[-1], h_n[-1])

    return {
        "losses": losses,
        "output": output,
        "grads": [p.grad for p in model.parameters()],
        "names": [name for name, _ in model.named_parameters()],
        "h_n": h_n,
    }


def save_load_checkpoint(torch, rng):
    """ "Saving and Loading Models": the tutorial's CNN, state_dict sizes, torch.save/torch.load
    (weights_only=True) of a state_dict and of a general checkpoint, then resume training.

    Deliberate difference (docs/porting-from-pytorch.md): minigrad.save writes safetensors
    whatever the file name, never pickle; the program is the same."""
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim

    # Define model
    class TheModelClass(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)  # flatten all dimensions except batch
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    def make():
        model = TheModelClass()
        load_numpy_weights(torch, model, std=0.1)
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return model, optimizer

    model, optimizer = make()
    sizes = {}
    # Print model's state_dict
    print("Model's state_dict:")
    for param_tensor in model.state_dict():
        print(param_tensor, "\t", list(model.state_dict()[param_tensor].size()))
        sizes[param_tensor] = list(model.state_dict()[param_tensor].size())

    images = randn(torch, rng, 6, 4, 3, 32, 32)
    labels = torch.tensor(rng.integers(0, 10, size=(6, 4)))
    criterion = nn.CrossEntropyLoss()

    def train_step(model, optimizer, i):
        optimizer.zero_grad()
        loss = criterion(model(images[i]), labels[i])
        loss.backward()
        optimizer.step()
        return loss

    # uninterrupted: six steps
    straight = [train_step(model, optimizer, i).item() for i in range(6)]

    # three steps, a checkpoint, a fresh model and optimizer, three more steps
    model, optimizer = make()
    for epoch in range(3):
        loss = train_step(model, optimizer, epoch)
    PATH = "model.pt"
    torch.save(
        {
            "epoch": epoch,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss,
        },
        PATH,
    )

    model, optimizer = make()
    checkpoint = torch.load(PATH, weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    epoch = checkpoint["epoch"]
    loss = checkpoint["loss"]
    model.train()
    resumed = [train_step(model, optimizer, i).item() for i in range(epoch + 1, 6)]
    assert resumed == straight[3:]

    # save/load the state_dict only, for inference
    torch.save(model.state_dict(), "model_weights.pth")
    model2 = TheModelClass()
    model2.load_state_dict(torch.load("model_weights.pth", weights_only=True))
    model2.eval()
    with torch.no_grad():
        same = torch.equal(model2(images[0]), model(images[0]))
    print(same)

    return {
        "sizes": sizes,
        "straight": straight,
        "resumed": resumed,
        "epoch": epoch,
        "loss": loss,
        "momentum": optimizer.state_dict()["state"][0]["momentum_buffer"],
        "param_groups": [
            {k: v for k, v in g.items() if k in ("lr", "momentum", "params")}
            for g in optimizer.state_dict()["param_groups"]
        ],
    }


def schedulers_and_clipping(torch, rng):
    """Learning-rate schedulers (StepLR, CosineAnnealingLR, two chained by stepping both,
    SequentialLR warmup then cosine) and clip_grad_norm_ in a training loop."""
    nn = torch.nn
    lr_scheduler = torch.optim.lr_scheduler

    def make():
        model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
        load_numpy_weights(torch, model, std=0.5)
        return model

    X = randn(torch, rng, 32, 4)
    y = randn(torch, rng, 32, 1) * 3

    def run(make_schedulers, epochs=12):
        model = make()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        schedulers = make_schedulers(optimizer)
        lrs, losses, norms = [], [], []
        for epoch in range(epochs):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(X), y)
            loss.backward()
            total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
            lrs.append(schedulers[-1].get_last_lr()[0])
            losses.append(loss.item())
            norms.append(total_norm.item())
        return {"lrs": lrs, "losses": losses, "norms": norms}

    step = run(lambda opt: [lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)])
    cosine = run(lambda opt: [lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=1e-3)])
    chained = run(
        lambda opt: [
            lr_scheduler.ExponentialLR(opt, gamma=0.9),
            lr_scheduler.StepLR(opt, step_size=4, gamma=0.1),
        ]
    )

    def warmup_cosine(opt):
        warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
        decay = lr_scheduler.CosineAnnealingLR(opt, T_max=9)
        return [lr_scheduler.SequentialLR(opt, schedulers=[warmup, decay], milestones=[3])]

    sequential = run(warmup_cosine)
    for name, r in [("step", step), ("cosine", cosine), ("chained", chained)]:
        print(name, " ".join(f"{lr:.5f}" for lr in r["lrs"]))

    # clip_grad_norm_ scales the gradients in place: their total norm becomes max_norm
    model = make()
    nn.functional.mse_loss(model(X), y * 100).backward()
    before = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    after = torch.norm(
        torch.stack([torch.norm(p.grad.detach(), 2.0) for p in model.parameters()]), 2.0
    )
    clipped_value = [p.grad for p in model.parameters()]
    return {
        "step": step,
        "cosine": cosine,
        "chained": chained,
        "sequential": sequential,
        "clip": [before, after],
        "clipped": clipped_value,
    }


def init_weights(torch, rng):
    """Module.apply(init_weights) with nn.init functions: deterministic inits compared, random
    ones checked by their statistics and bounds."""
    nn = torch.nn
    visited = []

    @torch.no_grad()
    def init_weights(m):
        visited.append(type(m).__name__)
        if type(m) == nn.Linear:  # noqa: E721 (the tutorial's spelling)
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Sequential(nn.Linear(512, 256)))
    returned = net.apply(init_weights)
    assert returned is net
    w = net[0].weight
    bound = (6.0 / (256 + 512)) ** 0.5  # gain 1
    assert w.abs().max().item() <= bound

    def init_gpt(module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
        elif isinstance(module, nn.LayerNorm):
            torch.nn.init.ones_(module.weight)
            torch.nn.init.zeros_(module.bias)

    model = nn.ModuleDict(
        {"emb": nn.Embedding(512, 256), "ln": nn.LayerNorm(256), "fc": nn.Linear(256, 512)}
    )
    model.apply(init_gpt)

    conv = nn.Conv2d(64, 128, 3)
    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
    nn.init.constant_(conv.bias, 0.5)
    kaiming_std = (2.0 / (128 * 3 * 3)) ** 0.5

    gains = [nn.init.calculate_gain("relu"), nn.init.calculate_gain("tanh"),
             nn.init.calculate_gain("leaky_relu", 0.2), nn.init.calculate_gain("linear")]  # fmt: skip

    return {
        "visited": visited,
        "bias": net[0].bias,
        "stat_xavier_extreme": w.abs().max().item() / bound,
        "stat_xavier_std": w.std().item() / (bound / 3**0.5),
        "stat_normal_std": [
            model["emb"].weight.std().item() / 0.02,
            model["fc"].weight.std().item() / 0.02,
        ],
        "stat_kaiming_std": conv.weight.std().item() / kaiming_std,
        "zeros_ones": [model["fc"].bias, model["ln"].weight, model["ln"].bias, conv.bias],
        "gains": gains,
    }


def forward_hooks(torch, rng):
    """Forward hooks that collect activations (the "get_activation" recipe), on every named
    module, and handle.remove()."""
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(10, 20)
            self.act = nn.ReLU()
            self.fc2 = nn.Linear(20, 5)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    model = Net()
    load_numpy_weights(torch, model, std=0.5)
    x = randn(torch, rng, 3, 10)

    activation = {}

    def get_activation(name):
        def hook(model, input, output):
            activation[name] = output.detach()

        return hook

    handle = model.fc1.register_forward_hook(get_activation("fc1"))
    output = model(x)
    print(list(activation.keys()), list(activation["fc1"].shape))

    # every submodule: remember the input and output shapes, in call order
    calls = []
    handles = []
    for name, module in model.named_modules():
        if name:  # skip the model itself
            handles.append(
                module.register_forward_hook(
                    lambda m, inp, out, name=name: calls.append(
                        (name, list(inp[0].shape), list(out.shape))
                    )
                )
            )
    model(x)
    for h in handles:
        h.remove()
    handle.remove()
    activation.clear()
    model(x)
    print(calls)
    assert activation == {}

    # a hook that returns a value replaces the module's output
    h = model.act.register_forward_hook(lambda m, inp, out: out * 2)
    doubled = model(x)
    h.remove()

    return {"output": output, "calls": calls, "doubled": doubled,
            "relu_out": model.act(model.fc1(x))}  # fmt: skip


def max_and_metrics(torch, rng):
    """x.max(dim=1) unpacked into values and indices, torch.max(outputs, 1) in an accuracy loop
    (the CIFAR-10 tutorial), argmax(keepdim) and pred.eq(target.view_as(pred)) (the MNIST
    example), topk with .values/.indices, sort."""
    outputs_all = randn(torch, rng, 4, 8, 10)
    labels_all = torch.tensor(rng.integers(0, 10, size=(4, 8)))

    values, indices = outputs_all[0].max(dim=1)
    r = torch.max(outputs_all[0], 1)
    assert torch.equal(r.values, values) and torch.equal(r[1], indices)
    mins = outputs_all[0].min(1, keepdim=True)

    correct = 0
    total = 0
    # since we're not training, we don't need to calculate the gradients for our outputs
    with torch.no_grad():
        for outputs, labels in zip(outputs_all, labels_all):
            # the class with the highest energy is what we choose as prediction
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    print(f"Accuracy of the network on the {total} test images: {100 * correct // total} %")

    test_correct = 0
    for output, target in zip(outputs_all, labels_all):
        pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
        test_correct += pred.eq(target.view_as(pred)).sum().item()

    top = torch.topk(outputs_all[1], 3, dim=1)
    srt, order = torch.sort(outputs_all[2][0], descending=True)

    # the gradient of a max flows to the selected elements only
    x = randn(torch, rng, 5, 6).requires_grad_()
    best, where = x.max(dim=1)
    best.sum().backward()

    return {
        "values": values,
        "indices": indices,
        "mins": [mins.values, mins.indices],
        "correct": correct,
        "total": total,
        "test_correct": test_correct,
        "topk": [top.values, top.indices],
        "sorted": [srt, order],
        "grad": x.grad,
        "where": where,
    }


def stack_cat_einsum(torch, rng):
    """torch.stack/torch.cat/chunk/split, and einsum for matrix products, batched attention
    scores, outer products and traces, with their gradients (float64)."""
    a = torch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = torch.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    q = torch.tensor(rng.standard_normal((2, 3, 5, 4)), requires_grad=True)
    k = torch.tensor(rng.standard_normal((2, 3, 6, 4)), requires_grad=True)
    assert a.dtype == torch.float64

    mm = torch.einsum("ij,jk->ik", a, b)
    assert torch.allclose(mm, a @ b)
    scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / 2.0
    assert torch.allclose(scores, q @ k.transpose(-2, -1) / 2.0)
    outer = torch.einsum("i,j->ij", a[0], b[:, 0])
    trace = torch.einsum("ii", a[:, :3])
    transposed = torch.einsum("ij->ji", a)
    total = torch.einsum("bhqk->", scores)

    rows = [a[i] * (i + 1) for i in range(3)]
    stacked = torch.stack(rows)  # (3, 4)
    stacked1 = torch.stack(rows, dim=1)  # (4, 3)
    joined = torch.cat([a, a * 2], dim=0)  # (6, 4)
    joined1 = torch.cat((a, b.T[:3]), dim=1)  # (3, 9)
    first, second = joined.chunk(2, dim=0)
    parts = torch.split(joined1, [3, 5], dim=1)

    loss = (
        mm.sum() + scores.pow(2).mean() + outer.sum() + trace + transposed[0, 0] + total
        + stacked.pow(2).sum() + stacked1[0].sum() + joined.mean() + parts[1].pow(3).sum()
        + (first - second).abs().sum()
    )  # fmt: skip
    loss.backward()

    return {
        "mm": mm,
        "scores": scores,
        "outer": outer,
        "trace": trace,
        "total": total,
        "stacked": [stacked, stacked1],
        "joined": [joined, joined1, first, second, parts[0], parts[1]],
        "grads": [a.grad, b.grad, q.grad, k.grad],
    }


def random_seeds(torch, rng):
    """torch.manual_seed and torch.Generator: the same seed gives the same draws; the draws'
    ranges, dtypes and statistics (compared loosely with PyTorch's)."""
    torch.manual_seed(42)
    a = torch.randn(3, 4)
    torch.manual_seed(42)
    b = torch.randn(3, 4)
    print(torch.equal(a, b))

    g = torch.Generator().manual_seed(2147483647)
    c = torch.randn(3, generator=g)
    g.manual_seed(2147483647)
    d = torch.randn(3, generator=g)
    print(torch.equal(c, d))

    torch.manual_seed(0)
    n = torch.randn(100000)
    u = torch.rand(100000)
    i = torch.randint(0, 10, (100000,))
    p = torch.randperm(10)
    assert u.min().item() >= 0.0 and u.max().item() < 1.0
    assert i.dtype == torch.int64 and 0 <= i.min().item() and i.max().item() <= 9
    assert sorted(p.tolist()) == list(range(10))
    print(n.dtype == torch.float32, u.dtype == torch.float32, p.dtype == torch.int64)

    probs = torch.tensor([0.1, 0.2, 0.7])
    draws = torch.multinomial(probs, 100000, replacement=True)
    no_repeat = torch.multinomial(torch.ones(10), 10, replacement=False)
    assert sorted(no_repeat.tolist()) == list(range(10))

    return {
        "sample_a": a,
        "sample_c": c,
        "sample_perm": p,
        "stat_normal": [n.mean().item(), n.std().item()],
        "stat_uniform": [u.mean().item(), u.std().item()],
        "stat_randint": [i.float().mean().item() / 10, (i == 0).float().mean().item()],
        "stat_multinomial": [(draws == k).float().mean().item() for k in range(3)],
        "shapes": [list(a.shape), list(c.shape), list(draws.shape)],
    }
