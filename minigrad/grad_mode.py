"""Switching graph recording on and off: no_grad, enable_grad, set_grad_enabled.

While recording is off, ops compute their results but remember nothing for the backward pass, so
evaluation and parameter updates cost no memory for a graph.
"""

import functools

_grad_enabled = True


def is_grad_enabled():
    return _grad_enabled


def _set_enabled(flag):
    global _grad_enabled
    _grad_enabled = bool(flag)


class _GradMode:
    """Shared machinery: a context manager that is also a decorator."""

    enabled = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set_enabled(self.enabled)
        return self

    def __exit__(self, *exc_info):
        _set_enabled(self._previous)
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """`with minigrad.no_grad():` (or `@minigrad.no_grad()`): build no graph inside."""

    enabled = False


class enable_grad(_GradMode):
    """Turn recording back on inside a no_grad block."""

    enabled = True


class set_grad_enabled:
    """`set_grad_enabled(False)` switches recording off; as a context manager it scopes it."""

    def __init__(self, mode):
        self._previous = is_grad_enabled()
        _set_enabled(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        _set_enabled(self._previous)
        return False
