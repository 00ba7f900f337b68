"""The exercise checker: it passes every reference solution, fails every untouched stub, and
fails typical mistakes with a message that tells the student what went wrong."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.exercises import EXERCISES, check, checker, exercise_names, stub_path

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "lessons" / "exercises"
SOLUTIONS = Path(__file__).resolve().parent / "solutions"
MISTAKES = Path(__file__).resolve().parent / "mistakes"

# (exercise, planted mistake file, phrases the explanation must contain)
PLANTED = [
    ("sigmoid", "sigmoid_uses_input", ["gradient for x is wrong", "not to the input x"]),
    ("sigmoid", "sigmoid_ignores_grad", ["multiply by `grad`", "chain rule"]),
    ("tanh", "tanh_forgot_square", ["1 - y²"]),
    ("tanh", "tanh_sign_flipped", ["sign is flipped"]),
    ("softmax", "softmax_diagonal", ["not diagonal", "sum over the row"]),
    ("log_softmax", "log_softmax_no_row_sum", ["sum of the incoming gradient over the row"]),
    ("layer_norm", "layer_norm_constant_stats", ["μ and σ as constants", "gradient for x"]),
    (
        "matmul",
        "matmul_no_transpose",
        ["backward raised ValueError", "swapaxes", "matmul_no_transpose.py, line"],
    ),
    ("matmul", "matmul_matrices_only", ["generated case", "shape (", "1-D A is a row"]),
    (
        "cross_entropy",
        "cross_entropy_forgot_mean",
        ["off by a factor of N = 4", "did you forget the mean?"],
    ),
    ("cross_entropy", "cross_entropy_document_formula", ["F2 erratum"]),
    ("attention", "attention_forgot_scale", ["forget the scale", "gradient for q is wrong"]),
    ("attention", "attention_wrong_order", ["(dL/dQ, dL/dK, dL/dV) in this order"]),
    ("conv1d", "conv1d_kernel_not_flipped", ["gradient for x is wrong", "kernel is the wrong way"]),
    ("conv1d", "conv1d_no_overlap_sum", ["gradient for x is wrong", "misses the overlaps"]),
    ("conv1d", "conv1d_batch_not_summed", ["gradient for weight is wrong", "batch axis n"]),
    ("conv1d", "conv1d_batch_mean", ["N = 2 (the batch size) times too small", ".mean(axis=0)"]),
    (
        "conv1d",
        "conv1d_weight_transposed",
        ["shape (3, 2, 3) for input 1", "(C, O, K) is transposed"],
    ),
    (
        "conv1d",
        "conv1d_uses_numpy",
        ["on the 'strict' device", "np.swapaxes", "Use the backend's array module", "ctx.xp"],
    ),
    ("custom", "custom_wrong_derivative", ["expected dL/dinput0", "your dL/dinput0"]),
    ("custom", "custom_modifies_grad", ["changed the upstream gradient `grad` in place"]),
    # Blind spots closed in Curriculum II: more dimensions than 2, in-place changes to the saved
    # arrays, numpy instead of ctx.xp, transposes that only fit 3-D, vector @ vector, ...
    ("sigmoid", "sigmoid_mutates_saved", ["changed array 0 of ctx.saved_tensors in place"]),
    ("sigmoid", "sigmoid_one_plus_y", ["the sign inside is wrong", "DERIVATIONS.md, section"]),
    ("sigmoid", "sigmoid_uses_numpy", ["'strict' device", "np.multiply", "ctx.xp"]),
    ("tanh", "tanh_uses_input", ["square the output y, not the input x"]),
    ("tanh", "tanh_mutates_saved", ["changed array 0 of ctx.saved_tensors in place"]),
    ("tanh", "tanh_factor_two", ["2 times the right one", "no factor 2"]),
    ("softmax", "softmax_sum_axis1", ["shape (2, 3, 5)", "you summed over axis=1", "3-D input"]),
    ("softmax", "softmax_no_keepdims", ["backward raised ValueError", "keepdims=True"]),
    ("softmax", "softmax_mutates_saved", ["changed array 0 of ctx.saved_tensors in place"]),
    ("log_softmax", "log_softmax_sum_axis1", ["you summed over axis=1", "LAST axis"]),
    ("log_softmax", "log_softmax_exp_input", ["e^(y), the exponential of the OUTPUT"]),
    ("log_softmax", "log_softmax_uses_numpy", ["'strict' device", "np.exp", "ctx.xp"]),
    ("layer_norm", "layer_norm_axis1", ["gradient for x is wrong", "you summed over axis=1"]),
    ("layer_norm", "layer_norm_forgot_gamma", ["multiply by gamma"]),
    ("layer_norm", "layer_norm_mean_only", ["not the variance's"]),
    ("matmul", "matmul_transpose_all_axes", ["b2.T", "`.T` reverses ALL the axes"]),
    ("matmul", "matmul_vectors_half_handled", ["a: shape (", "0-dimensional", "1-D A is a row"]),
    ("matmul", "matmul_swapped_outputs", ["has the shape of input 1", "in the order forward"]),
    ("cross_entropy", "cross_entropy_subtract_one_everywhere", ["only at each row's target"]),
    ("cross_entropy", "cross_entropy_ignores_upstream", ["multiply by `grad`"]),
    ("cross_entropy", "cross_entropy_uses_numpy", ["'strict' device", "np.exp", "ctx.xp"]),
    (
        "attention",
        "attention_transpose_3d_only",
        ["transpose(0, 2, 1), works for 3-D arrays only", "swapaxes(x, -1, -2)"],
    ),
    ("attention", "attention_diagonal_softmax", ["not elementwise"]),
    ("attention", "attention_softmax_sum_all", ["one number per query"]),
    ("conv1d", "conv1d_ignores_upstream", ["multiply by `grad`"]),
    ("conv1d", "conv1d_window_length", ["backward raised ValueError", "k : k + L_out"]),
    ("conv1d", "conv1d_swapped_outputs", ["has the shape of input 1", "in the order forward"]),
    ("custom", "custom_mutates_saved", ["changed array 0 of ctx.saved_tensors in place"]),
    ("custom", "custom_ignores_upstream", ["multiply by `grad`"]),
    ("custom", "custom_swapped_outputs", ["this is the gradient of input1", "in the order"]),
    # Lesson 15's exercises: BatchNorm in training mode, and the embedding lookup's scatter-add
    ("batch_norm", "batch_norm_constant_stats", ["gradient for x is wrong", "as constants"]),
    ("batch_norm", "batch_norm_unbiased_var", ["divides by m - 1", "biased batch variance"]),
    ("batch_norm", "batch_norm_feature_axis", ["along the last axis, as LayerNorm does"]),
    (
        "batch_norm",
        "batch_norm_batch_axis_only",
        ["generated case", "the batch AND the length", "axes (0, 2)"],
    ),
    (
        "batch_norm",
        "batch_norm_dgamma_wrong_axis",
        ["shape (5,) for input 1", "every axis but the channels"],
    ),
    ("batch_norm", "batch_norm_dbeta_mean", ["m = 5 times too small", "where a sum belongs"]),
    ("batch_norm", "batch_norm_forgot_gamma", ["multiply by gamma"]),
    ("batch_norm", "batch_norm_uses_numpy", ["'strict' device", "np.mean", "ctx.xp"]),
    (
        "embedding",
        "embedding_fancy_add",
        ["gradient for weight is wrong", "`dW[indices] += grad`", "xp.add.at"],
    ),
    ("embedding", "embedding_returns_grad", ["shape (2, 4, 3) for input 1", "shaped like weight"]),
    ("embedding", "embedding_ignores_upstream", ["multiply by `grad`"]),
    ("embedding", "embedding_onehot_transposed", ["`.T` reverses ALL the axes", "flatten first"]),
    ("embedding", "embedding_uses_numpy", ["'strict' device", "np.add", "ctx.xp"]),
]


def untouched_stub(name):
    """lessons/exercises/<name>.py, or a skip when a student has solved it in place.

    Students are told to write their backward in the stub itself; the project's own test command
    must still pass for them afterwards. On CI (a clean clone, `CI` set) every stub must be
    untouched, so there a solved or edited stub is a failure, never a skip.
    """
    path = STUBS / EXERCISES[name].stub
    if "raise NotImplementedError" not in path.read_text(encoding="utf-8"):
        if os.environ.get("CI"):
            pytest.fail(f"{path} must be an unsolved stub in the repository")
        pytest.skip(f"{path.name} has been solved in place: grade it with `minigrad check {name}`")
    return path


def test_exercises_catalogue_matches_the_stubs():
    assert set(exercise_names()) == {
        "sigmoid",
        "tanh",
        "softmax",
        "log_softmax",
        "layer_norm",
        "matmul",
        "cross_entropy",
        "attention",
        "conv1d",
        "batch_norm",
        "embedding",
        "custom",
    }
    for name, exercise in EXERCISES.items():
        path = STUBS / exercise.stub
        assert path.is_file(), f"missing stub {path}"
        text = path.read_text(encoding="utf-8")
        assert f"class {exercise.class_name}(minigrad.Function)" in text
        assert stub_path(name) == path
        assert (SOLUTIONS / exercise.stub).is_file(), f"missing reference solution for {name}"


@pytest.mark.parametrize("name", exercise_names())
def test_exercises_reference_solution_passes(name):
    result = check(name, SOLUTIONS / f"{name}.py")
    assert result.passed, result.explanation
    assert result.explanation.startswith(f"PASSED {name}")
    assert result.cases >= 20  # the fixed case, gradcheck and the generated ones
    result.assert_passed()


@pytest.mark.parametrize("name", exercise_names())
def test_exercises_untouched_stub_fails(name):
    untouched_stub(name)
    result = check(name)  # the default: lessons/exercises/<name>.py
    assert not result.passed and not bool(result)
    text = result.explanation
    assert text.startswith(f"FAILED {name}")
    assert "backward is not written yet" in text
    assert "NotImplementedError" in text and f"{name}.py, line" in text
    assert EXERCISES[name].formula not in text, "the answer is not given away"
    with pytest.raises(AssertionError, match="not written yet"):
        result.assert_passed()


@pytest.mark.parametrize("name, mistake, phrases", PLANTED, ids=[m for _, m, _ in PLANTED])
def test_exercises_planted_mistake_fails_with_a_helpful_message(name, mistake, phrases):
    result = check(name, MISTAKES / f"{mistake}.py")
    assert not result.passed, f"the checker accepted the planted mistake {mistake}"
    for phrase in phrases:
        assert phrase in result.explanation, (
            f"{mistake}: expected {phrase!r} in the explanation:\n{result.explanation}"
        )


def test_exercises_every_exercise_has_a_planted_mistake():
    assert {name for name, _, _ in PLANTED} == set(exercise_names())


def test_exercises_at_least_four_planted_mistakes_each_and_all_files_used():
    counts = {name: sum(1 for n, _, _ in PLANTED if n == name) for name in exercise_names()}
    assert min(counts.values()) >= 4, counts
    files = {path.stem for path in MISTAKES.glob("*.py")}
    assert files == {mistake for _, mistake, _ in PLANTED}, "a mistake file without a test"


def test_exercises_derivations_exist_for_every_hint():
    """Every exercise's hints point to a section of lessons/DERIVATIONS.md that exists."""
    text = (ROOT / "lessons" / "DERIVATIONS.md").read_text(encoding="utf-8")
    headings = {line[3:].strip() for line in text.splitlines() if line.startswith("## ")}
    for name, exercise in EXERCISES.items():
        assert exercise.derivation in headings, f"{name}: no section {exercise.derivation!r}"


def test_exercises_generated_cases_cover_many_shapes_layouts_and_devices(monkeypatch):
    """The cases a solution sees: 1-D to 4-D, column-major memory, the strict device."""
    seen = []
    original = checker.check_case

    def recording(exercise, cls, arrays, seed, filename, label, device="cpu", order="C"):
        seen.append((arrays[0].ndim, device, order))
        return original(exercise, cls, arrays, seed, filename, label, device, order)

    monkeypatch.setattr(checker, "check_case", recording)
    for name in ("softmax", "attention"):
        seen.clear()
        assert check(name, SOLUTIONS / f"{name}.py", max_examples=40).passed
        ndims = {ndim for ndim, _, _ in seen}
        expected = {1, 2, 3, 4} if name == "softmax" else {2, 3, 4}
        assert expected <= ndims, (name, ndims)
        assert {"cpu", "strict"} <= {device for _, device, _ in seen}
        assert {"C", "F"} <= {order for _, _, order in seen}


def test_exercises_wrong_gradient_explanation_shows_elements():
    text = check("sigmoid", MISTAKES / "sigmoid_uses_input.py").explanation
    assert "element" in text and "expected dL/dx" in text and "your dL/dx" in text
    assert "(3, 4)" in text  # the shape of the case
    assert "F6" in text


def test_exercises_reveal_adds_the_formula():
    hidden = check("tanh", MISTAKES / "tanh_forgot_square.py")
    shown = check("tanh", MISTAKES / "tanh_forgot_square.py", reveal=True)
    assert "The answer:" not in hidden.explanation
    assert "The answer:" in shown.explanation and "(1 - y²)" in shown.explanation


def test_exercises_accepts_a_module_object():
    import importlib.util

    spec = importlib.util.spec_from_file_location("student_softmax", SOLUTIONS / "softmax.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert check("softmax", module).passed


def test_exercises_missing_class_and_syntax_error_are_explained(tmp_path):
    renamed = tmp_path / "sigmoid.py"
    renamed.write_text(
        (SOLUTIONS / "sigmoid.py").read_text().replace("class Sigmoid", "class MySigmoid")
    )
    assert "no class named Sigmoid" in check("sigmoid", renamed).explanation

    broken = tmp_path / "broken.py"
    broken.write_text("import minigrad\nclass Sigmoid(minigrad.Function:\n    pass\n")
    text = check("sigmoid", broken).explanation
    assert "syntax error on line 2" in text

    assert "there is no file" in check("sigmoid", tmp_path / "nowhere.py").explanation


def test_exercises_unknown_name_lists_the_exercises():
    with pytest.raises(ValueError, match="sigmoid, tanh"):
        check("sigmod")
    assert check("log-softmax", SOLUTIONS / "log_softmax.py").passed  # hyphens are fine


def test_exercises_a_wrong_forward_is_reported(tmp_path):
    wrong = tmp_path / "tanh.py"
    wrong.write_text(
        (SOLUTIONS / "tanh.py").read_text().replace("ctx.xp.tanh(x)", "ctx.xp.tanh(2 * x)")
    )
    assert "forward gives the wrong values" in check("tanh", wrong).explanation


def test_exercises_without_hypothesis_falls_back_to_seeded_cases(monkeypatch):
    # A None entry in sys.modules makes `import hypothesis` raise ImportError.
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    assert check("matmul", SOLUTIONS / "matmul.py", max_examples=10).cases == 13
    assert not check("matmul", MISTAKES / "matmul_matrices_only.py", max_examples=30).passed


def test_exercises_custom_needs_example_inputs(tmp_path):
    no_inputs = tmp_path / "custom.py"
    no_inputs.write_text((SOLUTIONS / "custom.py").read_text().split("def example_inputs")[0])
    assert "example_inputs(rng)" in check("custom", no_inputs).explanation


def test_exercises_cli_exit_codes():
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "minigrad", "check", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    passed = run("sigmoid", str(SOLUTIONS / "sigmoid.py"))
    assert passed.returncode == 0 and "PASSED sigmoid" in passed.stdout
    failed = run("cross_entropy", str(MISTAKES / "cross_entropy_forgot_mean.py"))
    assert failed.returncode == 1 and "did you forget the mean?" in failed.stdout
    listing = run("--list")
    assert listing.returncode == 0 and all(n in listing.stdout for n in exercise_names())
    unknown = run("nonsense")
    assert unknown.returncode == 2 and "unknown exercise" in unknown.stderr


def test_exercises_pytest_entry_point_reports_the_explanation():
    untouched_stub("tanh")
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(STUBS / "test_exercises.py"),
            "-k",
            "tanh",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 1, process.stdout
    assert "backward is not written yet" in process.stdout


def test_exercises_solutions_run_on_the_strict_device():
    """Solutions use ctx.xp only, so they would run on a GPU (checked on the CuPy stand-in)."""
    import importlib.util

    for name in ("softmax", "layer_norm", "attention", "matmul", "conv1d", "batch_norm"):
        spec = importlib.util.spec_from_file_location(f"solution_{name}", SOLUTIONS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cls = getattr(module, EXERCISES[name].class_name)
        arrays = EXERCISES[name].make_case(EXERCISES[name].fixed_sizes, np.random.default_rng(0))
        tensors = [minigrad.tensor(a, requires_grad=True, device="strict") for a in arrays]
        cls.apply(*tensors).sum().backward()
        assert all(t.grad is not None for t in tensors)


def _load(path, name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (N, C, O, K, L - K): a 1×1 kernel, a kernel as long as x (L_out = 1), one sample and channel
CONV1D_EDGE_SIZES = [(2, 3, 2, 1, 3), (2, 3, 2, 4, 0), (1, 1, 1, 1, 0), (3, 1, 2, 3, 2)]


@pytest.mark.parametrize("sizes", CONV1D_EDGE_SIZES, ids=str)
def test_exercises_conv1d_edge_shapes(sizes):
    """The solution passes K = 1 and K = L; the mistakes that can show there are caught."""
    exercise = EXERCISES["conv1d"]
    arrays = exercise.make_case(sizes, np.random.default_rng(7))
    solution = _load(SOLUTIONS / "conv1d.py", "conv1d_solution").Conv1d
    for device in ("cpu", "strict"):
        checker.check_case(exercise, solution, arrays, 3, None, "an edge case", device=device)
    n, c, o, kernel, extra = sizes
    wrong = ["conv1d_weight_transposed"] if c * o > 1 else []  # a 1×1 (O, C) is its transpose
    if kernel > 1:
        wrong.append("conv1d_kernel_not_flipped")
    if kernel > 1 and extra > 0:  # windows overlap only when there are two of them or more
        wrong.append("conv1d_no_overlap_sum")
    if n > 1:
        wrong += ["conv1d_batch_not_summed", "conv1d_batch_mean"]
    for mistake in wrong:
        cls = _load(MISTAKES / f"{mistake}.py", mistake).Conv1d
        with pytest.raises(checker.CaseFailed):
            checker.check_case(exercise, cls, arrays, 3, None, "an edge case")


def test_exercises_conv1d_transposed_weight_with_as_many_channels_in_as_out():
    """With C = O a (C, O, K) gradient has weight's shape: the values give it away."""
    exercise = EXERCISES["conv1d"]
    arrays = exercise.make_case((2, 3, 3, 2, 2), np.random.default_rng(0))
    cls = _load(MISTAKES / "conv1d_weight_transposed.py", "transposed").Conv1d
    with pytest.raises(checker.CaseFailed, match="dL/dweight is transposed"):
        checker.check_case(exercise, cls, arrays, 1, None, "a square case")


def test_exercises_conv1d_reference_matches_the_formula():
    """The catalogue's reference (F.conv1d) computes the forward the stub's docstring states."""
    x, weight = EXERCISES["conv1d"].make_case((2, 3, 4, 3, 2), np.random.default_rng(1))
    got = EXERCISES["conv1d"].reference(minigrad.tensor(x), minigrad.tensor(weight)).numpy()
    n, c, length = x.shape
    o, _, kernel = weight.shape
    expected = np.zeros((n, o, length - kernel + 1))
    for i, j, l in np.ndindex(*expected.shape):
        expected[i, j, l] = np.sum(weight[j] * x[i, :, l : l + kernel])
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_exercises_batch_norm_reference_is_pytorchs_batch_norm():
    """The catalogue's BatchNorm (its values and gradients) is torch's F.batch_norm in training
    mode, on (N, C) and (N, C, L) inputs."""
    torch = pytest.importorskip("torch")
    exercise = EXERCISES["batch_norm"]
    for sizes in [(2, 5, 3, 1), (3, 4, 2, 3), (3, 2, 1, 4)]:
        x, gamma, beta = exercise.make_case(sizes, np.random.default_rng(3))
        upstream = np.random.default_rng(4).standard_normal(x.shape)
        ours = [minigrad.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
        out = exercise.reference(*ours)
        out.backward(minigrad.tensor(upstream))
        theirs = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
        expected = torch.nn.functional.batch_norm(
            theirs[0], None, None, theirs[1], theirs[2], training=True, eps=1e-5
        )
        expected.backward(torch.tensor(upstream))
        assert np.allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        for mine, reference in zip(ours, theirs):
            assert np.allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_exercises_embedding_reference_is_pytorchs_embedding():
    torch = pytest.importorskip("torch")
    exercise = EXERCISES["embedding"]
    indices, weight = exercise.make_case(exercise.fixed_sizes, np.random.default_rng(0))
    upstream = np.random.default_rng(1).standard_normal(indices.shape + (weight.shape[1],))
    ours = minigrad.tensor(weight, requires_grad=True)
    exercise.reference(minigrad.tensor(indices), ours).backward(minigrad.tensor(upstream))
    theirs = torch.tensor(weight, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(indices), theirs).backward(torch.tensor(upstream))
    assert np.allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_exercises_embedding_first_case_repeats_an_index():
    """`dW[idx] += g` is right when no index repeats: the fixed case must repeat one (8
    positions into 5 rows always do), or that mistake could pass the first case."""
    exercise = EXERCISES["embedding"]
    indices, weight = exercise.make_case(exercise.fixed_sizes, np.random.default_rng(0))
    assert indices.size > weight.shape[0]
    assert np.bincount(indices.ravel()).max() > 1


def test_exercises_batch_norm_gradient_sums_vanish():
    """Closed-form facts of BatchNorm's dL/dx (lessons/DERIVATIONS.md): per channel, the sum of
    dL/dx is 0 and the sum of x̂ dL/dx is 0 up to epsilon; the solution satisfies both."""
    exercise = EXERCISES["batch_norm"]
    solution = _load(SOLUTIONS / "batch_norm.py", "batch_norm_solution").BatchNorm
    x, gamma, beta = exercise.make_case((3, 4, 3, 2), np.random.default_rng(5))
    tensors = [minigrad.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    out = solution.apply(*tensors)
    out.backward(minigrad.tensor(np.random.default_rng(6).standard_normal(out.shape)))
    grad_x = tensors[0].grad.numpy()
    mean = x.mean(axis=(0, 2), keepdims=True)
    x_hat = (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=(0, 2), keepdims=True) + 1e-5)
    assert np.abs(grad_x.sum(axis=(0, 2))).max() < 1e-12
    assert np.abs((x_hat * grad_x).sum(axis=(0, 2))).max() < 1e-3 * np.abs(grad_x).max()
