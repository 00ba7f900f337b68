"""Every differentiable op's backward is checked against finite differences, on every device.

The ops and how to draw their inputs are listed once, in ``helpers_engine.SPECS``; the single
parametrised property test below runs the MyGrad-style factory ``check_gradient`` on each entry.
Inputs are float64 and kept away from kinks, poles and ties by construction (see the builders in
helpers_engine), so a failure here is a wrong gradient, never bad luck.
"""

import importlib
import pkgutil

import numpy as np
import pytest
from helpers_engine import SPECS, check_gradient, grad_numpy, registry_name
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.autograd import Function


def test_every_registered_op_has_a_gradient_test():
    """Adding an op to minigrad.ops.REGISTRY without a gradient spec fails the suite."""
    covered = {registry_name(key) for key in SPECS}
    missing = sorted(set(mg.ops.REGISTRY) - covered)
    assert not missing, f"ops without an entry in helpers_engine.SPECS: {missing}"


def test_every_gradient_spec_names_a_registered_op():
    """Spec keys are '<registry name>' or '<registry name>:<variant>': a typo fails here."""
    unknown = sorted({registry_name(key) for key in SPECS} - set(mg.ops.REGISTRY))
    assert not unknown, f"SPECS entries for ops that are not in the registry: {unknown}"


def _function_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _function_subclasses(sub)


def _functions_defined_in_minigrad():
    """Every Function subclass defined in a module of the minigrad package (all imported)."""
    for module in pkgutil.walk_packages(mg.__path__, prefix="minigrad."):
        if not module.name.endswith("__main__"):  # (that one runs the command line)
            importlib.import_module(module.name)
    return {f for f in _function_subclasses(Function) if f.__module__.startswith("minigrad.")}


def test_every_function_in_the_package_is_registered_and_tested():
    """One home for every op: a Function written anywhere in minigrad (e.g. a fused op hidden
    in nn/) must be in minigrad.ops.REGISTRY and have a gradient spec in helpers_engine.SPECS.

    Exempt: minigrad/exercises/, which holds the exercise checker and the stubs that students
    complete (student code, graded against a solution; not a built-in op of the engine).
    """
    registered = set(mg.ops.REGISTRY.values())
    covered = {registry_name(key) for key in SPECS}
    problems = []
    for f in sorted(_functions_defined_in_minigrad(), key=lambda f: f.__qualname__):
        if f.__module__.startswith("minigrad.exercises"):
            continue
        where = f"{f.__module__}.{f.__qualname__}"
        if f not in registered:
            problems.append(f"{where} is not in minigrad.ops.REGISTRY")
        elif f.name not in covered:
            problems.append(f"{where} ({f.name!r}) has no entry in helpers_engine.SPECS")
    assert not problems, "\n".join(problems)


def test_registry_maps_names_to_functions():
    """REGISTRY holds Function subclasses, under the name each class declares."""
    assert len(mg.ops.REGISTRY) > 0
    for name, function in mg.ops.REGISTRY.items():
        assert isinstance(function, type) and issubclass(function, mg.Function), name
        assert getattr(function, "name", name) == name


@pytest.mark.parametrize("op", sorted(SPECS))
@given(data=st.data())
def test_op_gradient(op, device, data):
    """The analytic gradient of ``op`` matches the numerical one (gradcheck plus a NumPy
    dot-product test), inputs are left untouched and every input gets its own gradient."""
    check_gradient(SPECS[op], device, data)


# A few cases the random draws reach only by chance are pinned down here with closed forms.


def test_repeated_integer_index_accumulates(device):
    """x[[0, 0, 2, 0]] sends three upstream gradients to x[0]: they add up."""
    x = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, requires_grad=True, device=device)
    y = x[[0, 0, 2, 0]]
    y.backward(mg.tensor([1.0, 10.0, 100.0, 1000.0], dtype=mg.float64, device=device))
    np.testing.assert_array_equal(grad_numpy(x), [1011.0, 0.0, 100.0])


def test_max_gradient_goes_to_the_argmax(device):
    """d max(x) / dx is 1 at the (unique) largest element and 0 elsewhere."""
    x = mg.tensor(
        [[0.5, 3.0, -1.0], [2.0, 0.0, 1.0]], dtype=mg.float64, requires_grad=True, device=device
    )
    x.max(axis=1).values.sum().backward()
    np.testing.assert_array_equal(grad_numpy(x), [[0, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize("correction", [0, 1])
def test_var_gradient_closed_form(device, correction):
    """d var(x) / dx_i = 2 (x_i - mean) / (N - correction)."""
    values = np.array([1.0, 2.0, 4.0, 7.0])
    x = mg.tensor(values, requires_grad=True, device=device)
    x.var(correction=correction).backward()
    expected = 2 * (values - values.mean()) / (values.size - correction)
    np.testing.assert_allclose(grad_numpy(x), expected, rtol=1e-12)


def test_matmul_vector_vector_gradient(device):
    """For the dot product a @ b of two 1-D tensors, da = b and db = a."""
    a = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, requires_grad=True, device=device)
    b = mg.tensor([4.0, 5.0, 6.0], dtype=mg.float64, requires_grad=True, device=device)
    (a @ b).backward()
    np.testing.assert_array_equal(grad_numpy(a), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(grad_numpy(b), [1.0, 2.0, 3.0])
