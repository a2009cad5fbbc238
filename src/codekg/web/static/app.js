// The web view of `codekg serve`. Everything it shows comes from the server's own HTTP API (/repos,
// /files, /outline, /search, /context, /impact); text from the index is always set as text, never as
// markup. Pages are addressed by the URL's hash: #/search/<query>, #/file/<path>, #/symbol/<id>.
"use strict";

// one colour per node label: the graph, its legend and the badges
const LABEL_COLOURS = {
  Module: "#6c757d", File: "#8d99ae", Class: "#d9480f", Interface: "#e8590c", Enum: "#f08c00",
  Type: "#f59f00", Function: "#1971c2", Method: "#2f9e44", Variable: "#9c36b5", External: "#adb5bd",
  Decorator: "#0c8599",
};
// the lists of /context beside callers and callees, shown under "Related" on a symbol page
const RELATED = { container: "defined in", defines: "defines", methods: "methods", bases: "bases", subclasses: "subclasses",
  overrides: "overrides", overridden_by: "overridden by", users: "used by", readers: "read by", writers: "written by",
  decorators: "decorators", imports: "imports", importers: "imported by" };
const OTHER_COLOUR = "#495057";
const LOW_CONFIDENCE = 0.7; // edges below it are dashed
const BATCH = 12; // callers (or callees) of one symbol drawn at a time
const OPEN_TREE_UP_TO = 200; // files: a tree of at most this many opens every folder, a larger one its top level

// ``page``: the number of the page being shown; an answer for an earlier one is dropped
const state = { repo: "", repos: [], token: sessionStorage.getItem("codekg-token") || "", graph: null, page: 0 };
const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function colourOf(label) { return LABEL_COLOURS[label] || OTHER_COLOUR; }
function badge(label) { return el("span", { class: "badge", style: `background:${colourOf(label)}` }, label); }
// a page's address; it names the repository when the server has several, so a bookmark keeps it
function pageHref(kind, argument) {
  const repo = state.repos.length > 1 ? "?repo=" + encodeURIComponent(state.repo) : "";
  return `#/${kind}/${encodeURIComponent(argument)}${repo}`;
}
function symbolHref(id) { return pageHref("symbol", id); }
function fileHref(path) { return pageHref("file", path); }
function where(symbol) { return symbol.file_path ? `${symbol.file_path}:${symbol.start_line}` : "(outside the repository)"; }

function setStatus(text, kind = "error") {
  $("status").textContent = text;
  $("status").className = kind;
}

class ApiError extends Error {
  constructor(message, body = null) { super(message); this.body = body; }
}

class Superseded extends Error {} // the user went to another page meanwhile

// after an await: stop when another page was asked for meanwhile
function still(page) { if (page !== state.page) throw new Superseded(); }

// GET an endpoint of the API; the document on success, an ApiError with the server's message otherwise
async function api(path, parameters = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  if (state.repo) url.searchParams.set("repo", state.repo);
  const headers = state.token ? { Authorization: "Bearer " + state.token } : {};
  const response = await fetch(url, { headers });
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (response.status === 401) {
    $("token-form").hidden = false;
    $("token-input").focus();
    throw new ApiError(state.token ? `${(body && body.message) || "wrong token"}: enter it again above`
                                   : "this server needs a token: enter it above");
  }
  if (!response.ok) {
    throw new ApiError((body && body.message) || `${response.status} ${response.statusText}`, body);
  }
  return body;
}

function show(section) {
  for (const id of ["home", "results", "outline", "symbol"]) $(id).hidden = id !== section;
}

// --- the file tree ------------------------------------------------------------------------------

async function loadTree() {
  const body = $("tree-body");
  try {
    const { files } = await api("/files");
    body.replaceChildren(treeList(folderTree(files), files.length <= OPEN_TREE_UP_TO ? Infinity : 1));
  } catch (error) {
    body.replaceChildren(el("p", {}, error.message));
  }
}

// {folders: {name: subtree}, files: [file]} from the flat list of indexed files
function folderTree(files) {
  const root = { folders: {}, files: [] };
  for (const file of files) {
    const parts = file.file_path.split("/");
    let folder = root;
    for (const part of parts.slice(0, -1)) folder = folder.folders[part] ||= { folders: {}, files: [] };
    folder.files.push({ ...file, name: parts[parts.length - 1] });
  }
  return root;
}

// folders open down to ``openLevels`` levels
function treeList(folder, openLevels) {
  const list = el("ul");
  for (const name of Object.keys(folder.folders).sort()) {
    const details = el("details", {}, el("summary", {}, name + "/"), treeList(folder.folders[name], openLevels - 1));
    details.open = openLevels > 0;
    list.append(el("li", {}, details));
  }
  for (const file of folder.files) {
    list.append(el("li", {}, el("a", { href: fileHref(file.file_path), class: file.is_test ? "test" : "",
      title: `${file.file_path} (${file.language}, ${file.line_count} lines)` }, file.name)));
  }
  return list;
}

// --- pages --------------------------------------------------------------------------------------

async function showSearch(query, page) {
  $("search-input").value = query;
  const found = await api("/search", { q: query, limit: 25 });
  still(page);
  show("results");
  document.title = `${query} · codekg`;
  const list = $("result-list");
  list.replaceChildren();
  for (const hit of found.results) {
    list.append(el("li", { class: "result" }, badge(hit.label), " ",
      el("a", { href: symbolHref(hit.id) }, hit.qualified_name),
      el("span", { class: "match" }, hit.match || ""), el("div", { class: "where" }, where(hit))));
  }
  if (!found.results.length) list.append(el("li", {}, `Nothing matches “${query}”.`));
  setStatus((found.notes || []).join(" "), "info");
}

async function showFile(path, page) {
  const outline = await api("/outline", { file: path });
  still(page);
  show("outline");
  document.title = `${path} · codekg`;
  $("outline-title").textContent = path;
  const list = $("outline-list");
  list.replaceChildren();
  const open = []; // the enclosing symbols of the one being listed, for its indent
  for (const symbol of outline.symbols) {
    while (open.length && open[open.length - 1].end_line < symbol.start_line) open.pop();
    list.append(el("li", { style: `margin-left:${open.length * 18}px` }, badge(symbol.label), " ",
      el("a", { href: symbolHref(symbol.id) }, symbol.name), el("span", { class: "where" }, "  line " + symbol.start_line)));
    open.push(symbol);
  }
  if (!outline.symbols.length) list.append(el("li", {}, "No classes or functions in this file."));
}

async function showSymbol(id, page) {
  const context = await api("/context", { symbol: id });
  still(page);
  show("symbol");
  const symbol = context.symbol;
  document.title = `${symbol.qualified_name} · codekg`;
  $("symbol-label").replaceWith(Object.assign(badge(symbol.label), { id: "symbol-label" }));
  $("symbol-title").textContent = symbol.qualified_name;
  $("symbol-meta").replaceChildren(symbol.file_path
    ? el("a", { href: fileHref(symbol.file_path) }, `${symbol.file_path}:${symbol.start_line}–${symbol.end_line}`)
    : "(outside the repository)");
  $("symbol-signature").textContent = symbol.signature || "";
  $("symbol-doc").textContent = symbol.docstring || "";
  showSource(context.snippet);
  showRelated(context);
  drawGraph(context);
  await showImpact(symbol.id, page);
}

function showRelated(context) {
  const related = $("related");
  related.replaceChildren();
  for (const [key, title] of Object.entries(RELATED)) {
    const value = context[key];
    const symbols = Array.isArray(value) ? value : value && value.id ? [value] : [];
    if (!symbols.length) continue;
    related.append(el("dt", {}, `${title} (${symbols.length})`), el("dd", {}, ...symbols.flatMap((symbol, index) =>
      [index ? ", " : "", el("a", { href: symbolHref(symbol.id), title: where(symbol) }, symbol.qualified_name || symbol.name)])));
  }
  related.hidden = !related.children.length;
}

function showSource(snippet) {
  const source = $("source");
  source.replaceChildren();
  if (!snippet || snippet.error || !snippet.text) {
    source.textContent = (snippet && snippet.error) || "No source for this symbol.";
    return;
  }
  snippet.text.split("\n").forEach((line, offset) => {
    source.append(el("span", { class: "line-number" }, snippet.start_line + offset), line, "\n");
  });
  if (snippet.truncated) source.append(el("em", {}, "… (cut: the rest is in the file)"));
}

async function showImpact(id, page) {
  const body = $("impact").tBodies[0];
  body.replaceChildren(el("tr", {}, el("td", { colspan: 6 }, "Loading…")));
  const impact = await api("/impact", { symbol: id, depth: 3 });
  still(page);
  body.replaceChildren();
  for (const level of impact.levels) {
    for (const hit of level.symbols) {
      body.append(el("tr", { class: "impact-row" }, el("td", {}, hit.depth),
        el("td", {}, badge(hit.label), " ", el("a", { href: symbolHref(hit.id) }, hit.qualified_name)),
        el("td", {}, hit.relation || ""), el("td", {}, formatConfidence(hit.confidence)),
        el("td", {}, hit.reason || ""), el("td", { class: "where" }, where(hit))));
    }
  }
  if (!body.rows.length) body.append(el("tr", {}, el("td", { colspan: 6 }, "Nothing upstream depends on it.")));
}

function formatConfidence(value) { return typeof value === "number" ? value.toFixed(2) : ""; }

// --- the graph ----------------------------------------------------------------------------------

// callers and callees of the symbol as a graph; double-clicking a node adds its own callers and callees
function drawGraph(context) {
  if (state.graph) state.graph.network.destroy();
  const nodes = new vis.DataSet();
  const edges = new vis.DataSet();
  const network = new vis.Network($("graph"), { nodes, edges }, {
    layout: { hierarchical: { direction: "LR", sortMethod: "directed", levelSeparation: 230, nodeSpacing: 42 } },
    physics: false,
    interaction: { hover: true, navigationButtons: true, keyboard: true },
    nodes: { shape: "box", margin: 6, font: { color: "#fff", face: "system-ui" } },
    edges: { arrows: "to", font: { size: 11, align: "top" }, smooth: { type: "cubicBezier" } },
  });
  state.graph = { network, nodes, edges, center: context.symbol.id, expanded: new Set(), more: new Map() };
  addNode(context.symbol, true);
  addNeighbours(context);
  fitGraph();
  network.on("doubleClick", (event) => { if (event.nodes.length) expand(event.nodes[0]); });
  network.on("click", (event) => {
    if (event.nodes.length) selectNode(event.nodes[0]);
    else if (event.edges.length) selectEdge(event.edges[0]);
    else $("selection").replaceChildren(el("p", {}, "Nothing selected."));
  });
  drawLegend();
  selectNode(context.symbol.id);
  window.codekgView = state.graph; // for the browser test and the console
}

function addNode(symbol, center = false) {
  const { nodes } = state.graph;
  if (nodes.get(symbol.id)) return;
  nodes.add({ id: symbol.id, label: shortName(symbol), symbol,
    title: `${symbol.label} ${symbol.qualified_name}\n${where(symbol)}`,
    color: { background: colourOf(symbol.label), border: center ? "#111" : colourOf(symbol.label),
      highlight: { background: colourOf(symbol.label), border: "#111" },
      hover: { background: colourOf(symbol.label), border: "#111" } },
    borderWidth: center ? 3 : 1 });
}

// a node's label: a method with its class (two `__init__`s tell apart), anything else by its name
function shortName(symbol) {
  if (symbol.label === "Method" && symbol.qualified_name) return symbol.qualified_name.split(".").slice(-2).join(".");
  return symbol.name || symbol.qualified_name;
}

function addEdge(caller, callee, hit) {
  const id = `${caller}->${callee}`;
  if (state.graph.edges.get(id)) return;
  const confidence = typeof hit.confidence === "number" ? hit.confidence : 1;
  state.graph.edges.add({ id, from: caller, to: callee, label: formatConfidence(confidence),
    confidence, reason: hit.reason || "", line: hit.line || 0, width: 1 + 2.5 * confidence,
    dashes: confidence < LOW_CONFIDENCE, color: { color: confidence < LOW_CONFIDENCE ? "#c92a2a" : "#5c6672" },
    title: `calls (confidence ${formatConfidence(confidence)}, ${hit.reason || "no reason"})` });
}

// a symbol's callers and callees join the graph BATCH at a time per side: the rest wait behind a
// "+N more" node, which expands like any other node (a method called from 160 places stays readable)
function addNeighbours(context) {
  const id = context.symbol.id;
  addBatch({ center: id, side: "callers", rest: context.callers || [] });
  addBatch({ center: id, side: "callees", rest: context.callees || [] });
  state.graph.expanded.add(id);
  drawLegend();
}

function addBatch(waiting) {
  const { center, side, rest } = waiting;
  for (const hit of rest.slice(0, BATCH)) {
    addNode(hit);
    if (side === "callers") addEdge(hit.id, center, hit); else addEdge(center, hit.id, hit);
  }
  const moreId = `more:${side}:${center}`;
  const moreEdgeId = `${moreId}:edge`;
  const left = rest.slice(BATCH);
  state.graph.nodes.remove(moreId); // the edge DataSet keeps a removed node's edges: remove both
  state.graph.edges.remove(moreEdgeId);
  if (!left.length) return;
  state.graph.more.set(moreId, { center, side, rest: left });
  const label = `+${left.length} more ${side}`;
  state.graph.nodes.add({ id: moreId, label, more: true, shape: "ellipse", title: "double-click: show the next ones",
    color: { background: "#e9ecef", border: "#adb5bd", highlight: { background: "#dee2e6", border: "#111" } },
    font: { color: "#343a40" } });
  const [from, to] = side === "callers" ? [moreId, center] : [center, moreId];
  state.graph.edges.add({ id: moreEdgeId, from, to, dashes: [2, 4], color: { color: "#adb5bd" } });
}

async function expand(id) {
  const waiting = state.graph.more.get(id);
  if (waiting) {
    state.graph.more.delete(id);
    addBatch(waiting);
    drawLegend();
    fitGraph();
    selectNode(waiting.center);
    return;
  }
  if (state.graph.expanded.has(id)) { selectNode(id); return; }
  try {
    addNeighbours(await api("/context", { symbol: id }));
    fitGraph();
    selectNode(id);
  } catch (error) {
    $("selection").append(el("p", { class: "error" }, error.message)); // beside the graph, where the user looks
  }
}

// the whole graph in view, but never magnified past its natural size (a graph of three nodes stays
// small); once the nodes just added are laid out, which happens when the graph is next drawn
function fitGraph() {
  const { network } = state.graph;
  network.once("afterDrawing", () => {
    network.fit({ animation: false });
    if (network.getScale() > 1) network.moveTo({ scale: 1 });
  });
  network.redraw();
}

function drawLegend() {
  const labels = new Set(state.graph.nodes.get().filter((node) => node.symbol).map((node) => node.symbol.label));
  $("legend").replaceChildren(...[...labels].sort().map((label) =>
    el("span", {}, el("i", { style: `background:${colourOf(label)}` }), label)));
}

function selectNode(id) {
  const node = state.graph.nodes.get(id);
  if (!node) return;
  state.graph.network.selectNodes([id]);
  if (node.more) {
    $("selection").replaceChildren(el("strong", {}, node.label),
      el("button", { type: "button", id: "expand-node", onclick: () => expand(id) }, `Show ${BATCH} more`));
    return;
  }
  const symbol = node.symbol;
  const expanded = state.graph.expanded.has(id);
  $("selection").replaceChildren(badge(symbol.label), " ", el("strong", {}, symbol.qualified_name),
    el("div", { class: "where" }, where(symbol)),
    el("button", { type: "button", id: "open-node", onclick: () => { location.hash = symbolHref(id); } }, "Open"),
    el("button", { type: "button", id: "expand-node", onclick: () => expand(id) }, expanded ? "Expanded" : "Expand"));
  $("expand-node").disabled = expanded;
}

function selectEdge(id) {
  const edge = state.graph.edges.get(id);
  if (edge.confidence === undefined) return; // the edge to a "+N more" node
  const caller = state.graph.nodes.get(edge.from).symbol;
  const callee = state.graph.nodes.get(edge.to).symbol;
  $("selection").replaceChildren(el("strong", {}, "call"),
    el("div", {}, `${caller.qualified_name} → ${callee.qualified_name}`),
    el("div", {}, `confidence ${formatConfidence(edge.confidence)} · ${edge.reason}` + (edge.line ? ` · line ${edge.line}` : "")),
    el("button", { type: "button", id: "follow-caller", onclick: () => { location.hash = symbolHref(caller.id); } }, "Go to caller"),
    el("button", { type: "button", id: "follow-callee", onclick: () => { location.hash = symbolHref(callee.id); } }, "Go to callee"));
}

// --- routing and start ----------------------------------------------------------------------------

async function route() {
  const page = ++state.page;
  const [path, query = ""] = window.location.hash.split("?");
  const [, kind, ...rest] = path.split("/");
  try {
    const repo = new URLSearchParams(query).get("repo");
    if (repo && state.repos.includes(repo) && repo !== state.repo) selectRepo(repo);
    const argument = decodeURIComponent(rest.join("/"));
    setStatus("");
    if (kind === "search" && argument) await showSearch(argument, page);
    else if (kind === "file" && argument) await showFile(argument, page);
    else if (kind === "symbol" && argument) await showSymbol(argument, page);
    else { show("home"); document.title = "codekg"; }
    window.scrollTo(0, 0);
  } catch (error) {
    if (error instanceof Superseded) return;
    show("none"); // not the page before, as if it were the one asked for
    document.title = "codekg";
    setStatus(error instanceof URIError ? "this address is not valid: it holds a stray %" : error.message);
    showCandidates(error.body);
  }
}

// an ambiguous name: each symbol it may mean, as a link
function showCandidates(body) {
  const candidates = (body && body.candidates) || [];
  if (!candidates.length || !candidates[0].id) return;
  $("status").textContent = `“${body.message.split(" is ambiguous")[0].replace(/^'|'$/g, "")}” means several symbols; pick one:`;
  $("status").append(el("ul", {}, ...candidates.map((candidate) => el("li", {}, badge(candidate.label), " ",
    el("a", { href: symbolHref(candidate.id) }, candidate.qualified_name), el("span", { class: "where" }, "  " + where(candidate))))));
}

function selectRepo(name) {
  state.repo = name;
  $("repo").value = name;
  loadTree();
}

async function loadRepos() {
  const { repos } = await api("/repos");
  const select = $("repo");
  select.replaceChildren(...repos.map((repo) => el("option", { value: repo.name }, repo.name)));
  select.parentElement.hidden = repos.length < 2;
  state.repos = repos.map((repo) => repo.name);
  state.repo = repos.length > 1 ? repos[0].name : "";
  $("home-title").textContent = repos.map((repo) => repo.name).join(", ");
}

async function start() {
  try {
    await loadRepos();
  } catch (error) {
    setStatus(error.message);
    return;
  }
  await loadTree();
  await route();
}

document.addEventListener("DOMContentLoaded", () => {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("search-input").value.trim();
    if (query) location.hash = pageHref("search", query);
  });
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token-input").value.trim();
    sessionStorage.setItem("codekg-token", state.token);
    $("token-form").hidden = true;
    start();
  });
  $("repo").addEventListener("change", (event) => {
    selectRepo(event.target.value);
    location.hash = "#/?repo=" + encodeURIComponent(state.repo);
  });
  window.addEventListener("hashchange", route);
  start();
});
