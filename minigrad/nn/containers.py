"""Containers: Modules that hold other Modules, or Parameters.

    Sequential      calls its modules one after the other (names "0", "1", ..., or your own)
    ModuleList      a list of modules you call yourself, e.g. a stack of Transformer blocks
    ModuleDict      a dict of modules by name
    ParameterList   a list of Parameters (names "0", "1", ...)
    ParameterDict   a dict of Parameters by name

A plain Python list or dict of layers would NOT work: Module only registers attributes that are
themselves Modules or Parameters, so the layers' parameters would be invisible to `parameters()`,
`to()` and `state_dict()`. These containers are Modules, so they are registered and walked, and
their entries get PyTorch's names ("layers.0.weight", "scales.0", "gains.a").
"""

from collections import OrderedDict

from minigrad.nn.module import Module, Parameter, _indent
from minigrad.tensor import Tensor


def _check_index(index, length, who):
    """An integer index into a container of `length` entries -> its position 0..length-1."""
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"{who} indices must be integers or slices, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{who}: index {index} is out of range for length {length}")
    return index % length


def _check_module(module, who):
    if not isinstance(module, Module):
        raise TypeError(f"{who}: expected a Module, got {type(module).__name__}")
    return module


# ----------------------------------------------------------------------------------------------
# Sequential
# ----------------------------------------------------------------------------------------------


class Sequential(Module):
    """Sequential(m0, m1, ...)(x) = ... m1(m0(x)), the modules named "0", "1", ...

    Sequential(OrderedDict([("fc", Linear(2, 8)), ("act", ReLU())])) names them "fc", "act"
    (their parameters are then "fc.weight", ...). Indexing gives a module, a slice gives a new
    Sequential of the same modules under their same names, as in PyTorch.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, _check_module(module, "Sequential"))
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), _check_module(module, "Sequential"))

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        names = list(self._modules)
        return self._modules[names[_check_index(index, len(names), "Sequential")]]

    def __setitem__(self, index, module):
        names = list(self._modules)
        name = names[_check_index(index, len(names), "Sequential")]
        self.add_module(name, _check_module(module, "Sequential"))

    def __delitem__(self, index):
        names = list(self._modules)
        if isinstance(index, slice):
            doomed = names[index]
        else:
            doomed = [names[_check_index(index, len(names), "Sequential")]]
        for name in doomed:
            del self._modules[name]
        self._renumber()

    def _renumber(self):
        # PyTorch renumbers "0", "1", ... after a deletion or an insertion (even custom names).
        modules = list(self._modules.values())
        self._modules.clear()
        for index, module in enumerate(modules):
            self._modules[str(index)] = module

    def append(self, module):
        """Add a module at the end, named str(len(self)); returns self."""
        self.add_module(str(len(self)), _check_module(module, "Sequential.append"))
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Put `module` before position `index` (the later modules are renumbered)."""
        _check_module(module, "Sequential.insert")
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index!r} is out of range for length {n}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        return self.extend(modules)

    def pop(self, index):
        module = self[index]
        del self[index]
        return module

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential + {type(other).__name__}: both must be Sequential")
        return Sequential(*self, *other)


# ----------------------------------------------------------------------------------------------
# ModuleList
# ----------------------------------------------------------------------------------------------


class ModuleList(Module):
    """A list of Modules whose parameters are registered (names "0", "1", ...).

    A slice gives a new ModuleList of the same modules (renumbered from "0", as in PyTorch).
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[_check_index(index, len(modules), "ModuleList")]

    def __setitem__(self, index, module):
        index = _check_index(index, len(self), "ModuleList")
        self.add_module(str(index), _check_module(module, "ModuleList"))

    def __delitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_check_index(index, len(modules), "ModuleList")]
        self._modules.clear()
        self.extend(modules)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def append(self, module):
        """Add a module at the end, named str(len(self)); returns self."""
        self.add_module(str(len(self)), _check_module(module, "ModuleList.append"))
        return self

    def extend(self, modules):
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(
                "ModuleList.extend expects an iterable of Modules, got a single "
                f"{type(modules).__name__} (use append)"
            )
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Put `module` before position `index`; the later modules move up by one."""
        modules = list(self._modules.values())
        modules.insert(index, _check_module(module, "ModuleList.insert"))
        self._modules.clear()
        return self.extend(modules)

    def pop(self, index=-1):
        module = self[index]
        del self[index]
        return module

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleList has no forward(): iterate over it and call each module yourself"
        )

    def __repr__(self):
        # As PyTorch: runs of identical children are printed once, "(0-5): 6 x Block(...)".
        if not self._modules:
            return "ModuleList()"
        reprs = [repr(module) for module in self]
        lines, start = [], 0
        for end in range(1, len(reprs) + 1):
            if end == len(reprs) or reprs[end] != reprs[start]:
                text = _indent(reprs[start])
                if end - start == 1:
                    lines.append(f"({start}): {text}")
                else:
                    lines.append(f"({start}-{end - 1}): {end - start} x {text}")
                start = end
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


# ----------------------------------------------------------------------------------------------
# ModuleDict
# ----------------------------------------------------------------------------------------------


class ModuleDict(Module):
    """A dict of Modules whose parameters are registered under their keys (insertion order)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for name, module in items:
            self[name] = module

    def __getitem__(self, name):
        if name not in self._modules:
            raise KeyError(f"ModuleDict has no key {name!r}; keys: {list(self._modules)}")
        return self._modules[name]

    def __setitem__(self, name, module):
        if not isinstance(name, str):
            raise TypeError(f"ModuleDict keys must be strings, got {type(name).__name__}")
        self.add_module(name, _check_module(module, "ModuleDict"))

    def __delitem__(self, name):
        del self._modules[name]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, name):
        return name in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, name):
        module = self[name]
        del self[name]
        return module

    def clear(self):
        self._modules.clear()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleDict has no forward(): look modules up by name and call them yourself"
        )


# ----------------------------------------------------------------------------------------------
# ParameterList and ParameterDict
# ----------------------------------------------------------------------------------------------


def _as_parameter(value, who):
    """A Tensor that is not yet a Parameter becomes one (as PyTorch does)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{who}: expected a Parameter or a Tensor, got {type(value).__name__}")


def _describe_parameter(param):
    # PyTorch: "Parameter containing: [torch.float32 of size 2x3]"
    size = "x".join(str(n) for n in param.shape)
    device = f" ({param.device})" if param.device != "cpu" else ""
    return f"Parameter containing: [minigrad.{param.dtype} of size {size}{device}]"


class ParameterList(Module):
    """A list of Parameters, registered under the names "0", "1", ... (so a model's
    `self.scales = ParameterList([...])` gives state_dict keys "scales.0", "scales.1")."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, index):
        params = list(self._parameters.values())
        if isinstance(index, slice):
            return ParameterList(params[index])
        return params[_check_index(index, len(params), "ParameterList")]

    def __setitem__(self, index, param):
        index = _check_index(index, len(self), "ParameterList")
        self.register_parameter(str(index), _as_parameter(param, "ParameterList"))

    def __iadd__(self, params):
        return self.extend(params)

    def append(self, param):
        self.register_parameter(str(len(self)), _as_parameter(param, "ParameterList.append"))
        return self

    def extend(self, params):
        if isinstance(params, Tensor):
            raise TypeError("ParameterList.extend expects an iterable of Parameters (use append)")
        for param in params:
            self.append(param)
        return self

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList has no forward(): index it to use a Parameter")

    def extra_repr(self):
        return "\n".join(
            f"  ({i}): {_describe_parameter(p)}" for i, p in enumerate(self._parameters.values())
        )


class ParameterDict(Module):
    """A dict of Parameters registered under their keys (state_dict keys "gains.<key>").

    As in PyTorch, an OrderedDict (or another ParameterDict, or a list of pairs) keeps its order
    and a plain dict is added in sorted key order.
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def update(self, parameters):
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            items = list(parameters.items())
        elif hasattr(parameters, "items"):
            items = sorted(parameters.items())
        else:
            items = list(parameters)
        for name, param in items:
            self[name] = param

    def __getitem__(self, name):
        if name not in self._parameters:
            raise KeyError(f"ParameterDict has no key {name!r}; keys: {list(self._parameters)}")
        return self._parameters[name]

    def __setitem__(self, name, param):
        if not isinstance(name, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(name).__name__}")
        self.register_parameter(name, _as_parameter(param, "ParameterDict"))

    def __delitem__(self, name):
        del self._parameters[name]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, name):
        return name in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def get(self, name, default=None):
        return self._parameters.get(name, default)

    def pop(self, name):
        param = self[name]
        del self[name]
        return param

    def clear(self):
        self._parameters.clear()

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict has no forward(): look a Parameter up by name")

    def extra_repr(self):
        return "\n".join(
            f"  ({name}): {_describe_parameter(p)}" for name, p in self._parameters.items()
        )
