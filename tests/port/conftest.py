"""The port suite: PyTorch teaching programs, run unchanged under minigrad.

The idea
--------
minigrad promises PyTorch's names, signatures, defaults and return types, so that the code a
student finds in the well-known teaching material (micrograd and makemore, nanoGPT and minGPT,
the PyTorch tutorials) runs as it is. This suite holds that promise to account. Each program is
one function, written once, in the everyday style of that material:

    def bigram_counts(torch, rng):
        N = torch.zeros((27, 27), dtype=torch.int32)
        ...

`tests/port/test_port_programs.py` calls it twice, once with PyTorch and once with minigrad
passed in as `torch`; only the module differs. Each program returns what it measured (the loss
at every step, gradients, deterministic outputs) and prints what the original prints; the test
compares the two runs (numbers in printed text with the same tolerance as the values).

Identical starting points
-------------------------
The two frameworks' random streams differ (docs/porting-from-pytorch.md), so where the original
draws weights or data with `torch.randn(..., generator=g)`, a program draws the same numbers
with NumPy (`rng`, a seeded numpy Generator, or `helpers_port.randn`), or builds its model and
then loads NumPy-made weights (`helpers_port.load_numpy_weights`, one seed per parameter name).
Minibatch indices come from NumPy too, so both runs see the same batches.

Randomness that stays
---------------------
Sampling (`torch.multinomial`, `torch.randint`, ...) cannot give PyTorch's numbers. A program
compares something deterministic instead (probabilities, greedy or top-1 choices), asserts that
the samples are valid (in range, right shape and dtype), and returns them under keys starting
with `sample_`: those are compared only between two runs of the same framework with the same
seed (reproducibility). Keys starting with `stat_` are statistics of random draws (a frequency,
a standard deviation), compared across the frameworks with a loose, stated tolerance.

Keys and tolerances are described in test_port_programs.py.
"""
