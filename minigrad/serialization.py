"""Saving and loading checkpoints: `minigrad.save(obj, path)` and `minigrad.load(path)`.

    minigrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "epoch": epoch}, "checkpoint.safetensors")
    checkpoint = minigrad.load("checkpoint.safetensors")

What can be saved: nested dicts, lists and tuples whose leaves are arrays (NumPy, CuPy, strict),
Tensors, NumPy scalars, Python numbers, strings and None. Dict keys must be strings or ints (an
optimizer state dict uses ints). Arrays may have the dtypes NumPy and safetensors share: bool,
int8/16/32/64, uint8/16/32/64, float16/32/64 and complex64. That covers model and optimizer
state dicts, and a dict of training metadata.

The file format is safetensors (Hugging Face's; PyTorch, JAX and others read it), and why:

* A safetensors file is 8 bytes (little-endian) giving the length N of a JSON header, N bytes of
  header naming each tensor's dtype, shape and byte range, then the raw bytes of the tensors.
  Just numbers: loading a file never runs code. PyTorch's `torch.save` uses pickle, and
  unpickling a file runs whatever code the file asks for: a downloaded checkpoint can take over
  your machine.
* Tensor names: the keys and list indices on the way from the top of `obj` to the array, joined
  by "/": obj["optimizer"]["state"][0]["exp_avg"] is stored as "optimizer/state/0/exp_avg". So a
  model's state_dict() (a flat dict) keeps exactly its own names, "0.weight", "0.bias", ...,
  which are PyTorch's names too; that is what makes the files interchangeable:
      torch_model.load_state_dict(safetensors.torch.load_file("model.safetensors"))
      model.load_state_dict(minigrad.load(path_written_by_safetensors_torch_save_file))
  A name that is already taken (keys "a/b" and "a" -> "b" both give "a/b"; 0 and "0" both give
  "0") gets "~1", "~2", ... appended; an array saved on its own is named "tensor".
* Everything else goes as JSON into the header's "__metadata__" (safetensors allows a dict of
  str -> str there), under two keys:
    "minigrad": the skeleton, {"format": "minigrad-checkpoint", "version": 2, "tree": ...}, where
        tree describes `obj` with every array replaced by the name of its tensor (see _encode);
    "minigrad_sha256": SHA-256 of the skeleton and of every tensor's name, dtype, shape and bytes.
  The checksum is checked on loading: a flipped bit anywhere is an error, never silently
  different weights. (It detects damage, not forgery: anyone can compute it.)
* Saving is atomic: the bytes are written to a temporary file in the same directory, flushed
  to disk (fsync), then renamed over the target with `os.replace`, which either happens
  completely or not at all. If the process dies mid-save, the previous checkpoint is untouched.

Loading. Arrays come back as NumPy arrays (on the host) unless `map_location` names a device;
Tensors come back as Tensors on that device with their requires_grad flag. `load` takes
torch.load's `weights_only=` (True, False or None: all the same here, since nothing is ever
unpickled, so even weights_only=False cannot run code) and `map_location=` as a device name or a
dict of device names (not a function). Floats, ints and
dtypes are restored exactly (bit for bit); a big-endian array comes back in native byte order.
An array referenced twice is saved twice and loads as two copies.

* A safetensors file from another tool (no "minigrad" metadata, hence no checksum) loads as a
  dict name -> array in the file's order, like a state_dict; its other metadata is ignored.
  bfloat16 and float8 tensors are refused: NumPy has no such dtypes (convert them to float32
  before saving, e.g. `{k: v.float() for k, v in state_dict.items()}` in PyTorch).
* Before safetensors reads a file, minigrad checks the header itself (length, JSON, no name
  twice, known dtypes, shapes, byte ranges in order, without gaps or overlaps, each exactly
  shape x itemsize bytes), so a damaged or hostile file is refused quickly and before anything
  larger than the file is allocated.
* minigrad's previous format, an .npz archive with a JSON header entry (often named .mgz or
  .npz), still loads, read-only (_load_legacy). To convert one:
      minigrad.save(minigrad.load("old.mgz"), "new.safetensors")
* Every problem on loading -- a truncated or corrupt file, a file that is not a checkpoint (a
  pickle, a plain .npy or .npz, random bytes), one from a newer minigrad -- raises
  `CheckpointError` (a subclass of ValueError) that names the file and the problem.
"""

import hashlib
import json
import math
import os
import secrets
import zipfile
import zlib

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

from minigrad.backend import get_backend, normalize_device
from minigrad.creation import tensor
from minigrad.tensor import Tensor

FORMAT_NAME = "minigrad-checkpoint"
FORMAT_VERSION = 2  # 2: safetensors. 1: the legacy .npz archive, still read by _load_legacy.
SKELETON_KEY = "minigrad"
CHECKSUM_KEY = "minigrad_sha256"
HEADER_ENTRY = "__minigrad_header__"  # the legacy archive's JSON header entry

# safetensors' dtype names and the NumPy dtypes they are. Keyed the other way by dtype.name
# ("float32"), which ignores byte order: safetensors data is always little-endian.
DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16),
    "I16": np.dtype(np.int16),
    "U32": np.dtype(np.uint32),
    "I32": np.dtype(np.int32),
    "U64": np.dtype(np.uint64),
    "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
    "C64": np.dtype(np.complex64),
}
DTYPE_NAMES = {dtype.name: name for name, dtype in DTYPES.items()}
# safetensors dtypes that NumPy has no dtype for.
NO_NUMPY_DTYPE = {
    "BF16": "bfloat16",
    "F8_E4M3": "float8 e4m3",
    "F8_E5M2": "float8 e5m2",
    "F8_E8M0": "float8 e8m0",
    "F6_E2M3": "float6 e2m3",
    "F6_E3M2": "float6 e3m2",
    "F4": "float4",
}
MAX_DIMS = 64  # NumPy's own limit; also keeps the size arithmetic on a hostile shape cheap


class CheckpointError(ValueError):
    """A file could not be loaded as a checkpoint (corrupt, truncated, foreign, newer)."""


def _damaged(problem):
    return CheckpointError(f"the file is corrupt or truncated: {problem}")


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def save(obj, path):
    """Save `obj` (a state dict, or nested dicts/lists of arrays, Tensors and plain values).

    The whole object is converted first, so an unsupported value raises TypeError before the
    file system is touched. Then the file at `path` is replaced atomically.
    """
    arrays = {}  # tensor name -> contiguous little-endian NumPy array
    tree = _encode(obj, arrays, "obj", "")
    skeleton = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree}
    skeleton = json.dumps(skeleton, separators=(",", ":"))  # compact: it lives in the header
    records = [(name, DTYPE_NAMES[a.dtype.name], a.shape, a) for name, a in arrays.items()]
    metadata = {SKELETON_KEY: skeleton, CHECKSUM_KEY: _checksum(skeleton, records)}
    _write_atomically(os.fspath(path), safetensors.numpy.save(arrays, metadata=metadata))


def _encode(value, arrays, where, name):
    """A JSON-able description of `value`; array leaves are moved into `arrays` by name.

    Plain JSON values (None, bool, int, float, str) describe themselves. Everything else becomes
    a JSON object with a "type": list, tuple, dict, array, tensor or scalar (a NumPy scalar).
    `where` is the path to the value, such as obj["state"][0]["exp_avg"], for error messages;
    `name` is the same path as a tensor name, "state/0/exp_avg".
    """
    if isinstance(value, np.generic):  # checked first: np.float64 is also a Python float
        return {"type": "scalar", "name": _add_array(np.asarray(value), arrays, where, name)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [
            _encode(item, arrays, f"{where}[{i}]", _join(name, i)) for i, item in enumerate(value)
        ]
        return {"type": "list" if isinstance(value, list) else "tuple", "items": items}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise TypeError(
                    f"minigrad.save: dict keys must be str or int, but {where} has a key of type "
                    f"{type(key).__name__} ({key!r})"
                )
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]", _join(name, key))])
        return {"type": "dict", "items": items}
    if isinstance(value, Tensor):
        name = _add_array(value.numpy(), arrays, where, name)
        return {"type": "tensor", "name": name, "requires_grad": value.requires_grad}
    host = _to_host(value)
    if host is None:
        raise TypeError(
            f"minigrad.save: cannot save {where}, a {type(value).__name__}; supported are dicts, "
            "lists, tuples, arrays, Tensors, numbers, strings and None"
        )
    return {"type": "array", "name": _add_array(host, arrays, where, name)}


def _join(name, key):
    return f"{name}/{key}" if name else str(key)


def _add_array(array, arrays, where, name):
    """Store `array` under a free tensor name derived from `name`; return the name used."""
    if array.dtype.name not in DTYPE_NAMES or array.dtype.fields is not None:
        raise TypeError(
            f"minigrad.save: {where} has dtype {array.dtype}; safetensors stores only bool, "
            "int8/16/32/64, uint8/16/32/64, float16/32/64 and complex64 arrays (object arrays "
            "would need pickle, which minigrad never uses)"
        )
    # safetensors stores C-ordered little-endian bytes (the byte order of every usual machine).
    # (np.ascontiguousarray would turn a 0-d array into a 1-d one.)
    array = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
    # A key with a lone surrogate (possible in a Python str) cannot be written as UTF-8.
    name = (name or "tensor").encode("utf-8", "backslashreplace").decode("utf-8")
    unique, count = name, 0
    while unique in arrays or unique == "__metadata__":  # the header's reserved entry
        count += 1
        unique = f"{name}~{count}"
    arrays[unique] = array
    return unique


def _checksum(skeleton, records):
    """SHA-256 (hex) of the skeleton and of each tensor's name, dtype, shape and bytes.

    records: (name, safetensors dtype, shape, contiguous array) in any order. Every piece is
    preceded by its length, so two different contents can never hash the same bytes.
    """
    digest = hashlib.sha256()

    def add(data):
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    add(skeleton.encode("utf-8", "surrogatepass"))  # a skeleton minigrad writes is ASCII
    for name, dtype, shape, array in sorted(records, key=lambda record: record[0]):
        add(json.dumps([name, dtype, list(shape)]).encode("utf-8"))
        add(array.reshape(-1).view(np.uint8))  # its bytes, without copying them
    return digest.hexdigest()


def _to_host(value):
    """A backend array (NumPy, CuPy, strict) as a NumPy array; None if `value` is not one."""
    if isinstance(value, np.ndarray):
        return value
    for device in ("strict", "cuda"):
        try:
            backend = get_backend(device)
        except RuntimeError:  # the device is unavailable on this machine (e.g. no CuPy)
            continue
        if backend.is_array(value):
            return backend.to_numpy(value)
    return None


def _write_atomically(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    # A hidden, unique name next to the target: same directory, hence same file system, which
    # is what makes the final os.replace a single atomic rename.
    temporary = os.path.join(
        directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    )
    try:
        with open(temporary, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(temporary, path)
    except BaseException:
        # Whatever went wrong (even Ctrl-C), the old checkpoint at `path` was never touched;
        # only the half-written temporary file has to go.
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); skipped where directories can't be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load(path, map_location=None, *, weights_only=None, mmap=None):
    """Load a checkpoint saved with `minigrad.save`, or any safetensors file (torch.load's
    arguments).

    map_location: None or "cpu" gives NumPy arrays and CPU Tensors; a device name ("cuda",
        "cuda:0", "strict") puts every array and Tensor on that device. A dict maps where a
        tensor was saved from to where it goes, as in PyTorch; a minigrad file holds the
        numbers only (saved from the host), so its entry for "cpu" is used (no entry: "cpu").
    weights_only: accepted for PyTorch's signature; True and False do the same thing, because
        minigrad never unpickles: loading only ever reads numbers and a JSON skeleton, so no
        file can run code, whatever this flag says.
    mmap: accepted; None and False read the file into memory (True is not supported).

    Raises FileNotFoundError for a missing file and CheckpointError for a file that is not a
    valid checkpoint of a version this minigrad can read.
    """
    if weights_only not in (None, True, False):
        raise TypeError(f"load: weights_only must be True, False or None, got {weights_only!r}")
    if mmap:
        raise NotImplementedError("load(mmap=True): minigrad reads checkpoints into memory")
    path = os.fspath(path)
    device = _target_device(map_location)
    try:
        with open(path, "rb") as file:
            start = file.read(9)
            # Checked first: a safetensors length field may begin like a pickle (0x80) does.
            if start[8:] == b"{":  # 8 bytes of length, then the JSON header
                file.seek(0)
                return _load_safetensors(file, device)
        if start.startswith(b"PK\x03\x04"):  # a zip archive: minigrad's old .npz format
            return _load_legacy(path, device)
        _refuse(start)
    except CheckpointError as error:
        raise CheckpointError(f"cannot load {path!r}: {error}") from None


def _target_device(map_location):
    """The device named by load's map_location (see load)."""
    if map_location is None:
        return "cpu"
    if isinstance(map_location, dict):
        for key, value in map_location.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    f"load: map_location maps device names to device names, got {map_location!r}"
                )
        return normalize_device(map_location.get("cpu", "cpu"))
    if isinstance(map_location, str):
        return normalize_device(map_location)
    raise TypeError(
        f"load: map_location must be a device name such as 'cpu' or 'cuda', or a dict of "
        f"them, got {type(map_location).__name__} (minigrad does not take a function here)"
    )


def _refuse(start):
    """Say, from its first 9 bytes, why a file is neither safetensors nor an old checkpoint."""
    if len(start) == 0:
        raise CheckpointError("the file is empty")
    if len(start) < 9:
        raise _damaged(f"it has {len(start)} bytes; the shortest safetensors file has 10")
    if start.startswith(b"\x80"):
        raise CheckpointError(
            "it looks like a Python pickle (such as pickle.dump or an old torch.save writes). "
            "minigrad never loads pickles: unpickling a file can run arbitrary code"
        )
    if start.startswith(b"\x93NUMPY"):
        raise CheckpointError(
            "it is a single NumPy .npy array, not a minigrad checkpoint (use numpy.load)"
        )
    raise CheckpointError("it is not a minigrad checkpoint (not a safetensors file)")


def _load_safetensors(file, device):
    """Check the header, let safetensors read the tensors, check them, rebuild the object."""
    size = os.fstat(file.fileno()).st_size
    header_length = int.from_bytes(file.read(8), "little")
    if header_length > size - 8:
        raise _damaged(
            f"its header length field says {header_length} bytes, but only {size - 8} follow"
        )
    header = _parse_json(file.read(header_length), "its header")  # a dict: it starts with "{"
    metadata = _check_metadata(header.pop("__metadata__", None))
    entries = _check_entries(header, size - 8 - header_length)

    file.seek(0)
    data = file.read()
    if len(data) != size:
        raise _damaged("it changed while it was being read")
    try:
        arrays = safetensors.numpy.load(data)
    except (SafetensorError, ValueError, TypeError, KeyError) as error:
        raise _damaged(f"safetensors cannot read it ({type(error).__name__}: {error})") from None
    arrays = {name: np.array(arrays[name]) for name, *_ in entries}  # writable copies
    _check_bools(arrays)

    if SKELETON_KEY not in metadata:
        _refuse_damaged_minigrad_metadata(metadata)
        return {name: _on_device(array, device) for name, array in arrays.items()}
    skeleton = metadata[SKELETON_KEY]
    _verify_checksum(metadata, skeleton, entries, arrays)
    # "surrogatepass": a lone surrogate (from a "\ud800" escape) becomes a JSON error below.
    skeleton_bytes = skeleton.encode("utf-8", "surrogatepass")
    tree = _check_format(_parse_json(skeleton_bytes, "its skeleton"), FORMAT_VERSION)
    used = set()
    try:
        obj = _decode(tree, arrays, device, used)
    except RecursionError:
        raise _damaged("its skeleton is nested too deeply") from None
    if len(used) != len(arrays):
        unused = sorted(set(arrays) - used)
        raise _damaged(f"tensor(s) {unused} in the file are not in its skeleton")
    return obj


def _parse_json(raw, what):
    """Parse UTF-8 JSON bytes, refusing an object with a key twice (JSON allows it)."""
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_without_duplicates)
    except CheckpointError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        # ValueError: broken JSON, or an integer of more than 4300 digits.
        raise _damaged(f"{what} is not valid JSON ({type(error).__name__}: {error})") from None


def _without_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise _damaged(f"the name {key!r} appears twice in a JSON object of the header")
        result[key] = value
    return result


def _check_metadata(metadata):
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _damaged("its __metadata__ is not a dict of strings")
    return metadata


def _check_entries(header, data_length):
    """The tensor entries, sorted by position; each checked, together covering the data."""
    entries = sorted(
        (_check_entry(name, entry, data_length) for name, entry in header.items()),
        key=lambda entry: (entry[3], entry[4]),
    )
    position = 0
    for name, _, _, begin, end in entries:
        if begin != position:
            raise _damaged(
                f"tensor {name!r} starts at byte {begin} of the data, but the tensor before it "
                f"ends at byte {position} (a gap or an overlap)"
            )
        position = end
    if position != data_length:
        raise _damaged(f"its tensors cover {position} bytes of its {data_length} data bytes")
    return entries


def _check_entry(name, entry, data_length):
    """(name, dtype, shape, begin, end) of one header entry, after checking all of it."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _damaged(f"its header entry {name!r} is not a tensor (dtype, shape, data_offsets)")
    dtype_name, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    dtype = _numpy_dtype(name, dtype_name)
    if not _is_int_list(shape) or len(shape) > MAX_DIMS or any(size < 0 for size in shape):
        raise _damaged(f"tensor {name!r} has an invalid shape {shape!r}")
    if not _is_int_list(offsets) or len(offsets) != 2:
        raise _damaged(f"tensor {name!r} has invalid data_offsets {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end <= data_length:
        raise _damaged(
            f"tensor {name!r} has data_offsets {offsets} outside the {data_length} data bytes"
        )
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != end - begin:
        raise _damaged(
            f"tensor {name!r} is {dtype_name} of shape {shape} ({nbytes} bytes), but its "
            f"data_offsets span {end - begin} bytes"
        )
    return name, dtype_name, tuple(shape), begin, end


def _is_int_list(value):
    return isinstance(value, list) and all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    )


def _numpy_dtype(name, dtype_name):
    if isinstance(dtype_name, str) and dtype_name in DTYPES:
        return DTYPES[dtype_name]
    if isinstance(dtype_name, str) and dtype_name in NO_NUMPY_DTYPE:
        raise CheckpointError(
            f"tensor {name!r} has dtype {dtype_name} ({NO_NUMPY_DTYPE[dtype_name]}), which "
            "NumPy, and so minigrad, has no dtype for; convert it to float32 before saving, "
            "e.g. in PyTorch: {k: v.float() for k, v in state_dict.items()}"
        )
    raise _damaged(f"tensor {name!r} has an unknown dtype {dtype_name!r}")


def _check_bools(arrays):
    """A bool is stored as one byte, 0 or 1; any other byte is damage."""
    for name, array in arrays.items():
        if array.dtype == np.bool_ and array.size and array.view(np.uint8).max() > 1:
            raise _damaged(f"the bool tensor {name!r} holds bytes other than 0 and 1")


def _refuse_damaged_minigrad_metadata(metadata):
    """A minigrad file whose "minigrad" key lost a bit must not load as a foreign file.

    The markers are in three places (both keys, and the skeleton's "format"), so a flipped bit
    always leaves some of them intact.
    """
    for key, value in metadata.items():
        if "minigrad" in key.lower() or FORMAT_NAME in value:
            raise _damaged(f"its minigrad metadata is damaged (key {key[:40]!r})")


def _verify_checksum(metadata, skeleton, entries, arrays):
    expected = metadata.get(CHECKSUM_KEY)
    if expected is None:
        raise _damaged(f"it has a minigrad skeleton but no checksum ({CHECKSUM_KEY!r})")
    records = [(name, dtype, shape, arrays[name]) for name, dtype, shape, _, _ in entries]
    if _checksum(skeleton, records) != expected:
        raise _damaged(
            "its contents do not match the checksum saved with them (a flipped bit, a bad "
            "disk or download, or an edited file)"
        )


def _check_format(header, version_read):
    """The "tree" of a checked header (legacy or skeleton); CheckpointError if it is wrong."""
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise CheckpointError("its header does not name the minigrad checkpoint format")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"its header has an invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"it was written in checkpoint format version {version} by a newer minigrad; this "
            f"minigrad reads versions up to {FORMAT_VERSION}. Upgrade minigrad to load it."
        )
    if version != version_read:
        raise CheckpointError(f"its header names format version {version} in the wrong container")
    if "tree" not in header:
        raise CheckpointError("its header has no structure ('tree') entry")
    return header["tree"]


def _decode(node, arrays, device, used):
    """Rebuild the value described by `node` (see _encode), taking arrays from `arrays`.

    `used` collects the array names taken, so that no array is handed out twice.
    """
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    kind = node.get("type") if isinstance(node, dict) else None
    if kind in ("list", "tuple", "dict"):
        items = node.get("items")
        if not isinstance(items, list):
            raise CheckpointError(f"the header has a {kind} without a list of items")
        if kind == "dict":
            return _decode_dict(items, arrays, device, used)
        values = [_decode(item, arrays, device, used) for item in items]
        return values if kind == "list" else tuple(values)
    if kind in ("array", "tensor", "scalar"):
        return _decode_array(kind, node, arrays, device, used)
    raise CheckpointError(f"the header contains an unknown node {str(node)[:80]!r}")


def _decode_dict(items, arrays, device, used):
    result = {}
    for item in items:
        if not (isinstance(item, list) and len(item) == 2 and _is_key(item[0])):
            raise CheckpointError(f"the header has a bad dict item {str(item)[:80]!r}")
        if item[0] in result:
            raise CheckpointError(f"the header has the dict key {item[0]!r} twice")
        result[item[0]] = _decode(item[1], arrays, device, used)
    return result


def _is_key(key):
    return isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool))


def _decode_array(kind, node, arrays, device, used):
    name = node.get("name")
    if not isinstance(name, str) or name not in arrays:
        raise CheckpointError(f"the header refers to a missing array entry {name!r}")
    if name in used:
        raise CheckpointError(f"the header refers to the array entry {name!r} twice")
    used.add(name)
    array = arrays[name]
    if kind == "scalar":
        if array.ndim != 0:
            raise CheckpointError(f"the scalar {name!r} has shape {array.shape}")
        return array[()]  # a 0-d array -> the NumPy scalar of the same dtype
    if kind == "array":
        return _on_device(array, device)
    requires_grad = node.get("requires_grad")
    if not isinstance(requires_grad, bool):
        raise CheckpointError(f"the tensor {name!r} has no requires_grad flag")
    try:
        return tensor(array, requires_grad=requires_grad, device=device)
    except (TypeError, ValueError, RuntimeError) as error:  # e.g. an int tensor requiring grad
        raise CheckpointError(f"the tensor {name!r} cannot be rebuilt ({error})") from None


def _on_device(array, device):
    return array if device == "cpu" else get_backend(device).asarray(array)


# --------------------------------------------------------------------------------------------
# Legacy: minigrad's format before safetensors (version 1), read-only
# --------------------------------------------------------------------------------------------


def _load_legacy(path, device):
    """Load an .npz archive of .npy arrays plus a JSON header entry (written up to version 1).

    The header describes the structure like the safetensors skeleton, with arrays named a0, a1,
    ... Nothing is pickled: np.load(..., allow_pickle=False).
    """
    try:
        _check_legacy_sizes(path)
        with np.load(path, allow_pickle=False) as archive:
            tree = _read_legacy_header(archive)
            arrays = {}
            for name in archive.files:
                if name != HEADER_ENTRY:
                    arrays[name] = archive[name]
                    if not isinstance(arrays[name], np.ndarray):  # a raw entry comes as bytes
                        raise CheckpointError(f"the entry {name!r} is not a NumPy array")
            return _decode(tree, arrays, device, set())
    except CheckpointError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        TypeError,
        RecursionError,
    ) as error:
        # BadZipFile: truncated (a zip's table of contents is at its end) or a bad checksum;
        # ValueError: a damaged .npy entry, or one that would need pickle; KeyError, TypeError,
        # RecursionError: a header whose structure is damaged (or absurdly deep).
        raise CheckpointError(
            f"the file is corrupt or truncated ({type(error).__name__}: {error})"
        ) from error


def _check_legacy_sizes(path):
    """Refuse an entry whose .npy header claims more bytes than the entry holds.

    NumPy allocates the claimed array before reading an entry of a zip, so a lying header could
    ask for any amount of memory. np.savez never compresses, so neither may the entries.
    """
    with zipfile.ZipFile(path) as archive:
        seen = set()
        for info in archive.infolist():
            _check_legacy_entry(info, seen)
            if not info.filename.endswith(".npy"):
                continue
            with archive.open(info) as entry:
                version = np.lib.format.read_magic(entry)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(entry)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(entry)
                else:  # minigrad's arrays never needed .npy version 3 (unicode field names)
                    raise _damaged(f"the entry {info.filename!r} has .npy version {version}")
            if math.prod(shape) * dtype.itemsize > info.file_size:
                raise _damaged(f"the entry {info.filename!r} claims more data than it holds")


def _check_legacy_entry(info, seen):
    """An entry of an old archive as np.savez writes it: once, unencrypted, uncompressed."""
    if info.filename in seen:
        raise _damaged(f"the archive has the entry {info.filename!r} twice")
    seen.add(info.filename)
    if info.flag_bits & 0x1:
        raise _damaged(f"the entry {info.filename!r} is encrypted (np.savez never encrypts)")
    if info.compress_type != zipfile.ZIP_STORED:
        raise _damaged(
            f"the entry {info.filename!r} is compressed (compression method "
            f"{info.compress_type}; np.savez never compresses)"
        )


def _read_legacy_header(archive):
    """The tree of the header of an open archive; CheckpointError saying what is wrong with it."""
    if HEADER_ENTRY not in archive.files:
        raise CheckpointError(
            f"it is a zip/.npz archive but not a minigrad checkpoint (it has no {HEADER_ENTRY} "
            "entry; a plain np.savez file or a PyTorch torch.save checkpoint, perhaps; convert "
            "a PyTorch state_dict with safetensors.torch.save_file)"
        )
    raw = archive[HEADER_ENTRY]
    if not isinstance(raw, np.ndarray):  # an entry that is not an .npy file comes as bytes
        raise CheckpointError(f"its header entry {HEADER_ENTRY!r} is not a NumPy array")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"its header is damaged ({error})") from None
    return _check_format(header, 1)
