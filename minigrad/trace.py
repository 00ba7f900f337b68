"""Step through backpropagation: every step of a backward pass, with names, formulas and values.

    with minigrad.trace() as t:          # or minigrad.trace(names={"x": x, "w": w})
        loss.backward()
    print(t)                             # reads like a worked solution, one step after another
    t.grad_of("layers.0.bias")           # the gradient backward computed for that tensor
    print(t.compare("w", my_dL_dw))      # check a gradient you worked out by hand
    t.to_html("backprop.html")           # the same, as a page to step through in a browser

The steps are those the engine takes, in its order (autograd.backward):

  op            one op's backward: the gradient arriving at its output and the gradient it
                sends to each input, with the op's formula (its docstring's first paragraph,
                and its `latex` attribute for the page)
  un-broadcast  an input that was broadcast (a bias added to every row) gets its gradient
                summed over the broadcast axes
  accumulate    a tensor used by several ops receives one gradient from each; they add up
  store .grad   a leaf (a parameter, an input with requires_grad) keeps its gradient in .grad

Tensors are named by the names you pass (`names={"x": x}`), their `.name`, the parameter names
of the Module that used them (`layers.0.weight`), or else t1, t2, ... in the order the forward
pass made them. All gradients are kept as NumPy arrays with their signs (`step.output_grad`,
`step.input_grads`).
"""

import html
import io
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from minigrad import autograd
from minigrad.backend import get_backend
from minigrad.graph import Graph, build_graph, layout, module_groups, op_name, tensor_names

_PAGE = Path(__file__).resolve().parent / "trace_page"

KINDS = ("op", "un-broadcast", "accumulate", "store .grad")


# ============================================================================================
# One step
# ============================================================================================


@dataclass
class BackwardStep:
    """One step of a backward pass. Gradients are NumPy arrays (signed values, on the host).

    kind "op":           output = the op's output; inputs = its tensor inputs (None for an
                         argument that is not a tensor); output_grad = dL/d(output) arriving;
                         input_grads = dL/d(input) it sends (None where none is sent), before
                         any un-broadcasting
    kind "un-broadcast": output = the input whose gradient is summed; output_grad = the gradient
                         as the op sent it; input_grads = [the sum]; axes = the summed axes
    kind "accumulate":   output = the tensor used several times; terms = [(gradient, where it
                         came from)]; output_grad = their sum
    kind "store .grad":  output = the leaf; output_grad = this pass's gradient; input_grads =
                         [.grad before, .grad after]
    """

    number: int  # 1 for the first step
    kind: str  # one of KINDS
    op: str  # the op's public name ("mul", "linear"); for other kinds, the kind
    output: str  # the name of the tensor whose gradient this step is about
    output_shape: tuple
    output_grad: np.ndarray
    inputs: list = field(default_factory=list)
    input_grads: list = field(default_factory=list)
    formula: str = ""  # plain text (an op's docstring's first paragraph)
    latex: str = ""  # the same in LaTeX, one equation per line
    module: str = None  # the Module whose forward made the op ("layers.0 · Linear"), or None
    axes: tuple = ()  # un-broadcast: the summed axes
    terms: list = field(default_factory=list)  # accumulate: [(gradient, "from mul (step 3)")]
    node: int = None  # op: its index in trace.graph.ops; other kinds: see node_of (the page)

    def __str__(self):
        return _FORMATTERS[self.kind](self)


def _d(name):
    """dL/dx, with the name in parentheses when it is not a plain identifier."""
    return f"dL/d{name}" if name.isidentifier() else f"dL/d({name})"


def format_array(array, edgeitems=3, threshold=12):
    """An array's numbers, with signs: whole when it has at most `threshold` elements, else the
    first and last few of each axis."""
    array = np.asarray(array)
    if array.ndim == 0:
        return f"{array.item():.4g}"
    return np.array2string(
        array,
        precision=4,
        suppress_small=True,
        threshold=threshold,
        edgeitems=edgeitems,
        max_line_width=90,
        separator=", ",
    )


def _value_lines(label, array, width, indent=8):
    text = format_array(array)
    pad = " " * (indent + width + 3)
    lines = text.splitlines()
    first = " " * indent + f"{label:<{width}} = {lines[0]}"
    return "\n".join([first] + [pad + line for line in lines[1:]])


def _format_op(step):
    where = f"   (in {step.module})" if step.module else ""
    args = ", ".join(name for name in step.inputs if name is not None)
    lines = [f"step {step.number}  {step.op}{where}", f"        {step.output} = {step.op}({args})"]
    lines += ["        " + line for line in step.formula.splitlines()]
    labels = [f"{_d(step.output)} arriving"] + [
        f"{_d(name)} sent" for name, g in zip(step.inputs, step.input_grads) if g is not None
    ]
    width = max(len(label) for label in labels)
    lines.append(_value_lines(labels[0], step.output_grad, width))
    sent = [(n, g) for n, g in zip(step.inputs, step.input_grads) if g is not None]
    for label, (_, grad) in zip(labels[1:], sent):
        lines.append(_value_lines(label, grad, width))
    return "\n".join(lines)


def _format_unbroadcast(step):
    axes = ", ".join(str(a) for a in step.axes)
    word = "axis" if len(step.axes) == 1 else "axes"
    before, after = tuple(step.output_grad.shape), step.output_shape
    lines = [
        f"step {step.number}  un-broadcast  {step.output} was broadcast from {after} to "
        f"{before}: its gradient is summed over {word} {axes}",
    ]
    width = len(_d(step.output)) + 7
    lines.append(_value_lines(f"{_d(step.output)} before", step.output_grad, width))
    lines.append(_value_lines(f"{_d(step.output)} summed", step.input_grads[0], width))
    return "\n".join(lines)


def _format_accumulate(step):
    lines = [
        f"step {step.number}  accumulate  {step.output} is used {len(step.terms)} times: "
        "its gradient is the sum of what each use sends back",
    ]
    width = max(len(source) for _, source in step.terms)
    width = max(width, len(_d(step.output)))
    for grad, source in step.terms:
        lines.append(_value_lines(source, grad, width))
    lines.append(_value_lines(_d(step.output), step.output_grad, width))
    return "\n".join(lines)


def _format_store(step):
    before, after = step.input_grads
    lines = [f"step {step.number}  store .grad  {step.output} is a leaf: its gradient is kept"]
    width = len(step.output) + 12
    if before is not None:
        lines.append(_value_lines(f"{step.output}.grad before", before, width))
        lines.append(_value_lines(f"+ {_d(step.output)}", step.output_grad, width))
    lines.append(_value_lines(f"{step.output}.grad", after, width))
    return "\n".join(lines)


_FORMATTERS = {
    "op": _format_op,
    "un-broadcast": _format_unbroadcast,
    "accumulate": _format_accumulate,
    "store .grad": _format_store,
}


def formula_of(function):
    """An op's formula in plain text: the first paragraph of its docstring (by convention the
    output and the local derivative of every input), dedented."""
    doc = (function.__doc__ or "").strip()
    if not doc:
        return ""
    first, _, rest = re.split(r"\n[ \t]*\n", doc)[0].partition("\n")
    # The lines after the first keep their indentation relative to each other (aligned columns).
    return "\n".join([first.strip()] + textwrap.dedent(rest).splitlines()).rstrip()


def _host(array):
    """A NumPy copy of a backend array, wherever it lives (a gradient can be on another device
    than the op's inputs: the backward of .to(device) crosses devices)."""
    if isinstance(array, (np.ndarray, np.generic)):
        return np.array(array)
    strict = get_backend("strict")
    if strict.is_array(array):
        return np.array(strict.to_numpy(array))
    return np.array(get_backend("cuda").to_numpy(array))


def _broadcast_axes(grad_shape, shape):
    """The axes autograd.unbroadcast sums to bring a gradient of grad_shape back to shape."""
    extra = len(grad_shape) - len(shape)
    return tuple(range(extra)) + tuple(
        extra + axis
        for axis, size in enumerate(shape)
        if size == 1 and grad_shape[extra + axis] != 1
    )


# ============================================================================================
# The recorder
# ============================================================================================


class trace:
    """Records every step of the backward passes run inside the `with` block.

    names: {"x": x, "w": w} names tensors; otherwise `tensor.name`, a Module's parameter names
    or t1, t2, ... are used. `t.steps` lists the BackwardSteps; `print(t)` shows them all,
    `t.step()` one at a time.
    """

    def __init__(self, names=None):
        self.steps = []
        self.graph = Graph()  # every tensor and op the recorded backward passes went through
        self.names = {}  # id(tensor) -> name
        self.groups = {}  # op index -> the Module that made it
        self._given_names = dict(names or {})
        self._cursor = 0
        self._op_index = {}  # id(node) -> index in graph.ops
        self._edge_names = {}  # id(node or leaf) -> the name of the tensor its gradient is for
        self._tensor_of = {}  # name -> tensor (or overwritten value) of the graph
        self._terms = {}  # id(node or leaf) -> [(gradient, source)] received so far
        self._pending = []  # un-broadcast sums of the op whose backward is running
        self._grads = {}  # name -> the complete gradient backward computed for it
        self._sums = {}  # name -> (gradient before un-broadcasting, summed axes)
        self._leaf_grad_before = {}  # name -> .grad before the trace's first pass stored it

    # -- the `with` block -------------------------------------------------------------------

    def __enter__(self):
        if autograd.tracer is not None:
            raise RuntimeError("minigrad.trace(): another trace is already recording")
        autograd.tracer = self
        return self

    def __exit__(self, *exc_info):
        autograd.tracer = None
        return False

    # -- what autograd.backward tells the recorder -------------------------------------------

    def begin(self, roots, seeds):
        """A backward pass starts: learn its graph (names, modules) before backward frees it."""
        try:
            graph = build_graph(list(roots))
        except RuntimeError:
            return  # a freed graph: backward itself raises the error that explains it
        self._merge(graph)
        for root, seed in zip(roots, seeds):
            edge = autograd.gradient_edge(root)
            self._terms.setdefault(id(edge), []).append((_host(seed), "seed (backward() start)"))

    def _merge(self, graph):
        known = {id(t) for t in self.graph.tensors}
        self.graph.tensors += [t for t in graph.tensors if id(t) not in known]
        self.graph.ops += [op for op in graph.ops if id(op[1]) not in known]
        self.names = tensor_names(self.graph, self._given_names)
        self.groups = module_groups(self.graph)
        for k, (_, out, _) in enumerate(self.graph.ops):
            self._op_index[id(out.grad_fn)] = k
            self._edge_names[id(out.grad_fn)] = self.names[id(out)]
        for tensor in self.graph.tensors:
            self._tensor_of[self.names[id(tensor)]] = tensor
            if tensor.grad_fn is None:
                self._edge_names[id(tensor)] = self.names[id(tensor)]

    def _name_of_edge(self, node):
        return self._edge_names.get(id(node), "?")

    def _add(self, step):
        step.number = len(self.steps) + 1
        self.steps.append(step)
        return step

    def _accumulation(self, node, grad, name, shape):
        """A step that adds up the gradients a tensor used several times received."""
        terms = self._terms.pop(id(node), [])
        if len(terms) > 1:
            step = BackwardStep(
                0, "accumulate", "accumulate", name, shape, _host(grad), terms=terms
            )
            self._add(step)

    def unbroadcast(self, ctx, index, grad, summed):
        self._pending.append((index, _host(grad), _host(summed)))

    def op(self, node, grad, input_grads):
        """One op's backward has run: grad arrived at its output, input_grads went out."""
        name = self._name_of_edge(node)
        self._accumulation(node, grad, name, tuple(grad.shape))
        k = self._op_index.get(id(node))  # None only if begin() could not read the graph
        # The names of the op's tensor inputs, in order (an axis or a shape has none).
        inputs = iter([self.names[id(t)] for t in self.graph.ops[k][2]] if k is not None else [])
        raw = {index: before for index, before, _ in self._pending}
        step = BackwardStep(
            number=0,
            kind="op",
            op=op_name(node.function),
            output=name,
            output_shape=tuple(grad.shape),
            output_grad=_host(grad),
            formula=formula_of(node.function),
            latex=node.function.latex or "",
            module=self.groups.get(k),
            node=k,
        )
        for index, (parent, input_grad) in enumerate(zip(node.parents, input_grads)):
            step.inputs.append(None if parent is None else next(inputs, "?"))
            if input_grad is None:
                step.input_grads.append(None)
                continue
            step.input_grads.append(raw[index] if index in raw else _host(input_grad))
            source = f"from {step.op} (step {len(self.steps) + 1})"
            edge = node.edges[index]
            self._terms.setdefault(id(edge), []).append((_host(input_grad), source))
        self._grads[name] = step.output_grad
        self._add(step)
        for index, before, after in self._pending:
            target = step.inputs[index]
            axes = _broadcast_axes(before.shape, after.shape)
            self._sums[target] = (before, axes)
            self._add(
                BackwardStep(
                    number=0,
                    kind="un-broadcast",
                    op="un-broadcast",
                    output=target,
                    output_shape=after.shape,
                    output_grad=before,
                    inputs=[target],
                    input_grads=[after],
                    axes=axes,
                    node=k,
                )
            )
        self._pending = []

    def leaf(self, tensor, grad):
        """A leaf's gradient is complete and about to be added to its .grad."""
        name = self._name_of_edge(tensor)
        shape = tuple(grad.shape)
        self._accumulation(tensor, grad, name, shape)
        before = None if tensor.grad is None else tensor.grad.numpy().copy()
        self._leaf_grad_before.setdefault(name, before)
        after = _host(grad) if before is None else before + _host(grad)
        self._grads[name] = _host(grad)
        self._add(
            BackwardStep(
                number=0,
                kind="store .grad",
                op="store .grad",
                output=name,
                output_shape=shape,
                output_grad=_host(grad),
                inputs=[name],
                input_grads=[before, after],
            )
        )

    # -- reading the trace -------------------------------------------------------------------

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

    def _name(self, tensor_or_name):
        if isinstance(tensor_or_name, str):
            name = tensor_or_name
        else:
            name = self.names.get(id(tensor_or_name))
            if name is None:
                raise KeyError(
                    "trace: this tensor is not in the recorded graph (was it used to compute "
                    "the output you called backward() on, inside the `with` block?)"
                )
        if name not in self._grads:
            known = ", ".join(sorted(self._grads)) or "none (no backward pass was recorded)"
            raise KeyError(f"trace: no gradient was recorded for '{name}'; recorded: {known}")
        return name

    def grad_of(self, tensor_or_name):
        """dL/d(tensor) as backward computed it (a NumPy array): for an intermediate tensor, the
        gradient that arrived at the op that made it; for a leaf, what this pass added to its
        .grad (summed over all recorded passes)."""
        name = self._name(tensor_or_name)
        return self._grads[name].copy()

    def compare(self, tensor_or_name, my_gradient, atol=1e-5, rtol=1e-3):
        """Check a gradient you computed (an array, a list or a Tensor) against the recorded one.

        Returns a Comparison: truthy when they match (|yours - recorded| <= atol + rtol *
        |recorded| everywhere); print it for the report, with a hint when it does not match.
        """
        name = self._name(tensor_or_name)
        if hasattr(my_gradient, "numpy"):
            my_gradient = my_gradient.numpy()
        given = np.asarray(my_gradient, dtype=np.float64)
        expected = self._grads[name].astype(np.float64)
        terms = [g for g, _ in self._accumulated_terms(name)]
        return Comparison(name, given, expected, atol, rtol, self._sums.get(name), terms)

    def _accumulated_terms(self, name):
        for step in self.steps:
            if step.kind == "accumulate" and step.output == name:
                return step.terms
        return []

    # -- printing ----------------------------------------------------------------------------

    def table(self):
        """One line per step: number, kind, op, the tensor, the shape."""
        header = f"{'step':>4}  {'kind':<13}{'op':<16}{'tensor':<24}{'shape':<14}module"
        rows = [header, "-" * len(header)]
        for s in self.steps:
            rows.append(
                f"{s.number:>4}  {s.kind:<13}{s.op:<16}{s.output:<24}"
                f"{str(s.output_shape):<14}{s.module or ''}"
            )
        return "\n".join(rows)

    def __str__(self):
        if not self.steps:
            return "trace: no backward pass was recorded"
        title = f"Backward pass: {len(self.steps)} steps, in the order the engine ran them"
        return "\n\n".join([title] + [str(step) for step in self.steps])

    # -- the interactive page ----------------------------------------------------------------

    def page_data(self):
        """Everything the page shows, as JSON-ready data (the graph, the steps, the formulas)."""
        # Five columns a band: the graph shares the page with the step, so it folds sooner.
        nodes, edges, n_columns, band_rows = layout(
            self.graph, self.names, self.groups, max_columns=5
        )
        index = {node.key: i for i, node in enumerate(nodes)}
        node_of_name = {node.name: index[node.key] for node in nodes}
        formulas = {}
        steps = []
        for step in self.steps:
            if step.kind == "op" and step.op not in formulas:
                formulas[step.op] = {"text": step.formula, "svg": _latex_svg(step.latex)}
            steps.append(_step_data(step, node_of_name))
        leaves = [n for n in nodes if n.kind != "op"]
        before = {name: _values(g) for name, g in self._leaf_grad_before.items() if g is not None}
        return {
            "nodes": [_node_data(n) for n in nodes],
            "edges": [[index[a], index[b]] for a, b in edges],
            "columns": n_columns,
            "bandRows": band_rows,
            "steps": steps,
            "formulas": formulas,
            "leaves": [n.name for n in leaves if n.kind == "parameter"],
            "leafGradBefore": before,
        }

    def to_html(self, path=None):
        """The trace as one self-contained HTML page (no network, no server): the graph,
        next/previous (buttons and arrow keys), each step's formula and gradients, and the
        gradient each leaf has accumulated so far. Writes it to `path` if given; returns it."""
        template = (_PAGE / "page.html").read_text(encoding="utf-8")
        style = (_PAGE / "page.css").read_text(encoding="utf-8")
        script = (_PAGE / "page.js").read_text(encoding="utf-8")
        # "</" could end the <script> element early; "<\/" means the same in JavaScript.
        data = json.dumps(self.page_data()).replace("</", "<\\/")
        page = (
            template.replace("/* STYLE */", style)
            .replace("/* SCRIPT */", script)
            .replace("/* DATA */", data)
            .replace("TITLE", html.escape(f"backward pass, {len(self.steps)} steps"))
        )
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page

    def _repr_html_(self):
        """Jupyter shows a trace as its page, inline (in an iframe, so its script and style stay
        apart from the notebook's)."""
        page = html.escape(self.to_html(), quote=True)
        return f'<iframe srcdoc="{page}" style="width:100%;height:640px;border:0"></iframe>'


def _values(array):
    """An array for the page: its shape and its numbers (NaN and inf as strings)."""
    array = np.asarray(array, dtype=np.float64)
    flat = [float(v) if np.isfinite(v) else str(v) for v in array.reshape(-1)]
    return {"shape": list(array.shape), "values": flat}


def _node_data(node):
    return {
        "lines": node.lines,
        "kind": node.kind,
        "group": node.group,
        "column": node.column,
        "row": node.row,
        "height": node.height,
        "band": node.band,
    }


def _step_data(step, node_of_name):
    node = node_of_name.get(step.output)  # the op that made the tensor, or the leaf itself
    grads = []
    if step.kind == "op":
        for name, grad in zip(step.inputs, step.input_grads):
            if name is not None and grad is not None:
                grads.append({"label": f"{_d(name)} sent", "value": _values(grad)})
    elif step.kind == "accumulate":
        grads = [{"label": source, "value": _values(g)} for g, source in step.terms]
    else:
        labels = {"un-broadcast": ["summed"], "store .grad": [".grad before", ".grad after"]}
        for label, grad in zip(labels[step.kind], step.input_grads):
            if grad is not None:
                grads.append({"label": label, "value": _values(grad)})
    arriving = {
        "op": "arriving",
        "un-broadcast": "as sent",
        "accumulate": "sum",
        "store .grad": "this pass",
    }
    return {
        "number": step.number,
        "kind": step.kind,
        "op": step.op,
        "output": step.output,
        "inputs": [n for n in step.inputs if n is not None],
        "module": step.module,
        "axes": list(step.axes),
        "node": node,
        "text": str(step),
        "outputGrad": {
            "label": f"{_d(step.output)} {arriving[step.kind]}",
            "value": _values(step.output_grad),
        },
        "grads": grads,
    }


def _latex_svg(latex):
    """The formula drawn by matplotlib's mathtext as an SVG element (inlined in the page, so the
    maths shows without a network). One equation per line of `latex`."""
    if not latex:
        return ""
    import matplotlib
    from matplotlib.figure import Figure

    lines = [f"${line.strip()}$" for line in latex.strip().splitlines() if line.strip()]
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "minigrad"}):
        figure = Figure(figsize=(1, 1))
        figure.text(0, 0, "\n".join(lines), fontsize=15, linespacing=1.7)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.04, transparent=True)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # matplotlib's <metadata> names its home page and RDF vocabularies: nothing the page needs
    return re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)


# ============================================================================================
# Comparing a gradient you computed with the recorded one
# ============================================================================================


class Comparison:
    """The result of trace.compare: truthy when the gradients match; str() is the report."""

    def __init__(self, name, given, expected, atol, rtol, summed=None, terms=()):
        self.name, self.given, self.expected = name, given, expected
        self.atol, self.rtol = atol, rtol
        self.shape_ok = given.shape == expected.shape
        self.max_error, self.where = None, None
        self.ok = False
        if self.shape_ok:
            error = np.abs(given - expected)
            self.bad = error > atol + rtol * np.abs(expected)
            self.ok = not self.bad.any()
            if error.size:
                self.where = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
                self.max_error = float(error[self.where])
        self.hint = None if self.ok else _hint(given, expected, summed, terms, atol, rtol)

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"<Comparison {self.name}: {'match' if self.ok else 'mismatch'}>"

    def __str__(self):
        n = self.name
        if self.ok:
            largest = (
                "" if self.max_error is None else f" (largest difference {self.max_error:.2g})"
            )
            return f"{_d(n)}: your gradient matches the one backward computed{largest}."
        if not self.shape_ok:
            lines = [
                f"{_d(n)}: your gradient has shape {self.given.shape}, but {n} has shape "
                f"{self.expected.shape} (a gradient always has the shape of its tensor)."
            ]
        else:
            k = self.where
            lines = [
                f"{_d(n)}: your gradient does not match the one backward computed.",
                f"  {int(self.bad.sum())} of {self.expected.size} elements are off (allowed "
                f"|yours - backward| <= {self.atol:g} + {self.rtol:g} * |backward|).",
                f"  largest error {self.max_error:.4g} at element {k}: you have "
                f"{self.given[k]:.6g}, backward has {self.expected[k]:.6g}.",
            ]
        lines += [
            _value_lines("yours", self.given, 8, indent=2),
            _value_lines("backward", self.expected, 8, indent=2),
        ]
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)


def _close(a, b, atol, rtol):
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def _hint(given, expected, summed, terms, atol, rtol):  # noqa: C901 (a list of checks)
    """A guess at the mistake, in the style of gradcheck's report."""

    def close(a, b):
        return _close(a, b, atol, rtol)

    if summed is not None:
        before, axes = summed
        if close(given, before):
            return (
                f"yours is the gradient before un-broadcasting: this tensor was broadcast, so "
                f"its gradient is summed over axis {axes} (the batch) to its own shape."
            )
        for axis in range(before.ndim):
            if axis not in axes and close(given.reshape(-1), before.sum(axis=axis).reshape(-1)):
                return f"summed over the wrong axis: sum over axis {axes}, not axis {axis}."
    for term in terms:
        if close(given, term.astype(np.float64)):
            return (
                "yours equals one of the gradients this tensor received, but it is used "
                f"{len(terms)} times: its gradient is the sum of all {len(terms)} (see the "
                "accumulate step)."
            )
    if given.ndim == 2 and given.T.shape == expected.shape and close(given.T, expected):
        return "yours is the transpose of the gradient: check the order of the matrix product."
    if given.shape != expected.shape:
        if given.size == expected.size and close(given.reshape(expected.shape), expected):
            return f"the numbers are right; reshape yours to {expected.shape}."
        return None
    if close(-given, expected):
        return "the signs are flipped: check the sign of the derivative."
    if np.all(given == 0):
        return "yours is zero everywhere."
    nonzero = np.abs(expected) > atol
    if nonzero.any():
        ratio = given[nonzero] / expected[nonzero]
        if np.allclose(ratio, ratio[0], rtol=1e-3) and close(given, ratio[0] * expected):
            return (
                f"yours is {ratio[0]:.4g} times the gradient everywhere: a constant factor is "
                "missing or extra (a 1/n of a mean? a 2 of a square?)."
            )
    return None
