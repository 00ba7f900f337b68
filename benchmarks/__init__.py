"""minigrad's benchmarks against PyTorch (CPU), MyGrad, HIPS autograd and tinygrad.

Run them with `python -m benchmarks` (or `python benchmarks/run.py`); see run.py.
"""
