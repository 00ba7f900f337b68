"""Every lesson in normal mode (what a student runs), as a script and as a notebook.

Normal mode trains for real, so these runs take minutes: they run on CI (CI=1, which `.ci/run`
sets) or when MINIGRAD_LESSONS_NORMAL=1, and are skipped otherwise so that a local `pytest`
stays quick. The same checks as in fast mode: exit status, the check-yourself cell (whose claims
are stronger in normal mode: some only hold after the full training), the figures. The wall
time of every run is printed at the end of the session (see conftest.py); each lesson promises
to finish in under two minutes on a laptop.
"""

import os

import pytest
from lesson_runner import (
    LESSONS,
    check_notebook_run,
    check_script_run,
    run_all,
    run_notebook,
    run_script,
)

pytestmark = pytest.mark.skipif(
    not (os.environ.get("CI") or os.environ.get("MINIGRAD_LESSONS_NORMAL") == "1"),
    reason="normal-mode lessons take minutes: set MINIGRAD_LESSONS_NORMAL=1 (CI sets CI=1)",
)


@pytest.fixture(scope="module")
def normal_script_runs(tmp_path_factory):
    output_root = tmp_path_factory.mktemp("normal_output")
    return output_root, run_all(run_script, output_root, fast=False)


@pytest.fixture(scope="module")
def normal_notebook_runs(tmp_path_factory):
    pytest.importorskip("nbclient", reason="the notebook tools are in the test extra")
    return run_all(run_notebook, tmp_path_factory.mktemp("normal_notebooks"), fast=False)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_runs_in_normal_mode(lesson, normal_script_runs):
    output_root, results = normal_script_runs
    check_script_run(lesson, results[lesson.stem], output_root)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_run_as_notebooks_in_normal_mode(lesson, normal_notebook_runs):
    check_notebook_run(lesson, normal_notebook_runs[lesson.stem])
