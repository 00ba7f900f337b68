"""Every lesson runs as a plain script in fast mode, passes its own checks and writes real PNGs.

The lessons run as subprocesses (exactly as a student runs them), two at a time, once per test
session; each test below then inspects one lesson's result. MINIGRAD_OUTPUT points the figures
to a temporary folder so that the tests never write into the repository.
"""

import re

import pytest
from lesson_runner import LESSONS, ROOT, check_script_run, run_all, run_script


@pytest.fixture(scope="module")
def lesson_runs(tmp_path_factory):
    output_root = tmp_path_factory.mktemp("lesson_output")
    return output_root, run_all(run_script, output_root, fast=True)


def test_lessons_are_numbered_in_order_without_gaps():
    numbers = [int(path.name[:2]) for path in LESSONS]
    assert numbers == list(range(1, len(LESSONS) + 1)) and len(LESSONS) >= 13


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_runs_in_fast_mode(lesson, lesson_runs):
    output_root, results = lesson_runs
    check_script_run(lesson, results[lesson.stem], output_root)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_structure(lesson):
    """Percent format, maths before code, formula ids, and a final check-yourself cell."""
    text = lesson.read_text(encoding="utf-8")
    cells = re.split(r"^# %%", text, flags=re.MULTILINE)
    assert "formats: py:percent" in cells[0], "jupytext header"
    assert cells[1].startswith(" [markdown]\n# # Lesson "), "starts with a title cell"
    assert re.search(r"^# \*\*Formulas:\*\* .*\b[FS]\d+", text, flags=re.MULTILINE)
    markdown = [c for c in cells if c.startswith(" [markdown]")]
    assert len(markdown) >= 4 and "$" in text, "explains the maths in markdown cells"
    assert "## Check yourself" in cells[-2], "the last markdown cell is 'Check yourself'"
    last = cells[-1]
    assert last.count("assert ") >= 3 and "all checks passed" in last
    assert "import torch" not in text


def test_lessons_first_lesson_explains_how_to_run_them_all():
    text = LESSONS[0].read_text(encoding="utf-8")
    for phrase in (
        "python lessons/01_autograd.py",
        "MINIGRAD_FAST=1",
        "jupytext",
        "minigrad lessons",
        "lessons/README.md",
    ):
        assert phrase in text


def test_lessons_readme_lists_every_lesson():
    readme = (ROOT / "lessons" / "README.md").read_text(encoding="utf-8")
    for lesson in LESSONS:
        assert lesson.name in readme, f"lessons/README.md does not mention {lesson.name}"
    for exercise in ("sigmoid", "layer_norm", "cross_entropy", "attention", "custom"):
        assert exercise in readme
