#!/usr/bin/python3
"""Write the golden test fixtures for CharLstm from a PyTorch reference model.

Each configuration below becomes one JSON file in tests/CharLstm.Tests/Fixtures/. A fixture holds
the inputs, every parameter, the initial states, the logits, the final states, the loss, the
gradient of the loss w.r.t. every parameter and w.r.t. the initial states, and 10 training steps
with each of Adam, RMSprop and SGD-with-momentum. The C# model must reproduce all of it.

Precision: parameters and initial states are drawn in float32, so every stored value is exactly
representable in float32 as well as float64; all arithmetic is then done in float64, so the
recorded truth is accurate to ~1e-15 and the C# tests can choose their own tolerance.

Regenerate (Debian):
    apt-get install -y python3-torch
    /usr/bin/python3 tools/reference/make_reference.py

The script is deterministic: rerunning it with the same torch version rewrites identical files.
"""

import copy
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE_DIR = os.path.join(REPO_ROOT, "tests", "CharLstm.Tests", "Fixtures")

TRAIN_STEPS = 10

# -----------------------------------------------------------------------------------------------
# Configurations. One fixture file per entry.

CONFIGS = [
    # One-hot input (no embedding table), a single layer, zero initial state.
    dict(name="onehot_1layer", seed=1001, vocab=11, embedding=0, hidden=16, layers=1,
         batch=2, seq=4, zero_state=True),
    # Embedding input, two stacked layers, random non-zero initial state.
    dict(name="embed_2layer", seed=1002, vocab=13, embedding=7, hidden=12, layers=2,
         batch=3, seq=6, zero_state=False),
    # Three layers; hidden (9) differs from embedding (5) so layer 0's input width differs from
    # the deeper layers' (catches a model that assumes they are equal).
    dict(name="embed_3layer_wide", seed=1003, vocab=17, embedding=5, hidden=9, layers=3,
         batch=4, seq=7, zero_state=False),
]

# Optimizer hyperparameters (the same for every configuration). Adam's clip is below the initial
# grad norms (0.25-0.36), so clipping engages in every step and its scale changes from step to step
# (the script asserts and prints this); RMSprop and SGD run unclipped, covering the other path.
ADAM = dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, clip=0.1)
RMSPROP = dict(lr=0.01, alpha=0.99, eps=1e-8, clip=0.0)
SGD = dict(lr=0.1, momentum=0.9, clip=0.0)

# Half-width of the uniform distribution for parameters and non-zero initial states. PyTorch's
# default LSTM init, U(-1/sqrt(H), 1/sqrt(H)), gives small gradients at these sizes; a wider range
# makes the gates saturate partly, so the tests exercise both the linear and the flat regions.
INIT_RANGE = 0.5


# -----------------------------------------------------------------------------------------------
# The reference model.

class CharLstmRef(nn.Module):
    """Character LSTM: (embedding or one-hot) -> stacked LSTM -> linear head.

    Parameter names (state_dict) are the contract with the C# model:
      embedding.weight                (V, E)        only when embedding_size > 0
      lstm.weight_ih_l{k}             (4H, in_k)    in_0 = E (or V when one-hot), in_k = H for k > 0
      lstm.weight_hh_l{k}             (4H, H)
      lstm.bias_ih_l{k}               (4H)
      lstm.bias_hh_l{k}               (4H)
      head.weight                     (V, H)
      head.bias                       (V)
    The 4H rows of each LSTM weight are the gates in the order i, f, g, o (see lstm_loop below).
    """

    def __init__(self, vocab, embedding_size, hidden, layers):
        super().__init__()
        self.vocab = vocab
        self.embedding_size = embedding_size
        if embedding_size > 0:
            self.embedding = nn.Embedding(vocab, embedding_size)
        input_size = embedding_size if embedding_size > 0 else vocab
        self.lstm = nn.LSTM(input_size, hidden, num_layers=layers, batch_first=True, dropout=0.0)
        self.head = nn.Linear(hidden, vocab)

    def embed(self, idx):
        # idx (B, T) -> x (B, T, in_0)
        if self.embedding_size > 0:
            return self.embedding(idx)
        return F.one_hot(idx, self.vocab).to(self.head.weight.dtype)

    def forward(self, idx, h0, c0):
        # idx (B, T); h0, c0 (L, B, H) -> logits (B, T, V), (hT, cT) each (L, B, H)
        x = self.embed(idx)
        out, (hT, cT) = self.lstm(x, (h0, c0))  # out (B, T, H): the top layer's h at every step
        logits = self.head(out)
        return logits, (hT, cT)


def loss_fn(logits, targets):
    # Mean cross-entropy over all B*T positions.
    vocab = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))


# -----------------------------------------------------------------------------------------------
# An explicit, per-timestep LSTM: the semantics the C# model implements, written out.

def lstm_loop(model, idx, h0, c0):
    """Forward pass with no nn.LSTM: returns logits (B, T, V), hT, cT (L, B, H)."""
    B, T = idx.shape
    L = model.lstm.num_layers
    H = model.lstm.hidden_size
    x = model.embed(idx)  # (B, T, in_0)
    h = [h0[k] for k in range(L)]  # each (B, H)
    c = [c0[k] for k in range(L)]
    top = []
    for t in range(T):
        inp = x[:, t, :]
        for k in range(L):
            w_ih = getattr(model.lstm, f"weight_ih_l{k}")
            w_hh = getattr(model.lstm, f"weight_hh_l{k}")
            b_ih = getattr(model.lstm, f"bias_ih_l{k}")
            b_hh = getattr(model.lstm, f"bias_hh_l{k}")
            pre = inp @ w_ih.T + b_ih + h[k] @ w_hh.T + b_hh  # (B, 4H)
            i = torch.sigmoid(pre[:, 0 * H:1 * H])  # input gate
            f = torch.sigmoid(pre[:, 1 * H:2 * H])  # forget gate
            g = torch.tanh(pre[:, 2 * H:3 * H])     # candidate cell
            o = torch.sigmoid(pre[:, 3 * H:4 * H])  # output gate
            c[k] = f * c[k] + i * g
            h[k] = o * torch.tanh(c[k])
            inp = h[k]  # the next layer's input is this layer's new h (no dropout)
        top.append(inp)
    out = torch.stack(top, dim=1)  # (B, T, H)
    logits = out @ model.head.weight.T + model.head.bias
    return logits, torch.stack(h), torch.stack(c)


# -----------------------------------------------------------------------------------------------
# Building one configuration.

def build(cfg):
    """Seeded model (float64 holding float32-exact values), tokens, and initial states."""
    torch.manual_seed(cfg["seed"])
    V, E, H, L = cfg["vocab"], cfg["embedding"], cfg["hidden"], cfg["layers"]
    B, T = cfg["batch"], cfg["seq"]

    model = CharLstmRef(V, E, H, L)  # float32
    with torch.no_grad():
        for p in model.parameters():  # state_dict order
            p.uniform_(-INIT_RANGE, INIT_RANGE)

    inputs = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    if cfg["zero_state"]:
        h0 = torch.zeros(L, B, H)
        c0 = torch.zeros(L, B, H)
    else:
        h0 = torch.empty(L, B, H).uniform_(-INIT_RANGE, INIT_RANGE)
        c0 = torch.empty(L, B, H).uniform_(-INIT_RANGE, INIT_RANGE)

    # float32 -> float64 is exact; from here on all arithmetic is float64.
    return model.double(), inputs, targets, h0.double(), c0.double()


def train(model, inputs, targets, h0, c0, make_optimizer, clip):
    """TRAIN_STEPS steps on one fixed batch from a copy of model.

    Each step: zero_grad, forward from the same (h0, c0), loss.backward(), optional global-norm
    clip, optimizer.step(). Returns (losses before each update, grad norms before clipping,
    final parameters).
    """
    model = copy.deepcopy(model)
    params = list(model.parameters())
    optimizer = make_optimizer(params)
    losses, norms = [], []
    for _ in range(TRAIN_STEPS):
        optimizer.zero_grad()
        logits, _ = model(inputs, h0, c0)
        loss = loss_fn(logits, targets)
        loss.backward()
        norm = torch.norm(torch.stack([torch.norm(p.grad) for p in params]))
        if clip > 0:
            # Scales every grad by min(1, clip / (norm + 1e-6)); note PyTorch's 1e-6.
            torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        losses.append(loss.item())
        norms.append(norm.item())
    return losses, norms, model.state_dict()


def tensor_entry(t):
    return {"shape": list(t.shape), "data": t.detach().reshape(-1).tolist()}


def make_fixture(cfg):
    name = cfg["name"]
    model, inputs, targets, h0, c0 = build(cfg)

    # --- forward and backward from the initial parameters --------------------------------------
    h0_leaf = h0.clone().requires_grad_(True)
    c0_leaf = c0.clone().requires_grad_(True)
    model.zero_grad()
    logits, (hT, cT) = model(inputs, h0_leaf, c0_leaf)
    loss = loss_fn(logits, targets)
    loss.backward()

    # --- sanity check: nn.LSTM agrees with the explicit loop ------------------------------------
    with torch.no_grad():
        loop_logits, loop_hT, loop_cT = lstm_loop(model, inputs, h0, c0)
        loop_loss = loss_fn(loop_logits, targets)
    loss_diff = abs(loop_loss.item() - loss.item())
    logit_diff = (loop_logits - logits).abs().max().item()
    state_diff = max((loop_hT - hT).abs().max().item(), (loop_cT - cT).abs().max().item())
    print(f"{name}: loss {loss.item():.12f}; explicit loop |dloss| {loss_diff:.1e}, "
          f"max|dlogits| {logit_diff:.1e}, max|dstate| {state_diff:.1e}")
    assert loss_diff < 1e-12 and logit_diff < 1e-12 and state_diff < 1e-12, name

    tensors = {}
    state = model.state_dict()
    for pname, p in state.items():
        tensors[pname] = tensor_entry(p)
    tensors["h0"] = tensor_entry(h0)
    tensors["c0"] = tensor_entry(c0)
    tensors["logits"] = tensor_entry(logits)
    tensors["hT"] = tensor_entry(hT)
    tensors["cT"] = tensor_entry(cT)
    for pname, p in model.named_parameters():
        tensors["grad." + pname] = tensor_entry(p.grad)
    tensors["grad.h0"] = tensor_entry(h0_leaf.grad)
    tensors["grad.c0"] = tensor_entry(c0_leaf.grad)

    # --- training runs ---------------------------------------------------------------------------
    runs = {
        "adam": (lambda ps: torch.optim.Adam(ps, lr=ADAM["lr"], betas=ADAM["betas"], eps=ADAM["eps"]),
                 ADAM["clip"],
                 {"lr": ADAM["lr"], "betas": list(ADAM["betas"]), "eps": ADAM["eps"],
                  "clip": ADAM["clip"]}),
        "rmsprop": (lambda ps: torch.optim.RMSprop(ps, lr=RMSPROP["lr"], alpha=RMSPROP["alpha"],
                                                   eps=RMSPROP["eps"]),
                    RMSPROP["clip"],
                    {"lr": RMSPROP["lr"], "alpha": RMSPROP["alpha"], "eps": RMSPROP["eps"],
                     "clip": RMSPROP["clip"]}),
        "sgd": (lambda ps: torch.optim.SGD(ps, lr=SGD["lr"], momentum=SGD["momentum"]),
                SGD["clip"],
                {"lr": SGD["lr"], "momentum": SGD["momentum"], "clip": SGD["clip"]}),
    }
    train_out = {}
    for opt_name, (make_optimizer, opt_clip, record) in runs.items():
        losses, norms, final = train(model, inputs, targets, h0, c0, make_optimizer, opt_clip)
        assert all(math.isfinite(x) for x in losses), (name, opt_name)
        if opt_name == "adam":
            clipped = sum(n > opt_clip for n in norms)  # norms are taken before clipping
            print(f"  adam clip {opt_clip}: grad norms " + " ".join(f"{n:.3f}" for n in norms)
                  + f" -> clipping engaged in {clipped}/{TRAIN_STEPS} steps")
            assert clipped > 0, f"{name}: Adam clip {opt_clip} never engages"
        print(f"  {opt_name}: loss {losses[0]:.6f} -> {losses[-1]:.6f}")
        train_out[opt_name] = dict(record, losses=losses,
                                   final={k: tensor_entry(v) for k, v in final.items()})

    return {
        "name": name,
        "torch_version": torch.__version__,
        "config": {"vocab": cfg["vocab"], "embedding": cfg["embedding"], "hidden": cfg["hidden"],
                   "layers": cfg["layers"], "batch": cfg["batch"], "seq": cfg["seq"]},
        "inputs": inputs.reshape(-1).tolist(),
        "targets": targets.reshape(-1).tolist(),
        "tensors": tensors,
        "loss": loss.item(),
        "train": train_out,
    }


# -----------------------------------------------------------------------------------------------
# Writing: objects indented, each flat list of numbers on one line (diffable, not bloated).

def to_json(value, indent=0):
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {to_json(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    # Floats are written by json's repr: the shortest string that round-trips the float64.
    return json.dumps(value, allow_nan=False)


def main():
    torch.set_default_dtype(torch.float32)
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    print(f"torch {torch.__version__}")
    for cfg in CONFIGS:
        fixture = make_fixture(cfg)
        text = to_json(fixture) + "\n"
        assert json.loads(text) == fixture  # the writer round-trips exactly
        path = os.path.join(FIXTURE_DIR, cfg["name"] + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"  wrote {os.path.relpath(path, REPO_ROOT)} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
