"""Every lesson also runs as a Jupyter notebook, as a student opening it in Jupyter would.

Each lesson is converted (jupytext) and executed cell by cell in a fresh kernel (nbclient), in
fast mode, two at a time, once per test session (run_as_notebook.py does one). The tests check
that no cell raised, that the check-yourself cell finished, and that figures show inline (the
notebook's own matplotlib backend, not the Agg backend scripts use).
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("jupytext", reason="the notebook tools are in the test extra")
pytest.importorskip("nbclient", reason="the notebook tools are in the test extra")
pytest.importorskip("ipykernel", reason="the notebook tools are in the test extra")

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))
RUNNER = Path(__file__).resolve().parent / "run_as_notebook.py"


def run_notebook(lesson, folder):
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # a notebook keeps its inline backend, so figures show
    env.update(
        {
            "MINIGRAD_FAST": "1",
            "MINIGRAD_OUTPUT": str(folder / "figures"),
            # Two kernels side by side on a 2-core machine: one BLAS thread each.
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    output = folder / f"{lesson.stem}.ipynb"
    try:
        process = subprocess.run(
            [sys.executable, str(RUNNER), str(lesson), str(output)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return {"returncode": None, "stderr": "timeout", "notebook": None}
    notebook = json.loads(output.read_text(encoding="utf-8")) if output.exists() else None
    return {"returncode": process.returncode, "stderr": process.stderr, "notebook": notebook}


@pytest.fixture(scope="module")
def notebook_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {lesson.stem: pool.submit(run_notebook, lesson, folder) for lesson in LESSONS}
        return {name: future.result() for name, future in futures.items()}


def outputs_of(notebook):
    return [
        output
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
    ]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_run_as_notebooks(lesson, notebook_runs):
    result = notebook_runs[lesson.stem]
    assert result["returncode"] == 0, f"{lesson.name} as a notebook:\n{result['stderr'][-3000:]}"
    outputs = outputs_of(result["notebook"])
    assert not [o for o in outputs if o["output_type"] == "error"]
    printed = "".join(
        "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
        for o in outputs
        if o["output_type"] == "stream"
    )
    assert "all checks passed" in printed, "the check-yourself cell did not finish"
    if 'OUT / "' in lesson.read_text(encoding="utf-8"):  # the lesson draws figures
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert images, f"{lesson.name} saved figures but none showed in the notebook"
