"""Creation functions and random numbers against PyTorch 2.13.

Deterministic functions (eye, linspace, logspace, arange, the *_like fills, dtype inference)
are compared with torch value for value. Random streams differ from torch's (another
algorithm), so for those the tests check shapes, dtypes, ranges, argument rules, the
distribution (with bounds a wrong sampler fails) and reproducibility under a seed.
"""

import numpy as np
import pytest
import torch

import minigrad as mg

# ----------------------------------------------------------------------------------------------
# Deterministic creation, value for value against torch
# ----------------------------------------------------------------------------------------------


def same(ours, theirs):
    """Equal values and the dtype torch gives."""
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "args, kwargs",
    [((3,), {}), ((2, 4), {}), ((4, 2), {}), ((0,), {}), ((3,), {"dtype": "int64"})],
)
def test_eye_matches_torch(args, kwargs):
    theirs_kwargs = {k: getattr(torch, v) for k, v in kwargs.items()}
    same(mg.eye(*args, **kwargs), torch.eye(*args, **theirs_kwargs))


def test_eye_on_a_device_and_with_requires_grad(device):
    t = mg.eye(2, device=device, requires_grad=True)
    assert t.device == device and t.requires_grad and t.dtype == mg.float32


@pytest.mark.parametrize("bad", [-1, 2.0, True])
def test_eye_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="eye: n must be a non-negative integer"):
        mg.eye(bad)


@pytest.mark.parametrize(
    "start, end, steps",
    [(0, 1, 5), (0, 10, 7), (-3.5, 2.25, 11), (1, 0, 4), (0, 1, 1), (0, 1, 0), (0, 1, 100)],
)
def test_linspace_matches_torch(start, end, steps):
    """Both ends exact; in between within one rounding of the step: torch computes the values
    in SIMD chunks (base + i * step per chunk), so its last bit depends on the CPU's vector
    width, while minigrad computes each value from the nearer end."""
    for ours_dtype, theirs_dtype in ((mg.float32, torch.float32), (mg.float64, torch.float64)):
        ours = mg.linspace(start, end, steps, dtype=ours_dtype)
        theirs = torch.linspace(start, end, steps, dtype=theirs_dtype)
        assert ours.dtype == ours_dtype and ours.shape == tuple(theirs.shape)
        if steps:
            assert ours[0].item() == theirs[0].item() and ours[-1].item() == theirs[-1].item()
        ulp = np.finfo(ours_dtype).eps * max(abs(start), abs(end))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=2 * ulp)
    assert mg.linspace(start, end, steps).dtype == mg.float32


def test_linspace_int_dtype_and_bad_steps():
    same(mg.linspace(0, 10, 5, dtype=mg.int64), torch.linspace(0, 10, 5, dtype=torch.int64))
    with pytest.raises(ValueError, match="steps must be non-negative"):
        mg.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="steps must be an int"):
        mg.linspace(0, 1, 2.5)


@pytest.mark.parametrize("start, end, steps, base", [(0, 2, 3, 10.0), (0, 4, 5, 2), (-1, 1, 7, 3)])
def test_logspace_matches_torch(start, end, steps, base):
    ours = mg.logspace(start, end, steps, base=base, dtype=mg.float64)
    theirs = torch.logspace(start, end, steps, base=base, dtype=torch.float64)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    assert mg.logspace(start, end, steps, base).dtype == mg.float32


@pytest.mark.parametrize(
    "args",
    [(5,), (1.0,), (0, 5, 2), (0, 1, 0.25), (0, 5.0), (0, 1, 0.1), (10, 0, -3), (2.5, -1, -0.5)],
)
def test_arange_dtype_and_values_match_torch(args):
    same(mg.arange(*args), torch.arange(*args))


def test_arange_rejects_a_step_that_goes_the_wrong_way():
    with pytest.raises(ValueError, match="step must be nonzero"):
        mg.arange(0, 5, 0)
    with pytest.raises(ValueError, match="direction"):
        mg.arange(0, 5, -1)


@pytest.mark.parametrize(
    "data",
    [
        1, 1.0, True, [1, 2], [1.0, 2], [True, False], [True, 2], [[1], [2.5]], [1, True, 2.0],
        np.float64(1.0), np.int32(3), np.arange(3, dtype=np.int32), np.ones(2), [], 2**40,
    ],
)  # fmt: skip
def test_tensor_dtype_inference_matches_torch(data):
    same(mg.tensor(data), torch.tensor(data))


def test_empty_has_the_shape_and_dtype_of_torch_empty(device):
    for args in [(2, 3), ((2, 3),), (0,)]:
        ours, theirs = mg.empty(*args, device=device), torch.empty(*args)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == mg.float32
        assert ours.device == device
    assert mg.empty(2, dtype=mg.int64).dtype == mg.int64


def test_like_functions_take_shape_dtype_and_device_from_input(device):
    x = mg.ones(2, 3, dtype=mg.float64, device=device)
    tx = torch.ones(2, 3, dtype=torch.float64)
    same(mg.zeros_like(x), torch.zeros_like(tx))
    same(mg.ones_like(x, dtype=mg.int64), torch.ones_like(tx, dtype=torch.int64))
    same(mg.full_like(x, 7), torch.full_like(tx, 7))
    same(mg.full_like(x, 2.5, dtype=mg.float32), torch.full_like(tx, 2.5, dtype=torch.float32))
    assert mg.empty_like(x).shape == (2, 3) and mg.empty_like(x).dtype == mg.float64
    for made in (mg.zeros_like(x), mg.ones_like(x), mg.full_like(x, 1.0), mg.rand_like(x)):
        assert made.device == device and not made.requires_grad
    assert mg.zeros_like(x, requires_grad=True).requires_grad
    assert mg.rand_like(x, requires_grad=True).requires_grad
    assert mg.zeros_like(x, device="cpu").device == "cpu"


def test_like_functions_reject_a_non_tensor():
    with pytest.raises(TypeError, match="expected a Tensor"):
        mg.zeros_like([1, 2])


# ----------------------------------------------------------------------------------------------
# from_numpy and as_tensor: shared memory
# ----------------------------------------------------------------------------------------------


def test_from_numpy_shares_memory_and_keeps_dtype():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = mg.from_numpy(a)
    assert t.dtype == mg.float64 and t.shape == (2, 3) and t.device == "cpu"
    a[0, 0] = 100.0  # the array changes the tensor ...
    assert t[0, 0].item() == 100.0
    t.array[1, 2] = -1.0  # ... and the tensor's storage is the array
    assert a[1, 2] == -1.0
    # the same as torch: dtype kept, memory shared
    b = np.arange(3, dtype=np.int32)
    same(mg.from_numpy(b), torch.from_numpy(b))


def test_from_numpy_rejects_non_arrays_and_unsupported_dtypes():
    with pytest.raises(TypeError, match="expected a numpy.ndarray"):
        mg.from_numpy([1, 2])
    with pytest.raises(TypeError, match="dtype <U1"):
        mg.from_numpy(np.array(["a"]))


def test_as_tensor_avoids_copies_when_it_can():
    a = np.ones(3, dtype=np.float32)
    t = mg.as_tensor(a)
    a[0] = 5.0
    assert t[0].item() == 5.0  # shared, as torch.as_tensor
    x = mg.ones(2)
    assert mg.as_tensor(x) is x
    assert mg.as_tensor(x, dtype=mg.float32) is x
    y = mg.as_tensor(x, dtype=mg.float64)
    assert y is not x and y.dtype == mg.float64
    # a dtype change copies; lists are copied with torch's inference
    c = mg.as_tensor(a, dtype=mg.float64)
    a[1] = 7.0
    assert c[1].item() == 1.0
    same(mg.as_tensor([1, 2]), torch.as_tensor([1, 2]))
    same(mg.as_tensor([1.0, 2]), torch.as_tensor([1.0, 2]))


def test_as_tensor_to_another_device(other_device):
    t = mg.as_tensor(np.arange(3.0), device=other_device)
    assert t.device == other_device and t.dtype == mg.float64


# ----------------------------------------------------------------------------------------------
# Random tensors: shapes, dtypes, ranges, argument rules, distributions
# ----------------------------------------------------------------------------------------------


def test_rand_and_randn_shapes_dtypes_and_distribution(device):
    u = mg.rand(200, 100, device=device)
    n = mg.randn((200, 100), dtype=mg.float64, device=device)
    assert u.shape == (200, 100) and u.dtype == mg.float32 and u.device == device
    assert n.dtype == mg.float64
    u, n = u.numpy(), n.numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    # 20000 samples: the mean is within 5 standard errors of the true one
    assert abs(u.mean() - 0.5) < 5 * (1 / 12) ** 0.5 / 141
    assert abs(n.mean()) < 5 / 141 and abs(n.std() - 1.0) < 0.02


def test_random_floats_refuse_integer_dtypes():
    with pytest.raises(TypeError, match="randn: random floats"):
        mg.randn(2, dtype=mg.int64)
    with pytest.raises(TypeError, match="rand: random floats"):
        mg.rand_like(mg.ones(2, dtype=mg.int64))


@pytest.mark.parametrize(
    "args, kwargs, low, high",
    [
        ((5, (3,)), {}, 0, 5),
        ((2, 5, (3, 4)), {}, 2, 5),
        ((), {"high": 5, "size": (3,)}, 0, 5),
        ((), {"low": 2, "high": 5, "size": [3]}, 2, 5),
        ((3, 10), {"size": (2,)}, 3, 10),
    ],
)
def test_randint_accepts_torchs_argument_forms(args, kwargs, low, high):
    theirs = torch.randint(*args, **kwargs)
    ours = mg.randint(*args, **kwargs)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == mg.int64
    assert ours.numpy().min() >= low and ours.numpy().max() < high


def test_randint_covers_its_range_and_takes_a_dtype():
    draws = mg.randint(3, 7, (4000,)).numpy()
    assert set(draws.tolist()) == {3, 4, 5, 6}
    counts = np.bincount(draws - 3)
    assert np.all(np.abs(counts - 1000) < 5 * np.sqrt(1000 * 0.75))
    assert mg.randint(5, (2,), dtype=mg.float32).dtype == mg.float32  # as torch allows


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: mg.randint(5), TypeError, "needs a size"),
        (lambda: mg.randint((5,)), TypeError, "needs a size"),
        (lambda: mg.randint(0, 5), TypeError, "needs a size"),
        (lambda: mg.randint(0, 5, 3), TypeError, "size must be a tuple of ints, not int"),
        (lambda: mg.randint(0, 5, size=3), TypeError, "size must be a tuple of ints"),
        (lambda: mg.randint(3, 10.5, (2,)), TypeError, "high must be an int"),
        (lambda: mg.randint(5, 3, (2,)), ValueError, "low must be less than high"),
        (lambda: mg.randint(3, 3, (2,)), ValueError, "low=3 >= high=3"),
        (lambda: mg.randint(1, 2, 3, (2,)), TypeError, "positional arguments"),
    ],
)
def test_randint_argument_errors(call, error, message):
    """The forms torch rejects are rejected too (torch raises TypeError/RuntimeError)."""
    with pytest.raises(error, match=message):
        call()


def test_randint_like_keeps_input_dtype_as_torch():
    x, tx = mg.ones(3, 2), torch.ones(3, 2)
    ours, theirs = mg.randint_like(x, 5), torch.randint_like(tx, 5)
    assert ours.dtype == mg.float32 and str(theirs.dtype) == "torch.float32"
    assert ours.shape == (3, 2) and ours.numpy().max() < 5
    between = mg.randint_like(mg.ones(100, dtype=mg.int64), 3, 5).numpy()
    assert set(between.tolist()) <= {3, 4} and between.dtype == np.int64


def test_randperm_is_a_permutation_with_torchs_dtype(device):
    p = mg.randperm(50, device=device)
    assert p.dtype == mg.int64 and p.device == device
    assert sorted(p.tolist()) == list(range(50))
    assert mg.randperm(4, dtype=mg.float32).dtype == mg.float32
    assert mg.randperm(0).shape == (0,)
    with pytest.raises(ValueError, match="randperm: n must be a non-negative integer"):
        mg.randperm(-1)


# ----------------------------------------------------------------------------------------------
# Generators and seeds
# ----------------------------------------------------------------------------------------------


def test_manual_seed_returns_the_default_generator_and_repeats_draws():
    g = mg.manual_seed(5)
    assert g is mg.default_generator and isinstance(g, mg.Generator)
    assert g.initial_seed() == 5 and mg.initial_seed() == 5
    first = [mg.randn(4).numpy(), mg.rand(3).numpy(), mg.randint(0, 9, (5,)).numpy()]
    mg.manual_seed(5)
    second = [mg.randn(4).numpy(), mg.rand(3).numpy(), mg.randint(0, 9, (5,)).numpy()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    mg.manual_seed(6)
    assert not np.array_equal(mg.randn(4).numpy(), first[0])  # the control


def test_generator_interface_matches_torch():
    g, tg = mg.Generator(), torch.Generator()
    assert (g.manual_seed(3) is g) and (tg.manual_seed(3) is tg)
    assert g.initial_seed() == tg.initial_seed() == 3
    seed = g.seed()
    assert isinstance(seed, int) and g.initial_seed() == seed
    assert str(g.get_state().dtype) == "uint8" and str(tg.get_state().dtype) == "torch.uint8"


def test_a_generator_of_its_own_leaves_the_default_stream_alone():
    mg.manual_seed(0)
    expected = mg.randn(3).numpy()
    mg.manual_seed(0)
    g = mg.Generator().manual_seed(1)
    mg.randn(10, generator=g)
    np.testing.assert_array_equal(mg.randn(3).numpy(), expected)


@pytest.mark.parametrize(
    "draw",
    [
        lambda g: mg.rand(4, generator=g),
        lambda g: mg.randn(4, generator=g),
        lambda g: mg.randint(0, 100, (4,), generator=g),
        lambda g: mg.randperm(10, generator=g),
        lambda g: mg.rand_like(mg.ones(4), generator=g),
        lambda g: mg.randn_like(mg.ones(4), generator=g),
        lambda g: mg.randint_like(mg.ones(4), 100, generator=g),
        lambda g: mg.multinomial(mg.ones(10), 4, generator=g),
    ],
)
def test_every_random_function_follows_its_generator(draw):
    a = draw(mg.Generator().manual_seed(11)).numpy()
    b = draw(mg.Generator().manual_seed(11)).numpy()
    c = draw(mg.Generator().manual_seed(12)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_get_state_and_set_state_replay_the_stream():
    g = mg.Generator().manual_seed(4)
    mg.rand(3, generator=g)
    state = g.get_state()
    first = mg.randn(5, generator=g).numpy()
    assert g.set_state(state) is g
    np.testing.assert_array_equal(mg.randn(5, generator=g).numpy(), first)
    mg.manual_seed(9)
    saved = mg.get_rng_state()
    x = mg.rand(4).numpy()
    mg.set_rng_state(saved)
    np.testing.assert_array_equal(mg.rand(4).numpy(), x)


def test_set_state_rejects_foreign_states():
    g = mg.Generator()
    with pytest.raises(TypeError, match="uint8 Tensor"):
        g.set_state(np.zeros(48, dtype=np.uint8))
    with pytest.raises(ValueError, match="48 bytes"):
        g.set_state(mg.zeros(10, dtype=mg.uint8))


def test_manual_seed_rejects_non_integers():
    with pytest.raises(TypeError, match="the seed must be an int"):
        mg.manual_seed(1.5)


def test_a_generator_argument_must_be_a_generator():
    with pytest.raises(TypeError, match="generator must be a minigrad.Generator"):
        mg.rand(2, generator=3)


# ----------------------------------------------------------------------------------------------
# multinomial
# ----------------------------------------------------------------------------------------------


def test_multinomial_shapes_and_dtype_match_torch(device):
    p = mg.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 1.0]], device=device)
    tp = torch.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 1.0]])
    for args in [(2,), (2, True), (7, True)]:
        ours, theirs = mg.multinomial(p, *args), torch.multinomial(tp, *args)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == mg.int64
        assert ours.device == device
    assert mg.multinomial(p[0], 3).shape == (3,)


def test_multinomial_without_replacement_draws_distinct_categories_zero_weights_last():
    for seed in range(20):
        g = mg.Generator().manual_seed(seed)
        row = mg.multinomial(mg.tensor([0.0, 1.0, 1.0]), 3, generator=g).tolist()
        assert sorted(row) == [0, 1, 2] and row[2] == 0  # torch: zero weights come last
        assert sorted(mg.multinomial(mg.ones(2, 6), 6, generator=g)[1].tolist()) == list(range(6))


def test_multinomial_frequencies_follow_the_unnormalised_weights():
    weights = mg.tensor([1.0, 2.0, 7.0, 0.0])
    draws = mg.multinomial(weights, 20000, replacement=True).numpy()
    frequencies = np.bincount(draws, minlength=4) / 20000
    expected = np.array([0.1, 0.2, 0.7, 0.0])
    # 5 standard errors of a frequency out of 20000 draws
    assert np.all(np.abs(frequencies - expected) <= 5 * np.sqrt(expected * (1 - expected) / 20000))
    # without replacement, one draw: the first category follows the weights too
    g = mg.Generator().manual_seed(0)
    firsts = [mg.multinomial(weights, 2, generator=g)[0].item() for _ in range(3000)]
    assert abs(firsts.count(2) / 3000 - 0.7) < 5 * np.sqrt(0.21 / 3000)


@pytest.mark.parametrize(
    "weights, num_samples, replacement, error, message",
    [
        ([1.0, -1.0], 1, False, ValueError, "inf, nan or a negative"),
        ([1.0, float("inf")], 1, False, ValueError, "inf, nan or a negative"),
        ([1.0, float("nan")], 1, True, ValueError, "inf, nan or a negative"),
        ([0.0, 0.0], 1, True, ValueError, "add up to 0"),
        ([[1.0, 0.0], [0.0, 0.0]], 1, False, ValueError, "add up to 0"),
        ([1.0, 1.0], 3, False, ValueError, "cannot draw 3 samples without replacement from 2"),
        ([1.0, 1.0], 0, True, ValueError, "num_samples must be positive"),
        ([[[1.0]]], 1, True, ValueError, "1-D or 2-D"),
        ([1, 1], 1, True, TypeError, "floating-point"),
    ],
)
def test_multinomial_errors_where_torch_errors(weights, num_samples, replacement, error, message):
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), num_samples, replacement)
    with pytest.raises(error, match=message):
        mg.multinomial(mg.tensor(weights), num_samples, replacement)
