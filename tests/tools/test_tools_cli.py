"""The `minigrad` command line (run as `python -m minigrad`, as the console script would)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import minigrad
from minigrad import cli, opcheck

ROOT = Path(__file__).resolve().parents[2]


def run(*args, env=None, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "minigrad", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
    )


def test_tools_cli_help():
    process = run()
    assert process.returncode == 0
    for command in ("lessons", "lesson", "check", "gradcheck", "demo"):
        assert command in process.stdout


def test_tools_cli_lists_the_lessons():
    process = run("lessons")
    assert process.returncode == 0
    assert "12 lessons" in process.stdout
    assert "Lesson 1 — Autograd from scratch" in process.stdout
    assert "11_gpu.py" in process.stdout and "formulas: F8, F9, F10" in process.stdout


def test_tools_cli_find_lessons_reads_titles_and_formulas():
    lessons = cli.find_lessons(ROOT / "lessons")
    assert [number for number, *_ in lessons] == list(range(1, 13))
    number, path, title, formulas = lessons[2]
    assert path.name == "03_losses.py" and "Losses" in title and "F14" in formulas


def test_tools_cli_runs_a_lesson_in_fast_mode(tmp_path):
    process = run("lesson", "2", "--fast", env={"MINIGRAD_OUTPUT": str(tmp_path)})
    assert process.returncode == 0, process.stdout + process.stderr
    assert "lesson 2: all checks passed" in process.stdout
    assert (tmp_path / "02_gradient_descent" / "learning_rates.png").is_file()


def test_tools_cli_unknown_lesson():
    process = run("lesson", "42")
    assert process.returncode == 2 and "no lesson 42" in process.stderr


def test_tools_cli_gradcheck_table_covers_every_registered_op():
    process = run("gradcheck")
    assert process.returncode == 0, process.stdout
    lines = process.stdout.splitlines()
    for name in minigrad.ops.REGISTRY:
        row = next((line for line in lines if line.split()[:1] == [name]), None)
        assert row is not None, f"no row for {name}"
        assert " ok " in row, row
    assert (
        f"{len(minigrad.ops.REGISTRY)} of {len(minigrad.ops.REGISTRY)} ops pass" in process.stdout
    )


def test_tools_cli_gradcheck_reports_a_broken_op(monkeypatch):
    def wrong_backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return 2 * grad * y

    monkeypatch.setattr(minigrad.ops.Exp, "backward", staticmethod(wrong_backward))
    rows = {name: status for name, _, _, status, _ in opcheck.gradcheck_table()}
    assert rows["exp"].startswith("FAILED")
    assert rows["log"] == "ok"
    assert np.isfinite(len(rows))


def test_tools_cli_demo_fast(tmp_path):
    process = run("demo", "--fast", "--output", str(tmp_path), timeout=300)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "Before training" in process.stdout and "After training" in process.stdout
    assert (tmp_path / "demo_loss.png").stat().st_size > 2000
    assert (tmp_path / "demo_attention.png").stat().st_size > 2000
