"""Every lesson also runs as a Jupyter notebook, as a student opening it in Jupyter would.

Each lesson is converted (jupytext) and executed cell by cell in a fresh kernel (nbclient), in
fast mode, two at a time, once per test session (run_as_notebook.py does one). The tests check
that no cell raised, that the check-yourself cell finished, and that figures show inline (the
notebook's own matplotlib backend, not the Agg backend scripts use).
"""

import pytest
from lesson_runner import LESSONS, check_notebook_run, run_all, run_notebook

pytest.importorskip("jupytext", reason="the notebook tools are in the test extra")
pytest.importorskip("nbclient", reason="the notebook tools are in the test extra")
pytest.importorskip("ipykernel", reason="the notebook tools are in the test extra")


@pytest.fixture(scope="module")
def notebook_runs(tmp_path_factory):
    return run_all(run_notebook, tmp_path_factory.mktemp("notebooks"), fast=True)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_run_as_notebooks(lesson, notebook_runs):
    check_notebook_run(lesson, notebook_runs[lesson.stem])
