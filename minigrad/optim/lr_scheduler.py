"""Learning-rate schedules: change each parameter group's "lr" as training goes on.

Usage is PyTorch's: make the scheduler after the optimizer, and call `scheduler.step()` once per
epoch (or per batch, for warm-up) AFTER `optimizer.step()`:

    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1)
    scheduler = minigrad.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)          # calls optimizer.step() many times
        scheduler.step()

Each scheduler works as PyTorch's do: every step multiplies each group's *current* "lr" by the
scheduler's ratio for that step (its "chainable form"). Alone, a scheduler therefore follows its
closed formula of the step count `last_epoch` (0 right after construction) and the group's
starting rate `base_lr`:

    StepLR             base_lr * gamma ** (last_epoch // step_size)
    ExponentialLR      base_lr * gamma ** last_epoch
    CosineAnnealingLR  eta_min + (base_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2
    LinearLR           base_lr * (start_factor + (end_factor - start_factor)
                                  * min(last_epoch, total_iters) / total_iters)
    LambdaLR           base_lr * lr_lambda(last_epoch)       (sets the rate: not chainable)

SequentialLR runs one scheduler after another: `SequentialLR(opt, [warmup, decay],
milestones=[5])` steps `warmup` for 5 steps, then restarts `decay` at its step 0 (its closed
formula above, `closed_form_lr()`) and steps it from there.

and two schedulers stepped on one optimizer compose: StepLR and ExponentialLR together multiply
by gamma_exp every step and by gamma_step every step_size steps; a LinearLR warm-up scales
whatever a CosineAnnealingLR sets. Each `get_lr()` below is written as that ratio, in PyTorch's
order of operations, so the rates equal PyTorch's to the last bit.

Because the rate lives in the optimizer, resuming needs both state dicts: the optimizer's
(the current "lr") and the scheduler's (`last_epoch`), as in PyTorch.
"""

import math
from bisect import bisect_right

from minigrad.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: remembers the starting learning rates and applies `get_lr()` on each step."""

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        # "initial_lr" is stored in the group (as PyTorch does) so that a scheduler made later,
        # or after loading a checkpoint, still starts from the original rate.
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply(self.get_lr())

    def get_lr(self):
        """The learning rate of every group at step `self.last_epoch`. Subclasses write this,
        from the groups' current rates (`self._current_lrs()`) or from `self.base_lrs`."""
        raise NotImplementedError

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Advance the schedule by one step and set the optimizer's learning rates."""
        self.last_epoch += 1
        self._apply(self.get_lr())

    def get_last_lr(self):
        """The learning rates set by the last `step()` (or by the constructor), one per group."""
        return list(self._last_lr)

    def _apply(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = float(lr)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """The scheduler's variables (not the optimizer, which has its own state dict)."""
        return {
            name: (list(value) if isinstance(value, list) else value)
            for name, value in vars(self).items()
            if name not in ("optimizer", "lr_lambdas")  # functions cannot be saved as data
        }

    def load_state_dict(self, state_dict):
        for name, value in state_dict.items():
            setattr(self, name, list(value) if isinstance(value, list) else value)


class StepLR(LRScheduler):
    """Multiply the learning rate by gamma every `step_size` steps.

    alone: lr = base_lr * gamma ** (last_epoch // step_size)
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        if not isinstance(step_size, int) or step_size <= 0:
            raise ValueError(f"Invalid step_size: {step_size!r}; it must be a positive int")
        self.step_size = step_size
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def closed_form_lr(self):
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by gamma at every step.

    alone: lr = base_lr * gamma ** last_epoch
    """

    def __init__(self, optimizer, gamma):
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def closed_form_lr(self):
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine wave from base_lr down to eta_min over T_max steps (SGDR, no restarts).

    alone: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2

    Each step moves the current lr's distance to eta_min by the ratio of two successive
    cosines, (1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max)). Where the previous cosine
    is at its bottom (1 + cos = 0, no ratio), the step adds the first step's rise instead.

    Past T_max the cosine carries on, so the rate climbs back up (as in PyTorch); stop stepping
    the scheduler at T_max if you want it to stay at eta_min.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        if T_max <= 0:
            raise ValueError(f"Invalid T_max: {T_max}; it must be > 0")
        self.T_max = T_max
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if t == 0:
            return self._current_lrs()
        if (t - 1 - T) % (2 * T) == 0:  # the previous step was at the bottom of the cosine
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for lr, base_lr in zip(self._current_lrs(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def closed_form_lr(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor that moves linearly from start_factor to end_factor.

    factor = start_factor + (end_factor - start_factor) * min(last_epoch, total_iters) / total_iters
    alone: lr = base_lr * factor

    The constructor multiplies the current lr by start_factor; each step t <= total_iters then
    multiplies it by factor(t) / factor(t - 1), and later steps leave it alone.

    The usual use is warm-up: start small (say start_factor=0.01) and reach the full rate after
    total_iters steps, which keeps Adam's first, poorly estimated steps from wrecking the model.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"Invalid start_factor: {start_factor}; need 0 < start_factor <= 1")
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"Invalid end_factor: {end_factor}; need 0 <= end_factor <= 1")
        if total_iters <= 0:
            raise ValueError(f"Invalid total_iters: {total_iters}; it must be > 0")
        self.start_factor = float(start_factor)
        self.end_factor = float(end_factor)
        self.total_iters = total_iters
        super().__init__(optimizer)

    def get_lr(self):
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [lr * start for lr in self._current_lrs()]
        if t > self.total_iters:
            return self._current_lrs()
        # factor(t) / factor(t - 1), written as PyTorch writes it
        ratio = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]

    def closed_form_lr(self):
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        factor = start + (end - start) * min(self.total_iters, t) / self.total_iters
        return [base_lr * factor for base_lr in self.base_lrs]


class LambdaLR(LRScheduler):
    """Learning rate = base_lr times any function of the step count.

    lr = base_lr * lr_lambda(last_epoch)

    It sets the rate (as in PyTorch), so a scheduler stepped before it in the same epoch has no
    effect; one stepped after it multiplies the rate it set.

    lr_lambda is one function, or a list with one function per parameter group. Example, a
    linear warm-up over 100 steps: `LambdaLR(opt, lambda step: min(1.0, (step + 1) / 100))`.
    The functions are not part of `state_dict()`: pass the same ones when you resume.
    """

    def __init__(self, optimizer, lr_lambda):
        groups = optimizer.param_groups
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(groups):
                raise ValueError(
                    f"Expected {len(groups)} lr_lambdas (one per parameter group), "
                    f"got {len(lr_lambda)}"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(groups)
        super().__init__(optimizer)

    def get_lr(self):
        return [
            base_lr * lr_lambda(self.last_epoch)
            for base_lr, lr_lambda in zip(self.base_lrs, self.lr_lambdas)
        ]


class SequentialLR(LRScheduler):
    """Run schedulers one after another: scheduler i takes over at step milestones[i - 1].

        warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
        decay = CosineAnnealingLR(opt, T_max=95)
        scheduler = SequentialLR(opt, schedulers=[warmup, decay], milestones=[5])

    As in PyTorch: making the schedulers already stepped each of them once; SequentialLR undoes
    that (the groups go back to their initial rate, every scheduler one step back) and takes
    the first scheduler's initial step only. At a milestone the next scheduler restarts at its
    step 0, where its rate is its closed formula at 0 (for CosineAnnealingLR: base_lr).
    """

    def __init__(self, optimizer, schedulers, milestones):
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got no scheduler.")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler) or isinstance(scheduler, SequentialLR):
                raise TypeError(f"SequentialLR: schedulers[{i}] is not a learning-rate scheduler")
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"SequentialLR expects all schedulers to belong to the same optimizer, but "
                    f"schedulers[{i}] ({type(scheduler).__name__}) has another one"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR expects number of schedulers provided to be one more than the "
                f"number of milestone points, but got number of schedulers {len(schedulers)} "
                f"and the number of milestones to be equal to {len(milestones)}"
            )
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = 0
        for group in optimizer.param_groups:  # back to the starting rates...
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:  # ...and every scheduler one step back
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first.step()  # its initial step, at step 0
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler.last_epoch = 0  # a restart: the scheduler's rate at its step 0
            scheduler._apply(scheduler.closed_form_lr())
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        return {
            "last_epoch": self.last_epoch,
            "_milestones": list(self._milestones),
            "_last_lr": list(self._last_lr),
            "_schedulers": [scheduler.state_dict() for scheduler in self._schedulers],
        }

    def load_state_dict(self, state_dict):
        self.last_epoch = state_dict["last_epoch"]
        self._milestones = list(state_dict["_milestones"])
        self._last_lr = list(state_dict["_last_lr"])
        for scheduler, state in zip(self._schedulers, state_dict["_schedulers"]):
            scheduler.load_state_dict(state)
