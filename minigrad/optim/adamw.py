"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

from minigrad.optim.adam import Adam


class AdamW(Adam):
    """Adam (F5) whose weight decay shrinks the weights directly instead of the gradient.

    For a parameter theta with gradient g, at step t = 1, 2, ...

        theta <- theta * (1 - lr * weight_decay)  decoupled weight decay, BEFORE the Adam step
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        m_hat = m / (1 - beta1^t)
        v_hat = v / (1 - beta2^t)
        v_max <- max(v_max, v)                    only with amsgrad; then v_max replaces v
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    The only difference from Adam is the first line, so AdamW is Adam with its one weight-decay
    step (`apply_weight_decay`) replaced. Adam's L2 penalty is added to g, so it is
    divided by sqrt(v_hat) like the rest of the gradient: weights with large gradients are
    hardly decayed at all. AdamW decays every weight by the same factor, which regularizes as
    intended and is the standard choice for Transformers.

    The arithmetic follows PyTorch's order (see Adam), so float32 results agree with
    torch.optim.AdamW to rounding.

    Args:
        params: Tensors (or parameter groups) to optimize.
        lr: learning rate alpha (default 1e-3).
        betas: (beta1, beta2), each in [0, 1).
        eps: added to the denominator so that it is never zero.
        weight_decay: decoupled weight decay coefficient (default 1e-2).
        amsgrad: use the running maximum of v.
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        maximize=False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)

    def apply_weight_decay(self, p, grad, lr, weight_decay):
        # Decoupled weight decay: shrink the weights themselves; g is left alone.
        p.array *= 1.0 - lr * weight_decay
        return grad
