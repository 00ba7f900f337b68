"""Grade the exercises with pytest:  pytest lessons/exercises   (one: -k softmax).

Each test runs the same checker as `minigrad check NAME` on the file next to this one and, if
the backward is wrong, fails with the checker's explanation.
"""

from pathlib import Path

import pytest

from minigrad.exercises import check, exercise_names

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("name", exercise_names())
def test_exercise(name):
    check(name, HERE / f"{name}.py").assert_passed()
