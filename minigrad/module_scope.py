"""Which Modules are running right now: the path from the outermost to the innermost.

`Module.__call__` (nn/module.py) enters a module before its forward and leaves it after;
every node of the graph (autograd.Context) keeps the path that was current when its op ran.
`minigrad.trace()` and `viz.draw_graph()` read it to name parameters (`layers.0.weight`) and to
group the ops by the layer that made them. The engine reads this file; it never imports nn.
"""

current = ()  # (outermost module, ..., innermost module); () outside every module


def enter(module):
    """Make `module` the innermost running module; return the path to restore afterwards."""
    global current
    outer = current
    current = (*outer, module)
    return outer


def leave(outer):
    """Restore the path `enter` returned (also when forward raised)."""
    global current
    current = outer
