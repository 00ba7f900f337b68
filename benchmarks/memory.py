"""Peak memory of a training step, measured in a fresh process per (workload, framework).

    python -m benchmarks.memory W2 minigrad      -> one line of JSON

In the child process: build the model, the optimizer and the data, warm the BLAS library up
with one small product (its thread buffers are not the model's memory), then reset the peak
resident set size (Linux: /proc/self/clear_refs), run a few training steps and read the peak
back (VmHWM). Reported is the growth over the resident size before the first step:
gradients, optimizer state, saved activations and temporaries -- what training adds to a
loaded model. For minigrad, tracemalloc's peak over one more step (NumPy reports its arrays to
it; PyTorch does not) is given too.
"""

import gc
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

STEPS = 5
REPO = Path(__file__).resolve().parent.parent


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak():
    """Make VmHWM (the peak RSS) start again from the current RSS; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _warm_up_blas(framework):
    import numpy as np

    np.ones((256, 256), np.float32) @ np.ones((256, 256), np.float32)
    if framework == "torch":
        import torch

        x = torch.ones(256, 256, requires_grad=True)
        (x @ x).sum().backward()


def measure_in_this_process(workload_name, framework):
    from benchmarks.run import WORKLOADS

    workload = WORKLOADS[workload_name]
    step = workload.BUILDERS[framework](workload.make_inputs())
    _warm_up_blas(framework)
    gc.collect()
    exact_peak = _reset_peak()
    before = _status_kib("VmRSS")
    for _ in range(STEPS):
        step()
    peak = _status_kib("VmHWM")
    traced_peak = None
    if framework == "minigrad":  # afterwards: tracemalloc's own records would count in the RSS
        tracemalloc.start()
        step()
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "workload": workload_name,
        "framework": framework,
        "rss_before_mib": before / 1024,
        "peak_rss_growth_mib": (peak - before) / 1024,
        "peak_is_exact": exact_peak,  # False: VmHWM also counts what happened before the steps
        "tracemalloc_peak_mib": None if traced_peak is None else traced_peak / 2**20,
    }


def measure(workload_name, framework, timeout=300):
    """Run the measurement in a child process; return its dict, or {"error": ...}."""
    command = [sys.executable, "-m", "benchmarks.memory", workload_name, framework]
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    print(json.dumps(measure_in_this_process(sys.argv[1], sys.argv[2])))
