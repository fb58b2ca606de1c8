"""Train CharLstm's network in PyTorch, on one process or many (DistributedDataParallel), and write a CharLstm model file.

For corpora too large for one machine's `charlstm train`: the same model (embedding or one-hot input, stacked
nn.LSTM, linear head), the same data rules and defaults as `charlstm train`'s default preset, trained by PyTorch
on CPUs (gloo) or GPUs (NCCL). The model file it writes is what `charlstm generate`, `eval`, `serve` and `inspect` take.

    # one process
    /usr/bin/python3 tools/torch_train.py corpus.txt -o model.safetensors --max-steps 2000
    # two processes on one machine's CPUs (gloo); on GPUs (NCCL) the same command runs one process per GPU
    torchrun --nproc_per_node 2 tools/torch_train.py corpus.txt -o model.safetensors --max-steps 2000
    # several machines: torchrun --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29400 ...

Data, as `charlstm train` cuts it (src/CharLstm/Data/EncodedCorpus.cs, TrainingBatches.cs): the text is read as
strict UTF-8, one character per Unicode code point; the vocabulary is its distinct characters sorted by code point;
the first floor(N * (1 - val_fraction)) characters train and the rest validate. The training split is cut into
--batch contiguous streams of L = floor((N_train - 1) / batch) characters; batch k holds each stream's characters
k*T .. k*T+T-1 and the next character of each as targets; the hidden state is carried from batch to batch
(truncated backprop through time) and reset at each epoch's start. --batch counts all streams: with W processes,
process r trains streams r*batch/W .. (r+1)*batch/W - 1, a contiguous shard of the text, and DDP averages the
gradients, so the step is the one a single process with all streams takes (up to rounding and dropout masks).

The final validation loss scores the validation split the way `charlstm eval` scores a text: one stream from a
zero state, every character after the first predicted from all before it (torch_interop.evaluate).
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_interop import CharLstm, evaluate, save, save_file  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("corpus", help="a UTF-8 text file")
    p.add_argument("-o", "--output", required=True, help="the CharLstm model file to write (.safetensors)")
    p.add_argument("--overwrite", action="store_true", help="replace the output files if they exist")
    g = p.add_argument_group("model (charlstm train's default preset)")
    g.add_argument("--layers", type=int, default=2, help="stacked LSTM layers, 1 to 8")
    g.add_argument("--hidden", type=int, default=256, help="units per LSTM layer")
    g.add_argument("--embedding", type=int, default=64, help="embedding width; 0 = one-hot input")
    g.add_argument("--dropout", type=float, default=0.1, help="dropout on every LSTM layer's output while training")
    g.add_argument("--no-forget-bias-one", dest="forget_bias_one", action="store_false",
                   help="leave the forget gate's bias at PyTorch's initialisation instead of starting it at 1")
    g = p.add_argument_group("data")
    g.add_argument("--batch", type=int, default=32, help="streams per step, over all processes (a multiple of their number)")
    g.add_argument("--seq-len", type=int, default=100, help="steps of backprop through time")
    g.add_argument("--val-fraction", type=float, default=0.1, help="the last fraction of the text, kept for validation")
    g = p.add_argument_group("optimisation (Adam)")
    g.add_argument("--lr", type=float, default=4e-3, help="peak learning rate")
    g.add_argument("--schedule", choices=["cosine", "wsd", "constant"], default="wsd",
                   help="cosine: linear warm-up, then cosine decay to --min-lr-fraction of --lr at the last step; wsd: warm-up, "
                        "hold --lr, then decay linearly to the floor over the last --decay-fraction of the run (of its steps, "
                        "or of --time when that ends it first), as charlstm's wsd")
    g.add_argument("--warmup", type=int, default=100, help="warm-up steps of the cosine and wsd schedules")
    g.add_argument("--min-lr-fraction", type=float, default=0.1, help="the schedules' floor, as a fraction of --lr")
    g.add_argument("--decay-fraction", type=float, default=0.2, help="wsd: the share of the run spent decaying")
    g.add_argument("--clip", type=float, default=5.0, help="global gradient-norm clip; 0 = off")
    g.add_argument("--max-steps", type=int, default=0, help="stop after this many steps; 0 = run --epochs")
    g.add_argument("--epochs", type=int, default=50, help="passes over the training split when --max-steps is 0")
    g.add_argument("--time", type=float, default=0,
                   help="also stop after this many seconds of training (validation passes not counted), as `charlstm train --time` "
                        "does; cosine keeps its step horizon, as charlstm's cosine does, and wsd decays to the deadline; 0 = no limit")
    g.add_argument("--seed", type=int, default=1337, help="initialisation and dropout seed")
    g = p.add_argument_group("output")
    g.add_argument("--log-interval", type=int, default=50, help="steps between progress lines (loss averaged over processes)")
    g.add_argument("--eval-interval", type=int, default=0,
                   help="steps between validation passes during training (process 0 scores, the others wait); 0 = only at the end")
    g.add_argument("--metrics", help="write a CSV of the run here: step, chars_seen, elapsed_s (training time), lr, train_loss, "
                   "and val_loss at each validation pass, scored as charlstm train scores it (--batch streams, --seq-len chunks)")
    g.add_argument("--json", action="store_true", help="print the result as JSON on stdout (progress goes to stderr)")
    g.add_argument("--json-out", help="also write the result as JSON to this file")
    g.add_argument("--state-dict", help="also write the plain state_dict here (safetensors), as `charlstm import` takes it")
    g.add_argument("--vocab-out", help="also write the vocabulary here as vocab.json (a JSON list of characters in id order)")
    g = p.add_argument_group("processes")
    g.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto: each process's GPU (LOCAL_RANK) when CUDA is available, else the CPU")
    g.add_argument("--backend", choices=["auto", "gloo", "nccl"], default="auto", help="auto: NCCL on GPUs, gloo on CPUs")
    args = p.parse_args(argv)

    def need(ok, message):
        if not ok:
            p.error(message)
    need(1 <= args.layers <= 8, f"--layers must be 1 to 8, got {args.layers}")
    need(1 <= args.hidden <= 16384, f"--hidden must be 1 to 16384, got {args.hidden}")
    need(0 <= args.embedding <= 65536, f"--embedding must be 0 (one-hot) to 65536, got {args.embedding}")
    need(0 <= args.dropout < 1, f"--dropout must be in [0, 1), got {args.dropout}")
    need(args.batch >= 1 and args.seq_len >= 1, "--batch and --seq-len must be at least 1")
    need(0 <= args.val_fraction < 1, f"--val-fraction must be in [0, 1), got {args.val_fraction}")
    need(args.lr > 0 and args.clip >= 0 and args.warmup >= 0 and 0 <= args.min_lr_fraction <= 1,
         "--lr must be positive, --clip and --warmup 0 or more, --min-lr-fraction in [0, 1]")
    need(0 < args.decay_fraction <= 1, f"--decay-fraction must be in (0, 1], got {args.decay_fraction}")
    need(args.max_steps >= 0 and args.epochs >= 1, "--max-steps must be 0 or more and --epochs at least 1")
    need(args.time >= 0, f"--time must be 0 or more seconds, got {args.time}")
    need(args.log_interval >= 1 and args.eval_interval >= 0, "--log-interval must be at least 1, --eval-interval 0 or more")
    need((args.state_dict is None) == (args.vocab_out is None), "--state-dict and --vocab-out go together")
    return args


def learning_rate(args, step, horizon, progress):
    """charlstm's schedule (src/CharLstm/Training/LearningRateSchedule.cs) for 0-based `step` of `horizon` steps;
    `progress` is the share of the run done (the larger of step / horizon and the share of --time used)."""
    if args.schedule == "constant":
        return args.lr
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    low = args.lr * args.min_lr_fraction
    if args.schedule == "wsd":
        decayed = (min(max(progress, 0.0), 1.0) - (1 - args.decay_fraction)) / args.decay_fraction
        return args.lr if decayed <= 0 else args.lr - (args.lr - low) * min(1.0, decayed)
    if horizon <= args.warmup:
        return args.lr
    progress = min(1.0, (step - args.warmup) / (horizon - args.warmup))
    return low + 0.5 * (args.lr - low) * (1 + math.cos(math.pi * progress))


def stream_score(model, ids, streams, chunk):
    """Mean nats/char as charlstm train scores its validation split (src/CharLstm/Training/StreamEvaluator.cs): the
    text cut into `streams` contiguous pieces read in parallel from a zero state, the first character of each context only."""
    n = len(ids)
    if n < 2:
        return None
    streams = max(1, min(streams, (n - 1) // max(1, min(chunk, n - 1))))
    steps = (n - 1) // streams
    inputs = ids[:streams * steps].view(streams, steps)
    targets = ids[1:streams * steps + 1].view(streams, steps)
    was_training = model.training
    model.eval()
    total, state = 0.0, None
    with torch.no_grad():
        # The state is carried from piece to piece, so the pieces' length only bounds the memory the logits take.
        for begin in range(0, steps, max(chunk, 1024)):
            end = min(steps, begin + max(chunk, 1024))
            logits, state = model(inputs[:, begin:end], state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), targets[:, begin:end].reshape(-1), reduction="sum").item()
    model.train(was_training)
    return total / (streams * steps)


def main(argv=None):
    args = parse_args(argv)
    outputs = [path for path in (args.output, args.json_out, args.state_dict, args.vocab_out, args.metrics) if path]
    existing = [path for path in outputs if os.path.exists(path)]
    if existing and not args.overwrite:
        raise SystemExit(f"error: {', '.join(existing)} already exist(s); pass --overwrite to replace, or choose another path")

    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    rank, world, local_rank = (int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0))) \
        if distributed else (0, 1, 0)
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    backend = args.backend if args.backend != "auto" else ("nccl" if cuda else "gloo")
    if args.batch % world:
        raise SystemExit(f"error: --batch {args.batch} does not split evenly over {world} processes; pass a multiple of {world}")
    log_file = sys.stderr if args.json else sys.stdout

    def log(message):
        if rank == 0:
            print(message, file=log_file, flush=True)

    # ---- data: the same text, vocabulary and split on every process ----
    with open(args.corpus, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")  # strict, like charlstm; no newline translation, a BOM stays a character
    except UnicodeDecodeError as e:
        raise SystemExit(f"error: {args.corpus}: invalid UTF-8 at byte offset {e.start}; convert the text to UTF-8")
    if not text:
        raise SystemExit(f"error: {args.corpus} is empty")
    vocabulary = sorted(set(text))
    index = {c: i for i, c in enumerate(vocabulary)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_train = int(math.floor(len(ids) * (1.0 - args.val_fraction)))  # nanoGPT's split, as EncodedCorpus.Split
    train_ids, val_ids = ids[:n_train], ids[n_train:]
    B, T = args.batch, args.seq_len
    if n_train < B * T + 1:
        raise SystemExit(f"error: the training split has {n_train:,} characters, fewer than one window of "
                         f"B*T+1 = {B}*{T}+1 = {B * T + 1:,}; use a smaller --batch or --seq-len")
    L = (n_train - 1) // B  # characters per stream
    per_epoch = L // T
    inputs = train_ids[:B * L].view(B, L)
    targets = train_ids[1:B * L + 1].view(B, L)
    local = B // world
    inputs = inputs[rank * local:(rank + 1) * local].contiguous()  # this process's contiguous shard of the streams
    targets = targets[rank * local:(rank + 1) * local].contiguous()
    horizon = args.max_steps if args.max_steps > 0 else args.epochs * per_epoch

    # ---- model: PyTorch's initialisation (what charlstm's engine uses), the forget gate opened ----
    torch.manual_seed(args.seed)
    model = CharLstm(len(vocabulary), args.embedding, args.hidden, args.layers, args.dropout)
    if args.forget_bias_one:
        with torch.no_grad():
            for k in range(args.layers):
                getattr(model.lstm, f"bias_ih_l{k}")[args.hidden:2 * args.hidden].fill_(1.0)
                getattr(model.lstm, f"bias_hh_l{k}")[args.hidden:2 * args.hidden].zero_()
    model.to(device)
    torch.manual_seed(args.seed + 1 + rank)  # each process its own dropout masks
    if distributed:
        dist.init_process_group(backend)
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if cuda else None)
    else:
        net = model
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    parameters = sum(p.numel() for p in model.parameters())
    log(f"corpus: {args.corpus}, {len(ids):,} characters, vocabulary {len(vocabulary)}; train {n_train:,}, "
        f"validation {len(val_ids):,} (last {args.val_fraction})")
    log(f"model: {'one-hot' if args.embedding == 0 else f'embedding {args.embedding}'}, {args.layers} x {args.hidden} LSTM, "
        f"dropout {args.dropout}, {parameters:,} parameters")
    log(f"{world} process(es) ({backend if distributed else 'no process group'}, {device.type}), {local} of {B} streams each, "
        f"seq-len {T}; {per_epoch:,} steps per epoch, {horizon:,} steps")

    def validate():
        if len(val_ids) < 2:
            return None
        return evaluate(model, val_ids.tolist())

    metrics = open(args.metrics, "w", encoding="utf-8", newline="") if args.metrics and rank == 0 else None
    if metrics:
        metrics.write("step,epoch,chars_seen,elapsed_s,lr,train_loss,val_loss\n")

    def metrics_row(done, epoch, lr, train, val, elapsed=None):
        if metrics:
            elapsed = time.time() - started - eval_seconds if elapsed is None else elapsed
            metrics.write(f"{done},{epoch},{done * B * T},{elapsed:.3f},{lr:.6g},"
                          f"{'' if train is None else f'{train:.6f}'},{'' if val is None else f'{val:.6f}'}\n")
            metrics.flush()

    started = time.time()
    eval_seconds = 0.0  # validation passes, not charged to --time
    state, last_loss, val_loss = None, float("nan"), None
    best_stream_val, last_stream_val, scored_at = None, None, 0
    steps_done = 0
    model.train()
    for step in range(horizon):
        progress = step / horizon
        if args.time > 0:
            # Every process stops, and reads the schedule's clock, at the same step: process 0's clock decides.
            used = torch.tensor([time.time() - started - eval_seconds])
            if distributed:
                dist.broadcast(used, 0)
            if used.item() >= args.time:
                break
            progress = max(progress, used.item() / args.time)
        epoch, batch = divmod(step, per_epoch)
        if batch == 0:
            state = None  # every stream starts over from its beginning
        x = inputs[:, batch * T:(batch + 1) * T].to(device, non_blocking=True)
        y = targets[:, batch * T:(batch + 1) * T].to(device, non_blocking=True)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args, step, horizon, progress)
        logits, state = net(x, state)
        state = tuple(s.detach() for s in state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients over the processes here
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        done = steps_done = step + 1
        if done % args.log_interval == 0 or done == horizon:
            mean = loss.detach().clone()
            if distributed:
                dist.all_reduce(mean)
                mean /= world
            last_loss = mean.item()
            if not math.isfinite(last_loss):
                raise SystemExit(f"error: the loss is {last_loss} at step {done}; lower --lr or raise --clip")
            elapsed = time.time() - started
            log(f"step {done:,}/{horizon:,}  epoch {epoch + 1}  loss {last_loss:.4f}  lr {group['lr']:.2e}  "
                f"{done * B * T / max(elapsed, 1e-9):,.0f} chars/s  {elapsed:.1f}s")
        evaluating = args.eval_interval and done % args.eval_interval == 0 and done < horizon
        if done % args.log_interval == 0 and not evaluating:
            metrics_row(done, epoch + 1, group["lr"], last_loss, None)
        if evaluating:
            trained = time.time() - started - eval_seconds  # the row's time: training up to this step, not the pass below
            eval_started, score = time.time(), None
            if rank == 0:
                score = stream_score(model, val_ids, B, T)
                if score is not None:
                    scored_at, last_stream_val = done, score
                    best_stream_val = score if best_stream_val is None else min(best_stream_val, score)
                    log(f"step {done:,}: validation loss {score:.4f} nats/char ({score / math.log(2):.4f} bits/char), "
                        f"scored as charlstm train scores it")
            if distributed:
                dist.barrier()
            eval_seconds += time.time() - eval_started
            metrics_row(done, epoch + 1, group["lr"], last_loss if done % args.log_interval == 0 else None, score, trained)
    seconds = time.time() - started - eval_seconds  # training time

    if distributed:
        dist.barrier()
    if rank == 0:
        val_loss = validate()
        final_stream_val = last_stream_val if steps_done == scored_at else stream_score(model, val_ids, B, T)
        if final_stream_val is not None:
            best_stream_val = final_stream_val if best_stream_val is None else min(best_stream_val, final_stream_val)
        if metrics:
            if steps_done != scored_at:
                metrics_row(steps_done, steps_done // per_epoch + 1, group["lr"] if steps_done else 0.0, None, final_stream_val, seconds)
            metrics.close()
        result = {
            "model": args.output, "corpus": args.corpus, "characters": len(ids), "vocabulary": len(vocabulary),
            "train_characters": n_train, "val_characters": len(val_ids), "processes": world,
            "backend": backend if distributed else None, "device": device.type, "steps": steps_done,
            "epochs": steps_done / per_epoch, "characters_seen": steps_done * B * T, "parameters": parameters,
            "final_train_loss": last_loss, "val_loss_nats": val_loss,
            "stream_val_loss_final": final_stream_val, "stream_val_loss_best": best_stream_val,
            "val_bits_per_char": val_loss / math.log(2) if val_loss is not None else None,
            "seconds": round(seconds, 3), "torch": torch.__version__,
        }
        training = {
            "corpus_name": os.path.basename(args.corpus), "corpus_sha256": hashlib.sha256(raw).hexdigest(),
            "characters_seen": steps_done * B * T, "steps": steps_done, "best_val_loss": val_loss,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "tool_version": f"torch_train.py (torch {torch.__version__})",
        }
        save(model, vocabulary, args.output, dropout=args.dropout, training=training,
             text_options={"lowercase": False, "normalize_newlines": False, "invalid_utf8": "error"})
        if args.state_dict:
            save_file({name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}, args.state_dict)
            with open(args.vocab_out, "w", encoding="utf-8") as f:
                json.dump(vocabulary, f, ensure_ascii=False)
        if val_loss is not None:
            log(f"validation loss {val_loss:.6f} nats/char ({val_loss / math.log(2):.6f} bits/char) over "
                f"{len(val_ids) - 1:,} characters, as `charlstm eval` scores the validation split")
        log(f"wrote {args.output} ({steps_done:,} steps, {seconds:.1f}s of training)")
        if args.json_out:
            with open(args.json_out, "w", encoding="utf-8") as f:
                json.dump(result, f, indent=2)
                f.write("\n")
        if args.json:
            print(json.dumps(result))
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
