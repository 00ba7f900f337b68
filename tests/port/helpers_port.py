"""Helpers shared by the port programs: the numbers both frameworks start from.

These are the only lines in the programs that a student would not write: they replace
`torch.randn(..., generator=g)` and a module's own random initialisation by NumPy draws, so that
PyTorch and minigrad start from the same weights and data. They use only `torch.tensor`,
`named_parameters`, `no_grad` and `copy_`, the same under both frameworks.
"""

import zlib

import numpy as np

# A few names for the makemore programs (makemore reads names.txt, 32,033 names); together
# they use all 26 letters, so the vocabulary is '.' plus a-z, 27 characters, as in makemore.
NAMES = (
    "emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily "
    "elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace "
    "chloe penelope layla riley zoey nora lily eleanor hannah lillian addison aubrey "
    "ellie stella natalie zoe leah hazel violet aurora savannah audrey brooklyn bella "
    "claire skylar lucy paisley everly anna caroline nova genesis emilia kennedy "
    "quinn xavier jack wendy yusuf kofi felix gwen imogen brooke maximilian jasper"
).split()

# The opening of Tiny Shakespeare (public domain), for the character-level GPT programs.
SHAKESPEARE = """First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

First Citizen:
First, you know Caius Marcius is chief enemy to the people.

All:
We know't, we know't.

First Citizen:
Let us kill him, and we'll have corn at our own price.
Is't a verdict?

All:
No more talking on't; let it be done: away, away!

Second Citizen:
One word, good citizens.

First Citizen:
We are accounted poor citizens, the patricians good.
What authority surfeits on would relieve us: if they
would yield us but the superfluity, while it were
wholesome, we might guess they relieved us humanely;
but they think we are too dear: the leanness that
afflicts us, the object of our misery, is as an
inventory to particularise their abundance; our
sufferance is a gain to them Let us revenge this with
our pikes, ere we become rakes: for the gods know I
speak this in hunger for bread, not in thirst for revenge.
"""


def randn(torch, rng, *shape):
    """`torch.randn(*shape)` with NumPy's numbers: a float32 tensor, the same in both frameworks."""
    return torch.tensor(rng.standard_normal(shape).astype(np.float32))


def numpy_values(name, shape, seed, std):
    """The starting value of parameter `name`: its own NumPy stream, independent of the order
    in which a framework lists parameters. 1-D weights (norm scales) start near 1, the rest
    near 0."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    z = rng.standard_normal(shape).astype(np.float32)
    if len(shape) == 1 and name.endswith("weight"):
        return 1.0 + std * z
    return std * z


def load_numpy_weights(torch, model, seed=0, std=0.02):
    """Overwrite every parameter of `model` with NumPy-made values (see numpy_values).

    A tied parameter is listed once by named_parameters (under its first name), as in PyTorch.
    """
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(numpy_values(name, tuple(p.shape), seed, std)))
