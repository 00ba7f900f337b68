"""Follow backpropagation step by step.

    with minigrad.trace() as t:
        loss.backward()
    print(t)            # one row per backward step, in the order the engine ran them
    t.step()            # or walk it: each call returns the next BackwardStep (None at the end)

Each step shows the op, its formula (the first line of the op's docstring), the shape and size
(L2 norm) of the gradient that arrived at the op's output, and of the gradients it sent to
each of its inputs.
"""

import math
from dataclasses import dataclass, field

from minigrad import autograd


@dataclass
class BackwardStep:
    number: int  # 1 for the first op the backward pass visited
    op: str  # e.g. "Mul"
    formula: str  # e.g. "z = a * b.      dz/da = b,  dz/db = a."
    output_shape: tuple
    output_grad_norm: float  # ||dL/d(output)||
    input_shapes: list = field(default_factory=list)  # None for a non-tensor argument
    input_grad_norms: list = field(default_factory=list)  # None where no gradient was sent

    def __str__(self):
        inputs = ", ".join(
            f"{shape} |g|={norm:.4g}" if norm is not None else f"{shape} (no grad)"
            for shape, norm in zip(self.input_shapes, self.input_grad_norms)
            if shape is not None
        )
        return (
            f"step {self.number}: {self.op}   {self.formula}\n"
            f"    dL/d(output) {self.output_shape} |g|={self.output_grad_norm:.4g}"
            f"  ->  inputs: {inputs}"
        )


def _norm(array):
    # Array methods only, no xp: a gradient may live on another device than the op's inputs
    # (the backward of .to(device) crosses devices).
    return math.sqrt(float((array * array).sum()))


class trace:
    """Records every step of the backward passes run inside the `with` block."""

    def __init__(self):
        self.steps = []
        self._cursor = 0

    def __enter__(self):
        autograd.backward_observers.append(self._record)
        return self

    def __exit__(self, *exc_info):
        autograd.backward_observers.remove(self._record)
        return False

    def _record(self, ctx, grad, input_grads):
        doc = (ctx.function.__doc__ or "").strip()
        self.steps.append(
            BackwardStep(
                number=len(self.steps) + 1,
                op=ctx.function.__name__,
                formula=doc.splitlines()[0] if doc else "",
                output_shape=tuple(grad.shape),
                output_grad_norm=_norm(grad),
                input_shapes=[None if p is None else p.shape for p in ctx.parents],
                input_grad_norms=[None if g is None else _norm(g) for g in input_grads],
            )
        )

    def __len__(self):
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, index):
        return self.steps[index]

    def step(self):
        """The next step of the recorded backward pass, or None when all have been shown."""
        if self._cursor >= len(self.steps):
            return None
        self._cursor += 1
        return self.steps[self._cursor - 1]

    def table(self):
        header = f"{'step':>4}  {'op':<12} {'output grad':<22} {'input grads':<40} formula"
        rows = [header, "-" * len(header)]
        for s in self.steps:
            inputs = "; ".join(
                f"{shape}:{norm:.3g}" if norm is not None else f"{shape}:-"
                for shape, norm in zip(s.input_shapes, s.input_grad_norms)
                if shape is not None
            )
            out = f"{s.output_shape}:{s.output_grad_norm:.3g}"
            rows.append(f"{s.number:>4}  {s.op:<12} {out:<22} {inputs:<40} {s.formula}")
        return "\n".join(rows)

    def __str__(self):
        return self.table()
