"""Containers: Modules that hold other Modules.

    Sequential   calls its modules one after the other (names "0", "1", ...)
    ModuleList   a list of modules you call yourself, e.g. a stack of Transformer blocks
    ModuleDict   a dict of modules by name

A plain Python list or dict of layers would NOT work: Module only registers attributes that are
themselves Modules, so the layers' parameters would be invisible to `parameters()`, `to()` and
`state_dict()`. These containers are Modules, so they are registered and walked.
"""

from collections import OrderedDict

from minigrad.nn.module import Module


class Sequential(Module):
    """Sequential(m0, m1, ...)(x) = ... m1(m0(x)). Also Sequential(OrderedDict(name=module))."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]


class ModuleList(Module):
    """A list of Modules whose parameters are registered (names "0", "1", ...)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[index]

    def __setitem__(self, index, module):
        names = list(self._modules)
        self.add_module(names[index], module)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleList has no forward(): iterate over it and call each module yourself"
        )


class ModuleDict(Module):
    """A dict of Modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for name, module in items:
            self[name] = module

    def __getitem__(self, name):
        return self._modules[name]

    def __setitem__(self, name, module):
        if not isinstance(name, str):
            raise TypeError(f"ModuleDict keys must be strings, got {type(name).__name__}")
        self.add_module(name, module)

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

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleDict has no forward(): look modules up by name and call them yourself"
        )
