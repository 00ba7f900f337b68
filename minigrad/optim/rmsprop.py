"""RMSprop: divide the gradient by a running root-mean-square of recent gradients (Hinton, 2012)."""

from minigrad.optim.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop: a per-coordinate step size from a running average of squared gradients.

    For a parameter theta with gradient g:

        g <- g + weight_decay * theta             L2 penalty
        s <- alpha * s + (1 - alpha) * g^2        running mean of g^2 ("square_avg")
        a <- alpha * a + (1 - alpha) * g          only if centered ("grad_avg")
        d = sqrt(s - a^2) + eps                   if centered: an estimate of g's std. deviation
        d = sqrt(s) + eps                         otherwise: the root mean square of g
        b <- momentum * b + g / d                 if momentum > 0, then theta <- theta - lr * b
        theta <- theta - lr * g / d               if momentum == 0

    Adam (F5) is RMSprop plus a running mean of g in the numerator and bias correction; note
    that RMSprop has no bias correction, so its first steps are large (s starts at 0).

    The arithmetic follows PyTorch's order, so float32 results agree with torch.optim.RMSprop
    to rounding.

    Args:
        params: Tensors (or parameter groups) to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the running averages, in [0, 1].
        eps: added to the denominator so that it is never zero.
        weight_decay: L2 penalty coefficient.
        momentum: momentum factor (0 switches momentum off).
        centered: normalize by the estimated standard deviation of g instead of its RMS.
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        maximize=False,
    ):
        defaults = {
            "lr": float(lr),
            "alpha": float(alpha),
            "eps": float(eps),
            "weight_decay": float(weight_decay),
            "momentum": float(momentum),
            "centered": bool(centered),
            "maximize": bool(maximize),
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        if not group["lr"] >= 0.0:  # also rejects nan
            raise ValueError(f"Invalid lr (learning rate): {group['lr']}; it must be >= 0")
        if not group["eps"] >= 0.0:  # also rejects nan
            raise ValueError(f"Invalid eps value: {group['eps']}; it must be >= 0")
        if not 0.0 <= group["alpha"] <= 1.0:
            raise ValueError(f"Invalid alpha value: {group['alpha']}; need 0 <= alpha <= 1")
        if not group["momentum"] >= 0.0:  # also rejects nan
            raise ValueError(f"Invalid momentum value: {group['momentum']}; it must be >= 0")
        if not group["weight_decay"] >= 0.0:  # also rejects nan
            raise ValueError(
                f"Invalid weight_decay value: {group['weight_decay']}; it must be >= 0"
            )

    def update_parameter(self, p, grad, state, group):
        xp = p.xp
        lr = float(group["lr"])
        alpha = float(group["alpha"])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        momentum = float(group["momentum"])

        if len(state) == 0:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p.array)
            if momentum > 0.0:
                state["momentum_buffer"] = xp.zeros_like(p.array)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p.array)

        if group["maximize"]:
            grad = -grad
        if weight_decay != 0.0:
            grad = grad + weight_decay * p.array

        state["step"] += 1  # not used by the update; kept so that state dicts match PyTorch's
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1.0 - alpha) * grad * grad

        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1.0 - alpha) * (grad - grad_avg)  # = alpha*a + (1-alpha)*g
            denom = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            denom = xp.sqrt(square_avg)
        denom += eps

        if momentum > 0.0:
            velocity = state["momentum_buffer"]
            velocity *= momentum
            velocity += grad / denom
            p.array -= lr * velocity
        else:
            p.array -= lr * (grad / denom)
