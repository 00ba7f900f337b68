"""Adam: adaptive moment estimation (Kingma & Ba, 2015)."""

import math

from minigrad.optim.optimizer import Optimizer, as_betas


class Adam(Optimizer):
    """Adam (F5), the optimizer the documents' example systems train with (S1, S2, S5).

    For a parameter theta with gradient g, at step t = 1, 2, ...

        g <- g + weight_decay * theta            L2 penalty, added to the gradient
        m <- beta1 * m + (1 - beta1) * g         running mean of g        ("first moment")
        v <- beta2 * v + (1 - beta2) * g^2       running mean of g^2      ("second moment")
        m_hat = m / (1 - beta1^t)                bias correction: m and v start at 0, so early
        v_hat = v / (1 - beta2^t)                averages are too small by exactly these factors
        v_max <- max(v_max, v)                   only with amsgrad; then v_max replaces v
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    Each coordinate gets its own step size lr / (sqrt(v_hat) + eps): large where gradients are
    large and noisy, small where they are small and steady. Roughly, no step is bigger than lr.

    The arithmetic below is done in the same order as PyTorch's, so float32 results agree with
    torch.optim.Adam to rounding:

        m += (1 - beta1) * (g - m)                     (= beta1*m + (1-beta1)*g, one op fewer)
        theta -= (lr / (1 - beta1^t)) * (m / (sqrt(v) / sqrt(1 - beta2^t) + eps))

    Note that eps is added after the bias correction, as in the paper.

    With weight_decay, the penalty goes through the adaptive scaling, which weakens it for
    parameters with large gradients; AdamW (decoupled weight decay) is usually what you want.

    Args:
        params: Tensors (or parameter groups) to optimize.
        lr: learning rate alpha (default 1e-3, the value used by document 000).
        betas: (beta1, beta2), the decay rates of the two running averages, each in [0, 1).
        eps: added to the denominator so that it is never zero.
        weight_decay: L2 penalty coefficient.
        amsgrad: use the running maximum of v (Reddi et al., 2018), which never lets the step
            size grow again after a burst of large gradients.
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        maximize=False,
    ):
        defaults = {
            "lr": float(lr),
            "betas": as_betas(betas),
            "eps": float(eps),
            "weight_decay": float(weight_decay),
            "amsgrad": bool(amsgrad),
            "maximize": bool(maximize),
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        beta1, beta2 = as_betas(group["betas"])
        if not group["lr"] >= 0.0:  # also rejects nan
            raise ValueError(f"Invalid lr (learning rate): {group['lr']}; it must be >= 0")
        if not group["eps"] >= 0.0:  # also rejects nan
            raise ValueError(f"Invalid eps value: {group['eps']}; it must be >= 0")
        if not 0.0 <= beta1 < 1.0:
            raise ValueError(f"Invalid betas[0] (beta1): {beta1}; need 0 <= beta1 < 1")
        if not 0.0 <= beta2 < 1.0:
            raise ValueError(f"Invalid betas[1] (beta2): {beta2}; need 0 <= beta2 < 1")
        if not group["weight_decay"] >= 0.0:  # also rejects nan
            raise ValueError(
                f"Invalid weight_decay value: {group['weight_decay']}; it must be >= 0"
            )

    def update_parameter(self, p, grad, state, group):
        xp = p.xp
        lr = float(group["lr"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])

        if len(state) == 0:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.array)  # m
            state["exp_avg_sq"] = xp.zeros_like(p.array)  # v
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p.array)

        if group["maximize"]:
            grad = -grad
        grad = self.apply_weight_decay(p, grad, lr, weight_decay)

        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]

        # The same arithmetic, in the same order, as the formulas above, but updating a few
        # scratch arrays in place: an update allocates four arrays per parameter instead of ten.
        scratch = grad - m
        scratch *= 1.0 - beta1
        m += scratch  # m += (1 - beta1) * (g - m)
        v *= beta2
        scratch = grad * (1.0 - beta2)
        scratch *= grad
        v += scratch  # v += (1 - beta2) * g * g

        # The bias corrections are Python floats (computed in float64), like PyTorch's.
        bias_correction1 = 1.0 - beta1**t
        bias_correction2 = 1.0 - beta2**t
        step_size = lr / bias_correction1

        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            v_max[...] = xp.maximum(v_max, v)
            v = v_max

        denom = xp.sqrt(v)
        denom /= math.sqrt(bias_correction2)
        denom += eps  # sqrt(v) / sqrt(1 - beta2^t) + eps
        update = m / denom
        update *= step_size
        p.array -= update  # theta -= step_size * (m / denom)

    def apply_weight_decay(self, p, grad, lr, weight_decay):
        """Adam's weight decay is an L2 penalty, (weight_decay / 2) ||theta||^2, whose gradient
        weight_decay * theta is added to g. (AdamW replaces this one step.)"""
        if weight_decay != 0.0:
            grad = grad + weight_decay * p.array
        return grad
