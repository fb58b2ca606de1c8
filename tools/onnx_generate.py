#!/usr/bin/env python3
"""Generate text from a CharLstm model exported to ONNX, with ONNX Runtime and numpy alone (no CharLstm).

    charlstm export runs/NAME --format onnx --graph step -o model.onnx
    pip install onnxruntime numpy
    python3 tools/onnx_generate.py model.onnx --prompt "the " --length 200 --temperature 0

Works with either graph: the step graph reads the prompt one character per call, the sequence graph in one call;
then each new character is one call, its hN and cN fed back as the next h0 and c0. The vocabulary, the layer count,
the hidden size and how the training text was read (lower-cased, newlines normalised) come from the file's metadata.

With --temperature 0 each character is the most likely one (the first on ties), as `charlstm generate --temperature 0`
picks it, so both print the same text. Otherwise characters are drawn from softmax(logits / T) with numpy's generator,
not charlstm's, so a --seed here gives other text than the same --seed there (docs/interop.md shows the C# loop that
uses charlstm's sampler and matches it seed for seed).
"""

import argparse
import json
import sys

import numpy as np
import onnxruntime as ort


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="an ONNX file written by 'charlstm export --format onnx'")
    parser.add_argument("--prompt", default="", help="text to continue (printed first); empty: start after a newline")
    parser.add_argument("--length", type=int, default=200, help="characters to generate")
    parser.add_argument("--temperature", type=float, default=1.0, help="0: always the most likely character")
    parser.add_argument("--seed", type=int, default=None, help="seed of numpy's generator (for --temperature above 0)")
    args = parser.parse_args()

    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    vocabulary = json.loads(meta["charlstm.vocabulary"])  # id i is the i-th character
    layers, hidden = int(meta["charlstm.layers"]), int(meta["charlstm.hidden_size"])
    ids_of = {character: i for i, character in enumerate(vocabulary)}

    prompt = normalise(args.prompt, json.loads(meta.get("charlstm.text_options", "{}")))
    unknown = sorted(set(prompt) - ids_of.keys())
    if unknown:
        print(f"error: the model never saw {', '.join(repr(u) for u in unknown)}", file=sys.stderr)
        return 1
    # With no prompt, charlstm feeds a newline (or the first character of a vocabulary without one) and prints nothing for it.
    ids = [ids_of[character] for character in prompt] or [ids_of.get("\n", 0)]

    state = (np.zeros((layers, 1, hidden), np.float32), np.zeros((layers, 1, hidden), np.float32))

    def run(chunk, state):
        """Feeds ids [T, 1] from the state; returns the logits after the last one and the new state."""
        logits, h, c = session.run(["logits", "hN", "cN"],
                                   {"ids": np.array(chunk, np.int64).reshape(-1, 1), "h0": state[0], "c0": state[1]})
        return logits[-1, 0], (h, c)

    if meta.get("charlstm.onnx_graph") == "step":
        for i in ids:
            logits, state = run([i], state)
    else:
        logits, state = run(ids, state)

    rng = np.random.default_rng(args.seed)
    text = []
    for n in range(args.length):
        if args.temperature == 0:
            next_id = int(np.argmax(logits))
        else:
            z = logits.astype(np.float64) / args.temperature
            p = np.exp(z - z.max())
            next_id = int(rng.choice(len(p), p=p / p.sum()))
        text.append(vocabulary[next_id])
        if n + 1 < args.length:
            logits, state = run([next_id], state)
    sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(prompt + "".join(text) + "\n")
    return 0


def normalise(text, options):
    """The prompt read as the training text was: CRLF and CR as LF, lower case, character by character as charlstm does."""
    if options.get("normalize_newlines"):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if options.get("lowercase"):
        text = "".join(low if len(low := character.lower()) == 1 else character for character in text)
    return text


if __name__ == "__main__":
    sys.exit(main())
