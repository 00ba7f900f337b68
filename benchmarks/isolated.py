"""Timing a framework in a child process of its own.

    python -m benchmarks.isolated W2 tinygrad [--quick]      -> one line of JSON

tinygrad is timed this way: it keeps a worker thread of its own running (and compiles kernels
with clang on its first steps), which would disturb the timings of the libraries sharing its
process. Its ratios to PyTorch therefore compare medians from two processes of the same run.
"""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ISOLATED = ("tinygrad",)


def run_in_child(workload_name, framework, quick, timeout=600):
    """Time one framework in a fresh process: (stats, first_loss) or raise RuntimeError."""
    command = [sys.executable, "-m", "benchmarks.isolated", workload_name, framework]
    if quick:
        command.append("--quick")
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"timed out after {timeout} s") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(last)
    payload = json.loads(lines[-1])
    if "skip" in payload:
        from benchmarks.timing import Skip

        raise Skip(payload["skip"])
    return payload["stats"], payload["first_loss"]


def _child(workload_name, framework, quick):
    from benchmarks.run import WORKLOADS, run_workload

    result = run_workload(WORKLOADS[workload_name], [framework], quick, isolate=False)
    if framework in result["skipped"]:
        return {"skip": result["skipped"][framework]}
    return {"stats": result["stats"][framework], "first_loss": result["first_loss"][framework]}


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    print(json.dumps(_child(sys.argv[1], sys.argv[2], "--quick" in sys.argv)))
