"""Saving and loading checkpoints: `minigrad.save(obj, path)` and `minigrad.load(path)`.

    minigrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "epoch": epoch}, "checkpoint.npz")
    checkpoint = minigrad.load("checkpoint.npz")

What can be saved: nested dicts, lists and tuples whose leaves are arrays (NumPy, CuPy, strict),
Tensors, NumPy scalars, Python numbers, strings and None. Dict keys must be strings or ints (an
optimizer state dict uses ints). That covers model and optimizer state dicts, and a dict of
training metadata.

The file format, and why:

* A file is an ordinary NumPy `.npz` archive (a zip of `.npy` files, one per array), plus one
  entry "__minigrad_header__": UTF-8 JSON that names the format ("minigrad-checkpoint"), its
  version, and describes the structure, with each array leaf replaced by the name of its entry.
* Nothing in it is pickled, and loading uses `np.load(..., allow_pickle=False)`. PyTorch's
  `torch.save` uses pickle, and unpickling a file runs whatever code the file asks for: a
  downloaded checkpoint can take over your machine. Loading a minigrad file only ever creates
  arrays, numbers, strings and containers.
* Saving is atomic: the archive is written to a temporary file in the same directory, flushed
  to disk (fsync), then renamed over the target with `os.replace`, which either happens
  completely or not at all. If the process dies mid-save, the previous checkpoint is untouched.
* Every problem on loading -- a truncated or corrupt file, a file that is not a minigrad
  checkpoint (a pickle, a plain .npy), one from a newer minigrad -- raises `CheckpointError`
  (a subclass of ValueError) that names the file and the problem.

Arrays come back as NumPy arrays (on the host) unless `map_location` names a device; Tensors come
back as Tensors on that device with their requires_grad flag. Floats, ints, and dtypes are
restored exactly (bit for bit). An array referenced twice is saved twice and loads as two copies.
"""

import json
import os
import secrets
import zipfile
import zlib

import numpy as np

from minigrad.backend import get_backend, normalize_device
from minigrad.creation import tensor
from minigrad.tensor import Tensor

FORMAT_NAME = "minigrad-checkpoint"
FORMAT_VERSION = 1
HEADER_ENTRY = "__minigrad_header__"


class CheckpointError(ValueError):
    """A file could not be loaded as a minigrad checkpoint (corrupt, truncated, foreign, newer)."""


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def save(obj, path):
    """Save `obj` (a state dict, or nested dicts/lists of arrays, Tensors and plain values).

    The whole object is converted first, so an unsupported value raises TypeError before the
    file system is touched. Then the file at `path` is replaced atomically.
    """
    arrays = {}
    tree = _encode(obj, arrays, "obj")
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree}
    header_bytes = json.dumps(header).encode("utf-8")
    arrays[HEADER_ENTRY] = np.frombuffer(header_bytes, dtype=np.uint8)
    _write_atomically(os.fspath(path), arrays)


def _encode(value, arrays, where):
    """A JSON-able description of `value`; array leaves are moved into `arrays` by name.

    Plain JSON values (None, bool, int, float, str) describe themselves. Everything else becomes
    a JSON object with a "type": list, tuple, dict, array, tensor or scalar (a NumPy scalar).
    `where` is the path to the value, such as obj["state"][0]["exp_avg"], for error messages.
    """
    if isinstance(value, np.generic):  # checked first: np.float64 is also a Python float
        return {"type": "scalar", "name": _add_array(np.asarray(value), arrays, where)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]
        return {"type": "list" if isinstance(value, list) else "tuple", "items": items}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise TypeError(
                    f"minigrad.save: dict keys must be str or int, but {where} has a key of type "
                    f"{type(key).__name__} ({key!r})"
                )
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]")])
        return {"type": "dict", "items": items}
    if isinstance(value, Tensor):
        name = _add_array(value.numpy(), arrays, where)
        return {"type": "tensor", "name": name, "requires_grad": value.requires_grad}
    host = _to_host(value)
    if host is None:
        raise TypeError(
            f"minigrad.save: cannot save {where}, a {type(value).__name__}; supported are dicts, "
            "lists, tuples, arrays, Tensors, numbers, strings and None"
        )
    return {"type": "array", "name": _add_array(host, arrays, where)}


def _add_array(array, arrays, where):
    # Only plain numeric and boolean arrays: object or structured arrays would need pickle.
    if array.dtype.kind not in "biufc" or array.dtype.fields is not None:
        raise TypeError(
            f"minigrad.save: {where} has dtype {array.dtype}; only numeric and bool arrays can be "
            "saved (object arrays would need pickle, which minigrad never uses)"
        )
    name = f"a{len(arrays)}"
    arrays[name] = array
    return name


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


def _write_atomically(path, arrays):
    directory = os.path.dirname(os.path.abspath(path))
    # A hidden, unique name next to the target: same directory, hence same file system, which
    # is what makes the final os.replace a single atomic rename.
    temporary = os.path.join(
        directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    )
    try:
        with open(temporary, "xb") as file:
            np.savez(file, **arrays)
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


def load(path, map_location=None):
    """Load an object saved with `minigrad.save`.

    map_location: None or "cpu" gives NumPy arrays and CPU Tensors; a device name ("cuda",
        "strict") puts every array and Tensor on that device.

    Raises FileNotFoundError for a missing file and CheckpointError for a file that is not a
    valid minigrad checkpoint of a version this minigrad can read.
    """
    path = os.fspath(path)
    device = normalize_device(map_location) if map_location is not None else "cpu"

    with open(path, "rb") as file:
        start = file.read(8)
    if not start.startswith(b"PK\x03\x04"):  # every zip (hence .npz) archive starts like this
        raise CheckpointError(f"cannot load {path!r}: {_describe_foreign_file(start)}")

    try:
        with np.load(path, allow_pickle=False) as archive:
            header = _read_header(archive)
            return _decode(header["tree"], archive, device)
    except CheckpointError as error:
        raise CheckpointError(f"cannot load {path!r}: {error}") from None
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
            f"cannot load {path!r}: the file is corrupt or truncated "
            f"({type(error).__name__}: {error})"
        ) from error


def _describe_foreign_file(start):
    if len(start) == 0:
        return "the file is empty"
    if start.startswith(b"\x80"):
        return (
            "it looks like a Python pickle (such as pickle.dump writes). minigrad never loads "
            "pickles: unpickling a file can run arbitrary code"
        )
    if start.startswith(b"\x93NUMPY"):
        return "it is a single NumPy .npy array, not a minigrad checkpoint (use numpy.load)"
    return "it is not a minigrad checkpoint (not a .npz archive)"


def _read_header(archive):
    """The checked header of an open archive; CheckpointError saying what is wrong with it."""
    if HEADER_ENTRY not in archive.files:
        raise CheckpointError(
            f"it is a zip/.npz archive but not a minigrad checkpoint (it has no {HEADER_ENTRY} "
            "entry; a plain np.savez file or a PyTorch checkpoint, perhaps)"
        )
    raw = archive[HEADER_ENTRY]
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"its header is damaged ({error})") from None
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
    if "tree" not in header:
        raise CheckpointError("its header has no structure ('tree') entry")
    return header


def _decode(node, archive, device):
    """Rebuild the value described by `node` (see _encode), reading arrays from the archive."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    kind = node.get("type") if isinstance(node, dict) else None
    if kind == "list":
        return [_decode(item, archive, device) for item in node["items"]]
    if kind == "tuple":
        return tuple(_decode(item, archive, device) for item in node["items"])
    if kind == "dict":
        return {key: _decode(item, archive, device) for key, item in node["items"]}
    if kind in ("array", "tensor", "scalar"):
        name = node["name"]
        if name == HEADER_ENTRY or name not in archive.files:
            raise CheckpointError(f"the header refers to a missing array entry {name!r}")
        array = archive[name]
        if not isinstance(array, np.ndarray):  # np.load hands back other entries as raw bytes
            raise CheckpointError(f"the entry {name!r} is not a NumPy array")
        if kind == "scalar":
            return array[()]  # a 0-d array -> the NumPy scalar of the same dtype
        if kind == "tensor":
            return tensor(array, requires_grad=node["requires_grad"], device=device)
        return array if device == "cpu" else get_backend(device).asarray(array)
    raise CheckpointError(f"the header contains an unknown node {str(node)[:80]!r}")
