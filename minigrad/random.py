"""The random number generator behind randn, rand, randint, dropout and weight initialisation.

One NumPy Generator, seeded with `minigrad.manual_seed(seed)`. Numbers are drawn on the host and
then moved to the tensor's device, so one seed gives the same numbers on "cpu" and on "cuda": a
model initialised on a laptop and on a GPU starts from identical weights.
"""

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed):
    """Make every following random draw reproducible (as torch.manual_seed)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator():
    """The global NumPy Generator (draw from it for reproducible randomness of your own)."""
    return _generator
