"""Run lessons as a student does: as scripts (`python lessons/NN_x.py`) or as notebooks.

Shared by the fast-mode tests (every run) and the normal-mode tests (CI). Every lesson runs in a
subprocess of its own, two at a time on a 2-core machine with one BLAS thread each (two
multi-threaded runs side by side can be ten times slower). Each run's wall time is recorded in
WALL_TIMES, which conftest.py prints at the end of the session: the issue asks for the lessons'
times to be reported, and a timed assertion would only measure the machine.
"""

import json
import os
import re
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))
NOTEBOOK_RUNNER = Path(__file__).resolve().parent / "run_as_notebook.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HANG_LIMIT_S = 600  # a guard against a hung run, not a speed target

# (lesson stem, "script" or "notebook", "fast" or "normal") -> wall seconds
WALL_TIMES = {}


def lesson_environment(fast, output_folder, notebook):
    env = dict(os.environ)
    env.pop("MINIGRAD_FAST", None)
    if fast:
        env["MINIGRAD_FAST"] = "1"
    if notebook:
        env.pop("MPLBACKEND", None)  # a notebook keeps its inline backend, so figures show
    else:
        env["MPLBACKEND"] = "Agg"
    env.update(
        {
            "MINIGRAD_OUTPUT": str(output_folder),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    return env


def run_timed(command, env, record):
    """Run `command` from the repository root; returns returncode, stdout, stderr and seconds.

    A run that hangs past HANG_LIMIT_S is stopped: its returncode is None. The wall time is
    recorded in WALL_TIMES under `record`.
    """
    start = time.perf_counter()
    try:
        process = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG_LIMIT_S
        )
        result = {"returncode": process.returncode, "stdout": process.stdout}
        result["stderr"] = process.stderr
    except subprocess.TimeoutExpired as error:
        result = {"returncode": None, "stdout": error.stdout or "", "stderr": "timeout"}
    result["seconds"] = time.perf_counter() - start
    WALL_TIMES[record] = result["seconds"]
    return result


def run_script(lesson, output_root, fast):
    """Run one lesson as a script (`python lessons/NN_x.py`)."""
    env = lesson_environment(fast, output_root, notebook=False)
    record = (lesson.stem, "script", "fast" if fast else "normal")
    return run_timed([sys.executable, str(lesson)], env, record)


def run_notebook(lesson, folder, fast):
    """Run one lesson as a notebook (run_as_notebook.py); the result has the executed notebook."""
    env = lesson_environment(fast, folder / "figures", notebook=True)
    output = folder / f"{lesson.stem}.ipynb"
    record = (lesson.stem, "notebook", "fast" if fast else "normal")
    result = run_timed(
        [sys.executable, str(NOTEBOOK_RUNNER), str(lesson), str(output)], env, record
    )
    notebook = None
    if result["returncode"] is not None and output.exists():
        notebook = json.loads(output.read_text(encoding="utf-8"))
    result["notebook"] = notebook
    return result


def run_all(run, folder, fast):
    """run(lesson, folder, fast) for every lesson, two at a time: {stem: result}."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {lesson.stem: pool.submit(run, lesson, folder, fast) for lesson in LESSONS}
        return {name: future.result() for name, future in futures.items()}


def notebook_outputs(notebook):
    return [
        output
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
    ]


def notebook_printed_text(notebook):
    return "".join(
        "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
        for o in notebook_outputs(notebook)
        if o["output_type"] == "stream"
    )


def png_size(path):
    """(width, height) from a PNG's IHDR chunk; raises if the file is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG file"
    assert data[12:16] == b"IHDR", f"{path.name} has no IHDR chunk"
    return struct.unpack(">II", data[16:24])


def expected_figures(lesson):
    """The PNG names a lesson saves with OUT / "name.png" (read from its source)."""
    return set(re.findall(r'OUT / "([\w.-]+\.png)"', lesson.read_text(encoding="utf-8")))


def check_script_run(lesson, result, output_root):
    """The script finished, its check-yourself cell passed, and it wrote real figures."""
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


def check_notebook_run(lesson, result):
    """No cell raised, the check-yourself cell finished, and figures showed inline."""
    assert result["returncode"] == 0, f"{lesson.name} as a notebook:\n{result['stderr'][-3000:]}"
    outputs = notebook_outputs(result["notebook"])
    assert not [o for o in outputs if o["output_type"] == "error"]
    printed = notebook_printed_text(result["notebook"])
    assert "all checks passed" in printed, "the check-yourself cell did not finish"
    if 'OUT / "' in lesson.read_text(encoding="utf-8"):  # the lesson draws figures
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert images, f"{lesson.name} saved figures but none showed in the notebook"
