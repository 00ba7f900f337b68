"""Graph drawing and the plot helpers: known graphs give known pictures, and PNGs are real."""

import struct

import matplotlib.image
import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import graph, nn, viz

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_real_png(path, min_side=100):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= min_side and height >= min_side
    pixels = matplotlib.image.imread(path)  # decodes the whole file
    assert pixels.shape[:2] == (height, width)
    assert pixels.std() > 0.01, "the image is blank"


def known_graph():
    a = minigrad.tensor(np.ones((2, 3)), requires_grad=True)
    b = minigrad.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    c = a * b
    d = c.sum(axis=1)
    e = d.tanh()
    loss = e.mean()
    return [a, b, c, d, e, loss]


def test_tools_build_graph_nodes_order_and_shapes():
    a, b, c, d, e, loss = known_graph()
    graph = viz.build_graph(loss)
    assert graph.num_nodes == 10  # 6 tensors + 4 ops
    assert [t.shape for t in graph.tensors] == [(2, 3), (3,), (2, 3), (2,), (2,), ()]
    assert graph.tensors[0] is a and graph.tensors[1] is b and graph.tensors[-1] is loss
    assert [op for op, _, _ in graph.ops] == ["Mul", "Sum", "Tanh", "Mean"]  # the classes
    op, out, inputs = graph.ops[0]
    assert out is c and inputs[0] is a and inputs[1] is b


def test_tools_build_graph_shared_input_appears_once():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x + x).sum()
    graph = viz.build_graph(y)
    assert sum(t is x for t in graph.tensors) == 1
    assert [op for op, _, _ in graph.ops] == ["Mul", "Add", "Sum"]
    assert len(graph.tensors) == 4


def test_tools_build_graph_deep_chain_has_no_recursion_limit():
    x = minigrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert len(viz.build_graph(y).ops) == 3000


def texts_of(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_tools_draw_graph_writes_a_real_png(tmp_path):
    *_, loss = known_graph()
    path = tmp_path / "graph.png"
    fig = viz.draw_graph(loss, path)
    assert_real_png(path)
    texts = texts_of(fig)
    assert [t for t in texts if t in ("mul", "sum", "tanh", "mean")] == [
        "mul",
        "sum",
        "tanh",
        "mean",
    ]
    # every tensor named and shaped: the two leaves t1, t2, and each op's output
    assert "t1 (2, 3)" in texts or ("t1" in texts and "(2, 3)" in texts)
    assert "t3 (2, 3)" in texts and "t6 scalar" in texts


def mlp_and_loss():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    x = minigrad.randn(8, 2)
    y = minigrad.randint(0, 2, (8,))
    return model, x, F.cross_entropy(model(x), y)


SLIDE = (13.34, 7.5)  # inches: a 16:9 slide


def test_tools_draw_graph_mlp_fits_a_slide_with_module_frames(tmp_path):
    _, x, loss = mlp_and_loss()
    fig = viz.draw_graph(loss, tmp_path / "mlp.png", names={"x": x})
    width, height = fig.get_size_inches()
    assert width <= SLIDE[0] and height <= SLIDE[1]
    texts = texts_of(fig)
    for frame in ("0 · Linear", "1 · ReLU", "2 · Linear"):
        assert frame in texts
    assert "weight (16, 2)" in texts and "bias (2,)" in texts  # short names inside the frame
    assert "linear" in texts and "cross_entropy" in texts and "x" in texts
    assert not any(t.startswith("_") for t in texts)  # no private names


def test_tools_draw_graph_transformer_block_fits_a_slide(tmp_path):
    minigrad.manual_seed(0)
    block = nn.TransformerBlock(16, 2, 32)
    h = minigrad.randn(2, 5, 16)
    out = block(h).sum()
    fig = viz.draw_graph(out, tmp_path / "block.png", names={"x": h})
    width, height = fig.get_size_inches()
    assert width <= SLIDE[0] and height <= SLIDE[1]
    assert_real_png(tmp_path / "block.png")
    collapsed = viz.draw_graph(out, tmp_path / "block_c.png", collapse_modules=True)
    texts = texts_of(collapsed)
    assert "attn · MultiHeadAttention" in texts and "scaled_dot_product_attention" not in texts
    assert collapsed.get_size_inches()[1] < height


def test_tools_layout_boxes_never_overlap():
    """No two boxes of the grid share space: the cause of overlapping labels."""
    minigrad.manual_seed(0)
    block = nn.TransformerBlock(16, 2, 32)
    out = block(minigrad.randn(2, 5, 16)).sum()
    g = graph.build_graph(out)
    nodes, edges, _, _ = graph.layout(g, graph.tensor_names(g), graph.module_groups(g))
    assert len(nodes) == len(g.ops) + sum(t.grad_fn is None for t in g.tensors)
    spans = {}
    for node in nodes:
        spans.setdefault((node.band, node.column), []).append((node.row, node.row + node.height))
    for column in spans.values():
        column.sort()
        for (_, end), (start, _) in zip(column, column[1:]):
            assert start >= end - 1e-9


def test_tools_draw_graph_values_grads_and_names(tmp_path):
    a, b, c, d, e, loss = known_graph()
    viz.retain_grads(loss)
    loss.backward(retain_graph=True)
    fig = viz.draw_graph(
        loss, tmp_path / "g.png", show_values=True, show_grads=True, names={"a": a, "loss": loss}
    )
    texts = texts_of(fig)
    loss_box = next(t for t in texts if t.startswith("loss"))
    assert f"data {loss.item():.4g}" in loss_box and "grad 1" in loss_box
    a_box = texts[texts.index("a") + 1]  # the lines under the name
    assert a_box.startswith("(2, 3)") and "grad mean" in a_box  # six numbers are summarised
    assert c.grad is not None  # retain_grads kept the intermediate gradients


def test_tools_to_dot_lists_every_node_and_edge():
    *_, loss = known_graph()
    dot = minigrad.viz.to_dot(loss, show_values=True)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("shape=box") == 6 and dot.count("shape=ellipse") == 4
    assert dot.count("->") == 2 + 1 + 1 + 1 + 4  # inputs of each op + one edge out per op
    assert 'label="mul"' in dot and "data" in dot


def test_tools_draw_graph_after_backward_explains_retain_graph():
    *_, loss = known_graph()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        viz.draw_graph(loss)


def test_tools_draw_graph_refuses_huge_graphs():
    x = minigrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100):
        y = y + 1.0
    with pytest.raises(ValueError, match="to_dot"):
        viz.draw_graph(y)


def test_tools_plot_helpers_write_real_pngs(tmp_path):
    viz.plot_loss_curves({"a": [3, 2, 1], "b": [3, 2.5, 2]}, tmp_path / "loss.png")
    viz.plot_attention(
        np.full((4, 4), 0.25) + np.eye(4) * 0.1,
        tmp_path / "attention.png",
        x_labels=list("abcd"),
        y_labels=list("abcd"),
    )
    X = minigrad.tensor(np.random.default_rng(0).standard_normal((40, 2)).astype(np.float32))
    y = (X.numpy()[:, 0] > 0).astype(np.int64)
    viz.plot_decision_boundary(
        lambda p: (p[:, 0] * 3).sigmoid(), X, y, tmp_path / "boundary.png", resolution=40
    )
    viz.plot_confusion_matrix(np.array([[5, 1], [2, 7]]), tmp_path / "confusion.png")
    viz.plot_contours(
        lambda x, y: x**2 + 3 * y**2,
        (-2, 2),
        (-2, 2),
        {"path": np.array([[1.5, 1.5], [0.5, -0.5], [0.0, 0.0]])},
        tmp_path / "contours.png",
        resolution=50,
    )
    for name in ("loss", "attention", "boundary", "confusion", "contours"):
        assert_real_png(tmp_path / f"{name}.png")


def test_tools_plot_attention_wants_one_matrix():
    with pytest.raises(ValueError, match="one \\(queries, keys\\) matrix"):
        viz.plot_attention(np.ones((2, 3, 3)))


def test_tools_lesson_output_dir_follows_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIGRAD_OUTPUT", str(tmp_path))
    folder = viz.lesson_output_dir("99_test")
    assert folder == tmp_path / "99_test" and folder.is_dir()
    assert str(folder) in capsys.readouterr().out
