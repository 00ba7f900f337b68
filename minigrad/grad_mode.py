"""Switching graph recording on and off: no_grad, enable_grad, set_grad_enabled, inference_mode.

While recording is off, ops compute their results but remember nothing for the backward pass, so
evaluation and parameter updates cost no memory for a graph.

Each of the four is a context manager and a decorator, as in PyTorch:

    with minigrad.no_grad():            # a block
        ...

    @minigrad.no_grad                   # a function (with or without the parentheses)
    def evaluate(model, x): ...

The switch is per thread (as in PyTorch): `no_grad()` in one thread does not stop another thread
from recording, and a new thread starts with recording on.

A decorated generator function gets the mode inside each of its resumptions only: between two
`yield`s the caller runs with its own mode (PyTorch does the same).
"""

import functools
import inspect
import sys
import threading


class _ThreadState(threading.local):
    """The switches of one thread. threading.local runs __init__ again in each new thread."""

    def __init__(self):
        self.grad_enabled = True
        self.inference_mode = False


_state = _ThreadState()


def is_grad_enabled():
    """True if ops record the graph for backward in this thread (torch.is_grad_enabled)."""
    return _state.grad_enabled


def is_inference_mode_enabled():
    """True inside `inference_mode()` in this thread (torch.is_inference_mode_enabled)."""
    return _state.inference_mode


def _set_enabled(flag):
    _state.grad_enabled = bool(flag)


# --------------------------------------------------------------------------------------------
# Decorating: run a function (or each resumption of a generator) inside a fresh context manager
# --------------------------------------------------------------------------------------------


def _decorate(make_context, function):
    """`function` wrapped so that each call runs inside `make_context()` (a new context manager
    each time, so one decorated function can be called recursively or from several threads)."""
    if inspect.isclass(function):
        raise TypeError(
            f"grad-mode decorators decorate functions, not the class {function.__name__}: "
            "decorate its methods one by one"
        )
    if not callable(function):
        raise TypeError(f"a grad-mode decorator needs a function, got {type(function).__name__}")
    if inspect.isgeneratorfunction(function):
        return _decorate_generator(make_context, function)

    @functools.wraps(function)
    def run_in_context(*args, **kwargs):
        with make_context():
            return function(*args, **kwargs)

    return run_in_context


def _decorate_generator(make_context, function):
    """A generator whose every resumption (next, send, throw, close) runs in `make_context()`,
    while the code that consumes it runs in its own mode between the yields."""

    @functools.wraps(function)
    def generator_in_context(*args, **kwargs):
        generator = function(*args, **kwargs)
        try:
            with make_context():
                response = generator.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_context():
                        generator.close()
                    raise
                except BaseException:
                    with make_context():
                        response = generator.throw(*sys.exc_info())
                else:
                    with make_context():
                        response = generator.send(request)
        except StopIteration as stop:
            return stop.value

    return generator_in_context


# --------------------------------------------------------------------------------------------
# The context managers
# --------------------------------------------------------------------------------------------


class _GradSwitch:
    """What no_grad and enable_grad share: a context manager that sets recording to `enabled`
    (restoring the previous mode after), also usable as a decorator with or without ()."""

    enabled = True

    def __new__(cls, function=None):
        # `@no_grad` without parentheses calls no_grad(function): decorate it right away.
        if function is None:
            return super().__new__(cls)
        return _decorate(cls, function)

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set_enabled(self.enabled)

    def __exit__(self, *exc_info):
        _set_enabled(self._previous)
        return False

    def __call__(self, function):
        return _decorate(type(self), function)


class no_grad(_GradSwitch):
    """`with minigrad.no_grad():`, `@minigrad.no_grad` or `@minigrad.no_grad()`: record no graph.

    Results computed inside have requires_grad=False. Use it for evaluation and for updating
    parameters by hand (`p -= lr * p.grad`).
    """

    enabled = False


class enable_grad(_GradSwitch):
    """Turn recording back on inside a no_grad block (or for a decorated function)."""

    enabled = True


class set_grad_enabled:
    """`set_grad_enabled(False)` switches recording off at once (a plain call); as a context
    manager it switches it for the block only; `@set_grad_enabled(False)` for a function."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): mode must be True or False, not {mode!r}")
        self.mode = mode
        self._previous = is_grad_enabled()
        _set_enabled(mode)  # takes effect now, so a plain call works without `with`

    def __enter__(self):
        _set_enabled(self.mode)

    def __exit__(self, *exc_info):
        _set_enabled(self._previous)
        return False

    def __call__(self, function):
        # Used as a decorator: __init__ already switched the mode; switch it back, the mode is
        # for the function's calls only.
        _set_enabled(self._previous)
        mode = self.mode
        return _decorate(lambda: set_grad_enabled(mode), function)

    def __repr__(self):
        return f"minigrad.set_grad_enabled(mode={self.mode})"


class inference_mode:
    """`inference_mode()` is no_grad for code that will never need a gradient (PyTorch uses it
    to skip some more bookkeeping; in minigrad it is no_grad, plus `is_inference_mode_enabled()`
    answers True). `inference_mode(False)` switches recording back on inside it."""

    def __new__(cls, mode=True):
        # `@inference_mode` without parentheses passes the function as `mode`.
        if isinstance(mode, bool):
            return super().__new__(cls)
        return _decorate(cls, mode)

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self._previous = (_state.grad_enabled, _state.inference_mode)
        _state.grad_enabled = not self.mode
        _state.inference_mode = self.mode

    def __exit__(self, *exc_info):
        _state.grad_enabled, _state.inference_mode = self._previous
        return False

    def __call__(self, function):
        mode = self.mode
        return _decorate(lambda: inference_mode(mode), function)
