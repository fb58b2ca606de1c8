"""A minimal pure-Python safetensors reader and writer, for moving CharLstm's model files in and out of PyTorch.

`load_file` and `save_file` mirror `safetensors.torch.load_file` and `save_file` (the `safetensors` package is
not in Debian 12) using only json, struct and torch. Format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each
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


def save_file(tensors, filename, metadata=None):
    """Writes {name: tensor} (and optional {str: str} metadata) as a safetensors file, like safetensors.torch.save_file.

    Tensors are laid out in the dict's order (a state_dict's order), metadata keys sorted; the header is padded
    with spaces so the data starts 8-byte aligned, as CharLstm's own writer does.
    """
    assert sys.byteorder == "little", "tensor bytes are written in native byte order; safetensors is little-endian"
    names = {dtype: name for name, dtype in _DTYPES.items()}
    header, chunks, offset = {}, [], 0
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("metadata keys and values must all be strings")
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name, tensor in tensors.items():
        if name == "__metadata__":
            raise ValueError("a tensor may not be named __metadata__; the format reserves it")
        if tensor.dtype not in names:
            raise ValueError(f"tensor {name!r} has dtype {tensor.dtype}, which safetensors does not store")
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        # numpy has no bfloat16: write its bits through a same-sized integer view.
        data = (flat.view(torch.int16) if flat.dtype == torch.bfloat16 else flat).numpy().tobytes()
        header[name] = {"dtype": names[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(filename, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for data in chunks:
            f.write(data)


def load_metadata(path):
    """Returns the header's "__metadata__" strings ({} if absent), like safe_open(path).metadata()."""
    return _read(path)[0].get("__metadata__", {})


if __name__ == "__main__":
    tensors = load_file(sys.argv[1])
    json.dump({"metadata": load_metadata(sys.argv[1]),
               "tensors": {name: {"dtype": str(t.dtype), "shape": list(t.shape), "values": t.flatten().tolist()}
                           for name, t in tensors.items()}},
              sys.stdout, ensure_ascii=False)
