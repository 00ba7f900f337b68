"""Every lesson runs as a plain script in fast mode, passes its own checks and writes real PNGs.

The lessons run as subprocesses (exactly as a student runs them), two at a time, once per test
session; each test below then inspects one lesson's result. MINIGRAD_OUTPUT points the figures
to a temporary folder so that the tests never write into the repository.
"""

import os
import re
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FAST_MODE_LIMIT_S = 60  # a lesson must finish in < 20 s on a laptop; CI machines are slower


def png_size(path):
    """(width, height) from a PNG's IHDR chunk; raises if the file is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG file"
    assert data[12:16] == b"IHDR", f"{path.name} has no IHDR chunk"
    return struct.unpack(">II", data[16:24])


def expected_figures(lesson):
    """The PNG names a lesson saves with OUT / "name.png" (read from its source)."""
    return set(re.findall(r'OUT / "([\w.-]+\.png)"', lesson.read_text(encoding="utf-8")))


def run_lesson(lesson, output_root):
    env = dict(os.environ)
    env.update(
        {
            "MINIGRAD_FAST": "1",
            "MINIGRAD_OUTPUT": str(output_root),
            "MPLBACKEND": "Agg",
            # Two lessons run side by side on a 2-core machine: one BLAS thread each avoids
            # oversubscription (which can make a run ten times slower).
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    try:
        process = subprocess.run(
            [sys.executable, str(lesson)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=FAST_MODE_LIMIT_S * 3,
        )
    except subprocess.TimeoutExpired as error:
        return {"returncode": None, "stdout": error.stdout or "", "stderr": "timeout"}
    return {"returncode": process.returncode, "stdout": process.stdout, "stderr": process.stderr}


@pytest.fixture(scope="module")
def lesson_runs(tmp_path_factory):
    output_root = tmp_path_factory.mktemp("lesson_output")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {lesson.stem: pool.submit(run_lesson, lesson, output_root) for lesson in LESSONS}
        results = {name: future.result() for name, future in futures.items()}
    return output_root, results


def test_lessons_are_numbered_in_order_without_gaps():
    numbers = [int(path.name[:2]) for path in LESSONS]
    assert numbers == list(range(1, len(LESSONS) + 1)) and len(LESSONS) >= 13


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_runs_in_fast_mode(lesson, lesson_runs):
    output_root, results = lesson_runs
    result = results[lesson.stem]
    assert result["returncode"] == 0, (
        f"{lesson.name} failed (exit {result['returncode']}):\n"
        f"{result['stdout'][-3000:]}\n{result['stderr'][-3000:]}"
    )
    assert "all checks passed" in result["stdout"], "the check-yourself cell did not finish"
    assert f"saved in {output_root / lesson.stem}" in result["stdout"], "prints its folder"

    folder = output_root / lesson.stem
    produced = {p.name for p in folder.glob("*.png")}
    missing = expected_figures(lesson) - produced
    assert not missing, f"{lesson.name} did not write {sorted(missing)}"
    assert produced, f"{lesson.name} wrote no figure"
    for name in produced:
        path = folder / name
        width, height = png_size(path)
        assert width >= 100 and height >= 100, f"{name} is {width} x {height}"
        assert path.stat().st_size > 2000, f"{name} is suspiciously small"


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
