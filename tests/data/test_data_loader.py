"""Datasets, DataLoader and random_split: every sample once per epoch, reproducible shuffling."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

N = 23  # not a multiple of any batch size used below


def numbered_dataset(n=N, device="cpu"):
    """Sample i is (features [i, 10 i] as float32, label i as int64): easy to trace."""
    ids = np.arange(n)
    X = mg.tensor(np.stack([ids, 10 * ids], axis=1).astype(np.float32), device=device)
    y = mg.tensor(ids.astype(np.int64), device=device)
    return TensorDataset(X, y)


class SquaresDataset(Dataset):
    """A Dataset that computes its samples in Python: exercises the generic get_batch."""

    def __len__(self):
        return N

    def __getitem__(self, i):
        return mg.tensor([float(i), float(i * i)]), i


class PlainSequence:
    """Not a Dataset subclass at all: anything with __len__ and __getitem__ works."""

    def __len__(self):
        return N

    def __getitem__(self, i):
        return {"x": np.array([i, i], dtype=np.float32), "label": i}


def labels_of(loader):
    batches = [batch[1].numpy() for batch in loader]
    return batches, np.concatenate(batches)


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_exactly_once_per_epoch(shuffle, device):
    loader = DataLoader(numbered_dataset(device=device), batch_size=5, shuffle=shuffle, generator=0)
    for _ in range(3):  # three epochs
        batches, labels = labels_of(loader)
        assert sorted(labels.tolist()) == list(range(N))
        assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    xb, yb = next(iter(loader))
    assert xb.device == device and xb.dtype == np.float32 and xb.shape == (5, 2)
    assert yb.dtype == np.int64 and yb.shape == (5,)
    np.testing.assert_array_equal(xb.numpy()[:, 1], 10 * yb.numpy())  # rows stay together


@given(
    n=st.integers(0, 40),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_batches_property(n, batch_size, shuffle, drop_last, seed):
    """Any size and batch size: full batches, then at most one short batch (unless dropped);
    no sample twice; all samples when nothing is dropped; len() is the number of batches."""
    loader = DataLoader(
        numbered_dataset(n),
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        generator=seed,
    )
    sizes, seen = [], []
    for _, labels in loader:
        sizes.append(len(labels))
        seen.extend(labels.numpy().tolist())
    assert len(sizes) == len(loader)
    assert all(size == batch_size for size in sizes[:-1])
    assert len(seen) == len(set(seen))
    if drop_last:
        assert len(seen) == (n // batch_size) * batch_size
    else:
        assert sorted(seen) == list(range(n))


def test_without_shuffle_the_order_is_the_dataset_order():
    _, labels = labels_of(DataLoader(numbered_dataset(), batch_size=4))
    np.testing.assert_array_equal(labels, np.arange(N))


def test_shuffle_is_reproducible_with_a_seeded_generator():
    def epochs(generator):
        loader = DataLoader(numbered_dataset(), batch_size=4, shuffle=True, generator=generator)
        return [labels_of(loader)[1].tolist() for _ in range(3)]

    first, again = epochs(7), epochs(np.random.default_rng(7))
    assert first == again  # an int seed and a Generator with that seed agree
    assert first[0] != first[1]  # a new order every epoch
    assert first != epochs(8)
    assert first[0] != list(range(N))


def test_shuffle_follows_the_global_seed_by_default():
    loader = DataLoader(numbered_dataset(), batch_size=4, shuffle=True)
    mg.manual_seed(11)
    first = labels_of(loader)[1]
    mg.manual_seed(11)
    np.testing.assert_array_equal(labels_of(loader)[1], first)


@pytest.mark.parametrize("drop_last, sizes", [(False, [10, 10, 3]), (True, [10, 10])])
def test_drop_last(drop_last, sizes):
    loader = DataLoader(numbered_dataset(), batch_size=10, shuffle=True, drop_last=drop_last)
    batches, labels = labels_of(loader)
    assert [len(b) for b in batches] == sizes
    assert len(loader) == len(sizes)
    assert len(set(labels.tolist())) == sum(sizes)  # still no sample twice


def test_len_counts_batches():
    assert len(DataLoader(numbered_dataset(), batch_size=1)) == N
    assert len(DataLoader(numbered_dataset(), batch_size=N)) == 1
    assert len(DataLoader(numbered_dataset(), batch_size=100)) == 1
    assert len(DataLoader(numbered_dataset(), batch_size=100, drop_last=True)) == 0


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_invalid_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(numbered_dataset(), batch_size=batch_size)


def test_generic_dataset_batches_are_stacked():
    batches = list(DataLoader(SquaresDataset(), batch_size=4, shuffle=True, generator=1))
    xs = np.concatenate([x.numpy() for x, _ in batches])
    ids = np.concatenate([i.numpy() for _, i in batches])
    assert sorted(ids.tolist()) == list(range(N))
    np.testing.assert_array_equal(xs[:, 1], ids.astype(np.float32) ** 2)
    assert batches[0][1].dtype == np.int64  # Python ints -> int64


def test_plain_object_with_dict_samples():
    batch = next(iter(DataLoader(PlainSequence(), batch_size=3)))
    assert set(batch) == {"x", "label"}
    np.testing.assert_array_equal(batch["x"].numpy(), [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(batch["label"].numpy(), [0, 1, 2])


def test_default_collate_fields():
    x, y, name = default_collate([(mg.tensor([1.0]), 0.5, "a"), (mg.tensor([2.0]), 1.5, "b")])
    np.testing.assert_array_equal(x.numpy(), [[1.0], [2.0]])
    assert y.dtype == np.float32
    assert name == ["a", "b"]
    with pytest.raises(ValueError, match="fields"):
        default_collate([(1, 2), (1, 2, 3)])


def test_tensor_dataset_checks_lengths_and_indexes():
    with pytest.raises(ValueError, match="same length"):
        TensorDataset(mg.zeros(3, 2), mg.zeros(4))
    with pytest.raises(ValueError):
        TensorDataset()
    ds = TensorDataset(np.arange(6).reshape(3, 2), np.array([7, 8, 9]))  # arrays are accepted
    x, y = ds[1]
    np.testing.assert_array_equal(x.numpy(), [2, 3])
    assert y.item() == 8 and len(ds) == 3


# ---------------------------------------------------------------------------------------------
# random_split and Subset
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lengths, sizes",
    [([20, 3], [20, 3]), ([0.8, 0.2], [19, 4]), ([0.5, 0.3, 0.2], [12, 7, 4]), ([1.0], [23])],
)
def test_random_split_partitions_the_dataset(lengths, sizes):
    # fractions: floor(23 * f) = 18, 4 -> one left over goes to the first split: 19, 4
    #            floor -> 11, 6, 4 -> two left over: 12, 7, 4
    parts = random_split(numbered_dataset(), lengths, generator=0)
    assert [len(part) for part in parts] == sizes
    labels = [labels_of(DataLoader(part, batch_size=5))[1] for part in parts]
    everything = np.concatenate(labels)
    assert sorted(everything.tolist()) == list(range(N))  # disjoint and complete


def test_random_split_is_reproducible_and_random():
    def split(seed):
        return [part.indices.tolist() for part in random_split(range(N), [10, 13], generator=seed)]

    assert split(3) == split(3)
    assert split(3) != split(4)
    assert split(3)[0] != list(range(10))


@pytest.mark.parametrize("lengths", [[10, 10], [0.5, 0.6], [-1, 24]])
def test_random_split_rejects_bad_lengths(lengths):
    with pytest.raises(ValueError):
        random_split(numbered_dataset(), lengths)


def test_subset_indexing_and_batches():
    subset = Subset(numbered_dataset(), [5, 2, 9])
    assert len(subset) == 3
    assert subset[1][1].item() == 2
    xb, yb = next(iter(DataLoader(subset, batch_size=3)))
    np.testing.assert_array_equal(yb.numpy(), [5, 2, 9])
    nested = Subset(subset, [2, 0])  # a subset of a subset
    np.testing.assert_array_equal(next(iter(DataLoader(nested, batch_size=2)))[1].numpy(), [9, 5])
    plain = Subset(PlainSequence(), [4, 1])
    np.testing.assert_array_equal(
        next(iter(DataLoader(plain, batch_size=2)))["label"].numpy(), [4, 1]
    )


def test_generator_argument_is_checked():
    with pytest.raises(TypeError, match="generator"):
        DataLoader(numbered_dataset(), shuffle=True, generator="seed")


def test_subset_takes_ints_slices_and_lists():
    """subset[i] is one sample; subset[:] and subset[[...]] are batches of the chosen samples."""
    X = mg.tensor(np.arange(10, dtype=np.float32).reshape(5, 2))
    y = mg.tensor(np.arange(5))
    subset = Subset(TensorDataset(X, y), [4, 0, 2])
    x_one, y_one = subset[1]
    assert x_one.tolist() == [0.0, 1.0] and y_one.item() == 0
    xs, ys = subset[:]
    assert ys.tolist() == [4, 0, 2]
    assert xs.tolist() == [[8.0, 9.0], [0.0, 1.0], [4.0, 5.0]]
    _, ys = subset[[2, 0]]
    assert ys.tolist() == [2, 4]


# ----------------------------------------------------------------------------------------------
# PyTorch's DataLoader arguments, samplers, collate; compared with torch.utils.data
# ----------------------------------------------------------------------------------------------

torch = pytest.importorskip("torch")
tud = torch.utils.data


def test_minigrad_utils_data_is_the_torch_utils_data_path():
    import minigrad.utils.data as mud

    for name in [
        "DataLoader", "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
        "random_split", "default_collate", "default_convert", "Sampler", "SequentialSampler",
        "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
    ]:  # fmt: skip
        assert hasattr(tud, name)
        assert getattr(mud, name) is getattr(mg.data, name)
    import minigrad.autograd
    import minigrad.nn.functional
    import minigrad.nn.init
    import minigrad.nn.utils
    import minigrad.optim.lr_scheduler  # noqa: F401 -- the paths torch code imports

    assert mg.utils.data is mud


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_sampler": [[0]], "batch_size": 2},
        {"batch_sampler": [[0]], "shuffle": True},
        {"batch_sampler": [[0]], "sampler": [0]},
        {"batch_sampler": [[0]], "drop_last": True},
        {"sampler": [0], "shuffle": True},
        {"batch_size": None, "drop_last": True},
        {"num_workers": -1},
        {"persistent_workers": True},
        {"prefetch_factor": 2},
        {"timeout": -1},
    ],
)
def test_mutually_exclusive_options_raise_value_error_as_torch(kwargs):
    data = list(range(5))
    with pytest.raises(ValueError) as theirs:
        tud.DataLoader(data, **kwargs)
    with pytest.raises(ValueError) as ours:
        DataLoader(data, **kwargs)
    words = str(theirs.value).split()[:3]  # the same opening words as torch's message
    assert str(ours.value).split()[:3] == words


def as_lists(batches):
    """Batches (tensors, lists, dicts) as plain Python values, for either library."""
    if hasattr(batches, "tolist"):
        return batches.tolist()
    if isinstance(batches, dict):
        return {key: as_lists(value) for key, value in batches.items()}
    if isinstance(batches, (list, tuple)):
        return [as_lists(b) for b in batches]
    return batches


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"batch_size": 4},
        {"batch_size": 4, "drop_last": True},
        {"batch_size": None},
        {"batch_sampler": [[3, 1], [0], [2, 4, 5]]},
        {"sampler": [5, 4, 3, 2, 1, 0], "batch_size": 4},
        {"batch_size": 2, "num_workers": 2, "pin_memory": True},
        {"batch_size": 2, "collate_fn": lambda samples: len(samples)},
    ],
)
@pytest.mark.filterwarnings("ignore:'pin_memory' argument")  # torch's, on a machine without GPU
def test_batches_and_len_match_torch(kwargs):
    samples = [(i, float(i) / 2, {"id": i}) for i in range(6)]
    theirs = tud.DataLoader(samples, **kwargs)
    ours = DataLoader(samples, **kwargs)
    assert len(ours) == len(theirs)
    assert as_lists(list(ours)) == as_lists(list(theirs))


def test_tensor_dataset_batches_are_lists_as_in_torch():
    x = np.arange(12.0, dtype=np.float32).reshape(6, 2)
    ours = next(iter(DataLoader(TensorDataset(x, np.arange(6)), batch_size=4)))
    theirs = next(iter(tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.arange(6)), 4)))
    assert type(ours) is type(theirs) is list
    assert as_lists(ours) == as_lists(theirs)


def test_default_collate_matches_torch_except_python_floats():
    from collections import namedtuple

    Point = namedtuple("Point", "x y")
    cases = [
        [(1, True, "a"), (2, False, "b")],
        [{"a": np.array([1, 2], dtype=np.int32)}, {"a": np.array([3, 4], dtype=np.int32)}],
        [Point(1, 2), Point(3, 4)],
        [[np.float32(1.5)], [np.float32(2.5)]],
    ]
    for samples in cases:
        ours, theirs = default_collate(samples), tud.default_collate(samples)
        assert type(ours) is type(theirs)
        assert as_lists(ours) == as_lists(theirs)
    # Python floats: torch makes float64, minigrad the default dtype (no float64 sneaking in)
    assert str(tud.default_collate([0.5, 1.5]).dtype) == "torch.float64"
    assert default_collate([0.5, 1.5]).dtype == mg.float32
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_sequential_random_and_batch_samplers():
    from minigrad.data import BatchSampler, RandomSampler, SequentialSampler

    assert list(SequentialSampler(range(4))) == list(tud.SequentialSampler(range(4)))
    ours = list(BatchSampler(SequentialSampler(range(10)), 3, False))
    assert ours == list(tud.BatchSampler(tud.SequentialSampler(range(10)), 3, False))
    assert len(BatchSampler(range(10), 3, True)) == len(tud.BatchSampler(range(10), 3, True)) == 3
    order = list(RandomSampler(range(20), generator=mg.Generator().manual_seed(1)))
    assert sorted(order) == list(range(20)) and order != list(range(20))
    again = list(RandomSampler(range(20), generator=mg.Generator().manual_seed(1)))
    assert order == again
    more = list(RandomSampler(range(5), num_samples=12, generator=3))
    assert len(more) == 12 and sorted(more[:5]) == list(range(5))  # whole permutations
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=300, generator=0))
    assert set(drawn) == {0, 1, 2} and len(drawn) == 300


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda lib: lib.RandomSampler(range(3), replacement=1), TypeError),
        (lambda lib: lib.RandomSampler(range(3), num_samples=0), ValueError),
        (lambda lib: lib.BatchSampler(range(3), 0, False), ValueError),
        (lambda lib: lib.BatchSampler(range(3), True, False), ValueError),
        (lambda lib: lib.BatchSampler(range(3), 2, 1), ValueError),
        (lambda lib: lib.WeightedRandomSampler([1.0, 2.0], 0), ValueError),
    ],
)
def test_sampler_argument_errors_match_torch(make, error):
    with pytest.raises(error):
        make(tud)
    with pytest.raises(error):
        make(mg.data)


def test_subset_random_and_weighted_samplers():
    from minigrad.data import SubsetRandomSampler, WeightedRandomSampler

    picked = list(SubsetRandomSampler([10, 20, 30, 40], generator=0))
    assert sorted(picked) == [10, 20, 30, 40]
    assert list(SubsetRandomSampler([10, 20, 30, 40], generator=0)) == picked
    weighted = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=0))
    counts = np.bincount(weighted, minlength=3)
    assert counts[0] == 0 and abs(counts[2] / 4000 - 0.75) < 5 * np.sqrt(0.75 * 0.25 / 4000)
    distinct = list(WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False, generator=1))
    assert sorted(distinct) == [0, 1, 2]


def test_a_dataloader_with_a_sampler_and_a_minigrad_generator():
    from minigrad.data import SubsetRandomSampler

    loader = DataLoader(numbered_dataset(), batch_size=4, sampler=SubsetRandomSampler(range(8)))
    seen = np.concatenate([yb.numpy() for _, yb in loader])
    assert sorted(seen.tolist()) == list(range(8))

    def epoch(seed):
        generator = mg.Generator().manual_seed(seed)
        loader = DataLoader(numbered_dataset(), 5, shuffle=True, generator=generator)
        return [yb.tolist() for _, yb in loader]

    assert epoch(2) == epoch(2) and epoch(2) != epoch(3)


class Stream(mg.data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class TorchStream(tud.IterableDataset):
    def __iter__(self):
        return iter(range(7))

    def __len__(self):
        return 7


@pytest.mark.parametrize(
    "kwargs", [{}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}]
)
def test_iterable_dataset_batches_match_torch(kwargs):
    ours, theirs = DataLoader(Stream(7), **kwargs), tud.DataLoader(TorchStream(), **kwargs)
    assert as_lists(list(ours)) == as_lists(list(theirs)) and len(ours) == len(theirs)


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}])
def test_iterable_dataset_refuses_orderings(kwargs):
    with pytest.raises(ValueError, match="IterableDataset"):
        tud.DataLoader(TorchStream(), **kwargs)
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified"):
        DataLoader(Stream(7), **kwargs)


def test_concat_dataset_matches_torch():
    from minigrad.data import ConcatDataset

    ours = ConcatDataset([range(3), range(10, 12)])
    theirs = tud.ConcatDataset([range(3), range(10, 12)])
    assert len(ours) == len(theirs) == 5
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-5, 5)] == [theirs[i] for i in range(-5, 5)]
    with pytest.raises(IndexError):
        ours[5]
    with pytest.raises(IndexError):
        ours[-6]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    batches = list(DataLoader(ours, batch_size=2))
    assert as_lists(batches) == as_lists(list(tud.DataLoader(theirs, batch_size=2)))


@pytest.mark.parametrize("lengths", [[0.33, 0.33, 0.34], [0.5, 0.5], [0.7, 0.2, 0.1], [3, 7]])
def test_random_split_sizes_match_torch(lengths):
    ours = [len(s) for s in random_split(range(10), lengths, generator=0)]
    theirs = [len(s) for s in tud.random_split(range(10), lengths)]
    assert ours == theirs


def test_random_split_takes_a_minigrad_generator():
    a = random_split(range(10), [5, 5], generator=mg.Generator().manual_seed(3))
    b = random_split(range(10), [5, 5], generator=mg.Generator().manual_seed(3))
    assert a[0].indices.tolist() == b[0].indices.tolist()
