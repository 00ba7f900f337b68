"""minigrad.save / minigrad.load: exact round trips, atomic writes, and refusing bad files."""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import optim
from minigrad.serialization import CheckpointError, load, save


def assert_same(a, b):
    """Equal structure, types, dtypes, shapes and bytes (so NaN payloads and -0.0 count)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert type(key) is type(next(k for k in b if k == key))
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, mg.Tensor):
        assert a.requires_grad == b.requires_grad and a.device == b.device
        assert_same(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    elif isinstance(a, float):
        assert a == b or (a != a and b != b)  # NaN == NaN for our purpose
        assert np.copysign(1.0, a) == np.copysign(1.0, b)
    else:
        assert a == b


def example():
    special = np.array([np.nan, -0.0, np.inf, -np.inf, 1e-45, 3.4e38], dtype=np.float32)
    return {
        "weights": np.arange(12, dtype=np.float32).reshape(3, 4),
        "transposed": np.arange(6, dtype=np.float64).reshape(2, 3).T,  # not C-contiguous
        "special": special,
        "ints": np.array([-(2**62), 0, 2**62], dtype=np.int64),
        "flags": np.array([True, False]),
        "complex": np.array([1 + 2j], dtype=np.complex64),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "zero_d": np.array(7.5, dtype=np.float64),
        "half": np.array([1.5, -2.25], dtype=np.float16),
        "bytes": np.array([0, 255], dtype=np.uint8),
        "tensor": mg.tensor([1.0, 2.0], requires_grad=True),
        "int_tensor": mg.tensor([1, 2, 3]),
        "numpy_scalars": [np.float32(0.1), np.int64(-3), np.float64(2.5), np.bool_(True)],
        "python": [None, True, False, 0, -17, 2**80, 0.1, float("nan"), -0.0, float("inf")],
        "text": 'héllo, 世界\n"quoted"',
        "tuple": (1, (2.0, "three")),
        "int_keys": {0: {"step": 3}, 1: {"step": 4}},
        "empty_containers": [[], {}, ()],
    }


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "checkpoint.npz"
    obj = example()
    save(obj, path)
    assert_same(load(path), obj)


def test_round_trip_of_a_module_state_dict_and_optimizer(tmp_path):
    nn = pytest.importorskip("minigrad.nn")
    mg.manual_seed(3)
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    for p in model.parameters():
        p.grad = np.ones(p.shape, dtype=np.float32)
    optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}
    save(checkpoint, tmp_path / "ckpt.npz")
    loaded = load(tmp_path / "ckpt.npz")
    assert loaded["epoch"] == 3
    assert list(loaded["model"]) == list(checkpoint["model"])
    for name, value in checkpoint["model"].items():
        assert_same(loaded["model"][name], value)
    assert_same(loaded["optimizer"], checkpoint["optimizer"])

    mg.manual_seed(4)
    other = nn.Linear(3, 2)
    other.load_state_dict(loaded["model"])
    for a, b in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_map_location_puts_arrays_and_tensors_on_the_device(device, tmp_path):
    save({"a": np.ones(3, dtype=np.float32), "t": mg.tensor([1.0, 2.0])}, tmp_path / "c.npz")
    loaded = load(tmp_path / "c.npz", map_location=device)
    assert mg.get_backend(device).is_array(loaded["a"])
    assert loaded["t"].device == device
    np.testing.assert_array_equal(loaded["t"].numpy(), [1.0, 2.0])


def test_device_arrays_and_tensors_are_saved_from_any_device(device, tmp_path):
    backend = mg.get_backend(device)
    obj = {
        "array": backend.asarray(np.arange(4, dtype=np.float32)),
        "tensor": mg.tensor([3.0], device=device, requires_grad=True),
    }
    save(obj, tmp_path / "c.npz")
    loaded = load(tmp_path / "c.npz")
    assert isinstance(loaded["array"], np.ndarray)
    np.testing.assert_array_equal(loaded["array"], np.arange(4, dtype=np.float32))
    assert loaded["tensor"].device == "cpu" and loaded["tensor"].requires_grad


def test_path_is_used_exactly_as_given(tmp_path):
    save({"x": 1}, tmp_path / "model.ckpt")  # np.savez would append ".npz" to a bare name
    assert os.listdir(tmp_path) == ["model.ckpt"]
    assert load(str(tmp_path / "model.ckpt")) == {"x": 1}


leaf_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.bool_]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
leaves = st.one_of(
    leaf_arrays,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=10),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(-5, 5)), children, max_size=4),
    ),
    max_leaves=12,
)


@given(obj=trees)
def test_round_trip_property(obj, tmp_path_factory):
    path = tmp_path_factory.mktemp("prop") / "c.npz"
    save(obj, path)
    assert_same(load(path), obj)


# ---------------------------------------------------------------------------------------------
# Atomic writes: a failed save never destroys the previous checkpoint
# ---------------------------------------------------------------------------------------------


def saved_bytes(path):
    with open(path, "rb") as file:
        return file.read()


@pytest.mark.parametrize(
    "bad",
    [
        {"weights": np.ones(2), "oops": object()},
        {"weights": np.array([object()], dtype=object)},
        {("tuple", "key"): 1},
        {"strings": np.array(["a", "b"])},
        {"a set": {1, 2}},
    ],
    ids=["object", "object-array", "tuple-key", "string-array", "set"],
)
def test_unsaveable_object_leaves_the_old_file_intact(bad, tmp_path):
    path = tmp_path / "checkpoint.npz"
    save({"epoch": 1, "w": np.arange(3.0)}, path)
    before = saved_bytes(path)
    with pytest.raises(TypeError):
        save(bad, path)
    assert saved_bytes(path) == before
    assert os.listdir(tmp_path) == ["checkpoint.npz"]  # no temporary file left behind
    assert load(path)["epoch"] == 1


def test_crash_while_writing_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    save({"epoch": 1}, path)
    before = saved_bytes(path)

    def crash_halfway(file, **arrays):
        file.write(b"PK\x03\x04 half a checkpoint")
        raise KeyboardInterrupt  # e.g. Ctrl-C or the machine going away mid-write

    monkeypatch.setattr(np, "savez", crash_halfway)
    with pytest.raises(KeyboardInterrupt):
        save({"epoch": 2}, path)
    monkeypatch.undo()
    assert saved_bytes(path) == before
    assert os.listdir(tmp_path) == ["checkpoint.npz"]


def test_failed_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    save({"epoch": 1}, path)

    def refuse(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        save({"epoch": 2}, path)
    monkeypatch.undo()
    assert load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["checkpoint.npz"]


def test_save_overwrites_atomically_with_new_content(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save({"epoch": 1}, path)
    save({"epoch": 2}, path)
    assert load(path) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["checkpoint.npz"]


# ---------------------------------------------------------------------------------------------
# Bad files: always a CheckpointError naming the file, never code execution
# ---------------------------------------------------------------------------------------------


def expect_checkpoint_error(path, *fragments):
    with pytest.raises(CheckpointError) as error:
        load(path)
    message = str(error.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, 0.99, -1])
def test_truncated_file(keep, tmp_path):
    path = tmp_path / "checkpoint.npz"
    save(example(), path)
    data = saved_bytes(path)
    cut = len(data) - 1 if keep == -1 else int(len(data) * keep)
    with open(path, "wb") as file:
        file.write(data[:cut])
    expect_checkpoint_error(path)


def test_flipped_byte_inside_an_array_is_detected(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save({"w": np.zeros(1000, dtype=np.float32)}, path)
    data = bytearray(saved_bytes(path))
    data[data.find(bytes(400)) + 200] ^= 0xFF  # inside the zeros of the array's data
    with open(path, "wb") as file:
        file.write(bytes(data))
    expect_checkpoint_error(path, "corrupt")


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    expect_checkpoint_error(path, "not a minigrad checkpoint")


def test_random_bytes_that_start_like_a_zip(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(1).bytes(2000))
    expect_checkpoint_error(path, "corrupt")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    expect_checkpoint_error(path, "empty")


class PlantsAFile:
    """Unpickling this object would create a file: the proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_is_refused_not_executed(protocol, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"weights": PlantsAFile(marker)}, protocol=protocol))
    expect_checkpoint_error(path)
    assert not marker.exists()


def test_pickled_array_inside_an_npz_is_refused_not_executed(tmp_path):
    """A crafted file that looks like ours but hides a pickled object array."""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    header = {
        "format": "minigrad-checkpoint",
        "version": 1,
        "tree": {"type": "array", "name": "a0"},
    }
    evil = np.array([PlantsAFile(marker)], dtype=object)
    header_array = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, a0=evil, __minigrad_header__=header_array)  # np.savez pickles object arrays
    expect_checkpoint_error(path)
    assert not marker.exists()


def test_plain_npy_and_npz_files_are_not_checkpoints(tmp_path):
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    expect_checkpoint_error(npy, ".npy")
    npz = tmp_path / "arrays.npz"
    np.savez(npz, x=np.ones(3))
    expect_checkpoint_error(npz, "not a minigrad checkpoint")


def write_with_header(path, header, **arrays):
    header_array = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, __minigrad_header__=header_array, **arrays)


def test_future_version_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "future.npz"
    write_with_header(path, {"format": "minigrad-checkpoint", "version": 99, "tree": 1})
    expect_checkpoint_error(path, "version 99", "newer")


@pytest.mark.parametrize(
    "header",
    [
        {"format": "something-else", "version": 1, "tree": 1},
        {"format": "minigrad-checkpoint", "version": "1", "tree": 1},
        {"format": "minigrad-checkpoint", "version": 1},
        {"format": "minigrad-checkpoint", "version": 1, "tree": {"type": "array", "name": "a9"}},
        {"format": "minigrad-checkpoint", "version": 1, "tree": {"type": "mystery"}},
        {"format": "minigrad-checkpoint", "version": 1, "tree": {"type": "list"}},
        ["not", "a", "dict"],
    ],
)
def test_damaged_headers(header, tmp_path):
    path = tmp_path / "damaged.npz"
    write_with_header(path, header)
    expect_checkpoint_error(path)


def test_entry_that_is_not_an_array(tmp_path):
    path = tmp_path / "damaged.npz"
    header = {"format": "minigrad-checkpoint", "version": 1, "tree": {"type": "array", "name": "x"}}
    write_with_header(path, header)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("x", b"raw bytes, not an .npy file")
    expect_checkpoint_error(path, "not a NumPy array")


def test_absurdly_deep_header(tmp_path):
    path = tmp_path / "deep.npz"
    tree = '{"type": "list", "items": [' * 5000 + "1" + "]}" * 5000
    header = '{"format": "minigrad-checkpoint", "version": 1, "tree": ' + tree + "}"
    np.savez(path, __minigrad_header__=np.frombuffer(header.encode(), dtype=np.uint8))
    expect_checkpoint_error(path)


def test_header_that_is_not_json(tmp_path):
    path = tmp_path / "damaged.npz"
    np.savez(path, __minigrad_header__=np.frombuffer(b"\xff{not json", dtype=np.uint8))
    expect_checkpoint_error(path, "header")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.npz")


def test_the_file_is_an_ordinary_npz_with_a_json_header(tmp_path):
    """The format is documented and readable with NumPy alone, without minigrad."""
    path = tmp_path / "c.npz"
    save({"w": np.arange(3, dtype=np.int32), "n": 5}, path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["__minigrad_header__.npy", "a0.npy"]
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive["__minigrad_header__"].tobytes())
        assert header["format"] == "minigrad-checkpoint" and header["version"] == 1
        assert header["tree"] == {
            "type": "dict",
            "items": [["w", {"type": "array", "name": "a0"}], ["n", 5]],
        }
        np.testing.assert_array_equal(archive["a0"], [0, 1, 2])
