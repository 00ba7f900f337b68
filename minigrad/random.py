"""The random number generators behind randn, rand, randint, randperm, multinomial, dropout and
weight initialisation (PyTorch's torch.Generator, torch.manual_seed, torch.multinomial).

A `Generator` wraps one NumPy Generator (PCG64). There is one default generator, which every
random function uses unless it is given `generator=`; `minigrad.manual_seed(seed)` reseeds it:

    minigrad.manual_seed(0)                  # every later draw is repeatable
    g = minigrad.Generator().manual_seed(42) # a stream of your own, untouched by other draws
    x = minigrad.randn(3, generator=g)

Numbers are drawn on the host and then moved to the tensor's device, so one seed gives the same
numbers on "cpu" and on "cuda": a model initialised on a laptop and on a GPU starts from
identical weights. The numbers differ from PyTorch's for the same seed (another algorithm).
"""

import secrets

import numpy as np

from minigrad import dtypes
from minigrad.backend import get_backend
from minigrad.tensor import Tensor

DEFAULT_SEED = 0  # the default generator's seed at import (PyTorch's is 67280421310721)
STATE_BYTES = 48  # get_state(): seed, PCG64 state, increment, cached 32 bits, their flag


class Generator:
    """A random number generator with PyTorch's interface (torch.Generator).

    manual_seed(seed) reseeds it and returns it, seed() reseeds it from the operating system's
    randomness and returns the new seed, initial_seed() gives the seed it was last seeded with,
    get_state() / set_state(state) save and restore its position in the stream (a uint8 Tensor).
    """

    def __init__(self, device="cpu"):
        self.device = device  # accepted for PyTorch's signature; draws happen on the host
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        """Restart the stream from `seed` (an int); returns the generator itself."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed: the seed must be an int, got {type(seed).__name__}")
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(f"manual_seed: the seed must fit in 64 bits, got {seed}")
        self._seed = seed % 2**64  # PyTorch, too, reads a negative seed as an unsigned one
        self.numpy = np.random.default_rng(self._seed)  # the NumPy Generator that draws
        return self

    def seed(self):
        """Reseed from the operating system's randomness; returns the new seed."""
        seed = secrets.randbits(63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed this generator was last (re)seeded with."""
        return self._seed

    def get_state(self):
        """The generator's position in its stream, as a uint8 Tensor (give it to set_state)."""
        state = self.numpy.bit_generator.state
        fields = (
            self._seed.to_bytes(8, "little"),
            state["state"]["state"].to_bytes(16, "little"),
            state["state"]["inc"].to_bytes(16, "little"),
            int(state["uinteger"]).to_bytes(4, "little"),
            int(state["has_uint32"]).to_bytes(4, "little"),
        )
        return Tensor(np.frombuffer(b"".join(fields), dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Go back to a position saved by get_state(); returns the generator itself."""
        if not isinstance(new_state, Tensor) or new_state.dtype != dtypes.uint8:
            raise TypeError("set_state: expected the uint8 Tensor that get_state() returned")
        raw = get_backend(new_state.device).to_numpy(new_state.array).tobytes()
        if len(raw) != STATE_BYTES:
            raise ValueError(
                f"set_state: a generator state has {STATE_BYTES} bytes, this one {len(raw)}"
            )
        has_uint32 = int.from_bytes(raw[44:48], "little")
        if has_uint32 not in (0, 1):
            raise ValueError("set_state: this is not a state that get_state() returned")
        self._seed = int.from_bytes(raw[0:8], "little")
        self.numpy = np.random.default_rng(self._seed)
        self.numpy.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(raw[8:24], "little"),
                "inc": int.from_bytes(raw[24:40], "little"),
            },
            "has_uint32": has_uint32,
            "uinteger": int.from_bytes(raw[40:44], "little"),
        }
        return self

    def __repr__(self):
        return f"<minigrad.Generator seed={self._seed}>"


default_generator = Generator()


def manual_seed(seed):
    """Reseed the default generator, so every following random draw is repeatable; returns it
    (as torch.manual_seed)."""
    return default_generator.manual_seed(seed)


def seed():
    """Reseed the default generator from the operating system's randomness; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (a uint8 Tensor), as torch.get_rng_state."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator's state saved by get_rng_state()."""
    default_generator.set_state(new_state)


def generator():
    """The default generator's NumPy Generator (draw from it for repeatable randomness of your
    own; `minigrad.manual_seed` reseeds it)."""
    return default_generator.numpy


def numpy_generator(generator=None):
    """The NumPy Generator to draw from for a `generator=` argument: the default generator's for
    None, the given one's for a minigrad Generator (a NumPy Generator is used as it is)."""
    if generator is None:
        return default_generator.numpy
    if isinstance(generator, Generator):
        return generator.numpy
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"generator must be a minigrad.Generator or None, got {type(generator).__name__}"
    )


# --------------------------------------------------------------------------------------------
# multinomial: draw category indices with probabilities proportional to weights
# --------------------------------------------------------------------------------------------


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw `num_samples` category indices per row of `input` (torch.multinomial).

    input: a 1-D tensor of non-negative weights (one per category) or a 2-D tensor, one such
        row per distribution. The weights need not sum to 1: category i is drawn with
        probability w_i / sum(w).
    replacement=False: each category at most once per row (so num_samples <= categories);
        True: every draw from the full distribution.
    Returns an int64 tensor of shape (num_samples,) or (rows, num_samples), on input's device.

    With replacement: u ~ U[0, 1) and the index i with cdf(i-1) <= u < cdf(i) (inverse CDF).
    Without: category i gets the key e_i / w_i with e_i ~ Exponential(1); the categories with the
    smallest keys are a draw without replacement (the "exponential race", as PyTorch does it);
    zero weights get infinite keys, so they come last.
    """
    weights = _checked_weights(input, num_samples, replacement)
    rng = numpy_generator(generator)
    rows = weights if weights.ndim == 2 else weights[None, :]
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((rows.shape[0], num_samples))
        samples = np.stack([np.searchsorted(c, draws, side="right") for c, draws in zip(cdf, u)])
        samples = np.minimum(samples, rows.shape[1] - 1)  # u < 1, but rounding in the cdf
    else:
        exponential = rng.standard_exponential(rows.shape)
        with np.errstate(divide="ignore"):
            keys = np.where(rows > 0, exponential / rows, np.inf)
        samples = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    samples = samples.astype(np.int64)
    if weights.ndim == 1:
        samples = samples[0]
    return Tensor(get_backend(input.device).asarray(samples), device=input.device)


def _checked_weights(input, num_samples, replacement):
    """input's weights as a float64 NumPy array, after PyTorch's checks."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: input must be a Tensor, got {type(input).__name__}")
    if input.dtype not in (dtypes.float16, dtypes.float32, dtypes.float64):
        raise TypeError(f"multinomial: input must be a floating-point tensor, got {input.dtype}")
    if input.ndim not in (1, 2):
        raise ValueError(
            f"multinomial: input must be 1-D or 2-D (weights per category), got shape {input.shape}"
        )
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial: num_samples must be an int, got {num_samples!r}")
    if num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be positive, got {num_samples}")
    categories = input.shape[-1]
    if not replacement and num_samples > categories:
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from "
            f"{categories} categories (pass replacement=True)"
        )
    weights = get_backend(input.device).to_numpy(input.array).astype(np.float64)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("multinomial: the weights contain inf, nan or a negative number")
    totals = weights.sum(axis=-1)
    if np.any(totals <= 0):
        raise ValueError(
            "multinomial: invalid distribution: the weights of a row add up to 0 (a row of "
            "zeros has nothing to draw)"
        )
    return weights
