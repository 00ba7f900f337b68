"""no_grad, enable_grad, set_grad_enabled, inference_mode: as context managers, as decorators
(with and without parentheses, on generator functions) and per thread, each checked against
what torch 2.13 does in the same situation."""

import threading

import pytest
import torch

import minigrad as mg


def both(scenario):
    """Run `scenario(lib)` with torch and with minigrad (the modes have the same names in
    both); they must give the same answer."""
    expected = scenario(torch)
    assert scenario(mg) == expected
    return expected


# ----------------------------------------------------------------------------------------------
# Context managers
# ----------------------------------------------------------------------------------------------


def test_no_grad_records_nothing_and_restores_the_mode():
    def scenario(lib):
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            inside = (lib.is_grad_enabled(), (x * 2).requires_grad)
        return inside, lib.is_grad_enabled(), (x * 2).requires_grad

    assert both(scenario) == ((False, False), True, True)


def test_enable_grad_inside_no_grad():
    def scenario(lib):
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            with lib.enable_grad():
                inside = (lib.is_grad_enabled(), (x * 2).requires_grad)
            after = lib.is_grad_enabled()
        return inside, after

    assert both(scenario) == ((True, True), False)


def test_set_grad_enabled_as_a_call_and_as_a_context_manager():
    def scenario(lib):
        lib.set_grad_enabled(False)
        plain = lib.is_grad_enabled()
        lib.set_grad_enabled(True)
        with lib.set_grad_enabled(False):
            inside = lib.is_grad_enabled()
        with lib.no_grad():
            with lib.set_grad_enabled(True):
                nested = lib.is_grad_enabled()
            back = lib.is_grad_enabled()
        return plain, inside, lib.is_grad_enabled(), nested, back

    assert both(scenario) == (False, False, True, True, False)


def test_set_grad_enabled_wants_a_bool():
    with pytest.raises(TypeError):
        torch.set_grad_enabled("yes")
    with pytest.raises(TypeError, match="mode must be True or False"):
        mg.set_grad_enabled("yes")


def test_inference_mode_and_its_false_form():
    def scenario(lib):
        with lib.inference_mode():
            inside = (lib.is_grad_enabled(), lib.is_inference_mode_enabled())
            with lib.inference_mode(False):
                off = (lib.is_grad_enabled(), lib.is_inference_mode_enabled())
        with lib.no_grad():
            with lib.inference_mode(False):
                in_no_grad = lib.is_grad_enabled()
        return inside, off, in_no_grad, lib.is_grad_enabled(), lib.is_inference_mode_enabled()

    assert both(scenario) == ((False, True), (True, False), True, True, False)


def test_inference_mode_builds_no_graph():
    x = mg.ones(2, requires_grad=True)
    with mg.inference_mode():
        assert not (x * 2).requires_grad


def test_the_mode_is_restored_after_an_exception():
    def scenario(lib):
        try:
            with lib.no_grad():
                raise KeyError("boom")
        except KeyError:
            pass
        return lib.is_grad_enabled()

    assert both(scenario) is True


def test_enter_returns_none_as_torch():
    def scenario(lib):
        with lib.no_grad() as value:
            return value

    assert both(scenario) is None


# ----------------------------------------------------------------------------------------------
# Decorators
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "decorate, mode_inside",
    [
        (lambda lib: lib.no_grad, False),
        (lambda lib: lib.no_grad(), False),
        (lambda lib: lib.enable_grad, True),
        (lambda lib: lib.enable_grad(), True),
        (lambda lib: lib.set_grad_enabled(False), False),
        (lambda lib: lib.inference_mode, False),
        (lambda lib: lib.inference_mode(), False),
        (lambda lib: lib.inference_mode(False), True),
    ],
)
def test_decorators_with_and_without_parentheses(decorate, mode_inside):
    def scenario(lib):
        @decorate(lib)
        def probe(a, b=1):
            """A docstring."""
            return lib.is_grad_enabled(), a + b

        before = lib.is_grad_enabled()  # decorating changes nothing (set_grad_enabled undoes)
        with lib.no_grad():
            in_no_grad = probe(1)
        return before, probe(2, b=3), in_no_grad, lib.is_grad_enabled(), probe.__name__

    expected = both(scenario)
    assert expected[1] == (mode_inside, 5) and expected[0] is True and expected[4] == "probe"


def test_decorated_methods_and_recursion():
    class Model:
        @mg.no_grad()
        def evaluate(self, depth):
            return [mg.is_grad_enabled()] + (self.evaluate(depth - 1) if depth else [])

    assert Model().evaluate(3) == [False] * 4
    assert mg.is_grad_enabled()


def test_decorated_generator_gets_the_mode_only_while_it_runs():
    def scenario(lib):
        @lib.no_grad()
        def numbers():
            got = yield lib.is_grad_enabled()
            yield (got, lib.is_grad_enabled())
            return "done"

        iterator = numbers()
        first = next(iterator)
        between = lib.is_grad_enabled()
        second = iterator.send("hello")
        try:
            next(iterator)
        except StopIteration as stop:
            result = stop.value
        return first, between, second, result, lib.is_grad_enabled()

    assert both(scenario) == (False, True, ("hello", False), "done", True)


def test_decorated_generator_runs_throw_and_close_in_the_mode():
    seen = []

    @mg.no_grad
    def numbers():
        try:
            yield 1
        except ValueError:
            seen.append(("throw", mg.is_grad_enabled()))
            yield 2
        finally:
            seen.append(("close", mg.is_grad_enabled()))

    iterator = numbers()
    next(iterator)
    assert iterator.throw(ValueError()) == 2
    iterator.close()
    assert seen == [("throw", False), ("close", False)]
    assert mg.is_grad_enabled()


def test_decorating_a_class_is_refused():
    with pytest.raises(TypeError, match="decorate its methods"):

        @mg.no_grad()
        class Model:
            pass


# ----------------------------------------------------------------------------------------------
# Threads
# ----------------------------------------------------------------------------------------------


def _in_a_new_thread(function):
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_a_new_thread_starts_with_grad_enabled():
    def scenario(lib):
        with lib.no_grad():
            return _in_a_new_thread(lib.is_grad_enabled), lib.is_grad_enabled()

    assert both(scenario) == (True, False)


def test_no_grad_in_one_thread_does_not_affect_another():
    x = mg.ones(2, requires_grad=True)
    inside = threading.Event()
    checked = threading.Event()
    seen = []

    def worker():
        with mg.no_grad():
            inside.set()
            checked.wait(5)
            seen.append(mg.is_grad_enabled())

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    main_records = (x * 2).requires_grad  # the worker is inside no_grad right now
    checked.set()
    thread.join()
    assert main_records is True and seen == [False]
