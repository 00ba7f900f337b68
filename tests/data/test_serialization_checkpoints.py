"""minigrad.save / minigrad.load: exact round trips in the safetensors format, interop with
PyTorch both ways, atomic writes, old .npz/.mgz checkpoints, and refusing foreign files.

Damaged and hostile safetensors files, and the fuzzer, are in test_serialization_fuzz.py.
"""

import hashlib
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from safetensors import safe_open

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
        "small_ints": [np.array([-128, 127], dtype=np.int8), np.array([-3], dtype=np.int16)],
        "unsigned": [np.array([2**64 - 1], dtype=np.uint64), np.array([7], dtype=np.uint16)],
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
        "colliding": {"a/b": np.ones(1), "a": {"b": np.zeros(1)}, 0: np.ones(2), "0": np.ones(3)},
        "__metadata__": np.ones(2),  # the name safetensors reserves for its header
    }


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    obj = example()
    save(obj, path)
    assert_same(load(path), obj)


def test_a_lone_array_and_plain_values_round_trip(tmp_path):
    for obj in [np.arange(3, dtype=np.int32), 5, None, "text", [], {}]:
        save(obj, tmp_path / "c.safetensors")
        assert_same(load(tmp_path / "c.safetensors"), obj)


def test_round_trip_of_a_module_state_dict_and_optimizer(tmp_path):
    nn = pytest.importorskip("minigrad.nn")
    mg.manual_seed(3)
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    for p in model.parameters():
        p.grad = mg.ones(p.shape)
    optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}
    save(checkpoint, tmp_path / "ckpt.safetensors")
    loaded = load(tmp_path / "ckpt.safetensors")
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


def test_loaded_arrays_are_writable_copies(tmp_path):
    """An optimizer updates its loaded state in place: the arrays must be writable."""
    save({"w": np.zeros(3, dtype=np.float32)}, tmp_path / "c.safetensors")
    array = load(tmp_path / "c.safetensors")["w"]
    array += 1
    np.testing.assert_array_equal(array, [1, 1, 1])


def test_map_location_puts_arrays_and_tensors_on_the_device(device, tmp_path):
    path = tmp_path / "c.safetensors"
    save({"a": np.ones(3, dtype=np.float32), "t": mg.tensor([1.0, 2.0])}, path)
    loaded = load(path, map_location=device)
    assert mg.get_backend(device).is_array(loaded["a"])
    assert loaded["t"].device == device
    np.testing.assert_array_equal(loaded["t"].numpy(), [1.0, 2.0])


def test_device_arrays_and_tensors_are_saved_from_any_device(device, tmp_path):
    backend = mg.get_backend(device)
    obj = {
        "array": backend.asarray(np.arange(4, dtype=np.float32)),
        "tensor": mg.tensor([3.0], device=device, requires_grad=True),
    }
    save(obj, tmp_path / "c.safetensors")
    loaded = load(tmp_path / "c.safetensors")
    assert isinstance(loaded["array"], np.ndarray)
    np.testing.assert_array_equal(loaded["array"], np.arange(4, dtype=np.float32))
    assert loaded["tensor"].device == "cpu" and loaded["tensor"].requires_grad


def test_path_is_used_exactly_as_given(tmp_path):
    save({"x": 1}, tmp_path / "model.ckpt")
    assert os.listdir(tmp_path) == ["model.ckpt"]
    assert load(str(tmp_path / "model.ckpt")) == {"x": 1}


def test_big_endian_arrays_come_back_with_the_same_values_in_native_order(tmp_path):
    big = np.arange(4, dtype=">f4")
    save({"big": big}, tmp_path / "c.safetensors")
    loaded = load(tmp_path / "c.safetensors")["big"]
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, big)


SAVEABLE_DTYPES = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.complex64,
]
leaf_arrays = hnp.arrays(
    dtype=st.sampled_from(SAVEABLE_DTYPES),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
leaves = st.one_of(
    leaf_arrays,
    leaf_arrays.map(lambda a: a[()] if a.ndim == 0 else a),  # NumPy scalars too
    leaf_arrays.filter(lambda a: a.dtype.kind in "biuf").map(mg.tensor),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
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
    path = tmp_path_factory.mktemp("prop") / "c.safetensors"
    save(obj, path)
    assert_same(load(path), obj)


# ---------------------------------------------------------------------------------------------
# The format: plain safetensors, tensor names from the path, skeleton and checksum in metadata
# ---------------------------------------------------------------------------------------------


def documented_checksum(skeleton, tensors):
    """The checksum as the module docstring describes it, written out independently."""
    digest = hashlib.sha256()
    pieces = [skeleton.encode()]
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        pieces += [json.dumps([name, dtype, list(shape)]).encode(), raw]
    for piece in pieces:
        digest.update(len(piece).to_bytes(8, "little") + piece)
    return digest.hexdigest()


def test_the_file_is_plain_safetensors_with_the_skeleton_in_its_metadata(tmp_path):
    path = tmp_path / "c.safetensors"
    save({"model": {"0.weight": np.arange(3, dtype=np.int32)}, "state": [np.ones(2)], "n": 5}, path)
    tensors = safetensors.numpy.load_file(path)
    assert sorted(tensors) == ["model/0.weight", "state/0"]
    np.testing.assert_array_equal(tensors["model/0.weight"], [0, 1, 2])
    with safe_open(path, framework="np") as file:
        metadata = file.metadata()
    assert sorted(metadata) == ["minigrad", "minigrad_sha256"]
    skeleton = json.loads(metadata["minigrad"])
    assert skeleton["format"] == "minigrad-checkpoint" and skeleton["version"] == 2
    weight = {"type": "array", "name": "model/0.weight"}
    assert skeleton["tree"] == {
        "type": "dict",
        "items": [
            ["model", {"type": "dict", "items": [["0.weight", weight]]}],
            ["state", {"type": "list", "items": [{"type": "array", "name": "state/0"}]}],
            ["n", 5],
        ],
    }
    expected = documented_checksum(
        metadata["minigrad"],
        {
            "model/0.weight": ("I32", [3], np.arange(3, dtype="<i4").tobytes()),
            "state/0": ("F64", [2], np.ones(2, dtype="<f8").tobytes()),
        },
    )
    assert metadata["minigrad_sha256"] == expected


def test_a_flat_state_dict_keeps_its_names(tmp_path):
    state = {"0.weight": np.ones((2, 3), np.float32), "0.bias": np.zeros(2, np.float32)}
    save(state, tmp_path / "c.safetensors")
    tensors = safetensors.numpy.load_file(tmp_path / "c.safetensors")
    assert sorted(tensors) == ["0.bias", "0.weight"]


def test_names_that_collide_get_a_suffix(tmp_path):
    save({"a/b": np.ones(1), "a": {"b": np.zeros(1)}, "x": np.ones(2)}, tmp_path / "c.safetensors")
    assert sorted(safetensors.numpy.load_file(tmp_path / "c.safetensors")) == ["a/b", "a/b~1", "x"]


# ---------------------------------------------------------------------------------------------
# Files from other tools
# ---------------------------------------------------------------------------------------------


def test_a_safetensors_file_from_another_tool_loads_as_a_dict_of_arrays(tmp_path):
    path = tmp_path / "other.safetensors"
    tensors = {
        "b": np.arange(3, dtype=np.int64),
        "a": np.ones((2, 2), dtype=np.float16),
        "flag": np.array([True, False]),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }
    safetensors.numpy.save_file(tensors, path, metadata={"format": "np", "note": "anything"})
    loaded = load(path)
    assert sorted(loaded) == sorted(tensors)
    for name, array in tensors.items():
        assert_same(loaded[name], array)


def test_a_foreign_file_on_a_device(device, tmp_path):
    path = tmp_path / "other.safetensors"
    safetensors.numpy.save_file({"w": np.ones(2, np.float32)}, path)
    assert mg.get_backend(device).is_array(load(path, map_location=device)["w"])


def test_an_empty_safetensors_file_is_an_empty_dict(tmp_path):
    path = tmp_path / "nothing.safetensors"
    safetensors.numpy.save_file({}, path)
    assert load(path) == {}


# ---------------------------------------------------------------------------------------------
# Interop with PyTorch (a test dependency only)
# ---------------------------------------------------------------------------------------------


def import_torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed; the interop tests need it (test-only)"
    )


def model_pairs(torch):
    """(minigrad module, PyTorch module) with the same structure, hence the same names."""
    nn = pytest.importorskip("minigrad.nn")
    return {
        "linear": (nn.Linear(4, 3), torch.nn.Linear(4, 3)),
        "mlp": (
            nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)),
            torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)),
        ),
        "embedding-layernorm": (
            nn.Sequential(nn.Embedding(10, 4), nn.LayerNorm(4)),
            torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.LayerNorm(4)),
        ),
    }


def sample_input(kind, torch):
    if kind == "embedding-layernorm":
        indices = np.array([[1, 2, 9], [0, 5, 5]])
        return mg.tensor(indices), torch.tensor(indices)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    return mg.tensor(x), torch.tensor(x)


@pytest.mark.parametrize("kind", ["linear", "mlp", "embedding-layernorm"])
def test_pytorch_state_dict_loads_into_the_minigrad_module(kind, tmp_path):
    torch = import_torch()
    from safetensors.torch import save_file

    torch.manual_seed(0)
    ours, theirs = model_pairs(torch)[kind]
    with torch.no_grad():  # non-trivial LayerNorm parameters, so that a mix-up shows
        for p in theirs.parameters():
            p.add_(torch.randn(p.shape))
    path = tmp_path / "torch.safetensors"
    save_file(theirs.state_dict(), path)

    ours.load_state_dict(load(path))
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name], value.numpy())
    x_ours, x_theirs = sample_input(kind, torch)
    with torch.no_grad():
        expected = theirs(x_theirs).numpy()
    np.testing.assert_allclose(ours(x_ours).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["linear", "mlp", "embedding-layernorm"])
def test_minigrad_state_dict_loads_into_the_pytorch_module(kind, tmp_path):
    torch = import_torch()
    from safetensors.torch import load_file

    mg.manual_seed(1)
    ours, theirs = model_pairs(torch)[kind]
    path = tmp_path / "minigrad.safetensors"
    save(ours.state_dict(), path)

    theirs.load_state_dict(load_file(path))  # strict: the names match PyTorch's exactly
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(theirs.state_dict()[name].numpy(), value)
    x_ours, x_theirs = sample_input(kind, torch)
    with torch.no_grad():
        got = theirs(x_theirs).numpy()
    np.testing.assert_allclose(got, ours(x_ours).numpy(), rtol=1e-5, atol=1e-6)


def test_pytorch_dtypes_arrive_as_the_same_numpy_dtypes(tmp_path):
    torch = import_torch()
    from safetensors.torch import save_file

    tensors = {
        "f16": torch.tensor([1.5], dtype=torch.float16),
        "f64": torch.tensor([0.1], dtype=torch.float64),
        "i8": torch.tensor([-3], dtype=torch.int8),
        "u8": torch.tensor([200], dtype=torch.uint8),
        "i32": torch.tensor([7], dtype=torch.int32),
        "i64": torch.tensor([2**40], dtype=torch.int64),
        "bool": torch.tensor([True, False]),
        "scalar": torch.tensor(2.0),
    }
    save_file(tensors, tmp_path / "t.safetensors", metadata={"format": "pt"})
    loaded = load(tmp_path / "t.safetensors")
    for name, value in tensors.items():
        assert_same(loaded[name], value.numpy())


def test_pytorch_bfloat16_is_refused_by_name(tmp_path):
    torch = import_torch()
    from safetensors.torch import save_file

    save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.safetensors")
    with pytest.raises(CheckpointError, match=r"'w' has dtype BF16 \(bfloat16\).*\.float\(\)"):
        load(tmp_path / "bf16.safetensors")


def test_a_pytorch_zip_checkpoint_is_refused_not_unpickled(tmp_path):
    torch = import_torch()
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    expect_checkpoint_error(path, "not a minigrad checkpoint", "safetensors.torch.save_file")


# ---------------------------------------------------------------------------------------------
# Old checkpoints: minigrad's .npz + JSON header format (version 1) still loads
# ---------------------------------------------------------------------------------------------


def write_legacy(path, tree, arrays, version=1):
    """What minigrad.save wrote before safetensors (format version 1)."""
    header = {"format": "minigrad-checkpoint", "version": version, "tree": tree}
    header_array = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as file:  # a file object: np.savez would append ".npz" to a name
        np.savez(file, __minigrad_header__=header_array, **arrays)


def test_an_old_mgz_checkpoint_still_loads(tmp_path):
    path = tmp_path / "moons.mgz"
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    tree = {
        "type": "dict",
        "items": [
            ["model", {"type": "dict", "items": [["weight", {"type": "array", "name": "a0"}]]}],
            ["t", {"type": "tensor", "name": "a1", "requires_grad": True}],
            ["lr", {"type": "scalar", "name": "a2"}],
            [0, {"type": "tuple", "items": [1, "two", None]}],
        ],
    }
    arrays = {"a0": weight, "a1": np.ones(2, np.float32), "a2": np.asarray(np.float64(0.5))}
    write_legacy(path, tree, arrays)
    expected = {
        "model": {"weight": weight},
        "t": mg.tensor(np.ones(2, np.float32), requires_grad=True),
        "lr": np.float64(0.5),
        0: (1, "two", None),
    }
    assert_same(load(path), expected)
    # ... and converts to the new format by saving it again
    save(load(path), tmp_path / "moons.safetensors")
    assert_same(load(tmp_path / "moons.safetensors"), expected)


def test_an_old_checkpoint_from_a_newer_minigrad_is_refused(tmp_path):
    path = tmp_path / "future.npz"
    write_legacy(path, 1, {}, version=99)
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
def test_damaged_old_headers(header, tmp_path):
    path = tmp_path / "damaged.npz"
    with open(path, "wb") as file:
        header_array = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        np.savez(file, __minigrad_header__=header_array)
    expect_checkpoint_error(path)


def test_old_entry_that_is_not_an_array(tmp_path):
    path = tmp_path / "damaged.npz"
    write_legacy(path, {"type": "array", "name": "x"}, {})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("x", b"raw bytes, not an .npy file")
    expect_checkpoint_error(path, "not a NumPy array")


def test_old_entry_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    """NumPy would allocate the claimed shape before reading; the check comes first."""
    path = tmp_path / "huge.npz"
    write_legacy(path, {"type": "array", "name": "a0"}, {"a0": np.zeros(4, np.float64)})
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    honest = entries["a0.npy"]
    entries["a0.npy"] = honest.replace(b"(4,), }       ", b"(99999999,), }")  # same length
    assert entries["a0.npy"] != honest
    with zipfile.ZipFile(path, "w") as archive:  # rewritten, so the zip's CRCs are right
        for name, data in entries.items():
            archive.writestr(name, data)
    expect_checkpoint_error(path, "claims more data")


def test_old_compressed_archive_is_refused(tmp_path):
    path = tmp_path / "compressed.npz"
    with open(path, "wb") as file:
        header = {"format": "minigrad-checkpoint", "version": 1, "tree": None}
        header_array = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        np.savez_compressed(file, __minigrad_header__=header_array)
    expect_checkpoint_error(path, "compressed")


def test_old_absurdly_deep_header(tmp_path):
    tree = '{"type": "list", "items": [' * 5000 + "1" + "]}" * 5000
    header = '{"format": "minigrad-checkpoint", "version": 1, "tree": ' + tree + "}"
    path = tmp_path / "deep.npz"
    with open(path, "wb") as file:
        np.savez(file, __minigrad_header__=np.frombuffer(header.encode(), dtype=np.uint8))
    expect_checkpoint_error(path)


def test_old_header_that_is_not_json(tmp_path):
    path = tmp_path / "damaged.npz"
    with open(path, "wb") as file:
        np.savez(file, __minigrad_header__=np.frombuffer(b"\xff{not json", dtype=np.uint8))
    expect_checkpoint_error(path, "header")


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
        {"complex128": np.ones(2, dtype=np.complex128)},
        {"structured": np.zeros(2, dtype=[("a", np.float32)])},
    ],
    ids=["object", "object-array", "tuple-key", "string-array", "set", "complex128", "structured"],
)
def test_unsaveable_object_leaves_the_old_file_intact(bad, tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    save({"epoch": 1, "w": np.arange(3.0)}, path)
    before = saved_bytes(path)
    with pytest.raises(TypeError):
        save(bad, path)
    assert saved_bytes(path) == before
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]  # no temporary file left behind
    assert load(path)["epoch"] == 1


def test_crash_while_writing_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.safetensors"
    save({"epoch": 1}, path)
    before = saved_bytes(path)
    written = []

    def crash_before_the_bytes_reach_the_disk(fd):
        written.append(os.listdir(tmp_path))
        raise KeyboardInterrupt  # e.g. Ctrl-C or the machine going away mid-write

    monkeypatch.setattr(os, "fsync", crash_before_the_bytes_reach_the_disk)
    with pytest.raises(KeyboardInterrupt):
        save({"epoch": 2, "w": np.ones(1000)}, path)
    monkeypatch.undo()
    assert len(written[0]) == 2  # the temporary file existed next to the checkpoint
    assert saved_bytes(path) == before
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]


def test_failed_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.safetensors"
    save({"epoch": 1}, path)

    def refuse(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        save({"epoch": 2}, path)
    monkeypatch.undo()
    assert load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]


def test_save_overwrites_atomically_with_new_content(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    save({"epoch": 1}, path)
    save({"epoch": 2}, path)
    assert load(path) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]


# ---------------------------------------------------------------------------------------------
# Files that are not checkpoints: always a CheckpointError naming the file, never code execution
# ---------------------------------------------------------------------------------------------


def expect_checkpoint_error(path, *fragments):
    with pytest.raises(CheckpointError) as error:
        load(path)
    message = str(error.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    assert isinstance(error.value, ValueError)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    expect_checkpoint_error(path, "not a minigrad checkpoint")


def test_random_bytes_that_start_like_a_zip(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(1).bytes(2000))
    expect_checkpoint_error(path, "corrupt")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.safetensors"
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
    """A crafted file that looks like an old checkpoint but hides a pickled object array."""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    evil = np.array([PlantsAFile(marker)], dtype=object)
    write_legacy(path, {"type": "array", "name": "a0"}, {"a0": evil})  # savez pickles it
    expect_checkpoint_error(path)
    assert not marker.exists()


def test_plain_npy_zip_and_npz_files_are_not_checkpoints(tmp_path):
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    expect_checkpoint_error(npy, ".npy")
    npz = tmp_path / "arrays.npz"
    np.savez(npz, x=np.ones(3))
    expect_checkpoint_error(npz, "not a minigrad checkpoint")
    other_zip = tmp_path / "notes.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    expect_checkpoint_error(other_zip, "not a minigrad checkpoint")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.safetensors")


# ---------------------------------------------------------------------------------------------
# torch.load's arguments: weights_only, map_location as a string or a dict; buffers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_weights_only_is_accepted_and_loading_stays_safe(weights_only, tmp_path):
    path = tmp_path / "c.safetensors"
    save({"w": mg.tensor([1.0, 2.0])}, path)
    loaded = load(path, weights_only=weights_only)
    np.testing.assert_array_equal(loaded["w"].numpy(), [1.0, 2.0])
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"weights": PlantsAFile(tmp_path / "ran")}))
    with pytest.raises(CheckpointError, match="pickle"):
        load(evil, weights_only=weights_only)
    assert not (tmp_path / "ran").exists()  # False does not mean "unpickle"


def test_weights_only_and_mmap_values_are_checked(tmp_path):
    path = tmp_path / "c.safetensors"
    save({"w": np.zeros(2)}, path)
    with pytest.raises(TypeError, match="weights_only must be True, False or None"):
        load(path, weights_only="yes")
    with pytest.raises(NotImplementedError, match="mmap"):
        load(path, mmap=True)
    assert load(path, mmap=False)["w"].shape == (2,)


def test_map_location_strings_and_dicts(device, tmp_path):
    path = tmp_path / "c.safetensors"
    save({"t": mg.tensor([1.0, 2.0]), "a": np.ones(2)}, path)
    assert load(path, map_location="cpu")["t"].device == "cpu"
    assert load(path, map_location={"cpu": device})["t"].device == device
    assert load(path, map_location={"cuda:0": "cpu"})["t"].device == "cpu"  # no "cpu" key
    moved = load(path, map_location={"cpu": device})["a"]
    assert mg.get_backend(device).is_array(moved)
    with pytest.raises(TypeError, match="does not take a function"):
        load(path, map_location=lambda storage, location: storage)
    with pytest.raises(ValueError, match="unknown device"):
        load(path, map_location="tpu")


def test_buffers_round_trip_with_the_state_dict(tmp_path):
    nn = pytest.importorskip("minigrad.nn")
    model = nn.BatchNorm1d(3)
    model.train()
    model(mg.randn(8, 3) * 4 + 2)  # moves running_mean / running_var / num_batches_tracked
    model.register_buffer("scale", mg.tensor([0.5, 1.5]))
    model.register_buffer("scratch", mg.zeros(2), persistent=False)
    state = model.state_dict()
    assert {"running_mean", "running_var", "scale"} <= set(state) and "scratch" not in state
    save(state, tmp_path / "bn.safetensors")
    other = nn.BatchNorm1d(3)
    other.register_buffer("scale", mg.zeros(2))
    other.register_buffer("scratch", mg.ones(2), persistent=False)
    other.load_state_dict(load(tmp_path / "bn.safetensors"))
    for name in state:
        np.testing.assert_array_equal(np.asarray(other.state_dict()[name]), np.asarray(state[name]))
    np.testing.assert_array_equal(other.scratch.numpy(), [1.0, 1.0])  # not persistent: kept


# ---------------------------------------------------------------------------------------------
# Hostile old (.mgz) archives: each refused with a CheckpointError naming file and problem
# ---------------------------------------------------------------------------------------------


def patch_zip_records(path, signature, offset, value):
    """Overwrite a 2-byte little-endian field at `offset` in every zip record with `signature`
    (local file headers b"PK\\x03\\x04", central directory entries b"PK\\x01\\x02")."""
    data = bytearray(saved_bytes(path))
    start = data.find(signature)
    assert start >= 0
    while start >= 0:
        data[start + offset : start + offset + 2] = value.to_bytes(2, "little")
        start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def legacy_with_one_array(path):
    write_legacy(path, {"type": "array", "name": "a0"}, {"a0": np.arange(4.0)})
    assert load(path).tolist() == [0.0, 1.0, 2.0, 3.0]  # the honest file loads


def test_old_archive_with_the_encrypted_flag(tmp_path):
    path = tmp_path / "encrypted.mgz"
    legacy_with_one_array(path)
    patch_zip_records(path, b"PK\x03\x04", 6, 0x1)  # general purpose flags: bit 0, encrypted
    patch_zip_records(path, b"PK\x01\x02", 8, 0x1)
    expect_checkpoint_error(path, "encrypted")


def test_old_archive_with_an_unknown_compression_method(tmp_path):
    path = tmp_path / "method99.mgz"
    legacy_with_one_array(path)
    patch_zip_records(path, b"PK\x03\x04", 8, 99)
    patch_zip_records(path, b"PK\x01\x02", 10, 99)
    expect_checkpoint_error(path, "compression method 99")


def test_old_archive_whose_header_entry_is_raw_bytes(tmp_path):
    path = tmp_path / "rawheader.mgz"
    with zipfile.ZipFile(path, "w") as archive:
        header = {"format": "minigrad-checkpoint", "version": 1, "tree": None}
        archive.writestr("__minigrad_header__", json.dumps(header).encode())  # no .npy
    expect_checkpoint_error(path, "header entry", "not a NumPy array")


def test_old_archive_with_a_forged_huge_shape_in_a_two_dimensional_entry(tmp_path):
    path = tmp_path / "forged.mgz"
    write_legacy(path, {"type": "array", "name": "a0"}, {"a0": np.zeros((2, 2), np.float32)})
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    honest = entries["a0.npy"]
    entries["a0.npy"] = honest.replace(b"(2, 2), }" + b" " * 8, b"(99999, 99999), }")
    assert entries["a0.npy"] != honest and len(entries["a0.npy"]) == len(honest)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    expect_checkpoint_error(path, "'a0.npy'", "claims more data")


def test_old_archive_with_an_entry_twice(tmp_path):
    path = tmp_path / "twice.mgz"
    legacy_with_one_array(path)
    with zipfile.ZipFile(path, "a") as archive:
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("a0.npy", saved_bytes_of_npy(np.arange(4.0) + 10))
    expect_checkpoint_error(path, "'a0.npy' twice")


def saved_bytes_of_npy(array):
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()
