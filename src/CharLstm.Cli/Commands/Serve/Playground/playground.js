// The playground's script: lists the models, streams a completion from POST /v1/completions (fetch + ReadableStream,
// reading the server-sent events by hand: EventSource cannot POST), stops it with an AbortController, and draws the
// model's loss curve as an inline SVG when its run folder has metrics. Plain browser JavaScript, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
let models = [];
let running = null; // the AbortController of the request in flight

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

function status(text) { $("status").textContent = text; }

async function loadModels() {
  const response = await fetch("/v1/models", { headers: headers() });
  if (response.status === 401) {
    $("key-label").hidden = false;
    $("model-info").textContent = "This server needs an API key: enter it below.";
    return;
  }
  if (!response.ok) { $("model-info").textContent = "Could not list the models (" + response.status + ")."; return; }
  models = (await response.json()).data;
  const select = $("model");
  select.replaceChildren(...models.map((m) => new Option(m.id, m.id)));
  showModel();
}

function showModel() {
  const model = models.find((m) => m.id === $("model").value);
  if (!model) return;
  const t = model.training;
  let info = `${model.layers} × ${model.hidden_size} LSTM, ${model.vocabulary_size} characters`;
  if (t) {
    info += `; trained on ${t.corpus} for ${t.steps.toLocaleString()} steps`;
    if (t.best_validation_loss !== null) info += `, validation loss ${t.best_validation_loss.toFixed(4)} nats/char`;
  }
  $("model-info").textContent = info;
  drawLoss(model);
}

async function drawLoss(model) {
  const panel = $("loss-panel");
  panel.hidden = true;
  if (!model.has_metrics) return;
  const response = await fetch(`/v1/models/${encodeURIComponent(model.id)}/metrics`, { headers: headers() });
  if (!response.ok) return;
  const points = (await response.json()).points.filter((p) => p.chars_seen !== null);
  if (points.length === 0) return;
  $("loss").replaceChildren(lossSvg(points));
  panel.hidden = false;
}

// Train and validation loss against characters seen, in a 600 × 220 box that scales with the page.
function lossSvg(points) {
  const ns = "http://www.w3.org/2000/svg";
  const W = 600, H = 220, left = 44, right = 10, top = 10, bottom = 26;
  const el = (name, attrs, text) => {
    const e = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const losses = points.flatMap((p) => [p.train_loss, p.val_loss]).filter((v) => v !== null);
  const xMax = Math.max(...points.map((p) => p.chars_seen), 1), xMin = Math.min(...points.map((p) => p.chars_seen));
  let yMin = Math.min(...losses), yMax = Math.max(...losses);
  if (yMax - yMin < 1e-6) { yMin -= 0.5; yMax += 0.5; }
  const x = (v) => left + (xMax === xMin ? 0.5 : (v - xMin) / (xMax - xMin)) * (W - left - right);
  const y = (v) => top + (1 - (v - yMin) / (yMax - yMin)) * (H - top - bottom);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "training loss curve" });
  svg.append(el("line", { class: "axis", x1: left, y1: H - bottom, x2: W - right, y2: H - bottom }));
  svg.append(el("line", { class: "axis", x1: left, y1: top, x2: left, y2: H - bottom }));
  for (const v of [yMin, (yMin + yMax) / 2, yMax]) svg.append(el("text", { x: 4, y: y(v) + 4 }, v.toFixed(2)));
  svg.append(el("text", { x: left, y: H - 6 }, xMin.toLocaleString()));
  svg.append(el("text", { x: W - right, y: H - 6, "text-anchor": "end" }, xMax.toLocaleString() + " characters seen"));
  for (const [key, cls] of [["train_loss", "train"], ["val_loss", "val"]]) {
    const line = points.filter((p) => p[key] !== null).map((p) => `${x(p.chars_seen).toFixed(1)},${y(p[key]).toFixed(1)}`);
    if (line.length > 1) svg.append(el("polyline", { class: cls, points: line.join(" ") }));
    if (cls === "val") for (const p of points.filter((q) => q.val_loss !== null))
      svg.append(el("circle", { class: "val-dot", cx: x(p.chars_seen), cy: y(p.val_loss), r: 2.5 }));
  }
  return svg;
}

function number(id) { const v = $(id).value.trim(); return v === "" ? undefined : Number(v); }

async function generate() {
  const body = {
    model: $("model").value || undefined,
    prompt: $("prompt").value,
    max_tokens: number("length"),
    temperature: number("temperature"),
    top_k: number("top-k"),
    top_p: number("top-p"),
    seed: number("seed"),
    stream: true,
  };
  const text = $("output-text");
  $("output-prompt").textContent = body.prompt;
  text.textContent = "";
  text.classList.add("running");
  $("generate").disabled = true;
  $("stop").disabled = false;
  running = new AbortController();
  const started = performance.now();
  let characters = 0;
  try {
    const response = await fetch("/v1/completions", { method: "POST", headers: headers(), body: JSON.stringify(body), signal: running.signal });
    if (!response.ok) {
      const error = await response.json().catch(() => null);
      status(error?.error?.message ?? `The server answered ${response.status}.`);
      if (response.status === 401) $("key-label").hidden = false;
      return;
    }
    status("Generating…");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ")) continue;
          const data = line.slice(6);
          if (data === "[DONE]") continue;
          const chunk = JSON.parse(data);
          if (chunk.error) { status(chunk.error.message); continue; }
          const piece = chunk.choices[0];
          text.textContent += piece.text;
          characters += [...piece.text].length;
          if (piece.finish_reason) status(`${characters} characters in ${((performance.now() - started) / 1000).toFixed(2)} s (${piece.finish_reason}).`);
        }
      }
    }
  } catch (e) {
    if (e.name === "AbortError") status(`Stopped after ${characters} characters.`);
    else status("The request failed: " + e.message);
  } finally {
    text.classList.remove("running");
    $("generate").disabled = false;
    $("stop").disabled = true;
    running = null;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("generate").addEventListener("click", generate);
  $("stop").addEventListener("click", () => running?.abort());
  $("model").addEventListener("change", showModel);
  $("api-key").addEventListener("change", loadModels);
  $("prompt").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) generate(); });
  loadModels().catch((e) => { $("model-info").textContent = "Could not list the models: " + e.message; });
});
