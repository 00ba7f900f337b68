"""Pictures of what minigrad computes: the computation graph, and the plots the lessons draw.

    from minigrad import viz
    loss = ((x * w).sum() + b).tanh()
    viz.draw_graph(loss, "graph.png", show_values=True)   # matplotlib only, no Graphviz needed
    print(viz.to_dot(loss))                                # the same graph for Graphviz users

    viz.plot_loss_curves({"train": losses}, "loss.png")
    viz.plot_attention(weights, "attention.png", x_labels=tokens, y_labels=tokens)
    viz.plot_decision_boundary(predict, X, y, "boundary.png")

The graph: every tensor is a box (its name or shape, optionally its values and gradient) and
every op that made a tensor is an ellipse between its inputs and its output, read left to right
from the leaves to the result.

Lesson helpers: `lesson_output_dir(name)` makes (and prints) the folder a lesson saves its
figures in, and `save_figure(fig, path)` writes one PNG there.
"""

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# `creation.tensor`, not a bare `tensor`: the graph functions below name their argument tensor.
from minigrad import creation
from minigrad.grad_mode import no_grad
from minigrad.tensor import Tensor

# The folder above the minigrad package: the repository, when minigrad runs from a checkout.
_REPOSITORY = Path(__file__).resolve().parent.parent


def _in_notebook():
    return "ipykernel" in sys.modules


def pyplot():
    """matplotlib.pyplot, on the non-interactive Agg backend unless we run inside a notebook.

    Lessons run as scripts on machines without a screen (CI, a remote server); Agg writes PNGs
    without needing one. In Jupyter the notebook's own inline backend is kept, so figures show.

    matplotlib is imported here, when the first picture is drawn, not when minigrad is imported:
    it takes longer to import than all of minigrad, and most programs never draw.
    """
    import matplotlib

    if not _in_notebook() and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ============================================================================================
# Lesson helpers
# ============================================================================================


def lesson_output_dir(name):
    """The folder where lesson `name` saves its figures: created, printed and returned.

    $MINIGRAD_OUTPUT/<name> when that variable is set (the tests use it), else
    lessons/output/<name> in the repository (git-ignored), else ./minigrad-output/<name>.
    """
    root = os.environ.get("MINIGRAD_OUTPUT")
    if root:
        base = Path(root)
    else:
        lessons = _REPOSITORY / "lessons"
        base = lessons / "output" if lessons.is_dir() else Path.cwd() / "minigrad-output"
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    print(f"Figures of this lesson are saved in {folder}")
    return folder


def save_figure(fig, path):
    """Write `fig` as a PNG and say where; close it afterwards unless a notebook should show it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"saved {path}")
    if not _in_notebook():
        pyplot().close(fig)
    return path


# ============================================================================================
# The computation graph
# ============================================================================================


@dataclass
class Graph:
    """The graph below one tensor, in an order where every node comes after its inputs.

    tensors: every tensor in the graph, each after the tensors it was computed from; the root
             last
    ops:     one entry per op, (op name, the tensor it produced, its input tensors)
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


def build_graph(tensor):
    """Walk from `tensor` back to its leaves and return the Graph (inputs before outputs).

    The walk follows the graph's edges (what each op used when it ran, also when a tensor was
    changed in place later) with an explicit stack, so deep graphs cannot overflow.
    """
    order, visited, overwritten, inputs_of = [], set(), {}, {}
    stack = [(tensor, False)]
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


def retain_grads(tensor):
    """Ask every intermediate tensor below `tensor` to keep its gradient after backward().

    Normally only leaves keep `.grad`; call this before `backward(retain_graph=True)` to see the
    gradient at every box of `draw_graph(..., show_grads=True)`.
    """
    for node in build_graph(tensor).tensors:
        if not node.is_leaf and not isinstance(node, OverwrittenValue):
            node.retain_grad()


def _format_numbers(array, max_items=4):
    array = np.asarray(array, dtype=np.float64)
    if array.size == 1:
        return f"{array.item():.4g}"
    if array.size <= max_items:
        return "[" + ", ".join(f"{v:.3g}" for v in array.reshape(-1)) + "]"
    return f"mean {array.mean():.3g}, |.| {np.sqrt((array * array).sum()):.3g}"


def _tensor_label(tensor, name, show_values, show_grads):
    lines = [name] if name else []
    lines.append("scalar" if tensor.shape == () else f"shape {tensor.shape}")
    if isinstance(tensor, OverwrittenValue):
        lines.append("(overwritten in place)")
    elif show_values:
        lines.append(f"data {_format_numbers(tensor.numpy())}")
    if show_grads:
        if tensor.grad is None:
            lines.append("grad -")
        else:
            host = tensor.grad.numpy()
            lines.append(f"grad {_format_numbers(host)}")
    return lines


def _names(names):
    """{id(tensor): name} from a {name: tensor} dict (the natural way to write it)."""
    return {id(t): n for n, t in (names or {}).items()}


def to_dot(tensor, show_values=False, show_grads=False, names=None):
    """The graph below `tensor` in Graphviz's dot language (render with `dot -Tpng`)."""
    graph = build_graph(tensor)
    labels = _names(names)
    index = {id(t): i for i, t in enumerate(graph.tensors)}
    lines = ["digraph minigrad {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for i, t in enumerate(graph.tensors):
        text = "\\n".join(_tensor_label(t, labels.get(id(t)), show_values, show_grads))
        style = ', style=filled, fillcolor="#dbe9f6"' if t.is_leaf else ""
        lines.append(f'  t{i} [shape=box, label="{text}"{style}];')
    for k, (op, out, inputs) in enumerate(graph.ops):
        lines.append(f'  op{k} [shape=ellipse, label="{op}"];')
        for parent in inputs:
            lines.append(f"  t{index[id(parent)]} -> op{k};")
        lines.append(f"  op{k} -> t{index[id(out)]};")
    lines.append("}")
    return "\n".join(lines)


def _layout(graph):
    """x, y positions of every tensor and op: columns by distance from the leaves."""
    depth = {id(t): 0 for t in graph.tensors}
    for _, out, inputs in graph.ops:  # inputs come first, so their depth is known already
        if inputs:
            depth[id(out)] = 1 + max(depth[id(p)] for p in inputs)
    # Draw each leaf just before the first op that uses it, not all in the first column: a
    # bias added at the end then sits next to its Add instead of far away on the left.
    first_use = {}
    for _, out, inputs in graph.ops:
        for parent in inputs:
            if parent.is_leaf:
                first_use[id(parent)] = min(
                    first_use.get(id(parent), depth[id(out)]), depth[id(out)]
                )
    for key, used_at in first_use.items():
        depth[key] = used_at - 1
    # A tensor sits in column 2*depth and the op that made it in the column just before.
    columns = {}
    for t in graph.tensors:
        columns.setdefault(2 * depth[id(t)], []).append(("tensor", id(t)))
    for k, (_, out, _) in enumerate(graph.ops):
        columns.setdefault(2 * depth[id(out)] - 1, []).append(("op", k))
    position = {}
    for column, members in columns.items():
        for row, key in enumerate(members):
            position[key] = (column, (len(members) - 1) / 2 - row)
    return position, max(columns) + 1, max(len(m) for m in columns.values())


def draw_graph(tensor, path=None, show_values=False, show_grads=False, names=None, max_nodes=150):
    """Draw the computation graph below `tensor` with matplotlib; save it to `path` if given.

    names: {"x": x, "w": w} labels some tensors by name. show_values / show_grads add each
    tensor's data and .grad (for gradients at intermediate boxes, call retain_grads(tensor) and
    then backward(retain_graph=True) before drawing). Returns the matplotlib Figure.
    """
    plt = pyplot()
    graph = build_graph(tensor)
    if graph.num_nodes > max_nodes:
        raise ValueError(
            f"draw_graph: this graph has {graph.num_nodes} nodes, too many to read in a picture "
            f"(max_nodes={max_nodes}). Draw a smaller piece, raise max_nodes, or use to_dot() "
            "with Graphviz."
        )
    labels = _names(names)
    position, n_columns, n_rows = _layout(graph)
    fig, ax = plt.subplots(figsize=(max(4.0, 2.2 * n_columns), max(2.5, 1.3 * n_rows + 0.8)))
    ax.set_xlim(-0.7, n_columns - 0.3)
    ax.set_ylim(-n_rows / 2 - 0.3, n_rows / 2 + 0.3)
    ax.axis("off")

    arrow = dict(arrowstyle="->", color="#555555", shrinkA=28, shrinkB=28)
    for k, (_, out, inputs) in enumerate(graph.ops):
        op_xy = position[("op", k)]
        for parent in inputs:
            ax.annotate("", xy=op_xy, xytext=position[("tensor", id(parent))], arrowprops=arrow)
        ax.annotate("", xy=position[("tensor", id(out))], xytext=op_xy, arrowprops=arrow)

    for t in graph.tensors:
        x, y = position[("tensor", id(t))]
        text = "\n".join(_tensor_label(t, labels.get(id(t)), show_values, show_grads))
        # Leaves that learn in blue, constants (no gradient wanted) in grey, results in white.
        colour = "#ffffff" if not t.is_leaf else "#dbe9f6" if t.requires_grad else "#eeeeee"
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=8,
            bbox=dict(boxstyle="round,pad=0.4", facecolor=colour, edgecolor="#1f4e79"),
        )
    for k, (op, _, _) in enumerate(graph.ops):
        x, y = position[("op", k)]
        ax.text(
            x,
            y,
            op,
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            bbox=dict(boxstyle="ellipse,pad=0.3", facecolor="#fde9c8", edgecolor="#b36b00"),
        )
    ax.set_title("computation graph: leaves in blue, constants in grey, ops in orange", fontsize=9)
    if path is not None:
        save_figure(fig, path)
    return fig


# ============================================================================================
# Plots used by the lessons
# ============================================================================================


def _host(values):
    if isinstance(values, Tensor):
        return values.numpy()
    return np.asarray(values)


def plot_loss_curves(
    curves, path=None, title="loss", xlabel="step", ylabel="loss", log_scale=False, ax=None
):
    """One line per entry of `curves` ({label: list of losses}); returns the Figure."""
    plt = pyplot()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        ax.plot(np.arange(len(values)), _host(values), label=label)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    if fig is not None and path is not None:
        save_figure(fig, path)
    return fig if fig is not None else ax.figure


def plot_attention(
    weights, path=None, x_labels=None, y_labels=None, title="attention", ax=None, annotate=None
):
    """A heat map of one attention matrix: row i = query i, column j = how much it looks at key j.

    annotate: write the numbers in the cells (default: when the matrix is at most 8 x 8).
    """
    plt = pyplot()
    weights = _host(weights)
    if weights.ndim != 2:
        raise ValueError(
            f"plot_attention: expected one (queries, keys) matrix, got shape "
            f"{weights.shape}; pick one batch element and head first"
        )
    fig = None
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(1.0 + 0.45 * weights.shape[1], 1.0 + 0.45 * weights.shape[0])
        )
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=max(1e-12, weights.max()))
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if x_labels is not None:
        ax.set_xticks(range(len(x_labels)), [str(s) for s in x_labels], fontsize=8)
    if y_labels is not None:
        ax.set_yticks(range(len(y_labels)), [str(s) for s in y_labels], fontsize=8)
    if annotate is None:
        annotate = weights.shape[0] <= 8 and weights.shape[1] <= 8
    if annotate:
        for i in range(weights.shape[0]):
            for j in range(weights.shape[1]):
                light = weights[i, j] < 0.6 * weights.max()
                ax.text(
                    j,
                    i,
                    f"{weights[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if light else "black",
                )
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    ax.set_title(title)
    if fig is not None and path is not None:
        save_figure(fig, path)
    return fig if fig is not None else ax.figure


def plot_decision_boundary(
    predict, X, y, path=None, title="decision boundary", ax=None, resolution=150
):
    """Colour the plane by `predict` (points (M, 2) -> probability of class 1) and draw the data.

    predict receives a float32 Tensor and returns a Tensor or array of M probabilities.
    """
    plt = pyplot()
    X, y = _host(X), _host(y).reshape(-1)
    margin = 0.5
    xs = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    ys = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)
    with no_grad():
        probability = _host(predict(creation.tensor(points))).reshape(grid_x.shape)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(grid_x, grid_y, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(grid_x, grid_y, probability, levels=[0.5], colors="black", linewidths=1.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="black", linewidths=0.4, s=14)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    if fig is not None and path is not None:
        save_figure(fig, path)
    return fig if fig is not None else ax.figure


def plot_confusion_matrix(matrix, path=None, class_names=None, title="confusion matrix", ax=None):
    """Rows: the true class; columns: the predicted class; each cell counts samples."""
    plt = pyplot()
    matrix = _host(matrix)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(3.5, 3.2))
    ax.imshow(matrix, cmap="Blues")
    names = class_names if class_names is not None else list(range(matrix.shape[0]))
    ax.set_xticks(range(len(names)), [str(n) for n in names])
    ax.set_yticks(range(len(names)), [str(n) for n in names])
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            dark = matrix[i, j] > 0.5 * matrix.max()
            ax.text(
                j,
                i,
                str(int(matrix[i, j])),
                ha="center",
                va="center",
                color="white" if dark else "black",
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if fig is not None and path is not None:
        save_figure(fig, path)
    return fig if fig is not None else ax.figure


def plot_contours(
    f,
    xlim,
    ylim,
    trajectories=None,
    path=None,
    title="",
    ax=None,
    levels=30,
    log_levels=True,
    resolution=200,
):
    """Contour lines of a function of two variables, with optimiser paths drawn on top.

    f: a NumPy function of two arrays (x, y) -> values. trajectories: {label: (steps, 2) array}.
    """
    plt = pyplot()
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = f(grid_x, grid_y)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4.5))
    if log_levels:
        # Valleys are flat: evenly spaced levels would all crowd around the walls.
        low, high = max(values.min(), 1e-3), values.max()
        ax.contour(
            grid_x,
            grid_y,
            values,
            levels=np.geomspace(low, high, levels),
            cmap="viridis",
            linewidths=0.6,
            alpha=0.7,
        )
    else:
        ax.contour(grid_x, grid_y, values, levels=levels, cmap="viridis", linewidths=0.6, alpha=0.7)
    for label, path_xy in (trajectories or {}).items():
        path_xy = _host(path_xy)
        ax.plot(path_xy[:, 0], path_xy[:, 1], marker=".", markersize=3, linewidth=1, label=label)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_title(title)
    if trajectories:
        ax.legend(fontsize=8)
    if fig is not None and path is not None:
        save_figure(fig, path)
    return fig if fig is not None else ax.figure
