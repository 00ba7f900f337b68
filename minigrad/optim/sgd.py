"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from minigrad.optim.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent (F4, F5): theta <- theta - lr * g.

    With the options switched on, one step for a parameter theta with gradient g is

        g <- -g                                  if maximize (climb instead of descend)
        g <- g + weight_decay * theta            L2 penalty (weight_decay/2)*||theta||^2
        b <- g                                   on the first step (momentum != 0)
        b <- momentum * b + (1 - dampening) * g  on later steps
        g <- g + momentum * b                    if nesterov (look ahead along the velocity)
        g <- b                                   otherwise
        theta <- theta - lr * g

    Momentum keeps a running "velocity" b, so steps build up along directions where the
    gradient keeps its sign and cancel out where it oscillates. This is the PyTorch form of
    momentum (lr multiplies the velocity), which differs from Sutskever et al. (2013), where lr
    is folded into the velocity: the two agree while lr is constant.

    Args:
        params: Tensors (or parameter groups) to optimize.
        lr: learning rate, the step size alpha of F4 (default 1e-3).
        momentum: momentum factor in [0, 1) usually; 0 switches momentum off.
        dampening: how much of the new gradient is NOT added to the velocity.
        weight_decay: L2 penalty coefficient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0.0,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        maximize=False,
    ):
        defaults = {
            "lr": float(lr),
            "momentum": float(momentum),
            "dampening": float(dampening),
            "weight_decay": float(weight_decay),
            "nesterov": bool(nesterov),
            "maximize": bool(maximize),
        }
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        if not group["lr"] >= 0.0:  # also rejects nan
            raise ValueError(f"Invalid lr (learning rate): {group['lr']}; it must be >= 0")
        if not group["momentum"] >= 0.0:  # also rejects nan
            raise ValueError(f"Invalid momentum value: {group['momentum']}; it must be >= 0")
        if not group["weight_decay"] >= 0.0:  # also rejects nan
            raise ValueError(
                f"Invalid weight_decay value: {group['weight_decay']}; it must be >= 0"
            )
        if group["nesterov"] and (group["momentum"] <= 0.0 or group["dampening"] != 0.0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']} and dampening={group['dampening']}"
            )

    def update_parameter(self, p, grad, state, group):
        # Hyperparameters as Python floats: NumPy then computes in the parameter's own dtype.
        lr = float(group["lr"])
        momentum = float(group["momentum"])
        dampening = float(group["dampening"])
        weight_decay = float(group["weight_decay"])

        if group["maximize"]:
            grad = -grad
        if weight_decay != 0.0:
            grad = grad + weight_decay * p.array  # a new array: p.grad itself is never changed

        if momentum != 0.0:
            velocity = state.get("momentum_buffer")
            if velocity is None:
                # No history yet: start the velocity at the gradient rather than at zero,
                # so the first step is a plain gradient step instead of a (1 - dampening) one.
                velocity = grad.copy()
                state["momentum_buffer"] = velocity
            else:
                velocity *= momentum
                velocity += (1.0 - dampening) * grad
            if group["nesterov"]:
                grad = grad + momentum * velocity
            else:
                grad = velocity

        p.array -= lr * grad
