#!/usr/bin/python3
"""Side-by-side benchmark: `charlstm bench` against the PyTorch peer.

For every case (train T1..T3, generate b1 T1..T3, generate b32 T1..T3,
sgemm T1..T3 by default) this runs, in rounds,

    ours  ->  peer with OPENBLAS_NUM_THREADS=1  ->  peer with OPENBLAS_NUM_THREADS=2

interleaved so that a change in machine load hits every engine alike. The
outer loop is the round, so one round visits every case before the next
round starts. Each run prints one JSON object (contract: bench/README.md).

Per figure it takes the median over rounds of each run's median, keeps the
peer's faster OpenBLAS setting, computes ours/peer (all figures are rates:
higher is better, so a ratio above 1 means CharLstm is faster) and writes the
report (--out, docs/benchmarks.md): the tables, the machine, how to read them
and the command that reproduces them. Every JSON object each engine printed
goes to the raw JSON (--raw, default bench/out/<report name>.raw.json, which
git ignores); --from-raw writes the report again from it without measuring.

If our command fails (for example because it is not built), the run goes on:
the peer's figures are still printed and ours are marked missing.

    /usr/bin/python3 bench/run_side_by_side.py                 # full run
    /usr/bin/python3 bench/run_side_by_side.py --quick         # smoke run
    /usr/bin/python3 bench/run_side_by_side.py --peer-only --quick
    /usr/bin/python3 bench/run_side_by_side.py --from-raw bench/out/benchmarks.raw.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RAW_DIR = BENCH_DIR / "out"  # raw JSON of runs: an output, ignored by git
PEER = BENCH_DIR / "peer" / "torch_char_lstm.py"
DEFAULT_OURS = ("dotnet src/CharLstm.Cli/bin/Release/net10.0/CharLstm.Cli.dll bench")
DEFAULT_CASES = ("train:T1,train:T2,train:T3,"
                 "gen1:T1,gen1:T2,gen1:T3,"
                 "gen32:T1,gen32:T2,gen32:T3,"
                 "sgemm:T1,sgemm:T2,sgemm:T3")
REQUIRED_FIELDS = ("engine", "version", "config", "vocab", "embedding", "hidden",
                   "layers", "batch", "seq", "mode", "gen_batch", "threads",
                   "openblas_threads", "reps", "median", "unit")


def log(msg: str) -> None:
    print(f"[side-by-side] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

class Case:
    """One (mode, config[, gen_batch]) to measure."""

    def __init__(self, token: str):
        kind, _, config = token.partition(":")
        if not config:
            raise ValueError(f"case {token!r}: expected KIND:CONFIG, e.g. train:T1")
        self.config = config
        if kind == "train":
            self.mode, self.gen_batch = "train", None
        elif kind.startswith("gen") and kind[3:].isdigit():
            self.mode, self.gen_batch = "generate", int(kind[3:])
        elif kind == "sgemm":
            self.mode, self.gen_batch = "sgemm", None
        else:
            raise ValueError(f"case {token!r}: kind must be train, genN or sgemm")
        self.token = token

    @property
    def label(self) -> str:
        if self.mode == "generate":
            return f"generate b{self.gen_batch} {self.config}"
        return f"{self.mode} {self.config}"

    def bench_args(self, threads: int, seconds: float, reps: int) -> list[str]:
        """Arguments shared by both engines (the contract in bench/README.md)."""
        args = ["--config", self.config, "--mode", self.mode]
        if self.gen_batch is not None:
            args += ["--gen-batch", str(self.gen_batch)]
        args += ["--threads", str(threads), "--seconds", f"{seconds:g}",
                 "--reps", str(reps), "--json"]
        return args


# --------------------------------------------------------------------------
# Running one engine once
# --------------------------------------------------------------------------

def parse_json_output(stdout: str) -> dict:
    text = stdout.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # Tolerate stray lines: take the last line that parses as an object.
        for line in reversed(text.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
        raise


def run_once(cmd: list[str], env: dict, timeout: float, case: Case) -> dict:
    """Run one benchmark process; return {'ok', 'result' | 'error', 'wall_s'}."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except FileNotFoundError as e:
        return {"ok": False, "error": f"not found: {e.filename}", "wall_s": 0.0}
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f}s",
                "wall_s": time.perf_counter() - start}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip() or "(no output)").splitlines()
        return {"ok": False, "wall_s": wall,
                "error": f"exit {proc.returncode}: {tail[-1][:200]}"}
    try:
        result = parse_json_output(proc.stdout)
    except json.JSONDecodeError:
        return {"ok": False, "wall_s": wall, "error": "stdout is not a JSON object"}
    missing = [f for f in REQUIRED_FIELDS if f not in result]
    if missing:
        return {"ok": False, "wall_s": wall, "result": result,
                "error": f"JSON lacks fields {missing}"}
    if result["mode"] != case.mode or result["config"] != case.config:
        return {"ok": False, "wall_s": wall, "result": result,
                "error": f"asked {case.mode}/{case.config}, got "
                         f"{result['mode']}/{result['config']}"}
    return {"ok": True, "wall_s": wall, "result": result}


# --------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------

def figures_of(case: Case, result: dict) -> dict[str, tuple[float, str]]:
    """Figure name -> (median, unit) for one run. sgemm yields one per shape."""
    if case.mode == "sgemm":
        out = {}
        for s in result.get("shapes") or []:
            name = f"{case.label} {s['name']} [{s['m']}x{s['k']}]x[{s['k']}x{s['n']}]"
            out[name] = (float(s["median"]), result["unit"])
            if s.get("packed_median") is not None:  # CharLstm: weights packed once, as it runs them
                out[name + PACKED] = (float(s["packed_median"]), result["unit"])
        if not out:  # an engine that only reports the headline figure
            out[f"{case.label} square2048"] = (float(result["median"]), result["unit"])
        return out
    return {case.label: (float(result["median"]), result["unit"])}


PACKED = " (B packed once)"

# What a step multiplies, per configuration: (shape name, count). The attainable bound counts only
# these products, each at the fastest rate either engine reached on its shape in the run, and
# nothing else (cells, loss, optimizer, sampling, layer 0's input gradients and head backward are
# left out), so it is an upper bound on the rate of any engine built on those multiplies.
def step_products(mode: str, cfg: dict) -> tuple[list[tuple[str, int]], int]:
    """(products, characters) of one step: training step or batch-32 generation step."""
    L, T, B = cfg["layers"], cfg["seq"], cfg["batch"]
    if mode == "train":
        products = [("recurrent", L * T), ("recurrent_backward", L * T),
                    ("weight_grad", 2 * L - 1), ("head", 1)]
        if cfg["embedding"] > 0:
            products.append(("input_l0", 1))  # one-hot: a table lookup, no multiply
        if L > 1:
            products += [("input_upper", L - 1), ("input_grad", L - 1)]
        return products, B * T
    return [("gen32_l0", 1)] + ([("gen32_upper", L - 1)] if L > 1 else []), 32


def attainable(cases, all_aggs, data, peer_names) -> list[str]:
    """Markdown rows: training and batch-32 generation against the sum of their products."""
    sgemm = {c.config: c for c in cases if c.mode == "sgemm"}
    targets = {"train": 2.0, "generate": 3.0}
    rows = []
    for case in cases:
        if case.config not in sgemm or not (case.mode == "train" or case.gen_batch == 32):
            continue
        cfg = next((r["result"] for v in data[case.token].values() for r in v
                    if r["ok"] and r["variant"] == "ours"), None)
        sg = sgemm[case.config]
        if cfg is None:
            continue
        rates = {}
        for name, aggs in all_aggs[sg.token].items():
            for fig, a in aggs.items():
                shape = shape_of(fig, sg)
                who = name + (" packed" if fig.endswith(PACKED) else "")
                if shape not in rates or a["median"] > rates[shape][0]:
                    rates[shape] = (a["median"], who)
        products, chars = step_products(case.mode, cfg)
        if any(p not in rates for p, _ in products):
            continue
        shapes = {s["name"]: s for runs in data[sg.token].values() for r in runs if r["ok"]
                  for s in r["result"].get("shapes") or []}
        gflop = {p: 2.0 * shapes[p]["m"] * shapes[p]["k"] * shapes[p]["n"] / 1e9 for p, _ in products}
        total = sum(n * gflop[p] for p, n in products)
        seconds = sum(n * gflop[p] / rates[p][0] for p, n in products)
        bound = chars / seconds
        ours = all_aggs[case.token].get("ours", {}).get(case.label)
        peers = [all_aggs[case.token][n].get(case.label) for n in peer_names]
        peer = max((a["median"] for a in peers if a), default=None)
        if peer is None or ours is None:
            continue
        # The same bound round by round: each shape's fastest rate in that round against the peer's
        # fastest setting in that round (the machine's pace drifts between rounds).
        fast: dict[int, dict[str, float]] = {}
        for runs in data[sg.token].values():
            for r in runs:
                if r["ok"]:
                    per_shape = fast.setdefault(r["round"], {})
                    for fig, (value, _) in r["figures"].items():
                        shape = shape_of(fig, sg)
                        per_shape[shape] = max(per_shape.get(shape, 0.0), value)
        peer_by_round = figure_by_round(data[case.token], case.label)
        by_round = []
        for rnd, rates_r in sorted(fast.items()):
            peer_r = peer_best(peer_by_round.get(rnd, {}), peer_names)
            if peer_r and all(rates_r.get(p) for p, _ in products):
                by_round.append(chars / sum(n * gflop[p] / rates_r[p] for p, n in products) / peer_r)
        spread = f" ({min(by_round):.2f}–{max(by_round):.2f})" if len(by_round) > 1 else ""
        used = ", ".join(f"{p} ×{n} {rates[p][0]:.0f} ({rates[p][1]})" for p, n in products)
        rows.append(f"| {case.label} | {total / chars * 1e3:.2f} | {used} | {bound:,.0f} | "
                    f"{bound / peer:.2f}×{spread} | {targets[case.mode]:g}× | {ours['median'] / peer:.2f}× |")
    if not rows:
        return []
    return [
        "## Attainable with this run's fastest multiplies",
        "",
        "A step's matrix products alone, each at the fastest rate any engine reached on its shape "
        "in this run, everything else free: the most an engine built on these multiplies could "
        "reach (see [How to read these tables](#how-to-read-these-tables)).",
        "",
        "| Figure | MFLOP per char counted | products × count, GFLOP/s used (from) | attainable chars/s | attainable / PyTorch | target | CharLstm / PyTorch |",
        "|---|---:|---|---:|---:|---:|---:|",
        *rows,
        "",
    ]


def aggregate(runs: list[dict]) -> dict[str, dict]:
    """Figure -> {median over runs, min, max, n, unit} for one engine variant."""
    per_fig: dict[str, list[float]] = {}
    units: dict[str, str] = {}
    for run in runs:
        if not run["ok"]:
            continue
        for name, (value, unit) in run["figures"].items():
            per_fig.setdefault(name, []).append(value)
            units[name] = unit
    return {name: {"median": statistics.median(v), "min": min(v), "max": max(v),
                   "n": len(v), "unit": units[name]}
            for name, v in per_fig.items()}


def shape_of(fig: str, sgemm_case) -> str:
    """`sgemm T3 recurrent [64x512]x[512x2048] (B packed once)` -> `recurrent`."""
    return fig[len(sgemm_case.label) + 1:].split(" ")[0]


def figure_by_round(runs: dict[str, list[dict]], fig: str) -> dict[int, dict[str, float]]:
    """Round -> engine variant -> that run's value of one figure."""
    by_round: dict[int, dict[str, float]] = {}
    for name, variant_runs in runs.items():
        for run in variant_runs:
            if run["ok"] and fig in run["figures"]:
                by_round.setdefault(run["round"], {})[name] = run["figures"][fig][0]
    return by_round


def peer_best(values: dict[str, float], peer_names: list[str]) -> float | None:
    """The fastest peer setting among one round's values of a figure (None if none ran)."""
    return max((values[n] for n in peer_names if n in values), default=None)


def round_ratios(runs: dict[str, list[dict]], fig: str, peer_names: list[str]) -> list[float]:
    """Ours over the peer's fastest setting, round by round (each round's runs sit side by side
    in time, so a machine that slows down for a while moves both sides of a round together)."""
    ratios = []
    for _, values in sorted(figure_by_round(runs, fig).items()):
        peer = peer_best(values, peer_names)
        if "ours" in values and peer:
            ratios.append(values["ours"] / peer)
    return ratios


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "missing"
    if unit == "GFLOP/s":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def fmt_cell(agg: dict | None, unit: str) -> str:
    if agg is None:
        return "missing"
    cell = fmt(agg["median"], unit)
    if agg["n"] > 1:
        cell += f" ({fmt(agg['min'], unit)}–{fmt(agg['max'], unit)})"
    return cell


# --------------------------------------------------------------------------
# Machine description
# --------------------------------------------------------------------------

def sh(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (p.stdout or p.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"({' '.join(cmd)} unavailable: {e})"


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "unknown"


def machine_description() -> dict:
    """Everything about the machine the raw JSON keeps; the report shows a summary of it."""
    return {
        "lscpu": sh(["lscpu"]),
        "nproc": sh(["nproc"]),
        "free": sh(["free", "-h"]),
        "uname": sh(["uname", "-srmo"]),
        "dotnet": sh(["dotnet", "--version"]),
        "git": sh(["git", "-C", str(REPO), "describe", "--always", "--dirty"]),
        # Cache sizes per instance, as the C library reads them from the CPU (lscpu shows none on
        # some VMs).
        "caches": "\n".join(line for line in sh(["getconf", "-a"]).splitlines() if "CACHE" in line),
    }


def lscpu_fields(text: str) -> dict[str, str]:
    """`Key:   value` lines of lscpu's output."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def size_text(size: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


def cache_summary(machine: dict) -> str:
    """The cache sizes that set the multiply's blocking, from lscpu or else getconf."""
    cpu = lscpu_fields(machine.get("lscpu", ""))
    parts = [f"{name} {cpu[key]}" for name, key in (("L1d", "L1d cache"), ("L2", "L2 cache"),
                                                     ("L3", "L3 cache")) if cpu.get(key)]
    if parts:
        return ", ".join(parts) + " (lscpu)"
    conf = {}
    for line in (machine.get("caches") or "").splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            conf[key] = int(value.strip())
    parts = [f"{name} {size_text(conf[key])}" for name, key in
             (("L1d", "LEVEL1_DCACHE_SIZE"), ("L2", "LEVEL2_CACHE_SIZE"), ("L3", "LEVEL3_CACHE_SIZE"))
             if conf.get(key)]
    if parts:
        return (", ".join(parts) + " per instance (getconf"
                + ("; a VM may report its host's L3)" if conf.get("LEVEL3_CACHE_SIZE") else ")"))
    return "not recorded by this run (its lscpu lists no caches)"


def machine_summary(machine: dict, simd: str | None) -> list[str]:
    """Report lines: the CPU in one line, then its caches."""
    cpu = lscpu_fields(machine.get("lscpu", ""))
    flags = set(cpu.get("Flags", "").split())
    model = cpu.get("Model name", "unknown CPU")
    if cpu.get("CPU family"):
        model += f" (family {cpu['CPU family']}, model {cpu.get('Model', '?')})"
    try:
        cores = int(cpu["Core(s) per socket"]) * int(cpu.get("Socket(s)", "1"))
        threads = cpu.get("Thread(s) per core", "?")
        cores_text = f"{cores} cores, {threads} thread{'' if threads == '1' else 's'} per core"
    except (KeyError, ValueError):
        cores_text = f"{machine.get('nproc', '?')} CPUs"
    avx512 = sorted(f for f in flags if f in ("avx512f", "avx512bw", "avx512dq", "avx512vl"))
    if avx512:
        vector = f"AVX-512: yes ({', '.join(avx512)})"
    elif flags:
        vector = "AVX-512: no" + (" (AVX2, FMA)" if {"avx2", "fma"} <= flags else "")
    else:
        vector = "AVX-512: unknown"
    if simd:
        vector += f"; CharLstm's widest kernel: {simd}"
    memory = next((line.split()[1] for line in (machine.get("free") or "").splitlines()
                   if line.startswith("Mem:") and len(line.split()) > 1), None)
    if memory and memory[-2:] in ("Gi", "Mi"):
        memory = f"{memory[:-2]} {memory[-2:]}B"
    return [
        f"- **Machine:** {model}, {cores_text}; {vector}"
        + (f"; {memory} memory" if memory else "")
        + (f"; {machine['uname']}" if machine.get("uname") else "") + ".",
        f"- **Caches:** {cache_summary(machine)}.",
    ]


def default_raw(out: Path) -> Path:
    """Where a run's raw JSON goes unless --raw says otherwise: bench/out/<report name>.raw.json."""
    return RAW_DIR / (Path(out).stem + ".raw.json")


def display(path) -> str:
    """A path as the report shows it: relative to the repository when inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def run_span(started: str, finished: str) -> str:
    """`2026-11-29 21:25–22:33 UTC` from two ISO times (both dates when they differ)."""
    try:
        a = dt.datetime.fromisoformat(started).astimezone(dt.timezone.utc)
        b = dt.datetime.fromisoformat(finished).astimezone(dt.timezone.utc)
    except ValueError:
        return f"{started} to {finished}"
    end = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M")
    return f"{a.strftime('%Y-%m-%d %H:%M')}–{end} UTC"


def run_minutes(started: str, finished: str) -> str:
    """`, 68 minutes here` from two ISO times, or nothing if they do not parse."""
    try:
        seconds = (dt.datetime.fromisoformat(finished) - dt.datetime.fromisoformat(started)).total_seconds()
    except ValueError:
        return ""
    return f", {seconds / 60:.0f} minutes here"


def reproduce_command(command: str) -> str:
    """The run's command line without options this script no longer has (--notes)."""
    prefix, sep, rest = command.partition(" && ")
    if not sep:
        prefix, rest = "", command
    words, out, skip = shlex.split(rest), [], False
    for w in words:
        if skip:
            skip = False
            continue
        if w == "--notes":
            skip = True
            continue
        if w.startswith("--notes="):
            continue
        out.append(w)
    return (prefix + " && " if prefix else "") + shlex.join(out)


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def memory_rows(cases, data) -> list[str]:
    """Training's memory: CharLstm's peak RSS over what the model needs, per configuration."""
    rows = []
    for case in cases:
        if case.mode != "train":
            continue
        results = [r["result"] for r in data[case.token].get("ours", [])
                   if r["ok"] and r["result"].get("rss_over_model") is not None]
        if not results:
            continue
        ratio = [r["rss_over_model"] for r in results]
        peak = statistics.median(r["peak_rss_bytes"] for r in results) / 2**20
        base = statistics.median(r["baseline_rss_bytes"] for r in results) / 2**20
        model = statistics.median(r["model_bytes"] for r in results) / 2**20
        spread = f" ({min(ratio):.3f}–{max(ratio):.3f})" if len(ratio) > 1 else ""
        rows.append(f"| {case.label} | {model:,.1f} | {base:,.0f} | {peak:,.0f} | "
                    f"{statistics.median(ratio):.3f}{spread} |")
    if not rows:
        return []
    return [
        "## Training memory (CharLstm)",
        "",
        "| Figure | model MiB | RSS before the model, MiB | peak RSS, MiB | rss_over_model |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
    ]


def how_to_read(variants, attainable_shown: bool, memory_shown: bool, env_coretype) -> list[str]:
    lines = [
        "## How to read these tables",
        "",
        "- **Figures are rates; higher is better.** `train` and `generate` are characters per second "
        "of whole training steps (forward, backward, clipping, Adam) and of sampling with 1 (`b1`) "
        "or 32 (`b32`) streams; `sgemm` is GFLOP/s (2·M·K·N per product) of one matrix product, "
        "`[M×K]×[K×N]`, on the shapes a step of that configuration multiplies. The configurations "
        "T1–T3, the shapes' names and the JSON each engine prints are in `bench/README.md`.",
        "- **Each cell is a median of medians.** Every engine runs once per case per round and "
        "reports the median of its repetitions; the cell is the median of those over the rounds, "
        "and the range in brackets is the lowest and highest round.",
        "- **PyTorch is run in several settings and its fastest counts.** `OB=n`: "
        "`OPENBLAS_NUM_THREADS=n`; `T1+OB=2`: torch on 1 thread, OpenBLAS on 2 (the two thread "
        "pools otherwise compete for the cores)"
        + ("; `+auto`: without `OPENBLAS_CORETYPE`, so OpenBLAS picks its kernels for this CPU "
           f"(this environment sets `OPENBLAS_CORETYPE={env_coretype or '(unset)'}`"
           + (", OpenBLAS's AVX2 kernels" if env_coretype == "Haswell" else "") + ")"
           if any("coretype" in v for v in variants) else "")
        + ". **PyTorch best** is the fastest setting for that figure, named in brackets.",
        "- **CharLstm / PyTorch** is our median over PyTorch best: above 1× CharLstm is faster. "
        "Its range in brackets is the same ratio round by round (ours in a round over the fastest "
        "setting in that round); rounds sit close in time, so it shows how far one round's verdict "
        "strays. The ratio of the medians need not fall inside it.",
        "- **sgemm rows take B as given on both sides.** CharLstm multiplies by its weights packed "
        "once (per training pass, or per model for generation); those rates are `packed_median` "
        "in the raw JSON" + (" and \"ours packed\" in the Attainable table" if attainable_shown
                             else "") + ".",
    ]
    if attainable_shown:
        lines.append(
            "- **Attainable** adds up the matrix products of one training step or one batch-32 "
            "generation step (shapes × counts as listed), each at the fastest rate measured for its "
            "shape in this run by any engine in any setting (CharLstm with B as given, CharLstm with "
            "B packed once, any PyTorch setting's `torch.mm`), and counts nothing else: cells, "
            "loss, optimizer, sampling and waiting are free. That rate bounds any engine built on "
            "these multiplies; **attainable / PyTorch** divides it by PyTorch best, its range the "
            "same bound round by round. **target** is the ratio the project aims for on that "
            "figure. A target above the bound cannot be met without faster multiplies; a measured "
            "ratio well under the bound means the time goes outside the products.")
    if memory_shown:
        lines.append(
            "- **rss_over_model** is (peak RSS − RSS before the model was built) / model bytes, "
            "where model bytes are the parameters, their gradients, Adam's two moments and the "
            "training workspace's buffers (saved activations, scratch, packed weights).")
    lines += [
        "- **The machine is a shared 2-core VM.** Anything else running moves every figure; "
        "the rounds interleave the engines case by case so that a slow spell hits all of them.",
        "",
    ]
    return lines


def write_report(path: Path, args, cases, variants, data, machine, started, finished,
                 load_start, load_end, command: str) -> list[str]:
    """Write the markdown report; return (table lines, per-figure summary)."""
    peer_names = [v["name"] for v in variants if v["engine"] == "peer"]
    header = (["Figure", "Unit", "CharLstm"] + [f"PyTorch {n}" for n in peer_names]
              + ["PyTorch best", "CharLstm / PyTorch"])
    table = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|"]
    ours_notes = []
    summary = []
    all_aggs = {}
    for case in cases:
        runs = data[case.token]
        aggs = all_aggs[case.token] = {v["name"]: aggregate(runs[v["name"]]) for v in variants}
        figures = []
        for v in variants:
            for fig in aggs[v["name"]]:
                if fig not in figures and not fig.endswith(PACKED):
                    figures.append(fig)
        if not figures:
            figures = [case.label]
        for fig in figures:
            ours = aggs["ours"].get(fig) if "ours" in aggs else None
            peers = {n: aggs[n].get(fig) for n in peer_names}
            unit = next((a["unit"] for a in [ours, *peers.values()] if a), "?")
            best_name, best = None, None
            for n, a in peers.items():
                if a and (best is None or a["median"] > best["median"]):
                    best_name, best = n, a
            ratio = (f"{ours['median'] / best['median']:.2f}×"
                     if ours and best and best["median"] > 0 else "—")
            by_round = round_ratios(runs, fig, peer_names)
            if len(by_round) > 1 and ratio != "—":
                ratio += f" ({min(by_round):.2f}–{max(by_round):.2f})"
            ours_cell = "not run" if args.peer_only else fmt_cell(ours, unit)
            row = ([fig, unit, ours_cell]
                   + [fmt_cell(peers[n], unit) for n in peer_names]
                   + [f"{fmt(best['median'], unit)} ({best_name})" if best else "missing",
                      ratio])
            table.append("| " + " | ".join(row) + " |")
            summary.append({"figure": fig, "unit": unit,
                            "ours": ours["median"] if ours else None,
                            "peer_best": best["median"] if best else None,
                            "peer_best_variant": best_name,
                            "peer": {n: (a["median"] if a else None) for n, a in peers.items()},
                            "ratio": (ours["median"] / best["median"]
                                      if ours and best and best["median"] > 0 else None),
                            "round_ratios": by_round})
        if "ours" in runs:
            errors = [r["error"] for r in runs["ours"] if not r["ok"]]
            if errors:
                ours_notes.append(f"- {case.label}: {errors[0]}")

    peer_meta = next((r["result"] for case in cases for v in peer_names
                      for r in data[case.token][v] if r["ok"]), None)
    ours_meta = next((r["result"] for case in cases
                      for r in data[case.token].get("ours", []) if r["ok"]), None)
    bound = attainable(cases, all_aggs, data, peer_names)
    memory = memory_rows(cases, data)
    lines = ["# CharLstm vs PyTorch: side-by-side benchmark", ""]
    if args.quick or args.peer_only:
        lines += ["> **Not a result.** This file was written by a "
                  + ("smoke run (`--quick`: one short round)" if args.quick else "")
                  + (" and " if args.quick and args.peer_only else "")
                  + ("`--peer-only` run (CharLstm not measured)" if args.peer_only else "")
                  + ". Do not quote these figures.", ""]
    lines += [
        f"- **Run:** {run_span(started, finished)}, {args.rounds} round"
        + ("s" if args.rounds != 1 else "") + "; engine commit "
        f"`{machine.get('git', 'unknown')}`"
        + (f" (CharLstm {ours_meta.get('version')} on {ours_meta.get('runtime') or '.NET'}, "
           f"SDK {(machine.get('dotnet') or 'unknown').splitlines()[0]})" if ours_meta else "")
        + ".",
        *machine_summary(machine, ours_meta.get("simd") if ours_meta else None),
    ]
    if peer_meta:
        blas = peer_meta.get("blas") or {}
        lines.append(
            f"- **Peer:** PyTorch {peer_meta.get('version')} (Debian python3-torch "
            f"{peer_meta.get('torch_package')}, Python {peer_meta.get('python')}) calling "
            f"{blas.get('openblas_config') or 'an unknown BLAS'}"
            + (" (as it reports itself in the settings without `+auto`)"
               if any("coretype" in v for v in variants) else "") + ".")
    lines += [
        "",
        "Contents: [Results](#results) · "
        + ("[Attainable](#attainable-with-this-runs-fastest-multiplies) · " if bound else "")
        + ("[Training memory](#training-memory-charlstm) · " if memory else "")
        + "[How to read these tables](#how-to-read-these-tables) · [Reproduce](#reproduce)",
        "",
        "## Results",
        "",
        *table,
        "",
    ]
    if ours_notes:
        lines += ["CharLstm runs that failed (first error per case):", "", *ours_notes, ""]
    lines += [
        *bound,
        *memory,
        *how_to_read(variants, bool(bound), bool(memory), getattr(args, "env_coretype", None)),
        "## Reproduce",
        "",
        "Build CharLstm (`dotnet build -c Release`) on a quiet machine, then:",
        "",
        "```sh",
        reproduce_command(command),
        "```",
        "",
        f"It runs {args.rounds} rounds × {args.reps} repetitions × {args.seconds:g} s per case "
        f"(sgemm: {args.sgemm_seconds:g} s per shape per repetition){run_minutes(started, finished)}, "
        f"`--threads {args.threads}` "
        f"for both engines; within a round: {', '.join(v['name'] for v in variants)}, case by "
        "case. CharLstm runs as "
        f"`{args.ours}`" + (" (not run: `--peer-only`)" if args.peer_only else "")
        + f", the peer as `{args.python} bench/peer/torch_char_lstm.py`. Load average at the "
        f"start {' '.join(load_start.split()[:3])}, at the end {' '.join(load_end.split()[:3])}.",
        "",
        "The run writes every JSON object each engine printed, with the machine's full `lscpu`, "
        f"to its raw JSON (`--raw`, by default `{display(default_raw(path))}`, which git ignores). "
        f"`--from-raw RAW_JSON --out {display(path)}` writes this report again from it without "
        "measuring.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return table, summary


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ours", default=DEFAULT_OURS,
                   help="our command prefix, run from the repository root "
                        f"(default: {DEFAULT_OURS!r})")
    p.add_argument("--python", default="/usr/bin/python3", help="interpreter for the peer")
    p.add_argument("--cases", default=DEFAULT_CASES,
                   help="comma list of KIND:CONFIG, KIND in train, gen1, gen32, sgemm "
                        f"(default: {DEFAULT_CASES})")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=4.0,
                   help="measured seconds per repetition (train, generate)")
    p.add_argument("--sgemm-seconds", type=float, default=1.0,
                   help="measured seconds per repetition per shape (sgemm)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2, help="--threads for both engines")
    p.add_argument("--peer-openblas", default="1,2",
                   help="OPENBLAS_NUM_THREADS values to run the peer under (default 1,2)")
    p.add_argument("--peer-extra", default="1:2",
                   help="extra peer settings TORCH_THREADS:OPENBLAS_THREADS, comma separated "
                        "(default 1:2: torch on one thread, so OpenBLAS's two threads have the "
                        "cores to themselves); empty for none")
    p.add_argument("--peer-coretype", default="",
                   help="OpenBLAS core types to run the peer under as well, comma separated: every "
                        "peer setting runs once with this environment's OPENBLAS_CORETYPE (if any) "
                        "and once per value given, `auto` removing the variable so that OpenBLAS "
                        "picks its kernels for the CPU itself, any other value forcing that core "
                        "(e.g. SkylakeX). For an environment that pins OpenBLAS to older kernels "
                        "than the CPU has (default: none)")
    p.add_argument("--peer-only", action="store_true", help="do not run our command")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 round, 1 repetition of 0.5 s (sgemm 0.2 s)")
    p.add_argument("--out", default=str(REPO / "docs" / "benchmarks.md"),
                   help="the markdown report (default: docs/benchmarks.md)")
    p.add_argument("--raw", default=None,
                   help="raw JSON of the run: every JSON object each engine printed, the settings "
                        "and the machine (default: bench/out/<name of --out>.raw.json, which git "
                        "ignores)")
    p.add_argument("--from-raw", default=None, metavar="RAW_JSON",
                   help="run nothing: write the report (--out) again from an earlier run's raw "
                        "JSON, with that run's settings and figures")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.reps, args.seconds, args.sgemm_seconds = 1, 1, 0.5, 0.2
    args.env_coretype = os.environ.get("OPENBLAS_CORETYPE")
    if args.raw is None:
        args.raw = str(default_raw(Path(args.out)))
    return args


def rerender(args) -> int:
    """The report of an earlier run, from its raw JSON; only --out is taken from now."""
    raw = json.loads(Path(args.from_raw).read_text())
    saved = argparse.Namespace(**raw["settings"])
    saved.out = args.out
    cases = [Case(t.strip()) for t in saved.cases.split(",") if t.strip()]
    variants = variants_of(saved)
    table, _ = write_report(Path(args.out), saved, cases, variants, raw["runs"], raw["machine"],
                            raw["started"], raw["finished"], raw["load_start"], raw["load_end"],
                            raw["command"])
    log(f"wrote {args.out} from {args.from_raw}")
    print("\n".join(table))
    return 0


def variants_of(args) -> list[dict]:
    variants = []
    if not args.peer_only:
        variants.append({"name": "ours", "engine": "ours"})
    peers = []
    for ob in [x.strip() for x in args.peer_openblas.split(",") if x.strip()]:
        peers.append({"name": f"OB={ob}", "engine": "peer", "openblas": ob})
    for extra in [x.strip() for x in args.peer_extra.split(",") if x.strip()]:
        torch_threads, _, ob = extra.partition(":")
        peers.append({"name": f"T{torch_threads}+OB={ob}", "engine": "peer",
                      "openblas": ob, "torch_threads": int(torch_threads)})
    variants += peers
    # Reports written before --peer-coretype existed have no such setting: none forced.
    for core in [x.strip() for x in getattr(args, "peer_coretype", "").split(",") if x.strip()]:
        variants += [dict(v, name=f"{v['name']}+{core}", coretype=core) for v in peers]
    return variants


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.from_raw:
        try:
            return rerender(args)
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"error: --from-raw {args.from_raw}: cannot write a report from it "
                  f"({type(e).__name__}: {e}). Give the .raw.json that a run of this script "
                  f"wrote (--raw, by default {display(default_raw(Path(args.out)))}).",
                  file=sys.stderr)
            return 2
    cases = [Case(t.strip()) for t in args.cases.split(",") if t.strip()]
    variants = variants_of(args)

    command = "cd <repo> && " + shlex.join([sys.executable, "bench/run_side_by_side.py",
                                            *sys.argv[1:]])
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    load_start = loadavg()
    machine = machine_description()
    log(f"{len(cases)} cases × {args.rounds} rounds × {len(variants)} engines; load {load_start}")

    data = {c.token: {v["name"]: [] for v in variants} for c in cases}
    ours_failed: set[str] = set()
    for rnd in range(1, args.rounds + 1):
        for case in cases:
            seconds = args.sgemm_seconds if case.mode == "sgemm" else args.seconds
            bench_args = case.bench_args(args.threads, seconds, args.reps)
            n_shapes = 17 if case.mode == "sgemm" else 1  # ours: 10 shapes + 7 with B packed
            timeout = 120 + 4 * n_shapes * args.reps * seconds
            for v in variants:
                env = dict(os.environ)
                if v["engine"] == "ours":
                    if case.token in ours_failed:
                        continue  # failed before for this case: don't waste the round
                    cmd = shlex.split(args.ours) + bench_args
                else:
                    env["OPENBLAS_NUM_THREADS"] = v["openblas"]
                    if v.get("coretype") == "auto":
                        env.pop("OPENBLAS_CORETYPE", None)
                    elif "coretype" in v:
                        env["OPENBLAS_CORETYPE"] = v["coretype"]
                    peer_args = (case.bench_args(v["torch_threads"], seconds, args.reps)
                                 if "torch_threads" in v else bench_args)
                    cmd = [args.python, str(PEER)] + peer_args
                run = run_once(cmd, env, timeout, case)
                run.update(round=rnd, variant=v["name"], command=shlex.join(cmd))
                if run["ok"]:
                    run["figures"] = figures_of(case, run["result"])
                    log(f"round {rnd} {case.label:<20} {v['name']:<5} "
                        f"{run['result']['median']:>12,.1f} {run['result']['unit']} "
                        f"({run['wall_s']:.1f}s)")
                else:
                    log(f"round {rnd} {case.label:<20} {v['name']:<5} FAILED: {run['error']}")
                    if v["engine"] == "ours":
                        ours_failed.add(case.token)
                data[case.token][v["name"]].append(run)

    finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    load_end = loadavg()
    raw = {"started": started, "finished": finished, "command": command,
           "load_start": load_start, "load_end": load_end,
           "settings": vars(args), "machine": machine, "summary": None,
           "runs": {token: runs for token, runs in data.items()}}
    raw_path = Path(args.raw)
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    # The measurements first, so that a failure in writing the report cannot lose them.
    raw_path.write_text(json.dumps(raw, indent=1) + "\n")
    table, raw["summary"] = write_report(Path(args.out), args, cases, variants, data, machine,
                                         started, finished, load_start, load_end, command)
    raw_path.write_text(json.dumps(raw, indent=1) + "\n")
    log(f"wrote {args.out} and {args.raw}")
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
