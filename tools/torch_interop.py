"""Load a CharLstm model file into the equivalent PyTorch module and print its eval loss on a text.

The model file is a plain safetensors file whose tensors are the state_dict of the module below (nn.Embedding,
or one-hot input when the embedding size is 0; nn.LSTM(batch_first=True); nn.Linear named `head`), gate order
i, f, g, o, with the hyperparameters and vocabulary in its metadata. `load_state_dict(..., strict=True)` accepts
it as is. The loss is `charlstm eval`'s: the text read as one stream from a zero state, every character after
the first predicted from all before it, mean nats per character.

    python3 tools/torch_interop.py model.safetensors text.txt   # prints {"loss_nats": ..., ...} as JSON

Uses the `safetensors` package when installed, else tools/safetensors_min.py (same `load_file`).
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
    from safetensors.torch import load_file
    from safetensors import safe_open

    def load_metadata(path):
        with safe_open(path, framework="pt") as f:
            return f.metadata() or {}
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from safetensors_min import load_file, load_metadata


class CharLstm(nn.Module):
    """CharLstm's network in torch.nn terms; parameter names are the model file's tensor names."""

    def __init__(self, vocab_size, embedding_size, hidden_size, layers):
        super().__init__()
        self.vocab_size = vocab_size
        # Embedding size 0 means one-hot input: no embedding table, the LSTM reads vocab_size-wide vectors.
        self.embedding = nn.Embedding(vocab_size, embedding_size) if embedding_size > 0 else None
        self.lstm = nn.LSTM(embedding_size or vocab_size, hidden_size, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        x = self.embedding(ids) if self.embedding is not None else F.one_hot(ids, self.vocab_size).float()
        out, state = self.lstm(x, state)
        return self.head(out), state


def load(path):
    meta = load_metadata(path)
    if meta.get("format") != "charlstm.model":
        raise SystemExit(f"{path}: not a CharLstm model file (format {meta.get('format')!r})")
    vocabulary = json.loads(meta["charlstm.vocabulary"])
    model = CharLstm(int(meta["charlstm.vocab_size"]), int(meta["charlstm.embedding_size"]),
                     int(meta["charlstm.hidden_size"]), int(meta["charlstm.layers"]))
    model.load_state_dict(load_file(path), strict=True)
    return model.eval(), vocabulary


@torch.no_grad()
def evaluate(model, ids, chunk=4096):
    """Mean nats/char over ids[1:], each predicted from everything before it, from a zero state."""
    total, state = 0.0, None
    for begin in range(0, len(ids) - 1, chunk):
        inputs = torch.tensor(ids[begin:begin + chunk], dtype=torch.long)
        targets = torch.tensor(ids[begin + 1:begin + chunk + 1], dtype=torch.long)
        inputs = inputs[:len(targets)]
        logits, state = model(inputs.unsqueeze(0), state)
        total += F.cross_entropy(logits[0], targets, reduction="sum").double().item()
    return total / (len(ids) - 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
