"""Module and Parameter: the two classes every layer is built from.

A `Parameter` is a Tensor that a Module owns and an optimizer updates. A `Module` is a Python
object that remembers which of its attributes are Parameters and which are sub-Modules, so that
`model.parameters()` can find every trainable number in a whole tree of layers:

    class MLP(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(2, 8)      # a sub-Module: registered under the name "hidden"
            self.out = Linear(8, 1)

        def forward(self, x):
            return self.out(self.hidden(x).relu())

    list(name for name, _ in MLP().named_parameters())
    # ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']   (the same names as PyTorch)

The registration happens in `Module.__setattr__`: assigning a Parameter or a Module to an
attribute files it in `self._parameters` or `self._modules` (two ordered dicts), and
`Module.__getattr__` looks there when normal attribute lookup finds nothing.
"""

from collections import OrderedDict, namedtuple

from minigrad import dtypes, module_scope
from minigrad.backend import get_backend
from minigrad.creation import tensor
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a trainable weight of a Module (requires_grad=True by default).

    `Parameter(data)` accepts what `minigrad.tensor` accepts (a Tensor, a NumPy array, nested
    lists). A Tensor's numbers are copied (not shared: optimizers update `p.array` in place), and
    its dtype and device are kept.
    """

    def __init__(self, data, requires_grad=True):
        if not isinstance(data, Tensor):
            data = tensor(data)
        # Copy the numbers, not the graph: a Parameter is always a leaf with its own memory.
        super().__init__(
            data.array.copy(), dtype=data.dtype, requires_grad=requires_grad, device=data.device
        )

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the two lists of keys, as PyTorch's named tuple."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"  # PyTorch prints the same
        return super().__repr__()


class RemovableHandle:
    """What register_forward_hook / register_forward_pre_hook return: `handle.remove()` takes
    the hook out again. Also a context manager: `with model.register_forward_hook(h): ...`."""

    _next_id = 0

    def __init__(self, hooks):
        self.hooks = hooks  # the module's dict of hooks, id -> hook
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


class Module:
    """Base class of every layer and model. Subclasses call `super().__init__()` first, assign
    their Parameters and sub-Modules as attributes, and define `forward`."""

    def __init__(self):
        # object.__setattr__ because our own __setattr__ expects these dicts to exist already.
        object.__setattr__(self, "_parameters", OrderedDict())  # name -> Parameter (or None)
        object.__setattr__(self, "_modules", OrderedDict())  # name -> Module (or None)
        object.__setattr__(self, "_buffers", OrderedDict())  # name -> Tensor (or None)
        object.__setattr__(self, "_non_persistent_buffers", set())  # names left out of state_dict
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())  # handle id -> hook
        object.__setattr__(self, "_forward_hooks", OrderedDict())  # handle id -> hook
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------------------------------
    # Registration by attribute assignment
    # ------------------------------------------------------------------------------------------

    def __setattr__(self, name, value):
        if isinstance(value, (Parameter, Module)) and "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {type(value).__name__} '{name}' before Module.__init__() is "
                f"called: call super().__init__() first in {type(self).__name__}.__init__"
            )
        # An attribute lives in exactly one place, so drop the name from the other two. (Assigning
        # to an existing key keeps its position, so replacing a weight keeps the parameter order.)
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            self.__dict__.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._parameters.pop(name, None)
            self.__dict__.pop(name, None)
            self._modules[name] = value
        elif name in self.__dict__.get("_parameters", {}):
            # self.weight = None keeps the slot (as register_parameter(name, None)); a plain
            # Tensor would silently stop being trained, so PyTorch refuses it, and so do we.
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' of "
                    f"{type(self).__name__} (a Parameter or None expected): wrap it in "
                    "Parameter(...), or assign to .data / copy_ into the existing parameter"
                )
            self._parameters[name] = None
        elif name in self.__dict__.get("_buffers", {}) and (
            value is None or isinstance(value, Tensor)
        ):
            self._buffers[name] = value  # assigning to a buffer replaces it (a new running mean)
        else:
            if "_parameters" in self.__dict__:
                self._parameters.pop(name, None)
                self._modules.pop(name, None)
                self._buffers.pop(name, None)
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails, i.e. for registered Parameters and Modules.
        registries = (
            self.__dict__.get("_parameters", {}),
            self.__dict__.get("_modules", {}),
            self.__dict__.get("_buffers", {}),
        )
        for registry in registries:
            if name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._modules:
            del self._modules[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers.discard(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Same as `self.name = param`; `param` may be None (e.g. a layer built with bias=False)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter('{name}'): expected a Parameter or None, "
                f"got {type(param).__name__}"
            )
        self.__setattr__(name, param)
        if param is None:
            self._parameters[name] = None
            self.__dict__.pop(name, None)

    def register_buffer(self, name, tensor, persistent=True):
        """Register a Tensor that belongs to the module's state but is not trained, such as
        BatchNorm's running mean (PyTorch's semantics).

        A buffer is an attribute (`self.name`), moved and cast by `.to()` (integer buffers keep
        their dtype), listed by `buffers()` / `named_buffers()`, but not by `parameters()`, so no
        optimizer touches it. `persistent=True` puts it in `state_dict()` and `load_state_dict`
        reads it back; `persistent=False` keeps it out of both. `tensor` may be None.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot register a buffer before Module.__init__() is called")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(
                f"register_buffer: the name must be a non-empty string without '.', got {name!r}"
            )
        if tensor is not None and (not isinstance(tensor, Tensor) or isinstance(tensor, Parameter)):
            raise TypeError(
                f"register_buffer('{name}'): expected a Tensor (not a Parameter) or None, got "
                f"{type(tensor).__name__}"
            )
        if (
            name in self._parameters
            or name in self._modules
            or (name in self.__dict__ and name not in self._buffers)
        ):
            raise KeyError(f"register_buffer: attribute '{name}' already exists")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Same as `self.name = module`, for names that are not Python identifiers ("0", "1")."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}'): expected a Module, got {type(module).__name__}")
        self._parameters.pop(name, None)
        self._modules[name] = module

    # ------------------------------------------------------------------------------------------
    # Calling
    # ------------------------------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        outer = module_scope.enter(self)  # trace() and draw_graph() group the ops by module
        try:
            # Forward pre-hooks see the positional inputs; one may return new ones to use instead.
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)

            output = self.forward(*args, **kwargs)

            # Forward hooks see the inputs and the output; one may return a new output instead.
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        finally:
            module_scope.leave(outer)
        return output

    def register_forward_pre_hook(self, hook, *, prepend=False):
        """Call `hook(module, args)` before every forward (args: the tuple of positional inputs).
        A hook that returns something other than None replaces the inputs (a single value is
        wrapped into a 1-tuple). Returns a handle; `handle.remove()` unregisters the hook."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, "register_forward_pre_hook")

    def register_forward_hook(self, hook, *, prepend=False):
        """Call `hook(module, args, output)` after every forward. A hook that returns something
        other than None replaces the output. Returns a handle; `handle.remove()` unregisters it.

        A common use: record what a layer computes without changing the model's code,
            acts = {}
            model.fc1.register_forward_hook(lambda m, args, out: acts.update(fc1=out))
        """
        return self._add_hook(self._forward_hooks, hook, prepend, "register_forward_hook")

    def _add_hook(self, hooks, hook, prepend, who):
        if not callable(hook):
            raise TypeError(f"{who}: the hook must be callable, got {type(hook).__name__}")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)  # runs before the hooks already there
        return handle

    # ------------------------------------------------------------------------------------------
    # Walking the tree
    # ------------------------------------------------------------------------------------------

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield (dotted name, module) for this module and every descendant, depth first
        (parents before children). `memo`: the set of modules already yielded (PyTorch's
        signature; leave it None)."""
        # A module shared by two parents is yielded once (by object identity, like PyTorch).
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            child_prefix = f"{prefix}.{name}" if prefix else name
            yield from child.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self, remove_duplicate=True):
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def apply(self, fn):
        """Call fn(module) on every child (recursively) and then on self; returns self.

        Children come first, as in PyTorch. The common use is initialisation:
            def init_weights(m):
                if isinstance(m, Linear):
                    init.zeros_(m.bias)
            model.apply(init_weights)
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def named_children(self):
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield (dotted name, Parameter), e.g. ("0.weight", ...) inside a Sequential.

        A Parameter shared by two layers (weight tying) is yielded once, under its first name,
        so that an optimizer does not update it twice.
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield (dotted name, buffer Tensor), e.g. ("bn.running_mean", ...)."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        """(dotted name, Tensor) for every entry of `registry` ("_parameters" or "_buffers") of
        this module (and of its children when `recurse`); a shared one once, if asked."""
        seen = set()
        if recurse:
            owners = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            owners = [(prefix, self)]
        for owner_name, owner in owners:
            for name, member in getattr(owner, registry).items():
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield (f"{owner_name}.{name}" if owner_name else name), member

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def _state_tensors(self):
        """(dotted name, Tensor) of everything state_dict saves, in PyTorch's order: each
        module's parameters, then its persistent buffers, then its children's."""
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    yield dot + name, param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    yield dot + name, buffer

    # ------------------------------------------------------------------------------------------
    # Modes and gradients
    # ------------------------------------------------------------------------------------------

    def train(self, mode=True):
        """Training mode (Dropout drops). Applies to every descendant; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode (Dropout is the identity). Same as `train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad on every parameter (False freezes the module); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter: `.grad = None` (PyTorch 2's default), or
        zeros written into the existing gradients with set_to_none=False."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad.array[...] = 0

    # ------------------------------------------------------------------------------------------
    # Saving and loading
    # ------------------------------------------------------------------------------------------

    def state_dict(self):
        """OrderedDict dotted name -> the parameter (or persistent buffer), detached: a Tensor.

        As in PyTorch, the tensors share memory with the model's and are outside the graph:
        `minigrad.save(model.state_dict(), path)` writes the current values; to keep a snapshot
        in memory while training goes on, copy it (`copy.deepcopy(model.state_dict())`).
        Shared parameters appear under every name that reaches them (as in PyTorch).
        """
        state = OrderedDict()
        for name, param in self._state_tensors():
            state[name] = param.detach()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from `state_dict` into this module's parameters (in place).

        strict=True: the keys must match `self.state_dict()` exactly (else RuntimeError naming the
        missing and unexpected keys). A shape mismatch is always a RuntimeError naming the key and
        both shapes. Every check runs before any parameter is written, so a failed load changes
        nothing.
        Returns IncompatibleKeys(missing_keys, unexpected_keys).
        """
        params = OrderedDict(self._state_tensors())  # parameters and persistent buffers
        missing = [name for name in params if name not in state_dict]
        unexpected = [name for name in state_dict if name not in params]
        where = f"load_state_dict for {type(self).__name__}"
        if strict and (missing or unexpected):
            problems = []
            if missing:
                problems.append("missing key(s): " + ", ".join(f"'{k}'" for k in missing))
            if unexpected:
                problems.append("unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected))
            raise RuntimeError(f"{where}: " + "; ".join(problems))

        new_arrays = {}
        for name, param in params.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            if isinstance(value, Tensor):
                value = value.to(param.device).array
            elif not hasattr(getattr(value, "dtype", None), "kind") and hasattr(value, "__array__"):
                # e.g. a PyTorch tensor from `torch_model.state_dict()`: read it through NumPy
                value = get_backend("cpu").asarray(value)
            if not hasattr(value, "shape"):
                raise TypeError(
                    f"{where}: '{name}' must be an array or a Tensor, got {type(value).__name__}"
                )
            if getattr(value, "dtype", None) is None or value.dtype.kind not in "biuf":
                # strings, objects, complex numbers: not weights (complex would lose its
                # imaginary part silently)
                raise TypeError(
                    f"{where}: '{name}' must hold real numbers, got an array of "
                    f"dtype {getattr(value, 'dtype', None)}"
                )
            if tuple(value.shape) != tuple(param.shape):
                raise RuntimeError(
                    f"{where}: shape mismatch for '{name}': the state_dict has shape "
                    f"{tuple(value.shape)}, the model's parameter has shape {tuple(param.shape)}"
                )
            # asarray puts host data on the parameter's device and casts to its dtype; .copy()
            # so that the model never shares memory with the caller's dict.
            new_arrays[name] = get_backend(param.device).asarray(value, dtype=param.dtype).copy()

        for name, array in new_arrays.items():
            params[name].array = array
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------------------------
    # Devices and dtypes
    # ------------------------------------------------------------------------------------------

    def to(self, device=None, dtype=None):
        """Move every parameter to `device` and/or cast it to a float `dtype`; returns self.

        `model.to("cuda")`, `model.to(minigrad.float64)`, `model.to("cpu", minigrad.float32)`.
        As in PyTorch the Parameters are changed in place (Tensor.move_), so weights shared by
        two layers stay shared and an optimizer made earlier still holds the same objects.
        """
        if device is not None and (not isinstance(device, str) or device in dtypes.NAMES):
            device, dtype = None, device  # model.to(minigrad.float64) or model.to("float64")
        for param in self.parameters():  # each shared Parameter once
            param.move_(device, dtype)
        for buffer in self.buffers():  # integer buffers (num_batches_tracked) keep their dtype
            buffer.move_(device, dtype if buffer.dtype.kind == "f" else None)
        return self

    def double(self):
        """Cast every parameter to float64 (used by gradient checks)."""
        return self.to(dtype=dtypes.float64)

    def float(self):
        """Cast every parameter to float32."""
        return self.to(dtype=dtypes.float32)

    # ------------------------------------------------------------------------------------------
    # Printing
    # ------------------------------------------------------------------------------------------

    def extra_repr(self):
        """The text between the parentheses of this module's repr; layers override it."""
        return ""

    def num_parameters(self):
        """Number of trainable numbers in this module and its descendants (shared ones once)."""
        return sum(param.numel() for param in self.parameters())

    def __repr__(self):
        # PyTorch's layout: a leaf on one line, a module with children as an indented tree,
        #   Sequential(
        #     (0): Linear(in_features=2, out_features=3, bias=True)
        #     (1): ReLU()
        #   )
        # (`num_parameters()` counts the numbers, which PyTorch's repr does not show.)
        extra_lines = self.extra_repr().split("\n") if self.extra_repr() else []
        child_lines = [f"({name}): {_indent(repr(child))}" for name, child in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return f"{type(self).__name__}()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


def _indent(text):
    """Indent every line of a child's repr but the first by two spaces (it follows its name)."""
    return text.replace("\n", "\n  ")
