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
from pathlib import Path

import numpy as np

# `creation.tensor`, not a bare `tensor`: the graph functions below name their argument tensor.
from minigrad import creation
from minigrad.grad_mode import no_grad
from minigrad.graph import (
    OverwrittenValue,
    build_graph,
    layout,
    module_groups,
    op_name,
    shape_text,
    tensor_names,
)
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


def _value_lines(tensor, show_values, show_grads):
    """The extra lines of a box: the tensor's numbers and its gradient, summarised."""
    lines = []
    if isinstance(tensor, OverwrittenValue):
        return ["(overwritten in place)"]
    if show_values:
        lines.append(f"data {_format_numbers(tensor.numpy())}")
    if show_grads:
        grad = tensor.grad
        lines.append("grad -" if grad is None else f"grad {_format_numbers(grad.numpy())}")
    return lines


def to_dot(tensor, show_values=False, show_grads=False, names=None):
    """The graph below `tensor` in Graphviz's dot language (render with `dot -Tpng`)."""
    graph = build_graph(tensor)
    labels = tensor_names(graph, names)
    index = {id(t): i for i, t in enumerate(graph.tensors)}
    lines = ["digraph minigrad {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for i, t in enumerate(graph.tensors):
        label = [labels[id(t)], shape_text(t.shape)] + _value_lines(t, show_values, show_grads)
        style = ', style=filled, fillcolor="#dbe9f6"' if t.is_leaf else ""
        text = "\\n".join(label)
        lines.append(f'  t{i} [shape=box, label="{text}"{style}];')
    for k, (_, out, inputs) in enumerate(graph.ops):
        lines.append(f'  op{k} [shape=ellipse, label="{op_name(out.grad_fn.function)}"];')
        for parent in inputs:
            lines.append(f"  t{index[id(parent)]} -> op{k};")
        lines.append(f"  op{k} -> t{index[id(out)]};")
    lines.append("}")
    return "\n".join(lines)


# Sizes of the picture, in inches: a column, a row, a box, the gap between bands.
_COLUMN, _ROW, _BOX_WIDTH, _BOX_HEIGHT, _BAND_GAP = 1.6, 0.6, 1.46, 0.46, 0.4
_COLOURS = {  # face, edge
    "op": ("#fde9c8", "#b36b00"),
    "parameter": ("#dbe9f6", "#1f4e79"),  # leaves that learn
    "constant": ("#eeeeee", "#888888"),  # inputs that want no gradient
    "module": ("#e8f0e0", "#4f7a28"),  # a collapsed Module
}


def draw_graph(
    tensor,
    path=None,
    show_values=False,
    show_grads=False,
    names=None,
    max_nodes=150,
    collapse_modules=False,
    max_columns=8,
):
    """Draw the computation graph below `tensor` with matplotlib; save it to `path` if given.

    Each op is a box with its public name and the tensor it made (name and shape); inputs and
    parameters are boxes of their own, parameters named as the Module names them
    (`layers.0.weight`), other tensors by `names={"x": x}`, their `.name`, or t1, t2, ....
    The ops of each Module are framed together; collapse_modules=True draws each Module as one
    box. Long graphs fold into bands of `max_columns` columns so the figure fits a slide.
    show_values / show_grads add each tensor's data and .grad (for gradients at intermediate
    boxes, call retain_grads(tensor) and then backward(retain_graph=True) before drawing).
    Returns the matplotlib Figure.
    """
    plt = pyplot()
    graph = build_graph(tensor)
    if graph.num_nodes > max_nodes:
        raise ValueError(
            f"draw_graph: this graph has {graph.num_nodes} nodes, too many to read in a picture "
            f"(max_nodes={max_nodes}). Draw a smaller piece, collapse_modules=True, raise "
            "max_nodes, or use to_dot() with Graphviz."
        )
    labels = tensor_names(graph, names)
    nodes, edges, n_columns, band_rows = layout(
        graph, labels, module_groups(graph), max_columns, collapse_modules
    )
    if show_values or show_grads:
        _add_values(nodes, graph, show_values, show_grads)
    extra = max(len(node.lines) for node in nodes) - 2  # value lines: taller boxes
    row_height = _ROW + max(0, extra) * 0.16
    band_top = [0.0]
    for count in band_rows:
        band_top.append(band_top[-1] + count * row_height + _BAND_GAP)
    width, height = n_columns * _COLUMN + 0.3, band_top[-1] - _BAND_GAP + 0.4
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(0, 0, 1, 1)
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # y grows downwards, as on a page
    ax.axis("off")
    boxes = {}  # key -> (left, top, width, height) in inches
    for node in nodes:
        gap = 0.14 * node.height  # between boxes of one column
        top = 0.3 + band_top[node.band] + node.row * row_height + gap / 2
        left = 0.15 + node.column * _COLUMN + (_COLUMN - _BOX_WIDTH) / 2
        boxes[node.key] = (left, top, _BOX_WIDTH, node.height * row_height - gap)
    _draw_groups(ax, nodes, boxes)
    _draw_edges(ax, edges, boxes, band_top)
    for node in nodes:
        left, top, w, h = boxes[node.key]
        face, edge = _COLOURS[node.kind]
        ax.add_patch(_box(left, top, w, h, face, edge))
        x, y = left + w / 2, top + h / 2
        if len(node.lines) == 1:
            ax.text(x, y, node.lines[0], ha="center", va="center", fontsize=6.5)
            continue
        size = 8 if len(node.lines[0]) <= 18 else 6.5  # scaled_dot_product_attention
        ax.text(x, y, node.lines[0], ha="center", va="bottom", fontsize=size, fontweight="bold")
        ax.text(x, y, "\n".join(node.lines[1:]), ha="center", va="top", fontsize=7)
    if path is not None:
        save_figure(fig, path)
    return fig


def _add_values(nodes, graph, show_values, show_grads):
    tensors = {("tensor", id(t)): t for t in graph.tensors}
    tensors.update({("op", k): out for k, (_, out, _) in enumerate(graph.ops)})
    for node in nodes:
        if node.key in tensors:
            node.lines = node.lines + _value_lines(tensors[node.key], show_values, show_grads)


def _box(x, y, width, height, face, edge, style="round,pad=0.02,rounding_size=0.06", **kwargs):
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch(
        (x, y), width, height, boxstyle=style, facecolor=face, edgecolor=edge, **kwargs
    )


def _draw_groups(ax, nodes, boxes):
    """A dashed frame around the boxes of each Module (one per band it spans), named."""
    frames = {}
    for node in nodes:
        if node.group is None or node.kind == "module":
            continue
        left, top, w, h = boxes[node.key]
        x0, y0, x1, y1 = frames.get((node.group, node.band), (left, top, left + w, top + h))
        frames[(node.group, node.band)] = (
            min(x0, left),
            min(y0, top),
            max(x1, left + w),
            max(y1, top + h),
        )
    for (group, _), (x0, y0, x1, y1) in frames.items():
        ax.add_patch(
            _box(
                x0 - 0.05,
                y0 - 0.16,
                x1 - x0 + 0.1,
                y1 - y0 + 0.2,
                "#f2f6fb",
                "#9fb3c8",
                linestyle="--",
                zorder=0,
            )  # fmt: skip
        )
        ax.text(x0 - 0.02, y0 - 0.14, group, fontsize=6.5, color="#4a6380", va="top")


def _draw_edges(ax, edges, boxes, band_top):
    """Arrows from each input to the op that used it. A leaf stacked below its op gets a curve
    round the left side; an arrow into the next band runs along the gap between the bands."""
    arrow = dict(arrowstyle="-|>", color="#666666", lw=0.8, shrinkA=0, shrinkB=0)
    for source, target in edges:
        (l0, t0, w0, h0), (l1, t1, _, h1) = boxes[source], boxes[target]
        y0, y1 = t0 + h0 / 2, t1 + h1 / 2
        if abs(l0 - l1) < 1e-9:  # below its op
            ax.annotate(
                "", xy=(l1, y1), xytext=(l0, y0),
                arrowprops=dict(arrow, connectionstyle="arc3,rad=-0.5"),
            )  # fmt: skip
        elif l1 > l0 + _COLUMN + 1e-9 and abs(y0 - y1) < 1e-9:  # a skip (residual): arc over
            ax.annotate(
                "", xy=(l1 + w0 / 2, t1), xytext=(l0 + w0 / 2, t0),
                arrowprops=dict(arrow, connectionstyle="arc3,rad=-0.12"),
            )  # fmt: skip
        elif l1 > l0:
            ax.annotate("", xy=(l1, y1), xytext=(l0 + w0, y0), arrowprops=arrow)
        else:  # the end of one band to the start of a later one
            gap = 0.3 + min(top for top in band_top if top > t0 - 0.3) - _BAND_GAP / 2
            xs = [l0 + w0, l0 + w0 + 0.08, l0 + w0 + 0.08, l1 - 0.1, l1 - 0.1]
            ys = [y0, y0, gap, gap, y1]
            ax.plot(xs, ys, color="#666666", lw=0.8)
            ax.annotate("", xy=(l1, y1), xytext=(l1 - 0.1, y1), arrowprops=arrow)


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
