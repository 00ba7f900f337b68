"""The computation graph below a tensor, as data: its tensors, its ops, their names, the Modules
that made them, and a layout on a grid. `viz.draw_graph` draws it with matplotlib and
`minigrad.trace()` puts it in its interactive page.

    graph = build_graph(loss)           # tensors (inputs before outputs) and ops
    names = tensor_names(graph)         # {id(tensor): "layers.0.weight" / your name / "t7"}
    groups = module_groups(graph)       # {op index: "layers.0"}: the layer that made each op
    nodes, edges = layout(graph, names, groups)

Everything here reads tensors and nodes through their attributes (`grad_fn`, `shape`, the
node's `parents`, `edges` and `module_path`), so this file imports neither tensor.py nor nn.
"""

from dataclasses import dataclass, field


def op_name(function):
    """The name an op is shown by: its public name ("mul", "linear", "cross_entropy").

    That is the name of the function the student called (`minigrad.mul`, `F.linear`), not the
    class (`Mul`) or PyTorch's node name (`MulBackward0`): a trace reads as the code that was
    written. A Function of your own (no `name`) is shown by its class name.
    """
    return function.name or function.__name__


@dataclass
class Graph:
    """The graph below one or more tensors, in an order where every node comes after its inputs.

    tensors: every tensor in the graph, each after the tensors it was computed from; the roots
             last
    ops:     one entry per op, (its Function's class name, the tensor it produced, its input
             tensors); pictures show the public name, op_name(tensor.grad_fn.function)
    """

    tensors: list = field(default_factory=list)
    ops: list = field(default_factory=list)

    @property
    def num_nodes(self):
        return len(self.tensors) + len(self.ops)


class OverwrittenValue:
    """A value that an op used and that was then changed in place (`h += b`): its tensor now
    holds newer numbers, so the graph shows the old value as a box of its own."""

    def __init__(self, grad_fn, tensor):
        self.grad_fn = grad_fn  # the node that made the old value
        self.shape, self.dtype, self.device = tensor.shape, tensor.dtype, tensor.device
        self.grad = None
        self.is_leaf = False
        self.requires_grad = True
        self.name = None


def _inputs(value, overwritten):
    """The values `value`'s op was computed from, as they were when it ran."""
    ctx = value.grad_fn
    if ctx is None:
        return []
    inputs = []
    for parent, edge in zip(ctx.parents, ctx.edges):
        if parent is None:
            continue
        if edge is None or edge is parent or edge is parent.grad_fn:
            inputs.append(parent)  # a constant, a leaf, or a tensor still holding that value
        else:  # the tensor was changed in place after this op used it
            inputs.append(overwritten.setdefault(id(edge), OverwrittenValue(edge, parent)))
    return inputs


def build_graph(tensors):
    """Walk from a tensor (or a list of tensors) back to the leaves and return the Graph.

    The walk follows the graph's edges (what each op used when it ran, also when a tensor was
    changed in place later) with an explicit stack, so deep graphs cannot overflow.
    """
    roots = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    order, visited, overwritten, inputs_of = [], set(), {}, {}
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        ctx = node.grad_fn
        if ctx is not None and ctx.freed:
            raise RuntimeError(
                "this graph was freed by backward(), so it can no longer be drawn. Draw it "
                "before calling backward(), or call backward(retain_graph=True) to keep it."
            )
        inputs_of[id(node)] = _inputs(node, overwritten)
        # Pushed in reverse so that the first input is visited (and drawn) first.
        for parent in reversed(inputs_of[id(node)]):
            if id(parent) not in visited:
                stack.append((parent, False))
    graph = Graph(tensors=order)
    for node in order:
        if node.grad_fn is not None:
            graph.ops.append((node.grad_fn.function.__name__, node, inputs_of[id(node)]))
    return graph


# ============================================================================================
# Names: of the Modules, of their parameters, of every other tensor
# ============================================================================================


def _root_modules(graph):
    """The outermost Modules that ran while the graph was built (usually one: the model)."""
    roots = {}
    for _, out, _ in graph.ops:
        path = out.grad_fn.module_path
        if path:
            roots.setdefault(id(path[0]), path[0])
    return list(roots.values())


def module_names(graph):
    """{id(module): dotted name} for every Module below the roots ("" for a root itself)."""
    names = {}
    for root in _root_modules(graph):
        for name, module in root.named_modules():
            names.setdefault(id(module), name)
    return names


def tensor_names(graph, names=None):
    """{id(tensor): name} for every tensor of the graph, and each name unique.

    In this order: the names you give (`names={"x": x}`), `tensor.name`, the parameter names of
    the Module that used them (`layers.0.weight`, as `model.named_parameters()` says), and for
    the rest `t1`, `t2`, ... in the order the forward pass made them (so the same code gives the
    same names every time).
    """
    found = {id(t): n for n, t in (names or {}).items()}
    for tensor in graph.tensors:
        if id(tensor) not in found and tensor.name is not None:
            found[id(tensor)] = str(tensor.name)
    for root in _root_modules(graph):
        for name, parameter in root.named_parameters():
            found.setdefault(id(parameter), name)
    used = set(found.values())
    counter = 0
    for tensor in graph.tensors:
        if id(tensor) in found:
            continue
        counter += 1
        while f"t{counter}" in used:
            counter += 1
        found[id(tensor)] = f"t{counter}"
    return found


def module_groups(graph):
    """{op index: "layers.0 · Linear"}: the layer each op belongs to, for grouping the picture.

    That is the outermost Module below the model (the outermost module that ran) whose own
    forward made ops: `layers.0` for an MLP (the Sequential `layers` only calls its children),
    `attn` for attention (its q_proj, k_proj, ... inside it). Ops that ran in the model's own
    forward (a residual `x + ...`) or outside every module (a loss computed after `model(x)`)
    belong to no group.
    """
    names = module_names(graph)
    makers = {id(out.grad_fn.module_path[-1]) for _, out, _ in graph.ops if out.grad_fn.module_path}
    groups = {}
    for k, (_, out, _) in enumerate(graph.ops):
        for module in out.grad_fn.module_path[1:]:
            if id(module) in makers:
                groups[k] = f"{names.get(id(module), '?')} · {type(module).__name__}"
                break
    return groups


def shape_text(shape):
    return "scalar" if tuple(shape) == () else str(tuple(shape))


# ============================================================================================
# Layout: columns from the inputs to the result, folded into bands to fit a slide
# ============================================================================================


@dataclass
class Node:
    """One box of the drawn graph: an op (with the tensor it made) or an input tensor."""

    key: tuple  # ("op", op index) or ("tensor", id(tensor))
    lines: list  # the label, one string per line
    kind: str  # "op", "parameter" (a leaf that requires grad) or "constant"
    group: str = None  # the Module that made it (module_groups), or None
    name: str = None  # the tensor's name (an op: the tensor it made)
    column: int = 0
    row: float = 0.0  # the top of the box, in rows from the top of its band
    height: float = 1.0  # in rows: a leaf stacked below its op is a one-line box
    band: int = 0


def graph_nodes(graph, names, groups, collapse=False):
    """The boxes and arrows of the graph: an op box holds the op and the tensor it made, so
    the picture is half as wide as one box per tensor plus one per op. collapse=True draws
    each Module (module_groups) as one box, with its parameters inside."""
    made_by = {id(out): k for k, (_, out, _) in enumerate(graph.ops)}
    nodes, edges = {}, []
    for tensor in graph.tensors:
        if id(tensor) in made_by:
            continue
        kind = "parameter" if tensor.requires_grad else "constant"
        name = names[id(tensor)]
        lines = [name, shape_text(tensor.shape)]
        nodes[("tensor", id(tensor))] = Node(("tensor", id(tensor)), lines, kind, name=name)
    for k, (_, out, inputs) in enumerate(graph.ops):
        name = names[id(out)]
        lines = [op_name(out.grad_fn.function), f"{name} {shape_text(out.shape)}"]
        if isinstance(out, OverwrittenValue):
            lines.append("(overwritten in place)")
        nodes[("op", k)] = Node(("op", k), lines, "op", groups.get(k), name=name)
        for parent in inputs:
            source = (
                ("op", made_by[id(parent)]) if id(parent) in made_by else ("tensor", id(parent))
            )
            edges.append((source, ("op", k)))
    _absorb_parameters_into_groups(nodes, edges)
    if collapse:
        nodes, edges = _collapse(nodes, edges)
    return nodes, edges


def _collapse(nodes, edges):
    """One box per Module: its ops and parameters become a single node, labelled with the
    module, its ops and the tensor it outputs last. The boxes keep the order of the forward
    pass (a module's box comes where its first op ran)."""
    merged, key_of, ops_of = {}, {}, {}
    for key, node in nodes.items():
        if node.group is None:
            merged[key] = node
            key_of[key] = key
        elif node.kind == "op":
            group_key = key_of[key] = ("group", node.group)
            if group_key not in merged:
                merged[group_key] = Node(group_key, [node.group], "module", node.group)
                ops_of[group_key] = []
            ops_of[group_key].append(node.lines[0])
            merged[group_key].name = node.name  # the module's output: its last op's
            merged[group_key].output = node.lines[1]
    for key, node in nodes.items():
        if key not in key_of:  # a parameter inside a module
            key_of[key] = ("group", node.group)
    for group_key, ops in ops_of.items():
        names = ", ".join(dict.fromkeys(ops))
        if len(names) > 24:
            names = f"{len(ops)} ops: {names[:14].rsplit(',', 1)[0]}, ..."
        merged[group_key].lines = [group_key[1], names, "-> " + merged[group_key].output]
    new_edges = []
    for source, target in edges:
        edge = (key_of[source], key_of[target])
        if edge[0] != edge[1] and edge not in new_edges:
            new_edges.append(edge)
    return merged, new_edges


def _absorb_parameters_into_groups(nodes, edges):
    """A parameter used only by the ops of one Module is drawn inside that Module's box."""
    users = {}
    for source, target in edges:
        users.setdefault(source, set()).add(nodes[target].group)
    for key, node in nodes.items():
        if node.kind == "parameter" and len(users.get(key, ())) == 1:
            node.group = next(iter(users[key]))


def layout(graph, names, groups, max_columns=8, collapse=False):
    """Place every box on a grid: one column per op, in the order data flows (an op's column is
    one more than its inputs'), folded into bands of at most `max_columns` columns (a long chain
    reads like lines of text instead of one long strip).

    An op's first input comes from the column before; its other inputs that are leaves (a
    weight, a bias, a target) sit in the op's own column, below it, inside its Module's box.

    Returns (nodes, edges, n_columns, band_rows): nodes with column, row and band set;
    band_rows[b] is how many rows band b needs.
    """
    nodes, edges = graph_nodes(graph, names, groups, collapse)
    inputs_of = {}
    for source, target in edges:
        inputs_of.setdefault(target, []).append(source)
    computed = [key for key in nodes if key[0] != "tensor"]  # in the order the forward ran
    column, below, placed = {key: 0 for key in nodes}, {}, set()
    for key in computed:
        sources = inputs_of.get(key, [])
        column[key] = 1 + max((column[s] for s in sources if s[0] != "tensor"), default=0)
        for position, source in enumerate(sources):
            if source[0] != "tensor" or source in placed:
                continue
            placed.add(source)
            if position == 0:  # the op's main input: the column before
                column[source] = column[key] - 1
            else:  # a weight, bias or target: under the op
                column[source] = column[key]
                below.setdefault(key, []).append(source)
    _assign_rows(nodes, column, inputs_of, below)
    n_columns = max(column.values()) + 1
    band_rows = []
    for node in nodes.values():
        node.band, node.column = divmod(column[node.key], max_columns)
        while len(band_rows) <= node.band:
            band_rows.append(0)
        band_rows[node.band] = max(band_rows[node.band], node.row + node.height)
    return list(nodes.values()), edges, min(n_columns, max_columns), band_rows


def _compact(node):
    """A leaf stacked below its op: one line, its name short inside its Module's frame
    (`q_proj.weight` inside `attn`)."""
    name = node.lines[0]
    module = node.group.split(" · ")[0] + "." if node.group else None
    if module and name.startswith(module):
        name = name[len(module) :]
    node.lines = [f"{name} {node.lines[1]}"]
    node.height = 0.6


def _assign_rows(nodes, column, inputs_of, below):
    """Rows within each column: ops ordered by where their inputs are (fewer crossing arrows)
    and by Module, each followed by the leaves stacked below it."""
    stacked = {key for keys in below.values() for key in keys}
    by_column = {}
    for key in nodes:
        if key not in stacked:
            by_column.setdefault(column[key], []).append(key)
    row = {}
    for c in sorted(by_column):

        def place(key):
            sources = [row[s] for s in inputs_of.get(key, []) if s in row]
            mean = sum(sources) / len(sources) if sources else len(row)
            return (nodes[key].group or "", mean)

        top = 0.0
        for key in sorted(by_column[c], key=place):
            for member in [key] + below.get(key, []):
                if member != key:
                    _compact(nodes[member])
                row[member] = top
                nodes[member].row = top
                top += nodes[member].height
