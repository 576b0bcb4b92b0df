// casus analyst page: classify a pasted statement and show each sentence's labels.
// Plain JavaScript, no build step. The labels come from the served model (GET /labels),
// never from this file.
"use strict";

const EXAMPLES = [
  {
    title: "Foreign minister, after strikes",
    text: "Last night their drones struck a water station and two schools in the north. " +
      "Our air defence units responded only to protect the people of those towns, as any " +
      "state would. We remind the Council that Article 51 of the Charter leaves no doubt " +
      "on this point.\n\nWe remain ready to meet in Geneva next week if the shelling stops.",
  },
  {
    title: "UN envoy briefing",
    text: "The Special Envoy told the Security Council that both delegations had agreed to " +
      "resume technical talks on the prisoner exchange. She urged the parties to respect " +
      "their obligations under international humanitarian law. The next round is expected " +
      "to open in Muscat on the 14th.",
  },
  {
    title: "Wire report",
    text: "Officials in the capital accused rebel commanders of using the hospital as a " +
      "shield, a charge the rebels denied. A spokesman for the armed forces said the " +
      "operation was a measured answer to weeks of rocket fire. Markets were closed on " +
      "Friday for the national holiday.",
  },
];

// ``chars`` holds the text as code points: the API's offsets count code points (Python),
// while JavaScript strings count UTF-16 units, so "🇺🇦 ..." would shift every highlight.
const state = { labels: [], definitions: {}, result: null, chars: [], pinned: null,
                busy: false, documents: [], current: null, model: null, thresholds: {} };
const $ = (id) => document.getElementById(id);
const writeAccess = document.body.dataset.writeAccess === "true";
const maxChars = Number(document.body.dataset.maxChars);
const maxTexts = Number(document.body.dataset.maxTexts);
const maxBody = Number(document.body.dataset.maxBody);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function labelClass(label) {
  const index = state.labels.indexOf(label);
  return index < 0 ? "lbl-none" : `lbl-${index % 8}`;
}

function readable(label) {
  return label.replace(/_/g, " ");
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function loadLabels() {
  try {
    const response = await fetch("/labels");
    if (response.status === 503) {
      $("model-line").textContent = "Model: none loaded yet";
      showError("The service is running but has no model loaded yet. Try again in a minute.");
      return;
    }
    if (!response.ok) throw new Error((await response.json()).error.message);
    const body = await response.json();
    state.labels = body.labels.map((l) => l.id);
    state.thresholds = Object.fromEntries(body.labels.map((l) => [l.id, l.threshold]));
    state.definitions = Object.fromEntries(body.labels.map((l) => [l.id, l.definition]));
    const legend = $("legend");
    legend.replaceChildren();
    for (const label of state.labels) {
      legend.append(el("dt", {}, el("span", { class: `chip ${labelClass(label)}`,
                                               text: readable(label) })),
                    el("dd", { text: state.definitions[label] || "" }));
    }
    legend.append(el("dt", {}, el("span", { class: "chip lbl-none", text: "none" })),
                  el("dd", { text: "No label applies: the sentence narrates, describes or " +
                                   "reports without any of the stances above, even when " +
                                   "what it narrates is violent. Shown unhighlighted." }));
    const ready = await fetch("/ready").then((r) => r.json()).catch(() => ({}));
    $("model-line").textContent = ready.model ? `Model: ${ready.model}` : "Model: none loaded";
  } catch (error) {
    $("model-line").textContent = "Model: unavailable";
    showError("The casus service is not answering, so the labels could not be loaded. " +
              "Check that it is running (make serve) and reload the page.");
  }
}

function explainError(status, body) {
  const message = body && body.error ? body.error.message : "";
  if (status === 413) return "This text is too long to send in one go. Split it into parts.";
  if (status === 422 && body.error.code === "text_too_long")
    return `This text is too long: at most ${maxChars.toLocaleString()} characters ` +
           "at a time. Split it into parts.";
  if (status === 503) return "The service has no model loaded yet. Try again in a minute.";
  if (status >= 500) return "The service failed to read this text. Please try again.";
  return message || `The service refused the text (HTTP ${status}).`;
}

function clearResult() {
  // a failed request must not leave the previous statement's result on screen, where it
  // would read as the answer to the new text
  state.result = null;
  state.pinned = null;
  $("result").hidden = true;
}

async function classify() {
  if (state.busy) return;   // one request at a time, so answers never arrive out of order
  const text = $("text").value;
  const length = Array.from(text).length;
  showError("");
  if (!text.trim()) {
    showError("Paste or type a statement first.");
    $("text").focus();
    return;
  }
  if (length > maxChars) {
    showError(`This text is too long: it has ${length.toLocaleString()} characters ` +
              `and at most ${maxChars.toLocaleString()} can be read at a time. ` +
              "Split it into parts.");
    return;
  }
  state.busy = true;
  $("busy").hidden = false;
  $("classify").disabled = true;
  try {
    let response;
    try {
      response = await fetch("/classify", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text, explain: true }),
      });
    } catch (error) {
      clearResult();
      showError("The casus service is not reachable. Check that it is running and try again.");
      return;
    }
    const body = await response.json().catch(() => null);
    if (!response.ok || !body) {
      clearResult();
      showError(explainError(response.status, body));
      return;
    }
    if (body.model && body.model.labels) state.labels = body.model.labels;
    state.model = body.model ? body.model.version : null;
    state.documents = [{ id: "pasted", text, result: body.results[0] }];
    $("documents").hidden = true;
    openDocument(0);
  } finally {
    state.busy = false;
    $("busy").hidden = true;
    $("classify").disabled = false;
  }
}

// A sentence is flagged uncertain when any score lies this close to its label's
// threshold: on the real dev sentences, 68 of the model's 339 wrong label decisions
// scored within 0.1 of the threshold (data card, "Error analysis").
const UNCERTAIN_MARGIN = 0.1;

function uncertain(sentence) {
  return state.labels.some((label) => state.thresholds[label] !== undefined &&
    Math.abs(sentence.scores[label] - state.thresholds[label]) < UNCERTAIN_MARGIN);
}

function sentenceSpan(sentence, text, attrs = {}, extra = []) {
  // one sentence, highlighted by its labels (colour and pattern) with a chip per label
  const labelled = sentence.labels.length > 0;
  const span = el("span", { ...attrs, class: "sentence " + (labelled
    ? sentence.labels.map(labelClass).join(" ") : "plain") + (attrs.class || "") },
    text, ...extra);
  if (labelled) {
    span.dataset.labels = sentence.labels.join(" ");
    span.style.setProperty("--stripes", stripes(sentence.labels));
    span.append(el("span", { class: "chips", "aria-hidden": "true" }, ...sentence.labels.map(
      (label) => el("span", { class: `chip ${labelClass(label)}`, text: readable(label) }))));
  }
  return span;
}

function fillWithSentences(container, chars, sentences, spanFor) {
  // the text as written, each sentence replaced by ``spanFor(sentence, index, text)``
  container.replaceChildren();
  let position = 0;
  sentences.forEach((sentence, index) => {
    if (sentence.start > position) container.append(chars.slice(position, sentence.start)
      .join(""));
    container.append(spanFor(sentence, index, chars.slice(sentence.start, sentence.end)
      .join("")));
    position = sentence.end;
  });
  if (position < chars.length) container.append(chars.slice(position).join(""));
}

function render() {
  const { sentences, summary } = state.result;
  fillWithSentences($("output"), state.chars, sentences, (sentence, index, text) => {
    const labelled = sentence.labels.length > 0;
    const unsure = uncertain(sentence);
    const span = sentenceSpan(sentence, text, {
      class: unsure ? " uncertain" : "",
      tabindex: "0", "data-index": String(index), id: `s-${index}`,
      "aria-label": `Sentence ${index + 1}: ` +
        (labelled ? sentence.labels.map(readable).join(", ") : "no label") +
        (unsure ? " (uncertain: a score is close to its threshold)" : ""),
    }, unsure ? [el("span", { class: "unsure-mark", "aria-hidden": "true",
                              title: "uncertain: a score is close to its threshold",
                              text: "?" })] : []);
    // hover and focus preview a sentence; a click or Enter keeps it in the panel (so
    // its correction form can be reached without passing other sentences)
    span.addEventListener("mouseenter", () => preview(index));
    span.addEventListener("focus", () => preview(index));
    span.addEventListener("click", () => pin(index));
    span.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        pin(index);
      }
    });
    return span;
  });
  renderSummary(summary, sentences.length);
  $("result").hidden = false;
  $("detail").replaceChildren(el("p", { class: "muted",
    text: "Hover over a sentence, tap it, or move to it with Tab, to see its scores and " +
          "the words that drove each label." }));
}

function preview(index) {
  if (state.pinned === null) showDetail(index);
}

function pin(index) {
  state.pinned = state.pinned === index ? null : index;
  document.querySelectorAll("#output .sentence.pinned")
    .forEach((node) => node.classList.remove("pinned"));
  if (state.pinned !== null) {
    document.querySelector(`#output .sentence[data-index="${index}"]`).classList.add("pinned");
  }
  showDetail(index);
}

function stripes(labels) {
  // a sentence with several labels shows each label's colour as a band
  const colours = labels.map((l) => `var(--${labelClass(l)})`);
  if (colours.length === 1) return colours[0];
  const step = 100 / colours.length;
  return "linear-gradient(180deg, " + colours.map((c, i) =>
    `${c} ${i * step}% ${(i + 1) * step}%`).join(", ") + ")";
}

function renderSummary(summary, total) {
  const box = $("summary");
  box.replaceChildren();
  const bar = el("div", { class: "bar", role: "img",
    "aria-label": Object.entries(summary).map(([k, v]) => `${readable(k)}: ${v}`).join(", ") });
  const counts = el("ul", { class: "counts" });
  const names = [...state.labels, "none"];
  const sum = names.reduce((acc, name) => acc + (summary[name] || 0), 0) || 1;
  for (const name of names) {
    const count = summary[name] || 0;
    const first = firstWith(name);
    if (count) bar.append(el("a", { class: `segment ${labelClass(name)}`,
                                    href: `#s-${first}`, "data-label": name,
                                    title: `first sentence: ${readable(name)}`,
                                    style: `width:${(100 * count) / sum}%` }));
    counts.append(el("li", { "data-label": name },
      el("span", { class: `chip ${labelClass(name)}`, text: readable(name) }),
      el("span", { class: "count", text: ` ${count}` })));
  }
  const filter = el("select", { id: "filter", "aria-label": "Show sentences with label" },
    el("option", { value: "", text: "all sentences" }),
    ...names.filter((n) => summary[n]).map((n) => el("option", { value: n,
                                                                 text: readable(n) })));
  filter.addEventListener("change", () => applyFilter(filter.value));
  const next = el("button", { type: "button", id: "next", text: "Next ↓" });
  next.addEventListener("click", () => jumpNext(filter.value));
  box.append(el("p", { text: `${total} sentence${total === 1 ? "" : "s"}; ` +
                              "a sentence can carry several labels." }), bar, counts,
             el("div", { class: "nav" }, el("label", { for: "filter", text: "Show: " }),
                filter, next));
  bar.querySelectorAll("a.segment").forEach((link) => link.addEventListener("click",
    (event) => { event.preventDefault(); focusSentence(Number(link.hash.slice(3))); }));
}

function hasLabel(sentence, name) {
  return name === "none" ? sentence.labels.length === 0 : sentence.labels.includes(name);
}

function firstWith(name) {
  return state.result.sentences.findIndex((s) => hasLabel(s, name));
}

function applyFilter(name) {
  // the other sentences are dimmed, not hidden, so the statement still reads in order
  state.result.sentences.forEach((sentence, index) => {
    $(`s-${index}`).classList.toggle("dimmed", Boolean(name) && !hasLabel(sentence, name));
  });
}

function focusSentence(index) {
  const node = $(`s-${index}`);
  node.scrollIntoView({ block: "center" });
  node.focus();
}

function jumpNext(name) {
  // the next sentence after the one in focus with the chosen label (any label if none
  // is chosen), wrapping round to the first
  const sentences = state.result.sentences;
  const current = document.activeElement && document.activeElement.dataset
    ? Number(document.activeElement.dataset.index ?? -1) : -1;
  const wanted = (s) => (name ? hasLabel(s, name) : s.labels.length > 0);
  for (let step = 1; step <= sentences.length; step++) {
    const index = (current + step + sentences.length) % sentences.length;
    if (wanted(sentences[index])) return focusSentence(index);
  }
}

function showDetail(index) {
  const sentence = state.result.sentences[index];
  const detail = $("detail");
  detail.replaceChildren(el("p", { class: "quote", text: `“${sentence.text}”` }));
  const table = el("div", { class: "scores" });
  if (uncertain(sentence)) {
    detail.append(el("p", { class: "unsure-note", text: "Uncertain: a score is within " +
      `${UNCERTAIN_MARGIN} of its threshold, where many of the model's mistakes fall.` }));
  }
  for (const label of state.labels) {
    const score = sentence.scores[label];
    const threshold = state.thresholds[label];
    const assigned = sentence.labels.includes(label);
    const terms = (sentence.explanation && sentence.explanation[label]) || [];
    table.append(el("div", { class: "score-row" + (assigned ? " assigned" : ""),
                             "data-label": label },
      el("span", { class: `chip ${labelClass(label)}`, text: readable(label) }),
      el("span", { class: "track" },
         el("span", { class: `fill ${labelClass(label)}`,
                      style: `width:${Math.round(score * 100)}%` }),
         el("span", { class: "threshold", "data-threshold": String(threshold),
                      title: `assigned from ${threshold.toFixed(2)}`,
                      style: `left:${(threshold * 100).toFixed(1)}%` })),
      el("span", { class: "value", text: `${score.toFixed(2)} ${assigned ? "≥" : "<"} ` +
                                         threshold.toFixed(2) }),
      el("span", { class: "terms", text: assigned
        ? (terms.length ? "driven by: " + terms.map((t) => t[0]).join(", ") : "")
        : "not assigned" })));
  }
  detail.append(table);
  if (writeAccess) {
    detail.append(state.pinned === index ? correctionForm(sentence)
      : el("p", { class: "muted", text: "Click this sentence (or press Enter on it) to " +
                                        "keep it here and correct its labels." }));
  }
}

function correctionForm(sentence) {
  const form = el("form", { class: "correct" });
  const boxes = state.labels.map((label) => {
    const input = el("input", { type: "checkbox", value: label });
    input.checked = sentence.labels.includes(label);
    return el("label", {}, input, ` ${readable(label)}`);
  });
  const message = el("span", { class: "correct-message", role: "status" });
  form.append(el("fieldset", {}, el("legend", { text: "Correct this sentence" }), ...boxes,
                 el("p", { class: "muted", text: "Leave every box empty for no label." }),
                 el("button", { type: "submit", text: "Send correction" }), message));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const labels = [...form.querySelectorAll("input:checked")].map((i) => i.value);
    message.textContent = await sendCorrection(sentence.text, labels);
  });
  return form;
}

function adminToken() {
  let token = sessionStorage.getItem("casus-token");
  if (!token) {
    token = window.prompt("Admin token for corrections (kept only for this browser tab):");
    if (token) sessionStorage.setItem("casus-token", token);
  }
  return token;
}

async function sendCorrection(text, labels) {
  const token = adminToken();
  if (!token) return "Not sent: a token is needed.";
  try {
    const response = await fetch("/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ text, labels }),
    });
    const body = await response.json().catch(() => null);
    if (response.status === 401) {
      sessionStorage.removeItem("casus-token");
      return "Not sent: the token was not accepted. Try again.";
    }
    if (response.ok) return "Thank you: the correction is stored for the next training.";
    const reason = body && body.error && body.error.rejections && body.error.rejections[0];
    return "Not stored: " + (reason ? reason.reason : explainError(response.status, body));
  } catch (error) {
    return "Not sent: the service is not reachable.";
  }
}

// -- files in and out --------------------------------------------------------------------
// The page reads a file in the browser and sends its documents in requests the service
// accepts (at most MAX_TEXTS texts and MAX_BODY bytes each, ids with them); a file too big
// for that is pointed to `casus classify`, which streams any size.
const PAGE_FILE_LIMIT = 5 * 1024 * 1024;

function openDocument(index) {
  const doc = state.documents[index];
  state.current = index;
  state.chars = Array.from(doc.text);
  state.pinned = null;
  state.result = doc.result;
  render();
}

function parseCsv(text) {
  // RFC 4180: quoted cells may hold commas, quotes ("") and line breaks
  const rows = [];
  let row = [], cell = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((x) => x !== ""));
}

function documentsFrom(name, text) {
  // [{id, text}] from a CSV, JSONL or text file, or an Error saying what is wrong
  text = text.replace(/^\ufeff/, "");
  if (/\.csv$/i.test(name)) {
    const [head, ...rows] = parseCsv(text);
    const at = head ? head.indexOf("text") : -1;
    if (at < 0) throw new Error("The CSV file has no 'text' column in its first row.");
    const idAt = head.indexOf("id");
    return rows.map((r, n) => ({ id: idAt >= 0 ? r[idAt] : String(n + 1), text: r[at] || "" }));
  }
  if (/\.(jsonl|ndjson)$/i.test(name)) {
    return text.split(/\r?\n/).map((line, n) => [line, n]).filter(([l]) => l.trim())
      .map(([line, n]) => {
        let row;
        try { row = JSON.parse(line); } catch (e) {
          throw new Error(`Line ${n + 1} of the file is not valid JSON.`);
        }
        if (typeof row.text !== "string")
          throw new Error(`Line ${n + 1} of the file has no 'text'.`);
        return { id: row.id !== undefined ? String(row.id) : String(n + 1), text: row.text };
      });
  }
  return text.split(/\r?\n/).map((line, n) => ({ id: String(n + 1), text: line }))
    .filter((d) => d.text.trim());
}

async function classifyFile(file) {
  showError("");
  clearResult();
  if (file.size > PAGE_FILE_LIMIT) {
    showError(`This file is ${(file.size / 1048576).toFixed(1)} MB; the page reads files ` +
              `up to ${PAGE_FILE_LIMIT / 1048576} MB. For bigger files use the command ` +
              "line: casus classify FILE -o OUT.csv (it streams files of any size).");
    return;
  }
  let docs;
  try {
    docs = documentsFrom(file.name, await file.text());
  } catch (error) {
    showError(error.message);
    return;
  }
  docs = docs.filter((d) => d.text.trim());
  const tooLong = docs.find((d) => Array.from(d.text).length > maxChars);
  if (tooLong) {
    showError(`Document ${tooLong.id} is longer than ${maxChars.toLocaleString()} ` +
              "characters; split it, or use casus classify on the command line.");
    return;
  }
  if (!docs.length) { showError("The file holds no text to classify."); return; }
  $("busy").hidden = false;
  try {
    const results = [];
    let batch = [], size = 0;
    const send = async () => {
      const response = await fetch("/classify", { method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ texts: batch, explain: false }) });
      const body = await response.json().catch(() => null);
      if (!response.ok || !body) throw new Error(explainError(response.status, body));
      state.model = body.model.version;
      results.push(...body.results);
      batch = []; size = 0;
    };
    for (const doc of docs) {
      const bytes = new TextEncoder().encode(JSON.stringify(doc)).length + 8;
      if (batch.length && (batch.length >= Math.min(maxTexts, 100) ||
                           size + bytes > maxBody / 2)) await send();
      batch.push({ id: doc.id, text: doc.text });
      size += bytes;
    }
    if (batch.length) await send();
    state.documents = docs.map((doc, n) => ({ ...doc, result: results[n] }));
    renderDocuments(file.name);
    fillPicks();
  } catch (error) {
    showError(error.message);
  } finally {
    $("busy").hidden = true;
  }
}

function renderDocuments(name) {
  const names = [...state.labels, "none"];
  $("documents-head").replaceChildren(el("th", { text: "id" }), el("th", { text: "sentences" }),
    ...names.map((n) => el("th", { text: readable(n) })));
  const body = document.querySelector("#documents-table tbody");
  body.replaceChildren(...state.documents.map((doc, n) => {
    const link = el("a", { href: "#", text: doc.id, "data-index": String(n) });
    link.addEventListener("click", (event) => { event.preventDefault(); openDocument(n); });
    return el("tr", {}, el("td", {}, link),
              el("td", { text: String(doc.result.sentences.length) }),
              ...names.map((k) => el("td", { text: String(doc.result.summary[k] || 0) })));
  }));
  const sentences = state.documents.reduce((a, d) => a + d.result.sentences.length, 0);
  $("documents-note").textContent = `${name}: ${state.documents.length} documents, ` +
    `${sentences} sentences. Open a document to see it highlighted; the downloads hold ` +
    "every document's sentences.";
  $("documents").hidden = false;
}

function sentenceRows() {
  // one row per sentence of every document on the page (or the pasted statement)
  return (state.documents || []).flatMap((doc) => doc.result.sentences.map((s, n) => ({
    document_id: doc.id, sentence: n, start: s.start, end: s.end, text: s.text,
    labels: s.labels, label: s.label, scores: s.scores, model_version: state.model })));
}

function download(name, type, content) {
  const link = el("a", { href: URL.createObjectURL(new Blob([content], { type })),
                         download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function csvCell(value) {
  const text = String(value ?? "");
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function downloadCsv() {
  const head = ["document_id", "sentence", "start", "end", "text", "labels", "label",
                ...state.labels.map((l) => `score_${l}`), "model_version"];
  const lines = [head.join(",")].concat(sentenceRows().map((r) => [
    r.document_id, r.sentence, r.start, r.end, r.text, r.labels.join(";"), r.label,
    ...state.labels.map((l) => r.scores[l]), r.model_version].map(csvCell).join(",")));
  download("casus-sentences.csv", "text/csv", lines.join("\r\n") + "\r\n");
}

function downloadJson() {
  download("casus-sentences.json", "application/json",
           JSON.stringify(sentenceRows(), null, 1));
}

// -- comparing two statements ------------------------------------------------------------
// A shared link carries both texts in the URL fragment (after #), which browsers never
// send to a server: the texts go only to whoever is given the link. Links are kept to
// SHARE_LIMIT characters so that mail and chat programs pass them whole.
const SHARE_LIMIT = 16_000;

function encodeShare(data) {
  const bytes = new TextEncoder().encode(JSON.stringify(data));
  let binary = "";
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeShare(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
}

function profile(result) {
  const total = result.sentences.length;
  return Object.fromEntries([...state.labels, "none"].map((name) =>
    [name, { count: result.summary[name] || 0, total }]));
}

function pane(title, text, result) {
  const body = el("div", { class: "pane-text" });
  fillWithSentences(body, Array.from(text), result.sentences,
                    (sentence, index, sentenceText) => sentenceSpan(sentence, sentenceText));
  const shares = profile(result);
  const bars = el("ul", { class: "profile" }, ...Object.entries(shares).map(([name, p]) =>
    el("li", {}, el("span", { class: `chip ${labelClass(name)}`, text: readable(name) }),
       el("span", { class: "track" }, el("span", { class: `fill ${labelClass(name)}`,
         style: `width:${p.total ? Math.round((100 * p.count) / p.total) : 0}%` })),
       el("span", { class: "value", text: ` ${p.count} of ${p.total}` }))));
  return el("div", { class: "pane" }, el("h3", { text: title }), bars, body);
}

async function runCompare() {
  const a = $("compare-a").value, b = $("compare-b").value;
  if (!a.trim() || !b.trim()) { showError("Give both statements to compare."); return; }
  showError("");
  const response = await fetch("/classify", { method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ texts: [a, b] }) }).catch(() => null);
  const body = response ? await response.json().catch(() => null) : null;
  if (!response || !response.ok || !body) {
    $("compare-panes").replaceChildren();
    $("compare-diff").replaceChildren();
    showError(response ? explainError(response.status, body) :
      "The casus service is not reachable.");
    return;
  }
  const [ra, rb] = body.results;
  const pa = profile(ra), pb = profile(rb);
  $("compare-diff").replaceChildren(...[...state.labels, "none"].map((name) =>
    el("li", { "data-label": name, text: `${readable(name)}: ${pa[name].count} of ` +
      `${pa[name].total} sentences vs ${pb[name].count} of ${pb[name].total}` })));
  $("compare-panes").replaceChildren(pane("Statement A", a, ra), pane("Statement B", b, rb));
  const link = `${location.origin}${location.pathname}#compare=${encodeShare({ a, b })}`;
  $("compare-link").hidden = false;
  $("compare-link").dataset.link = link;
  $("compare-link-note").textContent = link.length > SHARE_LIMIT
    ? `These statements are too long for a link (${link.length.toLocaleString()} of at ` +
      `most ${SHARE_LIMIT.toLocaleString()} characters); share the texts instead.`
    : "The link holds both texts after the #, which is never sent to a server.";
  $("compare-link").disabled = link.length > SHARE_LIMIT;
}

async function copyCompareLink() {
  const link = $("compare-link").dataset.link;
  history.replaceState(null, "", link);
  try {
    await navigator.clipboard.writeText(link);
    $("compare-link-note").textContent = "Link copied (it is also in the address bar).";
  } catch (error) {
    $("compare-link-note").textContent = "The link is in the address bar: copy it from there.";
  }
}

function fillPicks() {
  for (const side of ["a", "b"]) {
    const pick = $(`pick-${side}`);
    pick.replaceChildren(el("option", { value: "", text: "pick a document…" }),
      ...state.documents.map((d, n) => el("option", { value: String(n), text: d.id })));
    pick.hidden = state.documents.length < 2;
  }
}

function openSharedComparison() {
  const match = location.hash.match(/^#compare=([A-Za-z0-9_-]+)$/);
  if (!match) return;
  try {
    const { a, b } = decodeShare(match[1]);
    $("compare-a").value = a;
    $("compare-b").value = b;
    runCompare();
    $("compare").scrollIntoView();
  } catch (error) {
    showError("This comparison link is damaged: it could not be read.");
  }
}

// -- the review queue ------------------------------------------------------------------
const review = { items: [], at: 0, chosen: [], history: [], reviewed: 0, stored: 0 };

async function adminFetch(path, options = {}) {
  const token = adminToken();
  if (!token) throw new Error("a token is needed");
  const response = await fetch(path, { ...options, headers: {
    "Content-Type": "application/json", Authorization: `Bearer ${token}`,
    ...(options.headers || {}) } });
  if (response.status === 401) sessionStorage.removeItem("casus-token");
  const body = await response.json().catch(() => null);
  if (!response.ok)
    throw new Error(explainError(response.status, body));
  return body;
}

async function openReview() {
  $("review").hidden = false;
  try {
    const body = await adminFetch("/review?n=50");
    review.items = body.sentences;
    review.at = 0;
    showReviewItem();
    await updateCounter();
  } catch (error) {
    $("review-item").replaceChildren(el("p", { class: "error", text: error.message }));
  }
  $("review-item").focus();
}

function showReviewItem() {
  const box = $("review-item");
  const item = review.items[review.at];
  if (!item) {
    box.replaceChildren(el("p", { class: "muted", text: "Nothing left to review. Classify " +
      "more text (with CASUS_LOG_CLASSIFIED=1 on the server) and open the queue again." }));
    return;
  }
  review.chosen = [...item.labels];
  const rows = state.labels.map((label, k) => {
    const on = review.chosen.includes(label);
    return el("li", { class: "review-label" + (on ? " on" : ""), "data-label": label },
      el("kbd", { text: String(k + 1) }), " ",
      el("span", { class: `chip ${labelClass(label)}`, text: readable(label) }),
      el("span", { class: "value", text: ` ${item.scores[label].toFixed(2)} (threshold ` +
                                         `${state.thresholds[label].toFixed(2)})` }),
      el("span", { class: "state", text: on ? " ✓ labelled" : " · not labelled" }));
  });
  box.replaceChildren(el("p", { class: "quote", text: `“${item.text}”` }),
    el("p", { class: "muted", text: `Sentence ${review.at + 1} of ${review.items.length}` }),
    el("ul", { class: "review-labels" }, ...rows));
}

async function decide(labels) {
  const item = review.items[review.at];
  if (!item) return;
  try {
    const body = await adminFetch("/feedback", { method: "POST",
      body: JSON.stringify({ text: item.text, labels }) });
    review.history.push({ at: review.at, id: body.ids[0] || null });
    review.reviewed += 1;
    review.at += 1;
    showReviewItem();
    await updateCounter();
  } catch (error) {
    $("review-counter").textContent = "Not stored: " + error.message;
  }
}

function skip() {
  if (!review.items[review.at]) return;
  review.history.push({ at: review.at, id: null });
  review.at += 1;
  showReviewItem();
}

async function undo() {
  const last = review.history.pop();
  if (!last) return;
  try {
    if (last.id !== null) {
      await adminFetch(`/examples/${last.id}`, { method: "DELETE" });
      review.reviewed -= 1;
    }
    review.at = last.at;
    showReviewItem();
    await updateCounter();
  } catch (error) {
    $("review-counter").textContent = "Could not undo: " + error.message;
  }
}

async function updateCounter() {
  const body = await adminFetch("/examples?limit=1");
  review.stored = body.total;
  $("review-counter").textContent = `Reviewed this session: ${review.reviewed}. ` +
    `${review.stored} stored examples and corrections wait for the next retrain.`;
}

function onReviewKey(event) {
  if ($("review").hidden || event.target === $("text")) return;
  const key = event.key.toLowerCase();
  const item = review.items[review.at];
  if (key === "a" && item) decide(item.labels);
  else if (key === "s") skip();
  else if (key === "u") undo();
  else if (key === "enter" && item) decide(review.chosen);
  else if (/^[1-9]$/.test(key) && item && Number(key) <= state.labels.length) {
    const label = state.labels[Number(key) - 1];
    review.chosen = review.chosen.includes(label) ? review.chosen.filter((l) => l !== label)
      : [...review.chosen, label];
    const row = document.querySelector(`#review-item li[data-label="${label}"]`);
    const on = review.chosen.includes(label);
    row.classList.toggle("on", on);
    row.querySelector(".state").textContent = on ? " ✓ labelled" : " · not labelled";
  } else return;
  event.preventDefault();
}

async function retrain() {
  const status = $("train-status");
  try {
    const job = await adminFetch("/train", { method: "POST", body: "{}" });
    status.textContent = "Training started…";
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const body = await fetch(job.status_url).then((r) => r.json());
      const p = body.progress || {};
      if (["succeeded", "rejected", "failed"].includes(body.state)) {
        status.textContent = `Training ${body.state}: ` + (body.reason || body.error || "");
        return;
      }
      status.textContent = `Training: ${p.stage || body.state}` +
        (p.fold ? `, fold ${p.fold}` : "") +
        (p.remaining_seconds ? `, about ${Math.round(p.remaining_seconds)} s left` : "");
    }
  } catch (error) {
    status.textContent = "Training not started: " + error.message;
  }
}

function setUp() {
  const examples = $("examples");
  EXAMPLES.forEach((example) => {
    examples.append(el("button", { type: "button", class: "example", text: example.title,
      onclick: () => { $("text").value = example.text; classify(); } }));
  });
  $("classify").addEventListener("click", classify);
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      classify();
    }
  });
  const input = document.querySelector("section.input");
  input.addEventListener("dragover", (event) => event.preventDefault());
  input.addEventListener("drop", (event) => {
    if (!event.dataTransfer.files.length) return;
    event.preventDefault();
    classifyFile(event.dataTransfer.files[0]);
  });
  $("file").addEventListener("change", () => {
    if ($("file").files[0]) classifyFile($("file").files[0]);
  });
  $("compare-run").addEventListener("click", runCompare);
  $("compare-link").addEventListener("click", copyCompareLink);
  for (const side of ["a", "b"]) {
    $(`pick-${side}`).addEventListener("change", () => {
      const doc = state.documents[Number($(`pick-${side}`).value)];
      if (doc) $(`compare-${side}`).value = doc.text;
    });
  }
  $("download-csv").addEventListener("click", downloadCsv);
  $("download-json").addEventListener("click", downloadJson);
  if ($("open-review")) {
    $("open-review").addEventListener("click", openReview);
    $("retrain").addEventListener("click", retrain);
    document.addEventListener("keydown", onReviewKey);
  }
  loadLabels().then(openSharedComparison);
}

setUp();
