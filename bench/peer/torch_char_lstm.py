#!/usr/bin/python3
"""PyTorch peer for the CharLstm side-by-side benchmark.

This is the program a user would write instead of using CharLstm: the same
character-level LSTM language model, built from stock PyTorch modules, doing
the same work that `charlstm bench` measures.

Model (identical in shape to CharLstm's):
    tokens [B, T]
      -> nn.Embedding(vocab, embedding)      (embedding > 0)
         or F.one_hot(tokens, vocab).float() (embedding == 0)
      -> nn.LSTM(in, hidden, layers, batch_first=True)
      -> nn.Linear(hidden, vocab)
      -> cross-entropy, mean over the B x T positions

Modes:
    train     characters/s of full training steps on random tokens
              (zero_grad, forward from the carried detached (h, c), backward,
              clip_grad_norm_(5), Adam(lr=2e-3) step); chars per step = B*T.
    generate  characters/s of autoregressive sampling under torch.no_grad():
              one token per stream per step, carried (h, c), softmax at
              temperature 1, torch.multinomial; chars = gen_batch * steps.
    sgemm     GFLOP/s of torch.mm on the matrix shapes the LSTM uses for the
              configuration, plus a square 2048 reference.

Output: exactly one JSON object on stdout (see bench/README.md for the
contract); progress and diagnostics go to stderr.

Always run with Debian's interpreter: /usr/bin/python3 (python3-torch).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    name: str
    vocab: int
    embedding: int  # 0 = one-hot input
    hidden: int
    layers: int
    batch: int
    seq: int


PRESETS = {
    "T1": Config("T1", vocab=65, embedding=0, hidden=128, layers=2, batch=50, seq=50),
    "T2": Config("T2", vocab=65, embedding=64, hidden=256, layers=2, batch=64, seq=100),
    "T3": Config("T3", vocab=65, embedding=64, hidden=512, layers=2, batch=64, seq=100),
}

LEARNING_RATE = 2e-3
CLIP_NORM = 5.0
TEMPERATURE = 1.0


def log(msg: str) -> None:
    """Diagnostics go to stderr so stdout carries only the JSON result."""
    print(f"[torch_char_lstm] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------

class CharLstmModel(nn.Module):
    """Embedding-or-one-hot -> multi-layer LSTM -> linear head."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.vocab = cfg.vocab
        self.embed = nn.Embedding(cfg.vocab, cfg.embedding) if cfg.embedding > 0 else None
        lstm_in = cfg.embedding if cfg.embedding > 0 else cfg.vocab
        self.lstm = nn.LSTM(lstm_in, cfg.hidden, num_layers=cfg.layers, batch_first=True)
        self.head = nn.Linear(cfg.hidden, cfg.vocab)

    def forward(self, tokens: torch.Tensor, state):
        # tokens: int64 [B, T]; state: (h, c), each [layers, B, hidden]
        if self.embed is not None:
            x = self.embed(tokens)
        else:
            x = F.one_hot(tokens, self.vocab).float()
        out, state = self.lstm(x, state)          # out: [B, T, hidden]
        return self.head(out), state              # logits: [B, T, vocab]


def zero_state(cfg: Config, batch: int):
    shape = (cfg.layers, batch, cfg.hidden)
    return torch.zeros(shape), torch.zeros(shape)


# --------------------------------------------------------------------------
# Timing helper
# --------------------------------------------------------------------------

def timed_reps(step, units_per_call: float, seconds: float, reps: int, label: str):
    """Call `step()` repeatedly for at least `seconds` per repetition.

    Returns one rate (units per second) per repetition. The clock is checked
    after every call, so a repetition ends on a whole call.
    """
    rates = []
    for r in range(reps):
        calls = 0
        start = time.perf_counter()
        while True:
            step()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rate = units_per_call * calls / elapsed
        log(f"{label} rep {r + 1}/{reps}: {calls} calls in {elapsed:.3f}s -> {rate:,.1f}/s")
        rates.append(rate)
    return rates


# --------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------

def bench_train(cfg: Config, args) -> dict:
    torch.manual_seed(args.seed)
    model = CharLstmModel(cfg)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

    # A small pool of random batches, generated up front so that data creation
    # is not timed. Targets are the inputs shifted by one, as in real training.
    g = torch.Generator().manual_seed(args.seed)
    pool = [torch.randint(0, cfg.vocab, (cfg.batch, cfg.seq + 1), generator=g)
            for _ in range(8)]
    batches = [(p[:, :-1].contiguous(), p[:, 1:].contiguous()) for p in pool]

    h, c = zero_state(cfg, cfg.batch)
    i = 0

    def step():
        nonlocal h, c, i
        x, y = batches[i % len(batches)]
        i += 1
        opt.zero_grad(set_to_none=True)
        # Truncated BPTT: carry the state across steps but cut the graph.
        logits, (h_new, c_new) = model(x, (h.detach(), c.detach()))
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab), y.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        opt.step()
        h, c = h_new, c_new

    for _ in range(args.warmup):
        step()
    return {
        "reps": timed_reps(step, cfg.batch * cfg.seq, args.seconds, args.reps, "train"),
        "unit": "chars/s",
    }


def bench_generate(cfg: Config, args) -> dict:
    torch.manual_seed(args.seed)
    model = CharLstmModel(cfg)
    model.eval()
    b = args.gen_batch

    g = torch.Generator().manual_seed(args.seed)
    token = torch.randint(0, cfg.vocab, (b, 1), generator=g)  # [B, 1]
    h, c = zero_state(cfg, b)

    def step():
        nonlocal token, h, c
        logits, (h, c) = model(token, (h, c))               # [B, 1, V]
        probs = F.softmax(logits[:, -1, :] / TEMPERATURE, dim=-1)
        token = torch.multinomial(probs, 1, generator=g)    # [B, 1]

    with torch.no_grad():
        for _ in range(args.warmup):
            step()
        # Each call emits one character per stream.
        reps = timed_reps(step, b, args.seconds, args.reps, f"generate b{b}")
    return {"reps": reps, "unit": "chars/s"}


def sgemm_shapes(cfg: Config):
    """Matrix products (M, K, N) of C[M,N] = A[M,K] @ B[K,N] that the LSTM does.

    Names are part of the JSON contract (bench/README.md); CharLstm reports the
    same names. Shapes that coincide (e.g. input_upper == recurrent in size)
    are still listed separately so both sides report the same set.
    """
    tb = cfg.seq * cfg.batch
    g4 = 4 * cfg.hidden
    in0 = cfg.embedding if cfg.embedding > 0 else cfg.vocab
    shapes = [
        ("input_l0", tb, in0, g4),              # layer-0 input projection, all steps at once
    ]
    if cfg.layers > 1:
        shapes.append(("input_upper", tb, cfg.hidden, g4))  # layers >= 1 input projection
    shapes += [
        ("recurrent", cfg.batch, cfg.hidden, g4),    # one time step: h_{t-1} @ W_hh^T
        ("recurrent_backward", cfg.batch, g4, cfg.hidden),  # one step back: dGates @ W_hh
    ]
    if cfg.layers > 1:
        shapes.append(("input_grad", tb, g4, cfg.hidden))  # layers >= 1: dX = dGates @ W_ih, all steps
    shapes += [
        ("weight_grad", g4, tb, cfg.hidden),         # dW_hh = dGates^T @ H over all steps
        ("head", tb, cfg.hidden, cfg.vocab),         # output projection to logits
        ("gen32_l0", 32, cfg.hidden, g4),            # batch-32 generation step, layer 0: h @ W_hh^T
    ]
    if cfg.layers > 1:
        shapes.append(("gen32_upper", 32, 2 * cfg.hidden, g4))  # layers >= 1: [x, h] @ [W_ih ; W_hh]^T
    shapes.append(("square2048", 2048, 2048, 2048))  # machine reference
    return shapes


def bench_sgemm(cfg: Config, args) -> dict:
    torch.manual_seed(args.seed)
    results = []
    # Every shape gets `--reps` repetitions of `--seconds` each, so a run
    # takes about (number of shapes) x reps x seconds.
    for name, m, k, n in sgemm_shapes(cfg):
        a = torch.randn(m, k)   # row-major, contiguous
        b = torch.randn(k, n)
        out = torch.empty(m, n)
        flops = 2.0 * m * k * n

        def step():
            torch.mm(a, b, out=out)

        for _ in range(max(args.warmup, 1)):
            step()
        reps = timed_reps(step, flops / 1e9, args.seconds, args.reps, f"sgemm {name}")
        results.append({
            "name": name, "m": m, "k": k, "n": n,
            "reps": [round(x, 3) for x in reps],
            "median": round(statistics.median(reps), 3),
        })
    ref = next(s for s in results if s["name"] == "square2048")
    return {"reps": ref["reps"], "unit": "GFLOP/s", "shapes": results}


# --------------------------------------------------------------------------
# Environment description
# --------------------------------------------------------------------------

def blas_info() -> dict:
    """Which BLAS torch actually calls.

    Debian's torch is built with BLAS_INFO=generic and links libblas.so.3,
    which the alternatives system points at a real implementation (OpenBLAS
    here). We read the build setting, the library mapped into this process,
    and ask OpenBLAS for its own configuration and thread count.
    """
    cfg_text = torch.__config__.show()
    info = {"build": None, "libraries": [], "openblas_config": None,
            "openblas_num_threads": None}
    m = re.search(r"BLAS_INFO=([^,\s]+)", cfg_text)
    if m:
        info["build"] = m.group(1)
    # Force BLAS to be used once so the library is certainly mapped.
    torch.mm(torch.ones(4, 4), torch.ones(4, 4))
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f
                           if "blas" in line.rsplit("/", 1)[-1].lower()
                           or "mkl" in line.rsplit("/", 1)[-1].lower()})
        info["libraries"] = libs
    except OSError:
        pass
    for path in info["libraries"]:
        try:
            lib = ctypes.CDLL(path)
            get_cfg = lib.openblas_get_config
        except (OSError, AttributeError):
            continue
        get_cfg.restype = ctypes.c_char_p
        info["openblas_config"] = get_cfg().decode()
        info["openblas_num_threads"] = lib.openblas_get_num_threads()
        break
    return info


def debian_package_version(package: str = "python3-torch"):
    """torch.__version__ on Debian reads 1.13.0a0; the package says exactly what it is."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def env_int(name: str):
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value  # record what was set, even if odd


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="PyTorch peer of `charlstm bench` (prints one JSON object).")
    p.add_argument("--config", choices=sorted(PRESETS), default="T1",
                   help="preset to start from (default T1)")
    for field in ("vocab", "embedding", "hidden", "layers", "batch", "seq"):
        p.add_argument(f"--{field}", type=int, default=None,
                       help=f"override the preset's {field}")
    p.add_argument("--mode", choices=("train", "generate", "sgemm"), default="train")
    p.add_argument("--gen-batch", type=int, default=1,
                   help="streams sampled in parallel in generate mode (default 1)")
    p.add_argument("--threads", type=int, default=2,
                   help="torch.set_num_threads (default 2)")
    p.add_argument("--seconds", type=float, default=5.0,
                   help="measured duration of each repetition (default 5)")
    p.add_argument("--reps", type=int, default=5, help="repetitions (default 5)")
    p.add_argument("--warmup", type=int, default=3,
                   help="untimed steps before measuring (default 3)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--json", action="store_true",
                   help="accepted for symmetry with `charlstm bench`; output is always JSON")
    args = p.parse_args(argv)
    if args.reps < 1 or args.seconds <= 0 or args.gen_batch < 1 or args.threads < 1:
        p.error("--reps, --gen-batch and --threads must be >= 1 and --seconds > 0")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    overrides = {f: getattr(args, f) for f in
                 ("vocab", "embedding", "hidden", "layers", "batch", "seq")
                 if getattr(args, f) is not None}
    cfg = replace(PRESETS[args.config], **overrides)

    torch.set_num_threads(args.threads)
    log(f"torch {torch.__version__}, threads={torch.get_num_threads()}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
        f"config={cfg}, mode={args.mode}")

    runners = {"train": bench_train, "generate": bench_generate, "sgemm": bench_sgemm}
    res = runners[args.mode](cfg, args)
    reps = [round(x, 3) for x in res["reps"]]

    cfg_fields = asdict(cfg)
    result = {
        # --- contract fields (bench/README.md) ---
        "engine": "pytorch",
        "version": torch.__version__,
        "config": cfg_fields.pop("name"),
        **cfg_fields,
        "mode": args.mode,
        "gen_batch": args.gen_batch if args.mode == "generate" else None,
        "threads": torch.get_num_threads(),
        "openblas_threads": env_int("OPENBLAS_NUM_THREADS"),
        "reps": reps,
        "median": round(statistics.median(res["reps"]), 3),
        "unit": res["unit"],
        # --- extras ---
        "seconds": args.seconds,
        "warmup": args.warmup,
        "seed": args.seed,
        "overrides": overrides,
        "blas": blas_info(),
        "torch_package": debian_package_version(),
        "python": platform.python_version(),
    }
    if "shapes" in res:
        result["shapes"] = res["shapes"]
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
