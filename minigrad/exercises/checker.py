"""Grade a student's backward: run it, compare it with the right gradient, explain any difference.

For one exercise the checker

1. loads the student's file and finds the Function class the stub defines;
2. runs one fixed case: forward, then backward with a random upstream gradient dL/dy (random,
   not all ones, so that forgetting to multiply by it shows), and compares every element of
   every input's gradient with the expected one;
3. runs minigrad.gradcheck on that case (it also catches a backward that changes its inputs or
   ignores a zero upstream gradient);
4. runs the fixed case again on the "strict" device, the test suite's stand-in for a GPU: a
   backward that hands the arrays to NumPy instead of `ctx.xp` works on the CPU only;
5. runs randomly generated cases (hypothesis, when installed: it also shrinks a failing case to
   the smallest one it can find, which is the easiest to debug by hand): 1-D to 4-D inputs where
   the op allows them (a reduction over axis=1 instead of the last axis agrees on 2-D inputs
   only), every other case with its arrays in column-major (non-contiguous) memory order, every
   third on the "strict" device.

Every case also checks that backward changed nothing it was given: not the upstream gradient,
not the inputs, and not the arrays forward saved for it (`y *= 1 - y` on a saved output).

A failure is explained in student terms: which input, which elements, expected against got,
and a hint when the wrong gradient matches a typical mistake ("off by a factor of N: did you
forget the mean?").
"""

import ast
import importlib.util
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minigrad.autograd import Function, unbroadcast
from minigrad.creation import tensor
from minigrad.exercises.catalogue import EXERCISES
from minigrad.grad_mode import no_grad
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.tensor import Tensor

# The repository this file sits in (minigrad/exercises/checker.py): its lessons/exercises holds
# the stubs when the current directory has none.
_REPOSITORY = Path(__file__).resolve().parents[2]

RTOL = 1e-5
ATOL = 1e-7
FD_EPS = 1e-6  # finite-difference step for the custom exercise (float64)


@dataclass
class CheckResult:
    """The verdict on one exercise. `bool(result)` is `result.passed`; `str(result)` explains."""

    exercise: str
    passed: bool
    explanation: str
    cases: int = 0  # how many cases ran (the fixed one, gradcheck's, and the random ones)

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.explanation

    def assert_passed(self):
        """For pytest: fail with the explanation as the message."""
        if not self.passed:
            raise AssertionError(self.explanation)


class CaseFailed(Exception):
    """One case went wrong; the message is the explanation for the student."""


# ============================================================================================
# Finding and loading the student's file
# ============================================================================================


def exercise_names():
    return list(EXERCISES)


def _resolve(name):
    key = name.strip().lower().replace("-", "_")
    if key.endswith(".py"):
        key = key[:-3]
    if key not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    return EXERCISES[key]


def stub_path(name):
    """Where the stub of exercise `name` lives: ./lessons/exercises, else the repository's."""
    exercise = _resolve(name)
    candidates = [
        Path.cwd() / "lessons" / "exercises" / exercise.stub,
        _REPOSITORY / "lessons" / "exercises" / exercise.stub,
    ]
    for path in candidates:
        if path.is_file():
            return path
    return candidates[-1]


def _load_module(path, exercise):
    path = Path(path)
    if not path.is_file():
        raise CaseFailed(f"there is no file {path}; pass the path of your {exercise.stub}.")
    module_name = f"minigrad_exercise_{exercise.name}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise CaseFailed(
            f"{path} does not run: Python found a syntax error on line {error.lineno}:\n"
            f"    {(error.text or '').rstrip()}\n    {error.msg}"
        ) from None
    except Exception as error:
        raise CaseFailed(
            f"{path} raised {type(error).__name__} while being imported: {error}"
        ) from None
    sys.modules[module_name] = module
    return module


def _find_class(module, exercise, where):
    cls = getattr(module, exercise.class_name, None)
    if cls is None:
        raise CaseFailed(
            f"{where} has no class named {exercise.class_name}. Keep the class name of the stub "
            f"(class {exercise.class_name}(minigrad.Function))."
        )
    if not (isinstance(cls, type) and issubclass(cls, Function)):
        raise CaseFailed(f"{exercise.class_name} in {where} must subclass minigrad.Function.")
    return cls


# ============================================================================================
# Running one case
# ============================================================================================


def _student_frame(error, filename):
    """The deepest frame of the traceback that lies in the student's file, or None."""
    if not filename:
        return None
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if Path(f.filename).resolve() == Path(filename).resolve()
    ]
    return frames[-1] if frames else None


def _location_in(error, filename):
    """'line N: <code>' of the deepest frame of the traceback that lies in the student's file."""
    frame = _student_frame(error, filename)
    if frame is None:
        return ""
    return f"\n    in {Path(filename).name}, line {frame.lineno}: {frame.line}"


def _which_method(error, filename):
    """'backward' or 'forward': the method of the student's class the error was raised in."""
    if filename:
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            same = Path(frame.filename).resolve() == Path(filename).resolve()
            if same and frame.name in ("forward", "backward"):
                return frame.name
    if ".backward returned" in str(error):
        return "backward"
    return "forward or backward"


_USES_NUMPY = (
    "your Function uses NumPy (np.zeros, np.matmul, ...) on its arrays. The checker also runs it "
    "on the 'strict' device, a stand-in for a GPU, whose arrays NumPy cannot take (CuPy's "
    "cannot either). Use the backend's array module instead: xp = ctx.xp, then xp.zeros, "
    "xp.matmul, xp.swapaxes, ..."
)


def _broadcasts_to(shape, target):
    """True if an array of `shape` broadcasts to `target` (its gradient may come back so)."""
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False


def _specific_error_hint(error, filename, arrays):
    """A hint naming the mistake behind an error, when its message or line gives it away."""
    frame = _student_frame(error, filename)
    message, line = str(error), (frame.line or "") if frame else ""
    returned = re.search(r"returned a gradient of shape (\(.*?\)) for input (\d+)", message)
    if returned and arrays is not None:
        shape, i = ast.literal_eval(returned.group(1)), int(returned.group(2))
        others = [j for j, a in enumerate(arrays) if j != i and _broadcasts_to(a.shape, shape)]
        if others:
            return (
                f"the gradient you returned for input {i} has the shape of input {others[0]}: "
                "return the gradients in the order forward takes its inputs."
            )
    if re.search(r"\.T\b", line):
        return (
            "`.T` reverses ALL the axes of an array, batch axes included; for a stack of "
            "matrices use xp.swapaxes(x, -1, -2), which swaps only the last two."
        )
    if re.search(r"transpose\(\s*\d", line) and arrays is not None:
        ndim = max(a.ndim for a in arrays)
        return (
            f"transpose with fixed axes, like transpose(0, 2, 1), works for 3-D arrays only; this "
            f"case has {ndim}-D inputs. xp.swapaxes(x, -1, -2) swaps the last two axes whatever "
            "the number of axes."
        )
    return ""


def _explain_error(error, exercise, filename, during=None, arrays=None):
    during = during or _which_method(error, filename)
    where = f"see the docstring of {Path(filename).name} and " if filename else "see "
    if isinstance(error, NotImplementedError):
        return (
            f"{during} is not written yet: it raised NotImplementedError "
            f"({error}).{_location_in(error, filename)}\n"
            "Replace the `raise NotImplementedError(...)` line with your code: "
            f"{where}{_derivation(exercise)}."
        )
    text = f"{during} raised {type(error).__name__}: {error}{_location_in(error, filename)}"
    if "'strict' device" in str(error):
        return text + f"\nHint: {_USES_NUMPY}"
    specific = _specific_error_hint(error, filename, arrays)
    if specific:
        text += f"\nHint: {specific}"
    if exercise.error_hint:
        text += f"\nHint: {exercise.error_hint}"
    return text


def _describe_case(names, arrays):
    parts = []
    for name, a in zip(names, arrays):
        kind = "labels " if a.dtype.kind in "iu" else ""
        parts.append(f"{name}: {kind}shape {a.shape}")
    return ", ".join(parts)


def _derivation(exercise):
    """Where the maths of an exercise is derived step by step (the hints point there)."""
    if exercise.derivation is None:
        return "the chain rule in lessons/DERIVATIONS.md"
    return (
        f"lessons/DERIVATIONS.md, section '{exercise.derivation}' (formula {exercise.formula_ids} "
        "in lessons/FORMULAS.md)"
    )


def _laid_out(array, order):
    """A fresh copy of `array` in memory order "C" (row-major) or "F" (column-major).

    An F-ordered array of 2 or more dimensions is not C-contiguous: a backward that relies on
    the memory layout (reshaping in place, `.view`, raw strides) fails on it.
    """
    return np.array(array, order=order, copy=True)


def _saved_arrays(out):
    """The arrays forward saved for backward (ctx.save_for_backward), or () if none."""
    ctx = getattr(out, "_ctx", None)
    return tuple(a for a in getattr(ctx, "_saved", ()) if hasattr(a, "shape"))


def _run(cls, arrays, upstream_seed, device="cpu", order="C"):
    """Forward and backward of cls on fresh tensors; (output array, [grad or None per input])."""
    tensors = [
        tensor(_laid_out(a, order), requires_grad=a.dtype.kind == "f", device=device)
        for a in arrays
    ]
    out = cls.apply(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"apply returned {type(out).__name__}, not a Tensor")
    saved = _saved_arrays(out)
    saved_before = [Tensor._make(a, out._device).numpy().copy() for a in saved]
    upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape)
    seed = tensor(_laid_out(upstream, order), dtype=out.dtype, device=device)
    out.backward(seed)
    for k, (array, before) in enumerate(zip(saved, saved_before)):
        if not np.array_equal(Tensor._make(array, out._device).numpy(), before, equal_nan=True):
            raise CaseFailed(
                f"your backward changed array {k} of ctx.saved_tensors in place (with `*=`, "
                "`+=`, `**=`, `[...] =` or a NumPy `out=` argument). Those are forward's "
                "results (often the output itself, which later ops also read): compute new "
                "arrays instead, e.g. `y * (1 - y)`, not `y *= 1 - y`."
            )
    if not np.array_equal(seed.numpy(), upstream):
        raise CaseFailed(
            "your backward changed the upstream gradient `grad` in place (with `grad *= ...`, "
            "`grad /= ...` or `grad[...] = ...`). Other ops may still need it: compute a new "
            "array instead, e.g. `return grad * local_derivative`."
        )
    for name_index, (t, a) in enumerate(zip(tensors, arrays)):
        if not np.array_equal(t.numpy(), a):
            raise CaseFailed(
                f"input {name_index} was changed in place during forward or backward; an op "
                "must never modify its inputs (they may be used elsewhere in the graph)."
            )
    grads = [None if t.grad is None else t.grad.numpy().astype(np.float64) for t in tensors]
    return out.numpy(), upstream, grads


def _reference_gradients(exercise, arrays, upstream):
    tensors = [tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    out = exercise.reference(*tensors)
    out.backward(tensor(upstream, dtype=out.dtype))
    grads = [None if t.grad is None else t.grad.numpy().astype(np.float64) for t in tensors]
    return out.numpy(), grads


def _numeric_gradients(cls, arrays, upstream):
    """d<upstream, f(x)>/dx for every element of every float input, by central differences."""

    def projected(values):
        with no_grad():
            out = cls.apply(*[tensor(v) for v in values])
        return float(np.sum(upstream * out.numpy().astype(np.float64)))

    grads = []
    for i, a in enumerate(arrays):
        if a.dtype.kind != "f":
            grads.append(None)
            continue
        grad = np.zeros_like(a, dtype=np.float64)
        for k in np.ndindex(a.shape):
            plus = [v.copy() for v in arrays]
            minus = [v.copy() for v in arrays]
            plus[i][k] += FD_EPS
            minus[i][k] -= FD_EPS
            grad[k] = (projected(plus) - projected(minus)) / (2 * FD_EPS)
        grads.append(grad)
    return grads


def _expected(exercise, cls, arrays, upstream):
    if exercise.reference is None:
        return _numeric_gradients(cls, arrays, upstream)
    return _reference_gradients(exercise, arrays, upstream)[1]


def _close(a, b, rtol=RTOL, atol=ATOL):
    return (
        a is not None
        and b is not None
        and a.shape == b.shape
        and np.allclose(a, b, rtol=rtol, atol=atol)
    )


def _fit(gradient, shape):
    """A mistake's gradient summed back to the input's shape, as the engine does (or None)."""
    if gradient is None:
        return None
    try:
        return unbroadcast(np.asarray(gradient, dtype=np.float64), shape)
    except ValueError:
        return None


def _diagnose(exercise, cls, arrays, upstream, got, expected, i, names):
    """A hint for input i's wrong gradient, or '' when the mistake is not a known one."""
    mine, right = got[i], expected[i]
    if np.all(mine == 0) and np.any(right != 0):
        return (
            "your backward gives zero for this input. Return the gradient itself, not "
            "zeros, and in the order forward takes its inputs."
        )

    with_ones = _expected(exercise, cls, arrays, np.ones_like(upstream))[i]
    if _close(mine, with_ones, rtol=1e-4, atol=1e-6):
        return (
            "this would be right if the upstream gradient dL/dy were all ones. It is not: "
            "by the chain rule, dL/dx = dL/dy · dy/dx, so multiply by `grad`."
        )

    for j, other in enumerate(expected):
        if j != i and _close(mine, other, rtol=1e-4, atol=1e-6):
            return (
                f"this is the gradient of {names[j]}: return the gradients in the order "
                f"forward takes its inputs ({', '.join(names)})."
            )

    for mistake in exercise.mistakes:
        wrong = mistake.gradients(arrays, upstream)
        if _close(mine, _fit(wrong[i], arrays[i].shape), rtol=1e-4, atol=1e-6):
            return mistake.hint(arrays) if callable(mistake.hint) else mistake.hint

    factor_hint = _factor_hint(exercise, arrays, mine, right)
    if factor_hint:
        return factor_hint

    if mine.ndim >= 2 and mine.shape[-1] == mine.shape[-2]:
        if _close(mine, np.swapaxes(right, -1, -2), rtol=1e-4, atol=1e-6):
            return "your gradient is the transpose of the right one."
    return ""


def _factor_hint(exercise, arrays, mine, right):
    """A hint when `mine` is the right gradient times one constant everywhere, else ''."""
    useful = np.abs(right) > 1e-8
    if not np.any(useful):
        return ""
    ratio = mine[useful] / right[useful]
    if not np.allclose(ratio, ratio[0], rtol=1e-4):
        return ""
    factor = float(ratio[0])
    for value, hint in exercise.factors(arrays) if exercise.factors else []:
        if np.isclose(factor, value, rtol=1e-4):
            return hint
    if np.isclose(factor, -1.0, rtol=1e-4):
        return "the sign is flipped: check the sign of your derivative."
    return (
        f"your gradient is {factor:.4g} times the right one everywhere: a constant "
        "factor is missing or extra."
    )


def _element_table(name, x, mine, right, max_rows=5):
    error = np.abs(mine - right)
    bad = error > ATOL + RTOL * np.abs(right)
    order = np.argsort(-error, axis=None)[:max_rows]
    rows = [
        f"    {'element':<12}{name + ' =':>12}{'expected dL/d' + name:>20}{'your dL/d' + name:>18}"
    ]
    for flat in order:
        k = np.unravel_index(flat, mine.shape)
        if not bad[k]:
            break
        rows.append(
            f"    {str(tuple(int(j) for j in k)):<12}{x[k]:>12.4g}{right[k]:>20.6g}{mine[k]:>18.6g}"
        )
    return int(bad.sum()), "\n".join(rows)


def _expected_for_case(exercise, cls, arrays, upstream, out, case):
    """The right gradients for this case, after checking the student's forward output."""
    if exercise.reference is None:
        if not np.all(np.isfinite(out)):
            raise CaseFailed(
                f"On {case}: your forward returned inf or nan; keep example_inputs "
                "in the function's domain."
            )
        return _numeric_gradients(cls, arrays, upstream)
    right_out, expected = _reference_gradients(exercise, arrays, upstream)
    if out.shape != right_out.shape or not np.allclose(out, right_out, rtol=1e-6, atol=1e-9):
        raise CaseFailed(
            f"On {case}: your forward gives the wrong values (shape {out.shape}, expected "
            f"{right_out.shape}). The stub's forward was right: compare yours with it."
        )
    return expected


def check_case(exercise, cls, arrays, upstream_seed, filename, label, device="cpu", order="C"):
    """Run one case on `device`; raise CaseFailed with an explanation if anything is wrong."""
    names = exercise.inputs or tuple(f"input{i}" for i in range(len(arrays)))
    case = f"{label} ({_describe_case(names, arrays)})"
    if order == "F" and any(a.ndim >= 2 for a in arrays):
        case += ", arrays in column-major (non-contiguous) order"
    try:
        out, upstream, got = _run(cls, arrays, upstream_seed, device, order)
    except CaseFailed as failure:
        raise CaseFailed(f"On {case}:\n{failure}") from None
    except Exception as error:
        explanation = _explain_error(error, exercise, filename, arrays=arrays)
        raise CaseFailed(f"On {case}:\n{explanation}") from None
    expected = _expected_for_case(exercise, cls, arrays, upstream, out, case)

    for i, (name, x) in enumerate(zip(names, arrays)):
        if expected[i] is None:
            continue
        mine, right = got[i], expected[i]
        if mine is None:
            raise CaseFailed(
                f"On {case}: no gradient reached {name}. backward must return one gradient per "
                f"input of forward, in order ({', '.join(names)}), and None only for inputs "
                "that need none."
            )
        if _close(mine, right):
            continue
        count, table = _element_table(name, x, mine, right)
        hint = _diagnose(exercise, cls, arrays, upstream, got, expected, i, names)
        text = (
            f"On {case}, with a random upstream gradient dL/dy:\n"
            f"the gradient for {name} is wrong at {count} of {mine.size} elements. "
            f"The worst:\n{table}\n"
        )
        if hint:
            text += f"Hint: {hint}\n"
        if exercise.reference is None:
            text += "The maths: the chain rule, dL/dx = dL/dy · dy/dx, with your function's dy/dx."
        else:
            text += f"The derivation: {_derivation(exercise)}, and your file's docstring."
        raise CaseFailed(text)


# ============================================================================================
# The whole check
# ============================================================================================


def _case_arrays(exercise, module, sizes, seed):
    rng = np.random.default_rng(seed)
    if exercise.make_case is not None:
        return exercise.make_case(sizes, rng)
    example_inputs = getattr(module, "example_inputs", None)
    if example_inputs is None:
        raise CaseFailed(
            "your file must define example_inputs(rng), returning a tuple of "
            "float64 NumPy arrays, the inputs of your Function."
        )
    arrays = example_inputs(rng)
    if not isinstance(arrays, tuple):
        arrays = (arrays,)
    arrays = tuple(a.numpy() if isinstance(a, Tensor) else np.asarray(a) for a in arrays)
    for a in arrays:
        if a.dtype.kind == "f" and a.dtype != np.float64:
            raise CaseFailed(
                "example_inputs must return float64 arrays (finite differences "
                f"need the precision), got {a.dtype}."
            )
    return arrays


def _gradcheck(exercise, cls, arrays, filename):
    tensors = [tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    try:
        gradcheck(lambda *t: cls.apply(*t), tensors)
    except GradcheckError as error:
        raise CaseFailed(f"minigrad.gradcheck found a problem:\n{error}") from None
    except Exception as error:
        raise CaseFailed(_explain_error(error, exercise, filename, "gradcheck's run")) from None


def _random_cases(exercise, run_case, max_examples):
    """Run run_case(sizes, seed) on generated cases; return how many ran."""
    try:
        from hypothesis import HealthCheck, Verbosity, given, settings
        from hypothesis import strategies as st
    except ImportError:  # hypothesis is a test dependency; fall back to seeded random cases
        rng = np.random.default_rng(1234)
        for _ in range(max_examples):
            sizes = tuple(int(rng.integers(low, high + 1)) for low, high in exercise.sizes)
            run_case(sizes, int(rng.integers(2**31 - 1)))
        return max_examples

    ran = []

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        sizes=st.tuples(*[st.integers(low, high) for low, high in exercise.sizes]),
        seed=st.integers(0, 2**31 - 1),
    )
    def generated(sizes, seed):
        ran.append(sizes)
        run_case(sizes, seed)

    generated()
    return len(ran)


def check(exercise_name, module_or_path=None, max_examples=25, reveal=False):
    """Grade one exercise; return a CheckResult whose explanation a student can act on.

    module_or_path: the student's file (a path) or an imported module; by default the stub in
    lessons/exercises/. reveal=True adds the formula backward must compute to a failure's
    explanation (for a teacher, or a student who has given up).
    """
    exercise = _resolve(exercise_name)
    if module_or_path is None:
        module_or_path = stub_path(exercise.name)
    cases = 0
    try:
        if isinstance(module_or_path, (str, Path)):
            where = str(module_or_path)
            module = _load_module(module_or_path, exercise)
        else:
            module = module_or_path
            where = getattr(module, "__file__", None) or getattr(module, "__name__", "module")
        filename = getattr(module, "__file__", None)
        cls = _find_class(module, exercise, where)

        arrays = _case_arrays(exercise, module, exercise.fixed_sizes, 0)
        check_case(exercise, cls, arrays, 1, filename, "the first case")
        cases += 1
        _gradcheck(exercise, cls, arrays, filename)
        cases += 1
        on_strict = "the first case on the 'strict' device"
        check_case(exercise, cls, arrays, 1, filename, on_strict, device="strict")
        cases += 1

        def run_case(sizes, seed):
            case_arrays = _case_arrays(exercise, module, sizes, seed)
            # Every other case in column-major memory, every third on the GPU stand-in.
            order = "F" if seed % 2 else "C"
            device = "strict" if seed % 3 == 0 else "cpu"
            label = "a generated case" + (" on the 'strict' device" if device == "strict" else "")
            check_case(exercise, cls, case_arrays, seed + 1, filename, label, device, order)

        cases += _random_cases(exercise, run_case, max_examples)
    except CaseFailed as failure:
        explanation = f"FAILED {exercise.name}: {exercise.title}\n{failure}"
        if reveal:
            explanation += f"\nThe answer: {exercise.formula}"
        return CheckResult(
            exercise=exercise.name, passed=False, explanation=explanation, cases=cases
        )
    return CheckResult(
        exercise=exercise.name,
        passed=True,
        explanation=(
            f"PASSED {exercise.name}: {exercise.title}\n"
            f"{cases} cases agree: the fixed case (on the cpu and on the 'strict' device), "
            f"minigrad.gradcheck, and {cases - 3} generated cases of different shapes and values."
        ),
        cases=cases,
    )
