"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

import math

from minigrad.optim.optimizer import Optimizer, as_betas


class AdamW(Optimizer):
    """Adam (F5) whose weight decay shrinks the weights directly instead of the gradient.

    For a parameter theta with gradient g, at step t = 1, 2, ...

        theta <- theta * (1 - lr * weight_decay)  decoupled weight decay, BEFORE the Adam step
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        m_hat = m / (1 - beta1^t)
        v_hat = v / (1 - beta2^t)
        v_max <- max(v_max, v)                    only with amsgrad; then v_max replaces v
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    The only difference from Adam is the first line. Adam's L2 penalty is added to g, so it is
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
            state["exp_avg"] = xp.zeros_like(p.data)  # m
            state["exp_avg_sq"] = xp.zeros_like(p.data)  # v
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p.data)

        if group["maximize"]:
            grad = -grad

        # Decoupled weight decay: shrink the weights themselves; g is left alone.
        p.data *= 1.0 - lr * weight_decay

        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]

        m += (1.0 - beta1) * (grad - m)
        v *= beta2
        v += (1.0 - beta2) * grad * grad

        bias_correction1 = 1.0 - beta1**t
        bias_correction2 = 1.0 - beta2**t
        step_size = lr / bias_correction1

        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            v_max[...] = xp.maximum(v_max, v)
            v = v_max

        denom = xp.sqrt(v) / math.sqrt(bias_correction2) + eps
        p.data -= step_size * (m / denom)
