"""A minimal pure-Python safetensors reader, for checking that CharLstm's model files open in PyTorch.

`load_file` mirrors `safetensors.torch.load_file` (which is not installable here) using only json, struct
and torch.frombuffer. Format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each
tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the byte after the
header) plus an optional "__metadata__" of strings, then the tensors' bytes, little-endian and row-major.

    python3 tools/safetensors_min.py model.safetensors   # prints metadata and tensors as JSON
"""
import json
import struct
import sys

import torch

_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
           "BOOL": torch.bool}


def _read(path):
    with open(path, "rb") as f:
        buffer = f.read()
    (n,) = struct.unpack("<Q", buffer[:8].ljust(8, b"\xff"))  # a file under 8 bytes fails the check below
    if n > len(buffer) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of a {len(buffer)}-byte file")
    header = json.loads(buffer[8:8 + n].decode("utf-8"))
    return header, memoryview(buffer)[8 + n:]


def load_file(path, device="cpu"):
    """Returns {name: tensor} for every tensor in the safetensors file at `path`, like safetensors.torch.load_file."""
    assert sys.byteorder == "little", "torch.frombuffer reads native byte order; safetensors is little-endian"
    header, data = _read(path)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= len(data):
            raise ValueError(f"{path}: tensor {name!r} has data_offsets {info['data_offsets']} outside {len(data)} data bytes")
        dtype = _DTYPES[info["dtype"]]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"]).to(device)
    return tensors


def load_metadata(path):
    """Returns the header's "__metadata__" strings ({} if absent), like safe_open(path).metadata()."""
    return _read(path)[0].get("__metadata__", {})


if __name__ == "__main__":
    tensors = load_file(sys.argv[1])
    json.dump({"metadata": load_metadata(sys.argv[1]),
               "tensors": {name: {"dtype": str(t.dtype), "shape": list(t.shape), "values": t.flatten().tolist()}
                           for name, t in tensors.items()}},
              sys.stdout, ensure_ascii=False)
