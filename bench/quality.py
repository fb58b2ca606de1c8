#!/usr/bin/python3
"""Quality per minute: `charlstm train --time` against PyTorch training the same recipe for the same time.

For each budget (minutes), on one machine, one after the other:

1. ours: `charlstm train CORPUS --time <m>m` with the given preset and options (everything it does counts
   against its budget, validation passes included);
2. the peer: `tools/torch_train.py` with the same recipe (and the model size our run chose for its budget) and
   `--time` (its validation passes are not counted), under the thread setting that trained fastest in a short
   probe run before it;
3. both final models scored by `charlstm eval` on the validation split (the corpus's last --val-fraction,
   one stream from a zero state: the number PyTorch gives for those weights);
4. samples from our model at temperatures 0.5 and 1.0.

Writes OUT/quality.json (every figure, the machine, the commands), OUT/quality.md (the tables and samples,
ready for docs/quality.md) and OUT/quality-loss.png (validation loss against wall time and against
characters seen, ours and the peer's on one plot). Long runs: run it on a quiet machine.

    dotnet build -c Release
    /usr/bin/python3 bench/quality.py ../shared/corpora/tinyshakespeare.txt --minutes 5 15
"""
import argparse
import csv
import datetime
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_side_by_side import REPO, machine_description, machine_summary  # noqa: E402

CLI = REPO / "src/CharLstm.Cli/bin/Release/net10.0/CharLstm.Cli.dll"  # --cli: a copy, so that a rebuild cannot touch a long run
TORCH_TRAIN = REPO / "tools/torch_train.py"
# Thread settings the peer is probed under (torch's own threads, OpenBLAS's): the fastest trains.
PEER_SETTINGS = [(1, 1), (1, 2), (2, 1), (2, 2)]


def log(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("corpus", help="the text to train on (the shared Tiny Shakespeare for the documented figures)")
    p.add_argument("--minutes", type=float, nargs="+", default=[5, 15], help="time budgets, one pair of runs each")
    p.add_argument("--out", default=str(REPO / "bench/out/quality"), help="folder for the runs, the report and the plot")
    p.add_argument("--ours-args", default="", help="`charlstm train` options for our runs, as one string; without them "
                   "it trains the default preset, which is tools/torch_train.py's default recipe")
    p.add_argument("--peer-args", default="", help="tools/torch_train.py options for the peer, as one string: the same "
                   "recipe as --ours-args")
    p.add_argument("--seed", type=int, default=1, help="both trainers' seed")
    p.add_argument("--cli", default=str(CLI), help="the CharLstm.Cli.dll to run")
    p.add_argument("--add", action="store_true", help="keep the budgets already in OUT/quality.json (same machine, an earlier "
                   "invocation) and add these to its report and plot")
    p.add_argument("--no-peer", action="store_true", help="run ours only")
    p.add_argument("--peer-setting", help="skip the probe: torch threads and OpenBLAS threads, e.g. 1,2")
    p.add_argument("--probe-steps", type=int, default=30, help="steps of each probe run of the peer")
    p.add_argument("--sample-length", type=int, default=400, help="characters per sample; 0 = none")
    p.add_argument("--prompt", default="ROMEO:", help="the samples' prompt (characters of the corpus)")
    return p.parse_args(argv)


def peer_env(setting):
    torch_threads, blas_threads = setting
    env = dict(os.environ, OMP_NUM_THREADS=str(torch_threads), OPENBLAS_NUM_THREADS=str(blas_threads))
    env.pop("OPENBLAS_CORETYPE", None)  # let OpenBLAS pick its kernels for this CPU
    return env


def probe_peer(args, size: list[str], out: Path):
    """Characters/s of a short peer run of this model under each thread setting; returns the fastest setting and every rate."""
    rates = {}
    for setting in PEER_SETTINGS:
        result = out / f"probe-{setting[0]}-{setting[1]}.json"
        cmd = ["/usr/bin/python3", str(TORCH_TRAIN), args.corpus, "-o", str(out / "probe.safetensors"), "--overwrite",
               *size, *shlex.split(args.peer_args), "--max-steps", str(args.probe_steps), "--json-out", str(result),
               "--seed", str(args.seed)]
        subprocess.run(cmd, env=peer_env(setting), check=True, stdout=subprocess.DEVNULL)
        r = json.loads(result.read_text())
        rates[f"{setting[0]},{setting[1]}"] = r["characters_seen"] / r["seconds"]
        log(f"peer probe: torch {setting[0]} thread(s), OpenBLAS {setting[1]}: {rates[f'{setting[0]},{setting[1]}']:,.0f} chars/s")
    best = max(rates, key=rates.get)
    return tuple(int(x) for x in best.split(",")), rates


def read_metrics(path: Path) -> list[dict]:
    """The rows of a metrics CSV (charlstm train's metrics.csv, or torch_train.py --metrics)."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def curve_of(rows: list[dict]):
    """(elapsed_s, chars_seen, val_loss) of each row with a validation loss."""
    return [(float(r["elapsed_s"]), int(r["chars_seen"]), float(r["val_loss"])) for r in rows if r.get("val_loss")]


def charlstm_eval(model: Path, text: Path) -> float:
    out = subprocess.run(["dotnet", str(CLI), "eval", "-m", str(model), str(text), "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["loss_nats"]


def validation_text(corpus: str, fraction: float, out: Path) -> Path:
    """The validation split as charlstm cuts it: the last characters (code points) after floor(N·(1 − fraction))."""
    text = Path(corpus).read_bytes().decode("utf-8")
    path = out / "validation.txt"
    path.write_bytes(text[int(len(text) * (1.0 - fraction)):].encode("utf-8"))
    return path


def run_ours(args, minutes: float, out: Path) -> dict:
    folder = out / f"ours-{minutes:g}m"
    cmd = ["dotnet", str(CLI), "train", args.corpus, *shlex.split(args.ours_args),
           "--time", f"{minutes * 60:g}s", "--out", str(folder), "--overwrite", "--plain", "--seed", str(args.seed),
           "--sample-length", "0"]
    log(f"ours, {minutes:g} min: {shlex.join(cmd)}")
    started = time.time()
    with open(out / f"ours-{minutes:g}m.log", "w") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=True)
    rows = read_metrics(folder / "metrics.csv")
    curve = curve_of(rows)
    return {"command": shlex.join(cmd), "wall_s": round(time.time() - started, 1), "model": str(folder / "last.safetensors"),
            "steps": int(rows[-1]["step"]), "chars_seen": int(rows[-1]["chars_seen"]), "elapsed_s": float(rows[-1]["elapsed_s"]),
            "best_stream_val": min(v for _, _, v in curve), "final_stream_val": curve[-1][2], "curve": curve}


def chosen_size(folder: Path) -> list[str]:
    """The model our run trained (its config.json), as tools/torch_train.py options: with --time and no size given,
    `charlstm train` chooses the size for the budget, and the peer must train that model."""
    model = json.loads((folder / "config.json").read_text())["model"]
    return ["--layers", str(model["layers"]), "--hidden", str(model["hidden_size"]), "--embedding", str(model["embedding_size"]),
            "--dropout", f"{model['dropout']:g}"]


def run_peer(args, setting, minutes: float, size: list[str], out: Path) -> dict:
    stem = out / f"peer-{minutes:g}m"
    cmd = ["/usr/bin/python3", str(TORCH_TRAIN), args.corpus, "-o", f"{stem}.safetensors", "--overwrite", *size,
           *shlex.split(args.peer_args), "--time", f"{minutes * 60:g}", "--seed", str(args.seed), "--eval-interval", "250",
           "--log-interval", "10", "--metrics", f"{stem}.csv", "--json-out", f"{stem}.json"]
    env_text = f"env -u OPENBLAS_CORETYPE OMP_NUM_THREADS={setting[0]} OPENBLAS_NUM_THREADS={setting[1]}"
    log(f"peer, {minutes:g} min: {env_text} {shlex.join(cmd)}")
    with open(f"{stem}.log", "w") as f:
        subprocess.run(cmd, env=peer_env(setting), stdout=f, stderr=subprocess.STDOUT, check=True)
    r = json.loads(Path(f"{stem}.json").read_text())
    curve = curve_of(read_metrics(Path(f"{stem}.csv")))
    return {"command": f"{env_text} {shlex.join(cmd)}", "model": f"{stem}.safetensors", "steps": r["steps"],
            "chars_seen": r["characters_seen"], "elapsed_s": r["seconds"], "best_stream_val": r["stream_val_loss_best"],
            "final_stream_val": r["stream_val_loss_final"], "curve": curve}


def samples(model: str, prompt: str, length: int, seed: int) -> dict:
    texts = {}
    for temperature in (0.5, 1.0):
        out = subprocess.run(["dotnet", str(CLI), "generate", "--model", model, "--prompt", prompt, "--length", str(length),
                              "--temperature", str(temperature), "--seed", str(seed)], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"charlstm generate failed ({out.returncode}): {out.stderr.strip()}")
        texts[str(temperature)] = out.stdout
    return texts


def plot(results: dict, title: str, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (by_time, by_chars) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    colours = {"ours": "#1f77b4", "peer": "#d62728"}
    styles = ["-", "--", ":", "-."]
    for i, (minutes, runs) in enumerate(sorted(results.items(), key=lambda kv: float(kv[0]))):
        for who, run in runs.items():
            if who not in colours or not run.get("curve"):
                continue
            label = f"{'CharLstm' if who == 'ours' else 'PyTorch'}, {float(minutes):g} min"
            t, c, v = zip(*run["curve"])
            by_time.plot([x / 60 for x in t], v, styles[i % len(styles)], color=colours[who], label=label)
            by_chars.plot([x / 1e6 for x in c], v, styles[i % len(styles)], color=colours[who], label=label)
    by_time.set_xlabel("wall time (minutes)")
    by_chars.set_xlabel("training characters seen (millions)")
    by_time.set_ylabel("validation loss (nats/char)")
    for ax in (by_time, by_chars):
        ax.grid(alpha=0.3)
        ax.set_ylim(top=2.2)
    by_time.legend()
    fig.suptitle(f"{title}: validation loss of charlstm train and PyTorch, same recipe, same time")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def report(data: dict, path: Path) -> None:
    lines = [f"# Quality per minute ({data['date']})", ""]
    lines += machine_summary(data["machine"], None)
    def probe_text(probe):
        return ", ".join(f"torch {k.split(',')[0]} / OpenBLAS {k.split(',')[1]}: {v:,.0f}" for k, v in probe.items()) if probe else "given"
    lines += [f"- **Corpus:** `{data['corpus']}`; ours: `charlstm train {data['ours_args'] or '(the default preset)'}`; "
              f"peer: `torch_train.py {data['peer_args'] or '(its defaults: the same recipe)'}`",
              *[f"- **Peer thread setting, {m} min:** {runs['peer_setting']} (characters/s in the probe: {probe_text(runs.get('peer_probe'))})"
                for m, runs in data["runs"].items() if "peer_setting" in runs], "",
              "| budget | trainer | steps | chars seen | best val (as trained) | final val (`charlstm eval`) |",
              "|---|---|---:|---:|---:|---:|"]
    for minutes, runs in data["runs"].items():
        for who in ("ours", "peer"):
            r = runs.get(who)
            if r:
                lines.append(f"| {minutes} min | {'CharLstm' if who == 'ours' else 'PyTorch'} | {r['steps']:,} | {r['chars_seen'] / 1e6:.1f}M | "
                             f"{r['best_stream_val']:.4f} | {r['eval']:.4f} |")
        if "ours" in runs and "peer" in runs:
            lines.append(f"| {minutes} min | gap (peer − ours) | | | {runs['peer']['best_stream_val'] - runs['ours']['best_stream_val']:+.4f} | "
                         f"{runs['peer']['eval'] - runs['ours']['eval']:+.4f} |")
    lines.append("")
    for minutes, runs in data["runs"].items():
        for temperature, text in runs.get("samples", {}).items():
            lines += [f"**{minutes} min, temperature {temperature}:**", "", "```text", text.rstrip(), "```", ""]
    lines += ["Commands:", ""] + [f"    {r['command']}" for runs in data["runs"].values() for r in runs.values() if isinstance(r, dict) and "command" in r]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None):
    global CLI
    args = parse_args(argv)
    CLI = Path(args.cli)
    if not CLI.exists():
        raise SystemExit(f"{CLI} is missing: run `dotnet build -c Release` first")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = {"date": datetime.date.today().isoformat(), "corpus": args.corpus, "ours_args": args.ours_args,
            "peer_args": args.peer_args, "machine": machine_description(), "runs": {}}
    previous = out / "quality.json"
    if args.add and previous.exists():
        kept = json.loads(previous.read_text())
        data["runs"] = {m: r for m, r in kept["runs"].items() if float(m) not in args.minutes}
        data["added_to"] = kept["date"]
    valtext = validation_text(args.corpus, 0.1, out)  # both trainers' default --val-fraction
    for minutes in args.minutes:
        runs = data["runs"][f"{minutes:g}"] = {}
        runs["ours"] = run_ours(args, minutes, out)
        runs["ours"]["eval"] = charlstm_eval(Path(runs["ours"]["model"]), valtext)
        log(f"ours, {minutes:g} min: {runs['ours']['steps']:,} steps, best val {runs['ours']['best_stream_val']:.4f}, "
            f"charlstm eval {runs['ours']['eval']:.4f}")
        if args.sample_length > 0:
            runs["samples"] = samples(runs["ours"]["model"], args.prompt, args.sample_length, args.seed)
        if not args.no_peer:
            size = chosen_size(out / f"ours-{minutes:g}m")
            if args.peer_setting:
                setting = tuple(int(x) for x in args.peer_setting.split(","))
            else:
                setting, runs["peer_probe"] = probe_peer(args, size, out)
            runs["peer_setting"] = f"torch {setting[0]}, OpenBLAS {setting[1]}"
            runs["peer"] = run_peer(args, setting, minutes, size, out)
            runs["peer"]["eval"] = charlstm_eval(Path(runs["peer"]["model"]), valtext)
            log(f"peer, {minutes:g} min: {runs['peer']['steps']:,} steps, best val {runs['peer']['best_stream_val']:.4f}, "
                f"charlstm eval {runs['peer']['eval']:.4f}")
        (out / "quality.json").write_text(json.dumps(data, indent=1) + "\n")
    plot(data["runs"], Path(args.corpus).name, out / "quality-loss.png")
    report(data, out / "quality.md")
    log(f"wrote {out / 'quality.json'}, {out / 'quality.md'}, {out / 'quality-loss.png'}")


if __name__ == "__main__":
    main()
