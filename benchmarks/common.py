"""What every workload shares: the list of frameworks and how to import a reference.

A workload module (w1_mlp.py, w2_gpt.py, ...) defines

    NAME, TITLE        "W1", "MLP 64-256-256-10 ..."
    UNIT               how its time is reported: "ms" or "us" per step
    FLOPS              floating-point operations of one step (for GFLOP/s), or None
    make_inputs()      the shared initial weights and data, as float32 / int64 NumPy arrays
    BUILDERS           framework name -> build(inputs) -> step(); step() runs one step and
                       returns its loss (a framework object; `to_float` turns it into a number)

Every framework starts from the very same NumPy arrays, so the first losses agree (the runner
checks this) and the ratios compare the same computation.
"""

import importlib
import shutil

from benchmarks.timing import Skip

# In table order. minigrad is the subject; torch is the reference every ratio is taken against.
FRAMEWORKS = ("minigrad", "torch", "mygrad", "autograd", "tinygrad")

INSTALL_HINT = {
    "torch": "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu",
    "mygrad": "pip install mygrad",
    "autograd": "pip install autograd",
    "tinygrad": "pip install tinygrad (its CPU device also needs the clang compiler)",
}


def require(module_name, framework):
    """Import a reference library, or raise Skip with the line that installs it."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        raise Skip(f"{framework} is not installed ({INSTALL_HINT[framework]})") from None


def require_tinygrad():
    """tinygrad's CPU device compiles its kernels with clang: without it, skip."""
    tinygrad = require("tinygrad", "tinygrad")
    if shutil.which("clang") is None:
        raise Skip("tinygrad is installed but its CPU device needs clang, which was not found")
    return tinygrad


def to_float(loss):
    """A loss from any framework (Tensor, array, number) as a Python float."""
    if hasattr(loss, "item"):
        return float(loss.item())
    return float(loss)
