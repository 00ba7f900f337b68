"""Damaged and hostile safetensors files: minigrad.load returns exactly what was saved, or raises
CheckpointError naming the file -- never another exception, never different values.

First every class of malformed file, crafted by hand; then a fuzzer that damages real
checkpoints (truncation at any byte, bit flips anywhere, edits of the header's length field,
offsets, shapes and dtypes).
"""

import json
import tracemalloc

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given
from hypothesis import strategies as st
from test_serialization_checkpoints import assert_same

import minigrad as mg
from minigrad import serialization
from minigrad.serialization import CheckpointError, load, save


def assemble(header, body=b"", length=None):
    """A safetensors file: 8-byte length, header (a dict, or JSON text as it is), body."""
    text = header if isinstance(header, str) else json.dumps(header)
    raw = text.encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # padded like safetensors pads
    length = len(raw) if length is None else length
    return length.to_bytes(8, "little") + raw + body


def split(data):
    """(header dict, body bytes) of a safetensors file."""
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def minigrad_file(tree, tensors, version=2):
    """A file as minigrad.save writes it, but with any skeleton `tree`: its checksum is right,
    so what is refused is the structure, not damage."""
    tensors = {name: np.asarray(array) for name, array in tensors.items()}
    skeleton = json.dumps({"format": "minigrad-checkpoint", "version": version, "tree": tree})
    records = [(n, serialization.DTYPE_NAMES[a.dtype.name], a.shape, a) for n, a in tensors.items()]
    metadata = {"minigrad": skeleton, "minigrad_sha256": serialization._checksum(skeleton, records)}
    return safetensors.numpy.save(tensors, metadata=metadata)


def expect_refused(tmp_path, data, *fragments):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(CheckpointError) as error:
        load(path)
    message = str(error.value)
    assert message.startswith(f"cannot load {str(path)!r}: "), message
    for fragment in fragments:
        assert fragment in message, message


def valid_file():
    return safetensors.numpy.save(
        {"a": np.arange(3, dtype=np.float32), "b": np.array([1, 2], dtype=np.int64)}
    )


def test_the_crafting_helpers_make_loadable_files(tmp_path):
    """Control for the tests below: without the one defect, the files load."""
    path = tmp_path / "good.safetensors"
    header, body = split(valid_file())
    path.write_bytes(assemble(header, body))
    assert sorted(load(path)) == ["a", "b"]
    tree = {"type": "list", "items": [{"type": "array", "name": "x"}]}
    path.write_bytes(minigrad_file(tree, {"x": np.ones(2)}))
    assert_same(load(path), [np.ones(2)])


# ---------------------------------------------------------------------------------------------
# Every class of malformed file
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [1, 7, 8, 9, 20, -9, -1])
def test_truncated(keep, tmp_path):
    save({"w": np.arange(10, dtype=np.float32), "epoch": 3}, tmp_path / "c.safetensors")
    data = (tmp_path / "c.safetensors").read_bytes()
    expect_refused(tmp_path, data[:keep], "corrupt or truncated")


def test_flipped_bit_in_the_data_is_a_checksum_error(tmp_path):
    save({"w": np.zeros(1000, dtype=np.float32)}, tmp_path / "c.safetensors")
    data = bytearray((tmp_path / "c.safetensors").read_bytes())
    data[-1234] ^= 0x01  # inside the zeros
    expect_refused(tmp_path, bytes(data), "checksum")


def test_flipped_bit_in_a_foreign_bool_tensor(tmp_path):
    data = bytearray(safetensors.numpy.save({"mask": np.array([True, False, True])}))
    data[-2] ^= 0x02  # False (0) becomes a byte 2: no bool
    expect_refused(tmp_path, bytes(data), "bool tensor 'mask'")


@pytest.mark.parametrize(
    "length, fragment",
    [
        (10**6, "header length field says 1000000 bytes"),
        (2**64 - 1, "header length field says"),
        (16, "not valid JSON"),  # too short: the JSON ends early
    ],
)
def test_header_length_lies(length, fragment, tmp_path):
    header, body = split(valid_file())
    expect_refused(tmp_path, assemble(header, body, length=length), fragment)


def test_header_length_one_too_long_takes_a_data_byte(tmp_path):
    header, body = split(safetensors.numpy.save({"a": np.array([32, 1, 2], dtype=np.uint8)}))
    assert body[:1] == b" "  # the header then ends in a space: still valid JSON
    length = int.from_bytes(assemble(header)[:8], "little") + 1
    expect_refused(tmp_path, assemble(header, body, length=length), "outside the 2 data bytes")


@pytest.mark.parametrize(
    "offsets, fragment",
    [
        ({"a": [0, 12], "b": [0, 16]}, "overlap"),
        ({"a": [0, 12], "b": [16, 32]}, "outside"),
        ({"a": [4, 16], "b": [16, 32]}, "outside"),
        ({"a": [0, 12], "b": [14, 30]}, "outside"),
        ({"a": [16, 28], "b": [0, 16]}, "cover"),  # in order by position, a gap at the end
        ({"a": [-12, 0], "b": [0, 16]}, "outside"),
        ({"a": [12, 0], "b": [0, 16]}, "outside"),
        ({"a": [0, 12, 16], "b": [12, 28]}, "invalid data_offsets"),
        ({"a": [0, 12.0], "b": [12, 28]}, "invalid data_offsets"),
        ({"a": [0, True], "b": [12, 28]}, "invalid data_offsets"),
        ({"a": [0, 2**70], "b": [12, 28]}, "outside"),
    ],
)
def test_offsets_lie(offsets, fragment, tmp_path):
    header, body = split(valid_file())  # a: 12 bytes at [0, 12]... as the library placed them
    header["a"]["data_offsets"], header["b"]["data_offsets"] = offsets["a"], offsets["b"]
    body = body + bytes(4) if fragment == "cover" else body
    expect_refused(tmp_path, assemble(header, body), fragment)


@pytest.mark.parametrize(
    "shape, fragment",
    [
        ([4], "(16 bytes), but its data_offsets span 12"),
        ([3, 2], "span 12"),
        ([], "span 12"),
        ([0], "span 12"),
        ([2**40, 2**40], "span 12"),  # a huge claim costs no memory: it is only compared
        ([-3], "invalid shape"),
        ([3.0], "invalid shape"),
        ([True, 3], "invalid shape"),
        ("3", "invalid shape"),
        ([1] * 65, "invalid shape"),  # more dimensions than NumPy allows
    ],
)
def test_shape_and_dtype_do_not_match_the_bytes(shape, fragment, tmp_path):
    header, body = split(valid_file())
    header["a"]["shape"] = shape
    expect_refused(tmp_path, assemble(header, body), fragment)


@pytest.mark.parametrize(
    "dtype, fragment",
    [
        ("BF16", "dtype BF16 (bfloat16), which NumPy"),
        ("F8_E4M3", "float8"),
        ("F33", "unknown dtype 'F33'"),
        ("float32", "unknown dtype 'float32'"),
        (["F32"], "unknown dtype"),
        (None, "unknown dtype"),
    ],
)
def test_dtypes_numpy_does_not_have(dtype, fragment, tmp_path):
    header, body = split(safetensors.numpy.save({"a": np.zeros(6, dtype=np.float16)}))
    header["a"]["dtype"] = dtype  # 12 bytes: 6 two-byte values, also as bfloat16 or float8 x12
    if dtype == "F8_E4M3":
        header["a"]["shape"] = [12]
    expect_refused(tmp_path, assemble(header, body), fragment)


def test_duplicate_tensor_names(tmp_path):
    header, body = split(valid_file())
    text = json.dumps(header)[:-1] + ', "a": ' + json.dumps(header["a"]) + "}"
    expect_refused(tmp_path, assemble(text, body), "'a' appears twice")


def test_duplicate_metadata_keys(tmp_path):
    header, body = split(minigrad_file({"type": "array", "name": "x"}, {"x": np.ones(2)}))
    metadata = json.dumps(header["__metadata__"])
    sha = json.dumps(header["__metadata__"]["minigrad_sha256"])
    doubled = metadata[:-1] + ', "minigrad_sha256": ' + sha + "}"
    text = json.dumps(header).replace(metadata, doubled)
    assert text.count("minigrad_sha256") == 2
    expect_refused(tmp_path, assemble(text, body), "'minigrad_sha256' appears twice")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]', "not valid JSON"),
        pytest.param("{" + "[" * 10**5 + "]" * 10**5 + "}", "not valid JSON", id="deep"),
        ('{"a": 1}', "'a' is not a tensor"),
        ('{"a": {"dtype": "F32", "shape": [1]}}', "'a' is not a tensor"),
        ('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}', "not a tensor"),
        ('{"__metadata__": {"a": 1}}', "__metadata__ is not a dict of strings"),
        ('{"__metadata__": ["a"]}', "__metadata__ is not a dict of strings"),
        ('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}} x', "not valid JSON"),
        ('{"a": NaN}', "'a' is not a tensor"),
    ],
)
def test_broken_headers(text, fragment, tmp_path):
    expect_refused(tmp_path, assemble(text, bytes(4)), fragment)


def test_header_that_is_not_utf8(tmp_path):
    data = b"\x10\x00\x00\x00\x00\x00\x00\x00{\xff\xfe}            "
    expect_refused(tmp_path, data, "not valid JSON")


def test_data_after_the_last_tensor(tmp_path):
    header, body = split(valid_file())
    expect_refused(tmp_path, assemble(header, body + b"extra"), "cover")


def test_checksum_missing_or_wrong(tmp_path):
    data = minigrad_file({"type": "array", "name": "x"}, {"x": np.ones(2)})
    header, body = split(data)
    del header["__metadata__"]["minigrad_sha256"]
    expect_refused(tmp_path, assemble(header, body), "no checksum")
    header["__metadata__"]["minigrad_sha256"] = "0" * 64
    expect_refused(tmp_path, assemble(header, body), "checksum")


@pytest.mark.parametrize(
    "key, renamed, fragment",
    [
        ("minigrad", "minigrae", "minigrad metadata is damaged"),
        ("minigrad", "Minigrad", "minigrad metadata is damaged"),
        ("minigrad", "migigrad", "minigrad metadata is damaged"),  # the value still says so
        ("minigrad_sha256", "minigrad_sha257", "no checksum"),
        ("minigrad_sha256", "MINIGRAD_SHA256", "no checksum"),
    ],
)
def test_a_damaged_metadata_key_is_not_mistaken_for_a_foreign_file(
    key, renamed, fragment, tmp_path
):
    """Without its "minigrad" key, the file would load as a flat dict of tensors."""
    header, body = split(minigrad_file({"type": "array", "name": "x"}, {"x": np.ones(2)}))
    metadata = header["__metadata__"]
    metadata[renamed] = metadata.pop(key)
    expect_refused(tmp_path, assemble(header, body), fragment)


def test_a_file_stripped_of_its_minigrad_metadata_loads_as_plain_tensors(tmp_path):
    """Not damage but a deliberate edit (or another tool's copy): it is a valid foreign file."""
    data = minigrad_file({"type": "list", "items": [{"type": "array", "name": "x"}]}, {"x": [2]})
    header, body = split(data)
    del header["__metadata__"]
    path = tmp_path / "stripped.safetensors"
    path.write_bytes(assemble(header, body))
    assert_same(load(path), {"x": np.array([2])})


@pytest.mark.parametrize(
    "tree, tensors, fragment",
    [
        ({"type": "array", "name": "nope"}, {"x": [1.0]}, "missing array entry 'nope'"),
        ([{"type": "array", "name": "x"}], {"x": [1.0]}, "unknown node"),
        ({"type": "list", "items": []}, {"x": [1.0]}, "not in its skeleton"),
        (
            {"type": "list", "items": [{"type": "array", "name": "x"}] * 2},
            {"x": [1.0]},
            "'x' twice",
        ),
        ({"type": "scalar", "name": "x"}, {"x": [1.0]}, "scalar 'x' has shape (1,)"),
        ({"type": "tensor", "name": "x"}, {"x": [1.0]}, "no requires_grad"),
        ({"type": "tensor", "name": "x", "requires_grad": 1}, {"x": [1.0]}, "no requires_grad"),
        ({"type": "dict", "items": [["a", 1], ["a", 2]]}, {}, "key 'a' twice"),
        ({"type": "dict", "items": [[1.5, 1]]}, {}, "bad dict item"),
        ({"type": "dict", "items": [[True, 1]]}, {}, "bad dict item"),
        ({"type": "dict", "items": [["a"]]}, {}, "bad dict item"),
        ({"type": "dict", "items": {"a": 1}}, {}, "without a list of items"),
        ({"type": "tuple"}, {}, "without a list of items"),
        ({"type": "mystery"}, {}, "unknown node"),
    ],
)
def test_skeletons_that_do_not_fit_the_tensors(tree, tensors, fragment, tmp_path):
    expect_refused(tmp_path, minigrad_file(tree, tensors), fragment)


def test_integer_tensor_requiring_grad_is_refused(tmp_path):
    tree = {"type": "tensor", "name": "x", "requires_grad": True}
    expect_refused(tmp_path, minigrad_file(tree, {"x": np.array([1, 2])}), "cannot be rebuilt")


def test_skeleton_from_a_newer_minigrad(tmp_path):
    data = minigrad_file(1, {}, version=99)
    expect_refused(tmp_path, data, "version 99 by a newer minigrad")


@pytest.mark.parametrize(
    "skeleton, fragment",
    [
        ('{"format": "other", "version": 2, "tree": 1}', "does not name"),
        ('{"format": "minigrad-checkpoint", "version": "2", "tree": 1}', "invalid format version"),
        ('{"format": "minigrad-checkpoint", "version": 1, "tree": 1}', "wrong container"),
        ('{"format": "minigrad-checkpoint", "version": 2}', "no structure"),
        ('{"format": "minigrad-checkpoint"', "skeleton is not valid JSON"),
        pytest.param('{"tree": ' + "[" * 10**5 + "]" * 10**5 + "}", "skeleton", id="deep"),
        ('{"format": "minigrad-checkpoint", "format": "x"}', "'format' appears twice"),
    ],
)
def test_broken_skeletons_with_a_right_checksum(skeleton, fragment, tmp_path):
    metadata = {"minigrad": skeleton, "minigrad_sha256": serialization._checksum(skeleton, [])}
    expect_refused(tmp_path, safetensors.numpy.save({}, metadata=metadata), fragment)


def test_absurdly_deep_skeleton_tree(tmp_path):
    tree = '{"type": "list", "items": [' * 3000 + "1" + "]}" * 3000
    skeleton = '{"format": "minigrad-checkpoint", "version": 2, "tree": ' + tree + "}"
    metadata = {"minigrad": skeleton, "minigrad_sha256": serialization._checksum(skeleton, [])}
    # Refused by the JSON parser or by the decoder, depending on Python's recursion limits.
    expect_refused(tmp_path, safetensors.numpy.save({}, metadata=metadata), "skeleton")


def test_huge_claims_are_refused_without_allocating(tmp_path):
    """Each lie is refused from the header alone: far less memory than the lie claims."""
    lies = [
        assemble({"a": {"dtype": "F64", "shape": [2**62], "data_offsets": [0, 2**65]}}),
        assemble(
            {"a": {"dtype": "F64", "shape": [2**31, 2**31], "data_offsets": [0, 8]}}, bytes(8)
        ),
        assemble({}, length=2**63),
        assemble({"__metadata__": {"minigrad": "x" * 10}}, length=2**40),
    ]
    for data in lies:
        tracemalloc.start()
        try:
            expect_refused(tmp_path, data, "corrupt or truncated")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 1_000_000, peak


# ---------------------------------------------------------------------------------------------
# The fuzzer: damage real checkpoints, and the load is exact or refused
# ---------------------------------------------------------------------------------------------


def nested_checkpoint():
    weight = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 7
    return {
        "model": {"0.weight": weight, "0.bias": np.array([0.5, -0.25], np.float32)},
        "optimizer": {
            "state": {0: {"step": 2, "exp_avg": weight * 0.1}, 1: {"step": 2}},
            "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "params": [0, 1]}],
        },
        "epoch": 3,
        "mask": np.array([True, False, True]),
        "ids": np.array([[1, 2], [3, 4]], dtype=np.int64),
        "half": np.array([1.5, -2.0], dtype=np.float16),
        "lr": np.float64(0.001),
        "t": mg.tensor([1.0, -1.0], requires_grad=True),
        "empty": np.zeros((0, 2), np.float32),
        "zero_d": np.array(-7, np.int8),
        "history": [0.5, None, "text", float("nan")],
    }


def flat_state_dict():
    return {
        "weight": np.array([[0.5, -1.5, 2.0]], np.float32),
        "bias": np.array([0.25], np.float32),
    }


ORIGINALS = {"nested": nested_checkpoint(), "flat": flat_state_dict()}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """name -> (the object, the bytes minigrad.save wrote for it), and a scratch file path."""
    folder = tmp_path_factory.mktemp("fuzz")
    files = {}
    for name, obj in ORIGINALS.items():
        save(obj, folder / f"{name}.safetensors")
        files[name] = (obj, (folder / f"{name}.safetensors").read_bytes())
    return files, folder / "mutant.safetensors"


def exact_or_refused(path, data, original):
    """Load the damaged bytes: exactly the original, or a CheckpointError naming the file."""
    path.write_bytes(data)
    try:
        loaded = load(path)
    except CheckpointError as error:
        assert str(path) in str(error)
        return False
    assert_same(loaded, original)
    return True


@given(data=st.data())
def test_truncation_at_any_byte(saved, data):
    files, path = saved
    original, raw = files[data.draw(st.sampled_from(sorted(files)), label="checkpoint")]
    cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
    assert not exact_or_refused(path, raw[:cut], original)


@given(data=st.data())
def test_bit_flips_anywhere(saved, data):
    files, path = saved
    original, raw = files[data.draw(st.sampled_from(sorted(files)), label="checkpoint")]
    bits = st.integers(0, 8 * len(raw) - 1)
    flips = data.draw(st.lists(bits, min_size=1, max_size=3, unique=True), label="bits")
    damaged = bytearray(raw)
    for bit in flips:
        damaged[bit // 8] ^= 1 << (bit % 8)
    exact_or_refused(path, bytes(damaged), original)


@given(data=st.data())
def test_bit_flips_in_the_header(saved, data):
    """Most of a small checkpoint is header; flips there, weighted towards it."""
    files, path = saved
    original, raw = files[data.draw(st.sampled_from(sorted(files)), label="checkpoint")]
    header_end = 8 + int.from_bytes(raw[:8], "little")
    position = data.draw(st.integers(0, header_end - 1), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")  # several bits of one byte
    damaged = bytearray(raw)
    damaged[position] ^= mask
    exact_or_refused(path, bytes(damaged), original)


def some_ints(body_length):
    return st.one_of(
        st.integers(-2, body_length + 2), st.integers(-(2**64), 2**64), st.sampled_from([0, 1])
    )


def header_edit(data, header, body_length):
    """Draw one edit of a parsed header: an offset, a shape, a dtype, or an entry."""
    names = [name for name in header if name != "__metadata__"]
    name = data.draw(st.sampled_from(names), label="tensor")
    field = data.draw(st.sampled_from(["data_offsets", "shape", "dtype", "entry"]), label="field")
    junk = st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=3))
    if field == "data_offsets":
        offsets = st.lists(st.one_of(some_ints(body_length), junk), min_size=0, max_size=3)
        header[name]["data_offsets"] = data.draw(offsets, label="offsets")
    elif field == "shape":
        sizes = st.one_of(st.integers(-2, 6), st.integers(0, 2**64), junk)
        header[name]["shape"] = data.draw(st.lists(sizes, max_size=4), label="shape")
    elif field == "dtype":
        known = sorted(serialization.DTYPES) + sorted(serialization.NO_NUMPY_DTYPE)
        header[name]["dtype"] = data.draw(st.one_of(st.sampled_from(known), junk), label="dtype")
    else:
        action = data.draw(st.sampled_from(["drop", "rename", "swap"]), label="entry")
        if action == "swap":  # two tensors trade places
            other = header[data.draw(st.sampled_from(names), label="other")]
            header[name]["data_offsets"], other["data_offsets"] = (
                other["data_offsets"],
                header[name]["data_offsets"],
            )
            return
        entry = header.pop(name)
        if action == "rename":
            header[data.draw(st.text(max_size=4), label="new name")] = entry


@given(data=st.data())
def test_header_edits(saved, data):
    files, path = saved
    original, raw = files[data.draw(st.sampled_from(sorted(files)), label="checkpoint")]
    header, body = split(raw)
    if data.draw(st.booleans(), label="edit the length field"):
        length = data.draw(some_ints(len(raw)).filter(lambda n: 0 <= n < 2**64), label="length")
        damaged = length.to_bytes(8, "little") + raw[8:]
    else:
        header_edit(data, header, len(body))
        damaged = assemble(header, body)
    exact_or_refused(path, damaged, original)


def test_truncation_at_every_byte(saved):
    files, path = saved
    original, raw = files["flat"]
    for cut in range(len(raw)):
        assert not exact_or_refused(path, raw[:cut], original), cut


def test_a_flipped_bit_in_every_byte(saved):
    """Byte i gets bit i % 8 flipped: every byte of a checkpoint, every bit position."""
    files, path = saved
    original, raw = files["flat"]
    survived = []
    for position in range(len(raw)):
        damaged = bytearray(raw)
        damaged[position] ^= 1 << (position % 8)
        if exact_or_refused(path, bytes(damaged), original):
            survived.append(position)
    # A flip may only go unnoticed where it changes nothing: in the header's padding spaces
    # a flip never gives JSON whitespace, so there are none at all.
    assert survived == []


@given(data=st.data())
def test_foreign_files_damaged_anywhere_load_or_are_refused(data, tmp_path_factory):
    """Files from other tools have no checksum: damage in the tensor bytes goes unnoticed (as
    in any tool), but nothing else than a dict of arrays or a CheckpointError comes out."""
    raw = safetensors.numpy.save(
        {"w": np.ones((2, 3), np.float32), "mask": np.array([True]), "i": np.arange(2)},
        metadata={"format": "np"},
    )
    header, body = split(raw)
    if data.draw(st.booleans(), label="edit the header"):
        header_edit(data, header, len(body))
        raw = assemble(header, body)
    else:
        bit = data.draw(st.integers(0, 8 * len(raw) - 1), label="bit")
        damaged = bytearray(raw)
        damaged[bit // 8] ^= 1 << (bit % 8)
        raw = bytes(damaged[: data.draw(st.integers(0, len(raw)), label="cut")])
    path = tmp_path_factory.mktemp("foreign") / "other.safetensors"
    path.write_bytes(raw)
    try:
        loaded = load(path)
    except CheckpointError:
        return
    assert isinstance(loaded, dict)
    assert all(isinstance(array, np.ndarray) for array in loaded.values())
