"""Reverse-mode automatic differentiation: Function, its ctx, and the backward pass.

Every differentiable op is a `Function` with two static methods that sit side by side:

    forward(ctx, *arrays)  computes the output from backend arrays and saves what backward needs
    backward(ctx, grad)    given dL/d(output), returns dL/d(input) for each input (the chain rule)

`Function.apply(*tensors)` runs forward and, when gradients are wanted, records a `Context` on
the output tensor: the op, its inputs and what it saved. The records link every result back to
the leaves it came from -- that chain of records *is* the computation graph.

`backward(...)` walks that graph from the output back to the leaves in reverse topological order
(each node only after every node that uses it), so each op's backward runs once, with the sum of
all gradients flowing into it. Two jobs are done here, once, for every op:

* un-broadcasting: if an input of shape (3, 1) was broadcast to (3, 4), its gradient arrives with
  shape (3, 4) and is summed back to (3, 1). No op's backward has to think about broadcasting.
* checking: a backward that returns a gradient of the wrong shape or dtype is reported,
  naming the op.

This file knows tensors only through `TensorBase`, the fields the engine reads and writes.
`Tensor` (tensor.py) builds on it and adds the methods that call the ops; the ops build on
`Function` here. So the imports run one way: autograd <- ops <- tensor, with no cycle.
"""

from minigrad import grad_mode, module_scope
from minigrad.backend import get_backend

# Observers of the forward and backward passes: anomaly mode (minigrad.detect_anomaly) and the
# backward tracer (minigrad.trace) add a callable here while they are active; empty otherwise.
#   forward observer:   observe(function, ctx, args, out)            after each op's forward
#   backward observer:  observe(ctx, grad, input_grads)               after each op's backward
forward_observers = []
backward_observers = []

# The recorder of minigrad.trace() while a `with minigrad.trace():` block is open, else None.
# backward() tells it each step: the gradient seeds, each op's backward, each un-broadcasting
# sum and each gradient stored in a leaf. When no trace is active this costs one `is None`
# check per node.
tracer = None


class Version:
    """How many times a tensor's numbers have been changed in place (PyTorch's version counter).

    One counter per storage: a view and its base share it. A node that saved a tensor for its
    backward remembers the count; if the count has moved by the time backward runs, the saved
    numbers are no longer the ones the forward pass used, and backward stops with an error
    instead of computing a wrong gradient.
    """

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class TensorBase:
    """What the engine needs of a tensor: its numbers, its gradient and its place in the graph.

    `Tensor` (tensor.py) subclasses this and adds everything a user calls. The engine makes
    new tensors through `_make`, which a Tensor provides, so it never has to import tensor.py.
    """

    __slots__ = (
        "array",  # the numbers: a backend array (NumPy on "cpu", CuPy on "cuda")
        "_grad",  # dL/d(this tensor) after backward(): a Tensor (`t.grad`), or None
        "_requires_grad",
        "_ctx",  # the node (a Context) that made this tensor's current value; None for a leaf
        "_device",  # "cpu", "cuda", "strict"
        "_version_counter",  # a Version, shared with the tensor's views (`t._version` reads it)
        "_view",  # for a view (x[0], x.T, ...): its link to the base (ops/views.py); else None
        "_hooks",  # a leaf's gradient hooks (x.register_hook); a computed tensor's are on its node
        "_name",  # set by `t.name = "x"` (shown by trace() and draw_graph()); unset by default
        "__weakref__",
    )

    @property
    def name(self):
        """A name that minigrad.trace() and viz.draw_graph() show for this tensor (None unless
        you set one: `x.name = "x"`). Parameters of a Module are named by the Module."""
        return getattr(self, "_name", None)

    @name.setter
    def name(self, value):
        self._name = value

    @staticmethod
    def _make(data, device, requires_grad=False, ctx=None):
        raise NotImplementedError("Tensor (tensor.py) defines _make")


def gradient_edge(tensor):
    """Where the gradient of `tensor` goes in backward: to the node that made its current value,
    to the tensor itself if it is a leaf, or nowhere (None) if it needs no gradient.

    A node keeps these edges, so a later in-place change of the tensor (which gives the tensor
    a new node) does not change where the gradients of earlier uses go.
    """
    if not tensor._requires_grad:
        return None
    return tensor._ctx if tensor._ctx is not None else tensor


class Context:
    """A node of the graph: what one call of an op remembers for its backward pass (PyTorch's
    `ctx`, and the `grad_fn` of the op's output).

    Ops may also store plain attributes on it (`ctx.axis = axis`).
    """

    _hooks = ()  # y.register_hook(f) on the output: f(dL/dy) runs before this node's backward

    def __init__(self, function, parents, device, xp):
        self.function = function  # the Function subclass that made the output
        self.parents = parents  # one entry per positional input: its Tensor, or None
        # edges[i]: where input i's gradient goes: gradient_edge(parents[i]), written out here
        # because this line runs for every op
        self.edges = tuple(
            [
                None if p is None or not p._requires_grad else (p if p._ctx is None else p._ctx)
                for p in parents
            ]
        )
        self.needs_input_grad = tuple([edge is not None for edge in self.edges])
        self.device = device  # where the output goes: the inputs' device (ToDevice changes it)
        self.module_path = module_scope.current  # the Modules running when the op ran
        self.xp = xp  # the array module to compute with (numpy, cupy, ...)
        self.freed = False
        self.retained = ()  # weak references to outputs that asked for .retain_grad()
        self._saved = ()
        # per saved input or output: (its Version, the value when saved, "input 0", its array)
        self._saved_versions = ()

    def save_for_backward(self, *arrays):
        """Keep arrays for backward. An input or the output saved here is version-checked:
        if it is changed in place before backward, backward raises instead of using it."""
        self._saved = arrays

    @property
    def saved_tensors(self):
        if self.freed:
            raise RuntimeError(_freed_graph_message(self.function))
        for version, expected, role, owner_array in self._saved_versions:
            if version.value != expected:
                what = f"{role} (a {owner_array.dtype} tensor of shape {tuple(owner_array.shape)})"
                raise RuntimeError(_modified_message(self.function, what, version.value, expected))
        return self._saved

    def release(self):
        """Drop the saved arrays and the links to the inputs, so their memory can be reused."""
        function = self.function
        self.__dict__.clear()
        self.function = function
        self.freed = True

    def name(self):
        """PyTorch's name for the node: 'MulBackward0' for the node that Mul made."""
        return f"{self.function.__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"


class HookHandle:
    """What register_hook returns: `handle.remove()` takes the hook off again."""

    def __init__(self, owner, hook):
        self.owner, self.hook = owner, hook

    def remove(self):
        self.owner._hooks = tuple(h for h in self.owner._hooks if h is not self.hook)


def _run_hooks(node, grad):
    """Pass dL/d(tensor) through the tensor's hooks in order; each may return a replacement."""
    if not node._hooks:
        return grad
    if isinstance(node, TensorBase):
        make, device, shape = node._make, node._device, node.array.shape
    else:
        make = next(p for p in node.parents if p is not None)._make
        device, shape = node.device, grad.shape
    for hook in node._hooks:
        result = hook(make(grad, device))
        if result is None:
            continue
        if not isinstance(result, TensorBase) or tuple(result.array.shape) != tuple(shape):
            raise RuntimeError(
                f"a gradient hook must return None or a Tensor of shape {tuple(shape)}, "
                f"got {result!r}"
            )
        grad = result.array
    return grad


def _modified_message(function, what, now, expected):
    return (
        f"one of the tensors needed for gradient computation has been modified by an inplace "
        f"operation: {what}, saved by {function.__name__} for its backward, is at version "
        f"{now}; expected version {expected} instead. Its numbers changed after the forward "
        "pass used them (an x += ..., x[i] = ..., an optimizer step, or an in-place method "
        "such as add_()). Change a copy instead (x = x + ...), or move the change after "
        "backward()."
    )


def _freed_graph_message(function):
    return (
        f"trying to backward through the graph a second time: the saved values of "
        f"'{function.__name__}' were freed after the first backward(). Call the first "
        "backward(retain_graph=True) if you need to backpropagate through the graph twice."
    )


class Function:
    """Base class of every differentiable op, built-in or your own.

    Subclass it and write two static methods; call it with `MyOp.apply(...)`::

        class Square(minigrad.Function):
            '''y = x^2,   dy/dx = 2x'''

            @staticmethod
            def forward(ctx, x):            # x: a backend array (NumPy or CuPy)
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):         # grad = dL/dy, shaped like y
                (x,) = ctx.saved_tensors
                return grad * 2 * x          # dL/dx = dL/dy * dy/dx

    Tensor arguments of `apply` reach `forward` as backend arrays; other arguments (an axis, a
    shape) pass through unchanged. `backward` returns one gradient per positional argument of
    `forward` (None for a non-Tensor argument or one that needs no gradient), as a backend array.
    Use `ctx.xp` (the array module) rather than `numpy` so the op also runs on a GPU.
    """

    name = None  # the op's name in minigrad.ops.REGISTRY (None for user-defined Functions)
    # The op's formula in LaTeX (the subset matplotlib's mathtext draws), one equation per line:
    # the trace page (minigrad.trace) shows it. The docstring's first paragraph is the same
    # formula in plain text.
    latex = None

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args, **kwargs):
        # One pass over the arguments (this runs for every op, so it is kept lean): a Tensor
        # hands its array to forward and becomes a parent in the graph; anything else (an axis,
        # a shape) is passed through unchanged and has no parent.
        first = None
        requires_grad = False
        parents = []
        arrays = []
        for arg in args:
            if isinstance(arg, TensorBase):
                if arg._view is not None:
                    arg._view.catch_up(arg)  # the base may have changed in place since
                if first is None:
                    first = arg
                elif arg._device != first._device:
                    raise RuntimeError(
                        f"{cls.__name__}: expected all tensors on the same device, but got "
                        f"'{first._device}' and '{arg._device}'. Move them with .to(device) first."
                    )
                requires_grad = requires_grad or arg._requires_grad
                parents.append(arg)
                arrays.append(arg.array)
            else:
                parents.append(None)
                arrays.append(arg)
        if first is None:
            raise TypeError(f"{cls.__name__}.apply: at least one argument must be a Tensor")

        ctx = Context(cls, tuple(parents), first._device, get_backend(first._device).xp)
        out = cls.forward(ctx, *arrays, **kwargs)
        backend = get_backend(ctx.device)  # ctx.device: forward may move the output (ToDevice)
        if not isinstance(out, backend.array_type):
            # NumPy reductions return scalars such as np.float32(3.0); a Tensor holds an array.
            out = backend.asarray(out)
        for observe in forward_observers:
            observe(cls, ctx, args, out)
        if not (requires_grad and grad_mode.is_grad_enabled()):
            return first._make(out, ctx.device)
        result = first._make(out, ctx.device, requires_grad=True, ctx=ctx)
        if ctx._saved:
            ctx._saved_versions = _versions_of_saved(ctx, result, backend)
        return result


def _versions_of_saved(ctx, out, backend):
    """For each saved array that is an input's or the output's numbers (or a view of them):
    that tensor's version counter and its value now, so backward can tell if it changed."""
    records = []
    for array in ctx._saved:
        if not isinstance(array, backend.array_type):
            continue  # None, a number, a shape
        owner, role = _owner_of(array, ctx.parents, out, backend)
        if owner is not None:
            counter = owner._version_counter
            records.append((counter, counter.value, role, array))
    return tuple(records)


def _owner_of(array, parents, out, backend):
    """The tensor (an input or the output) whose storage `array` is, and which one it is."""
    for index, parent in enumerate(parents):
        if parent is not None and array is parent.array:
            return parent, f"input {index}"
    if array is out.array:
        return out, "its output"
    if array.base is None:
        return None, None  # an array the op made for itself: nobody else can change it
    storage = backend.storage(array)  # a view (x.reshape(...), x.T): whose memory is it?
    for index, parent in enumerate(parents):
        if parent is not None and backend.storage(parent.array) is storage:
            return parent, f"input {index}"
    if backend.storage(out.array) is storage:
        return out, "its output"
    return None, None


# --------------------------------------------------------------------------------------------
# The backward pass
# --------------------------------------------------------------------------------------------


def backward(tensors, grad_tensors=None, retain_graph=False):
    """Backpropagate from one or more outputs, accumulating dL/dx into every leaf's `.grad`.

    `tensors`: a Tensor or a sequence of Tensors; `grad_tensors`: dL/d(output) for each
    (None means 1, allowed only for a one-element output). Like `torch.autograd.backward`.
    """
    roots, seeds = _roots_and_seeds(tensors, grad_tensors)
    tracing = tracer  # the trace() active when this backward started, or None
    if tracing is not None:
        tracing.begin(roots, seeds)
    grads = {}  # id(node) -> dL/d(the node's output), summed over every path so far
    for root, seed in zip(roots, seeds):
        _add_gradient(grads, gradient_edge(root), seed)

    for node in _reverse_topological_order([gradient_edge(root) for root in roots]):
        grad = grads.pop(id(node), None)  # complete: every consumer has already sent its part
        if grad is None:
            continue  # nothing flowed here (this node does not lead to any output)
        grad = _run_hooks(node, grad)  # x.register_hook(f): f sees (may replace) it first
        if isinstance(node, TensorBase):
            if tracing is not None:
                tracing.leaf(node, grad)
            _accumulate_grad(node, grad)  # a leaf: its gradient is stored, nothing to pass on
            continue
        _keep_retained_grads(node, grad)
        input_grads = _local_backward(node, grad)  # the chain rule for this one op
        for edge, input_grad in zip(node.edges, input_grads):
            if input_grad is not None:
                _add_gradient(grads, edge, input_grad)
        for observe in backward_observers:
            observe(node, grad, input_grads)
        if tracing is not None:
            tracing.op(node, grad, input_grads)
        if not retain_graph:
            node.release()


def _keep_retained_grads(node, grad):
    """Give the outputs of `node` that asked for .retain_grad() their gradient (and refuse a
    node whose saved values an earlier backward freed)."""
    if node.freed:
        raise RuntimeError(_freed_graph_message(node.function))
    for reference in node.retained:
        tensor = reference()
        if tensor is not None:
            _accumulate_grad(tensor, grad)


def _roots_and_seeds(tensors, grad_tensors):
    """The outputs to start from, each with its dL/d(output)."""
    if isinstance(tensors, TensorBase):
        tensors, grad_tensors = [tensors], [grad_tensors]
    elif grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"backward: got {len(tensors)} outputs but {len(grad_tensors)} gradients")
    return list(tensors), [_seed_gradient(t, g) for t, g in zip(tensors, grad_tensors)]


def _add_gradient(grads, node, grad):
    """grads[node] += grad. A new array each time: `grad` may be shared (Add returns one
    array for both inputs), so it is never changed in place."""
    key = id(node)
    grads[key] = grads[key] + grad if key in grads else grad


def _local_backward(ctx, grad):
    """Run one op's backward; return one checked gradient (or None) per input."""
    input_grads = ctx.function.backward(ctx, grad)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    if len(input_grads) != len(ctx.parents):
        raise RuntimeError(
            f"{ctx.function.__name__}.backward returned {len(input_grads)} gradient(s), but "
            f"forward took {len(ctx.parents)} input(s): return one per input (None for none)"
        )
    checked = []
    for index, (parent, parent_grad) in enumerate(zip(ctx.parents, input_grads)):
        if parent_grad is None or ctx.edges[index] is None:
            checked.append(None)  # this input needs no gradient
            continue
        # The usual case, an array with the input's shape and dtype, needs no fitting.
        data = parent.array
        if getattr(parent_grad, "shape", None) != data.shape or parent_grad.dtype != data.dtype:
            parent_grad = _fit_to_input(parent_grad, parent, ctx, index)
        checked.append(parent_grad)
    return checked


def _seed_gradient(root, grad):
    """dL/d(root): ones for a one-element output, else the given gradient (checked)."""
    if not root._requires_grad:
        raise RuntimeError(
            "backward() was called on a tensor that does not require grad: none of the tensors "
            "it was computed from has requires_grad=True, or it was computed inside no_grad()"
        )
    data, device = root.array, root._device
    shape = tuple(data.shape)
    if grad is None:
        if data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient works only for a scalar output, but this tensor "
                f"has shape {shape}. Reduce it first (y.sum().backward()) or pass the "
                f"gradient of the same shape: y.backward(minigrad.ones_like(y))."
            )
        return get_backend(device).xp.ones(shape, dtype=data.dtype)
    if isinstance(grad, TensorBase):
        if grad._device != device:
            raise RuntimeError(
                f"backward: the gradient is on '{grad._device}' but the output on '{device}'"
            )
        grad = grad.array
    else:
        grad = get_backend(device).asarray(grad, dtype=data.dtype)
    if tuple(grad.shape) != shape:
        raise ValueError(
            f"backward: the gradient has shape {tuple(grad.shape)} but the output has shape "
            f"{shape}; they must be the same"
        )
    if grad.dtype != data.dtype:
        raise TypeError(f"backward: the gradient is {grad.dtype} but the output is {data.dtype}")
    return grad


def _reverse_topological_order(roots):
    """Every node that leads to the roots, each one before all the nodes its inputs came from.

    A node is a Context (an op's call) or a leaf tensor. An iterative depth-first search (an
    explicit stack, no recursion), so a chain of 100,000 ops works as well as a chain of ten.
    """
    order = []  # post-order: inputs before the nodes that use them
    visited = set()
    stack = [(root, False) for root in roots if root is not None]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if isinstance(node, Context) and not node.freed:
            for edge in node.edges:
                if edge is not None and id(edge) not in visited:
                    stack.append((edge, False))
    order.reverse()
    return order


def _accumulate_grad(tensor, grad):
    """tensor.grad += grad. `.grad` is a tensor of its own (a copy: `grad` may be shared);
    later backward passes add to it, so gradients accumulate until you clear them."""
    # asarray: NumPy's arithmetic turns 0-d arrays into scalars, and a Tensor holds an array.
    asarray = get_backend(tensor._device).asarray
    if tensor._grad is None:
        tensor._grad = tensor._make(asarray(grad).copy(), tensor._device)
    else:
        accumulated = tensor._grad
        accumulated.array = asarray(accumulated.array + grad)
        accumulated._version_counter.value += 1


def _fit_to_input(grad, parent, ctx, index):
    """Sum a broadcast gradient back to its input's shape; check its shape and dtype."""
    op = ctx.function.__name__
    if not hasattr(grad, "shape"):  # a Python number
        grad = ctx.xp.asarray(grad, dtype=parent.dtype)
    if tuple(grad.shape) != parent.shape:
        summed = unbroadcast(grad, parent.shape, op, index)
        if tracer is not None:
            tracer.unbroadcast(ctx, index, grad, summed)
        grad = summed
    if grad.dtype != parent.dtype:
        raise TypeError(
            f"{op}.backward returned a {grad.dtype} gradient for input {index}, which is "
            f"{parent.dtype}; a gradient must have its input's dtype"
        )
    return grad


def unbroadcast(grad, shape, op="op", index=0):
    """Sum `grad` over the axes along which an input of `shape` was broadcast.

    Broadcasting copies values; the adjoint of a copy is a sum. Leading axes the input did not
    have are summed away; axes where the input had size 1 are summed with keepdims.
    """
    extra = grad.ndim - len(shape)
    fits = extra >= 0 and all(
        size == 1 or size == grad.shape[extra + axis] for axis, size in enumerate(shape)
    )
    if not fits:
        raise ValueError(
            f"{op}.backward returned a gradient of shape {tuple(grad.shape)} for input {index} of "
            f"shape {tuple(shape)}; a gradient must have its input's shape (or a shape the input "
            "broadcasts to)"
        )
    axes = tuple(range(extra)) + tuple(
        extra + axis
        for axis, size in enumerate(shape)
        if size == 1 and grad.shape[extra + axis] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


# --------------------------------------------------------------------------------------------
# grad: the gradients of outputs with respect to chosen inputs, returned, not stored
# --------------------------------------------------------------------------------------------


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """dL/d(input) for each of `inputs`, as a tuple of Tensors (torch.autograd.grad).

    The same walk as `backward`, but nothing is written to any `.grad`: the gradients that
    reach the inputs are collected and returned. An input may be a leaf or an intermediate
    result. `grad_outputs` plays the part of backward's `grad_tensors` (None: 1 for a
    one-element output). The graph is freed afterwards unless retain_graph=True.

    allow_unused: an input that the outputs do not depend on is an error, unless allow_unused
    (its gradient is then None) or materialize_grads (zeros) is set.
    create_graph=True (a graph of the backward pass, for second derivatives) is not possible:
    minigrad's backward functions compute with arrays, which record nothing.
    `only_inputs` is accepted and ignored, as in PyTorch.
    """
    if create_graph:
        raise NotImplementedError(
            "grad(create_graph=True): minigrad has no higher-order gradients (each op's "
            "backward works on backend arrays, so the backward pass builds no graph of its own)"
        )
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported by minigrad")
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("grad: materialize_grads=True needs allow_unused to be None or True")
    retain_graph = create_graph if retain_graph is None else retain_graph
    inputs = (inputs,) if isinstance(inputs, TensorBase) else tuple(inputs)
    for index, tensor in enumerate(inputs):
        if not isinstance(tensor, TensorBase):
            raise TypeError(f"grad: input {index} is a {type(tensor).__name__}, not a Tensor")
        if not tensor._requires_grad:
            raise RuntimeError(f"grad: input {index} does not require grad")
    wanted = {id(gradient_edge(tensor)) for tensor in inputs}
    found = _gradients_at(outputs, grad_outputs, wanted, retain_graph)
    results = []
    for index, tensor in enumerate(inputs):
        array = found.get(id(gradient_edge(tensor)))
        if array is None and materialize_grads:
            array = get_backend(tensor._device).xp.zeros_like(tensor.array)
        results.append(_returned_gradient(index, tensor, array, allow_unused))
    return tuple(results)


def _gradients_at(outputs, grad_outputs, wanted, retain_graph):
    """Backpropagate from `outputs`; return {id(node): dL/d(node's output)} for the nodes whose
    ids are in `wanted` (leaf tensors or Contexts). Touches no `.grad`."""
    roots, seeds = _roots_and_seeds(outputs, grad_outputs)
    grads = {}
    for root, seed in zip(roots, seeds):
        _add_gradient(grads, gradient_edge(root), seed)
    found = {}
    for node in _reverse_topological_order([gradient_edge(root) for root in roots]):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if id(node) in wanted:
            found[id(node)] = grad
        if isinstance(node, TensorBase):
            continue  # a leaf: nothing to pass on (and, unlike backward, nothing stored)
        if node.freed:
            raise RuntimeError(_freed_graph_message(node.function))
        input_grads = _local_backward(node, grad)
        for edge, input_grad in zip(node.edges, input_grads):
            if input_grad is not None:
                _add_gradient(grads, edge, input_grad)
        if not retain_graph:
            node.release()
    return found


def _returned_gradient(index, tensor, grad, allow_unused):
    """The gradient found for input `index` as a Tensor, or None if allowed."""
    if grad is None:
        if not allow_unused:
            raise RuntimeError(
                f"grad: input {index} was not used to compute the outputs (it gets no "
                "gradient). Pass allow_unused=True to get None for it instead"
            )
        return None
    array = get_backend(tensor._device).asarray(grad)
    return tensor._make(array.copy() if array is grad else array, tensor._device)
