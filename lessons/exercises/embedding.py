"""Exercise: the backward of an embedding lookup (lesson 15).

Forward, for a table `weight` of shape (V, D) and integer `indices` of any shape:

    out[p] = weight[indices[p]]          for every position p of indices;  out: indices.shape + (D,)

what `nn.Embedding` (and `C[X]` in lesson 15) computes: each position reads one row of the table.
The indices are integers and get no gradient (return None for them, first: forward's order).

Your job: return (None, dL/dweight), with g = grad = dL/dout. Each row i of the table receives the
gradient of every position that read it, and rows nobody read receive zero. Watch out: an index
usually appears more than once (the same character twice in a batch), and the tempting
one-liner `dW[indices] += grad` does not add up repeated indices. Lesson 15 shows why.

Check your answer:   minigrad check embedding
"""

import minigrad


class Embedding(minigrad.Function):
    """out = weight[indices]: one row of the table per index."""

    @staticmethod
    def forward(ctx, indices, weight):
        ctx.save_for_backward(indices)
        ctx.weight_shape = weight.shape
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        raise NotImplementedError(
            "write (None, dL/dweight) for the embedding lookup: see the module docstring and "
            "lessons/DERIVATIONS.md (section 'Embedding lookup')"
        )
