"""Reading and writing `.safetensors` files with numpy only.

The format is an 8-byte little-endian header length, a JSON header mapping
names to dtype, shape and byte offsets, then the raw data. Reading it here
(rather than through the `safetensors` package) keeps it a core-free
dependency, handles bfloat16 without torch, and lets every truncated or
corrupt file fail with an error naming the file.
"""

from keras_electra.errors import ElectraError
import json
import os
import struct

import numpy as np

DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
    "BOOL": np.bool_,
}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


class CheckpointFileError(ElectraError):
    """A checkpoint file is missing, truncated or corrupt."""


def read_safetensors(path):
    """Reads a `.safetensors` file into a dict of float32/int numpy arrays.

    bfloat16 tensors are widened to float32.

    Example:
    ```python
    tensors = read_safetensors("model.safetensors")
    tensors["embeddings.word_embeddings.weight"].shape
    ```
    """
    if not os.path.isfile(path):
        raise CheckpointFileError(f"Checkpoint file not found: {path}")
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw = f.read()
    if size < 8:
        raise CheckpointFileError(
            f"{path} is truncated or not a safetensors file ({size} bytes)."
        )
    (header_size,) = struct.unpack("<Q", raw[:8])
    if 8 + header_size > size:
        raise CheckpointFileError(
            f"{path} is truncated: its header needs {header_size} bytes but "
            f"the file has {size}."
        )
    try:
        header = json.loads(raw[8 : 8 + header_size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointFileError(f"{path} has a corrupt safetensors header: {e}") from e
    data = memoryview(raw)[8 + header_size :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        if end > len(data):
            raise CheckpointFileError(
                f"{path} is truncated: tensor {name} needs bytes up to "
                f"{end} of the data section, which has {len(data)}."
            )
        dtype, shape = info["dtype"], tuple(info["shape"])
        buffer = data[start:end]
        if dtype == "BF16":
            bits = np.frombuffer(buffer, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        elif dtype in DTYPES:
            array = np.frombuffer(buffer, dtype=np.dtype(DTYPES[dtype]).newbyteorder("<"))
        else:
            raise CheckpointFileError(f"{path}: tensor {name} has unsupported dtype {dtype}.")
        expected = int(np.prod(shape)) if shape else 1
        if array.size != expected:
            raise CheckpointFileError(
                f"{path}: tensor {name} holds {array.size} values but its shape "
                f"{shape} needs {expected}."
            )
        tensors[name] = array.reshape(shape).copy()
    return tensors


def write_safetensors(path, tensors, metadata=None):
    """Writes a dict of numpy arrays to a `.safetensors` file (sorted by name)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        if array.dtype not in NAMES:
            raise ValueError(f"Cannot write {name}: unsupported dtype {array.dtype}.")
        blob = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": NAMES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        chunks.append(blob)
        offset += len(blob)
    header["__metadata__"] = dict(metadata or {"format": "pt"})
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in chunks:
            f.write(blob)
