"""Gradient exercises: write the backward of an op, and let the checker grade it.

    minigrad check sigmoid                      # the command line
    python -m minigrad check sigmoid my_sigmoid.py

    from minigrad.exercises import check        # Python, or a test
    result = check("sigmoid")                   # grades lessons/exercises/sigmoid.py
    print(result)                               # PASSED ... or FAILED ... with an explanation
    result.assert_passed()                      # for pytest

The stubs live in lessons/exercises/ (one file per exercise, see lessons/exercises/README.md);
`catalogue.py` says what each must define and what a right answer is; `checker.py` grades.
"""

from minigrad.exercises.catalogue import EXERCISES, Exercise
from minigrad.exercises.checker import CheckResult, check, exercise_names, stub_path

__all__ = ["check", "CheckResult", "EXERCISES", "Exercise", "exercise_names", "stub_path"]
