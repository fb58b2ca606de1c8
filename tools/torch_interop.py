"""CharLstm model files in PyTorch: load one into the equivalent torch.nn module, score a text, write one back.

The model file is a plain safetensors file whose tensors are the state_dict of the module below (nn.Embedding,
or one-hot input when the embedding size is 0; nn.LSTM(batch_first=True); nn.Linear named `head`), gate order
i, f, g, o, with the hyperparameters and vocabulary in its metadata. `load_state_dict(..., strict=True)` accepts
it as is. The loss is `charlstm eval`'s: the text read as one stream from a zero state, every character after
the first predicted from all before it, mean nats per character.

    python3 tools/torch_interop.py model.safetensors text.txt          # prints {"loss_nats": ..., ...} as JSON
    python3 tools/torch_interop.py save model.safetensors -o copy.safetensors
    python3 tools/torch_interop.py save state.pt --vocab vocab.json -o model.safetensors
    python3 tools/torch_interop.py state-dict model.safetensors -o state.safetensors --vocab-out vocab.json

`save` writes a CharLstm model file from a CharLstm model file (loaded into the module and written back) or from
a plain state_dict under the same names (a torch.save file or safetensors) plus a vocab.json; `state-dict`
writes the plain state_dict and vocab.json that `charlstm import` takes. In Python: `load`, `evaluate`, `save`.

Uses the `safetensors` package when installed, else tools/safetensors_min.py (same `load_file` / `save_file`).
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    from safetensors.torch import load_file, save_file
    from safetensors import safe_open

    def load_metadata(path):
        with safe_open(path, framework="pt") as f:
            return f.metadata() or {}
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from safetensors_min import load_file, load_metadata, save_file

FORMAT = "charlstm.model"
FORMAT_VERSION = 1  # the newest version src/CharLstm/IO/ModelFile.cs reads and the one it writes


class CharLstm(nn.Module):
    """CharLstm's network in torch.nn terms; parameter names are the model file's tensor names.

    Dropout, when above 0, is applied to every LSTM layer's output while training, as CharLstm's trainer does:
    nn.LSTM's own dropout between layers, then `self.dropout` on the last layer's output before the head.
    """

    def __init__(self, vocab_size, embedding_size, hidden_size, layers, dropout=0.0):
        super().__init__()
        self.vocab_size = vocab_size
        # Embedding size 0 means one-hot input: no embedding table, the LSTM reads vocab_size-wide vectors.
        self.embedding = nn.Embedding(vocab_size, embedding_size) if embedding_size > 0 else None
        self.lstm = nn.LSTM(embedding_size or vocab_size, hidden_size, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        x = self.embedding(ids) if self.embedding is not None else F.one_hot(ids, self.vocab_size).float()
        out, state = self.lstm(x, state)
        return self.head(self.dropout(out)), state


def read_model(path):
    """Returns (module in eval mode, vocabulary list, the file's metadata) for the CharLstm model file at `path`."""
    meta = load_metadata(path)
    if meta.get("format") != FORMAT:
        raise SystemExit(f"{path}: not a CharLstm model file (format {meta.get('format')!r})")
    vocabulary = json.loads(meta["charlstm.vocabulary"])
    model = CharLstm(int(meta["charlstm.vocab_size"]), int(meta["charlstm.embedding_size"]),
                     int(meta["charlstm.hidden_size"]), int(meta["charlstm.layers"]),
                     float(meta.get("charlstm.dropout", "0")))
    model.load_state_dict(load_file(path), strict=True)
    return model.eval(), vocabulary, meta


def load(path):
    """Returns (module in eval mode, vocabulary list) for the CharLstm model file at `path`."""
    model, vocabulary, _ = read_model(path)
    return model, vocabulary


def expected_shapes(vocab_size, embedding_size, hidden_size, layers):
    """{state_dict name: shape} of the CharLstm network, in state_dict order (src/CharLstm.Engine/Model/ParameterLayout.cs)."""
    shapes = {"embedding.weight": [vocab_size, embedding_size]} if embedding_size > 0 else {}
    for k in range(layers):
        shapes[f"lstm.weight_ih_l{k}"] = [4 * hidden_size, (embedding_size or vocab_size) if k == 0 else hidden_size]
        shapes[f"lstm.weight_hh_l{k}"] = [4 * hidden_size, hidden_size]
        shapes[f"lstm.bias_ih_l{k}"] = [4 * hidden_size]
        shapes[f"lstm.bias_hh_l{k}"] = [4 * hidden_size]
    shapes["head.weight"] = [vocab_size, hidden_size]
    shapes["head.bias"] = [vocab_size]
    return shapes


def _shape_of(state):
    """(vocab, embedding, hidden, layers) read from a state_dict's tensors, before any exact check."""
    for name in ("lstm.weight_hh_l0", "head.weight"):
        if name not in state:
            raise ValueError(f"the state_dict has no {name!r}; a CharLstm state_dict holds "
                             f"{', '.join(expected_shapes(2, 1, 1, 1))} (and more layers' lstm.*_lk)")
    hidden = state["lstm.weight_hh_l0"].shape[-1]
    layers = 0
    while f"lstm.weight_hh_l{layers}" in state:
        layers += 1
    embedding = state["embedding.weight"].shape[-1] if "embedding.weight" in state else 0
    return state["head.weight"].shape[0], embedding, hidden, layers


def save(module_or_state, vocabulary, path, dropout=None, training=None, text_options=None):
    """Writes a CharLstm model file that `charlstm generate`, `eval`, `serve` and `inspect` take.

    module_or_state: a CharLstm module, any module with the same state_dict names (`embedding` unless one-hot,
      `lstm` an nn.LSTM with batch_first, unidirectional, no proj_size; `head` an nn.Linear), or its state_dict.
      Tensors are converted to float32 on the CPU.
    vocabulary: one single-character string per id, in the ids' order. CharLstm keeps characters in ascending
      code-point order; an unsorted vocabulary is sorted here, and the rows (and one-hot columns) that depend
      on a character's id are moved with it, so the model computes the same function.
    dropout: recorded for fine-tuning (`charlstm train --init-from`); default the module's `dropout` (nn.Dropout) or
      its nn.LSTM's dropout, else 0.
    training, text_options: the optional `charlstm.training` and `charlstm.text_options` metadata, as a dict (written
      as JSON) or a JSON string (written as is); see src/CharLstm/IO/ModelFile.cs for their keys.
    """
    if isinstance(module_or_state, nn.Module):
        state = module_or_state.state_dict()
        if dropout is None:
            after = getattr(module_or_state, "dropout", None)
            dropout = after.p if isinstance(after, nn.Dropout) else getattr(getattr(module_or_state, "lstm", None), "dropout", 0.0)
    else:
        state = dict(module_or_state)
    state = {name: t.detach().cpu().float().contiguous() for name, t in state.items()}
    vocab_size, embedding, hidden, layers = _shape_of(state)
    shapes = expected_shapes(vocab_size, embedding, hidden, layers)
    missing = [n for n in shapes if n not in state]
    extra = [n for n in state if n not in shapes]
    if missing or extra:
        raise ValueError(f"the state_dict does not match a CharLstm of {layers} layer(s) x {hidden}, embedding {embedding}, "
                         f"vocabulary {vocab_size}: missing {missing}, extra {extra}")
    for name, shape in shapes.items():
        if list(state[name].shape) != shape:
            raise ValueError(f"tensor {name!r} has shape {list(state[name].shape)}, expected {shape}")
        if not torch.isfinite(state[name]).all():
            raise ValueError(f"tensor {name!r} holds NaN or infinity; the model has diverged")
    vocabulary = list(vocabulary)
    if len(vocabulary) != vocab_size:
        raise ValueError(f"the vocabulary has {len(vocabulary)} characters but head.weight has {vocab_size} rows")
    bad = [c for c in vocabulary if not isinstance(c, str) or len(c) != 1]
    if bad:
        raise ValueError(f"vocabulary entries must be single characters; these are not: {bad[:10]!r}")
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError(f"the vocabulary repeats {sorted({c for c in vocabulary if vocabulary.count(c) > 1})[:10]!r}")
    order = sorted(range(vocab_size), key=lambda i: vocabulary[i])  # new id j is old id order[j]
    if order != list(range(vocab_size)):
        index = torch.tensor(order)
        for name in ("embedding.weight", "head.weight", "head.bias"):
            if name in state:
                state[name] = state[name][index].contiguous()
        if embedding == 0:
            state["lstm.weight_ih_l0"] = state["lstm.weight_ih_l0"][:, index].contiguous()
        vocabulary = [vocabulary[i] for i in order]

    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "charlstm.vocab_size": str(vocab_size),
        "charlstm.embedding_size": str(embedding),
        "charlstm.hidden_size": str(hidden),
        "charlstm.layers": str(layers),
        "charlstm.dropout": repr(float(dropout or 0.0)),
        "charlstm.gate_order": "ifgo",
        "charlstm.vocabulary": json.dumps(vocabulary, ensure_ascii=False, separators=(",", ":")),
    }
    for key, value in (("charlstm.training", training), ("charlstm.text_options", text_options)):
        if value is not None:
            metadata[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Written beside the target, then renamed over it: a crash never leaves half a model file under its name.
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        save_file({name: state[name] for name in shapes}, temporary, metadata=metadata)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


@torch.no_grad()
def evaluate(model, ids, chunk=4096):
    """Mean nats/char over ids[1:], each predicted from everything before it, from a zero state."""
    was_training = model.training
    model.eval()
    total, state = 0.0, None
    for begin in range(0, len(ids) - 1, chunk):
        inputs = torch.tensor(ids[begin:begin + chunk], dtype=torch.long)
        targets = torch.tensor(ids[begin + 1:begin + chunk + 1], dtype=torch.long)
        inputs = inputs[:len(targets)]
        logits, state = model(inputs.unsqueeze(0), state)
        total += F.cross_entropy(logits[0], targets, reduction="sum").double().item()
    model.train(was_training)
    return total / (len(ids) - 1)


def read_vocab(path):
    """A vocab.json: a JSON list of single characters in id order, or a {"char": id} object (Keras, textgenrnn)."""
    with open(path, encoding="utf-8") as f:
        value = json.load(f)
    if isinstance(value, dict):
        if sorted(value.values()) != list(range(len(value))):
            raise SystemExit(f"{path}: the ids of a {{\"char\": id}} vocabulary must be 0 to {len(value) - 1}, each once")
        return [c for c, _ in sorted(value.items(), key=lambda item: item[1])]
    if not isinstance(value, list):
        raise SystemExit(f"{path}: expected a JSON list of characters or a {{\"char\": id}} object")
    return value


def _refuse_existing(path, overwrite):
    if os.path.exists(path) and not overwrite:
        raise SystemExit(f"{path} already exists; pass --overwrite to replace it")


def _save_command(argv):
    parser = argparse.ArgumentParser(prog="torch_interop.py save", description="Write a CharLstm model file with save().")
    parser.add_argument("source", help="a CharLstm model file, or a state_dict (torch.save file or .safetensors) with --vocab")
    parser.add_argument("--vocab", help="vocab.json for a plain state_dict: a JSON list of characters in id order, or {\"char\": id}")
    parser.add_argument("-o", "--output", required=True, help="the model file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace the output if it exists")
    args = parser.parse_args(argv)
    _refuse_existing(args.output, args.overwrite)
    if args.vocab is None:
        model, vocabulary, meta = read_model(args.source)
        save(model, vocabulary, args.output, dropout=float(meta.get("charlstm.dropout", "0")),
             training=meta.get("charlstm.training"), text_options=meta.get("charlstm.text_options"))
    else:
        with open(args.source, "rb") as f:
            safetensors = f.read(9)[8:9] == b"{"
        state = load_file(args.source) if safetensors else torch.load(args.source, map_location="cpu")
        save(state, read_vocab(args.vocab), args.output)
    print(f"wrote {args.output}")


def _state_dict_command(argv):
    parser = argparse.ArgumentParser(prog="torch_interop.py state-dict",
                                     description="Write a model file's plain state_dict and vocab.json, as `charlstm import` takes them.")
    parser.add_argument("model", help="a CharLstm model file")
    parser.add_argument("-o", "--output", required=True, help="the state_dict to write (safetensors)")
    parser.add_argument("--vocab-out", required=True, help="the vocab.json to write")
    parser.add_argument("--overwrite", action="store_true", help="replace the outputs if they exist")
    args = parser.parse_args(argv)
    for path in (args.output, args.vocab_out):
        _refuse_existing(path, args.overwrite)
    model, vocabulary, _ = read_model(args.model)
    save_file(model.state_dict(), args.output)
    with open(args.vocab_out, "w", encoding="utf-8") as f:
        json.dump(vocabulary, f, ensure_ascii=False)
    print(f"wrote {args.output} and {args.vocab_out}")


def main():
    commands = {"save": _save_command, "state-dict": _state_dict_command}
    if len(sys.argv) > 1 and sys.argv[1] in commands:
        commands[sys.argv[1]](sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Also: 'save' and 'state-dict' (each with --help).")
    parser.add_argument("model", help="a CharLstm model file (.safetensors)")
    parser.add_argument("text", help="a UTF-8 text file")
    parser.add_argument("--skip-unknown", action="store_true", help="drop characters the vocabulary lacks instead of failing")
    args = parser.parse_args()

    model, vocabulary = load(args.model)
    index = {c: i for i, c in enumerate(vocabulary)}
    with open(args.text, encoding="utf-8", newline="") as f:
        text = f.read()
    unknown = sorted({c for c in text if c not in index})
    if unknown and not args.skip_unknown:
        raise SystemExit(f"{args.text}: characters the vocabulary lacks: {unknown[:20]!r}; pass --skip-unknown to drop them")
    ids = [index[c] for c in text if c in index]
    if len(ids) < 2:
        raise SystemExit(f"{args.text}: fewer than 2 known characters, nothing to score")
    loss = evaluate(model, ids)
    json.dump({"model": args.model, "text": args.text, "characters": len(ids), "scored": len(ids) - 1,
               "unknown_skipped": sum(1 for c in text if c not in index),
               "loss_nats": loss, "bits_per_char": loss / math.log(2), "torch": torch.__version__}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
