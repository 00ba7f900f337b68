// The trace page's script: draws the graph, then shows one step of the backward pass at a time.
// Everything it shows comes from the JSON in <script id="trace-data"> (trace.page_data()).
"use strict";

const data = JSON.parse(document.getElementById("trace-data").textContent);
const SVG = "http://www.w3.org/2000/svg";
const COLUMN_WIDTH = 165, ROW_HEIGHT = 50, BOX_WIDTH = 148, BAND_GAP = 40;
const MAX_SHOWN = 8;  // rows and columns of a gradient shown in its table; the rest is summarised

let current = 0;  // the step shown: 0 = before the first step, data.steps.length = after the last

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function element(tag, attributes = {}, text = null, namespace = null) {
  const node = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

// A number as the page prints it: 4 significant digits, its sign kept (NaN, inf as words).
function formatNumber(value) {
  if (typeof value === "string") return value;
  if (value === 0) return "0";
  return String(parseFloat(value.toPrecision(4)));
}

function shapeText(shape) {
  return shape.length === 0 ? "scalar" : "(" + shape.join(", ") + (shape.length === 1 ? ",)" : ")");
}

// ---------------------------------------------------------------------------------------------
// The graph: boxes on a grid of columns, folded into bands (graph.layout in Python)
// ---------------------------------------------------------------------------------------------

function bandTop(band) {
  let top = 26;
  for (let b = 0; b < band; b++) top += data.bandRows[b] * ROW_HEIGHT + BAND_GAP;
  return top;
}

// A node's box: x, y of its top left corner, its width and height (leaves below an op are
// one-line boxes, shorter than the others).
function boxOf(node) {
  const gap = 10 * node.height;
  return {
    x: 20 + node.column * COLUMN_WIDTH,
    y: bandTop(node.band) + node.row * ROW_HEIGHT + gap / 2,
    w: BOX_WIDTH,
    h: node.height * ROW_HEIGHT - gap,
  };
}

function drawGroups(svg) {
  // One dashed frame per Module (and band), behind the boxes of the ops it made.
  const frames = {};
  data.nodes.forEach((node) => {
    if (!node.group || node.kind === "module") return;
    const key = node.group + "|" + node.band;
    const b = boxOf(node);
    const f = frames[key] || { group: node.group, x0: b.x, y0: b.y, x1: b.x + b.w, y1: b.y + b.h };
    f.x0 = Math.min(f.x0, b.x); f.y0 = Math.min(f.y0, b.y);
    f.x1 = Math.max(f.x1, b.x + b.w); f.y1 = Math.max(f.y1, b.y + b.h);
    frames[key] = f;
  });
  for (const f of Object.values(frames)) {
    const g = element("g", { class: "group" }, null, SVG);
    g.appendChild(element("rect", { x: f.x0 - 6, y: f.y0 - 16, width: f.x1 - f.x0 + 12, height: f.y1 - f.y0 + 22 }, null, SVG));
    g.appendChild(element("text", { x: f.x0 - 3, y: f.y0 - 5 }, f.group, SVG));
    svg.appendChild(g);
  }
}

// The path of the arrow from one box to the box of the op that used it.
function edgePath(a, b, sourceBand) {
  const y0 = a.y + a.h / 2, y1 = b.y + b.h / 2;
  if (a.x === b.x) {  // a weight or bias below its op: round the left side, up into the op
    const bend = 14 + 0.25 * (y0 - y1);
    return `M${a.x},${y0} C${a.x - bend},${y0} ${b.x - bend},${y1} ${b.x},${y1}`;
  }
  if (b.x > a.x + COLUMN_WIDTH && Math.abs(y0 - y1) < 1) {  // a skip (residual): arc over the row
    const top = a.y - 24;
    return `M${a.x + a.w / 2},${a.y} C${a.x + a.w / 2},${top} ${b.x + b.w / 2},${top} ${b.x + b.w / 2},${b.y}`;
  }
  if (b.x > a.x) {
    const bend = Math.max(30, (b.x - a.x - a.w) / 2);
    return `M${a.x + a.w},${y0} C${a.x + a.w + bend},${y0} ${b.x - bend},${y1} ${b.x},${y1}`;
  }
  // Into a later band: along the gap below the source's band, then into the op from the left.
  const gap = bandTop(sourceBand + 1) - BAND_GAP / 2;
  return `M${a.x + a.w},${y0} H${a.x + a.w + 8} V${gap} H${b.x - 10} V${y1} H${b.x}`;
}

function drawEdges(svg) {
  data.edges.forEach(([from, to], k) => {
    const d = edgePath(boxOf(data.nodes[from]), boxOf(data.nodes[to]), data.nodes[from].band);
    svg.appendChild(element("path", { class: "edge", d: d, id: `edge-${k}` }, null, SVG));
  });
}

function drawNodes(svg) {
  data.nodes.forEach((node, i) => {
    const b = boxOf(node);
    const g = element("g", { class: `node ${node.kind}`, id: `node-${i}` }, null, SVG);
    g.appendChild(element("rect", { x: b.x, y: b.y, width: b.w, height: b.h }, null, SVG));
    node.lines.forEach((line, k) => {
      const y = b.y + b.h / 2 + (k - (node.lines.length - 1) / 2) * 13;
      const bold = k === 0 && node.lines.length > 1;
      const attributes = { x: b.x + b.w / 2, y: y, class: bold ? "first" : "" };
      if (line.length > 22) attributes["font-size"] = "9px";  // scaled_dot_product_attention
      g.appendChild(element("text", attributes, line, SVG));
    });
    g.appendChild(element("title", {}, (node.name || "") + "  " + node.lines.join("  "), SVG));
    svg.appendChild(g);
  });
}

function drawGraph() {
  const bands = data.bandRows.length;
  const width = 40 + data.columns * COLUMN_WIDTH;
  const height = bandTop(bands) - BAND_GAP + 10;
  // As wide as the panel (never wider than its natural size): a large graph is scaled down.
  const svg = element("svg", {
    viewBox: `0 0 ${width} ${height}`, style: `width: 100%; max-width: ${width}px`,
  }, null, SVG);
  const defs = element("defs", {}, null, SVG);
  const marker = element("marker", {
    id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto",
  }, null, SVG);
  marker.appendChild(element("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8a94a3" }, null, SVG));
  defs.appendChild(marker);
  svg.appendChild(defs);
  drawGroups(svg);
  drawEdges(svg);
  drawNodes(svg);
  document.getElementById("graph").appendChild(svg);
}

// ---------------------------------------------------------------------------------------------
// A gradient: its label, shape and numbers (a table; large ones show their corners)
// ---------------------------------------------------------------------------------------------

function gradientBlock(label, value) {
  const block = element("div", { class: "grad", "data-label": label });
  block.dataset.values = JSON.stringify(value.values);
  block.dataset.shape = JSON.stringify(value.shape);
  block.appendChild(element("span", { class: "label" }, label));
  block.appendChild(element("span", { class: "shape" }, shapeText(value.shape)));
  const shape = value.shape;
  const columns = shape.length === 0 ? 1 : shape[shape.length - 1];
  const rows = Math.max(1, value.values.length / Math.max(columns, 1));
  const table = element("table", { class: "values" });
  for (let r = 0; r < Math.min(rows, MAX_SHOWN); r++) {
    const tr = element("tr");
    for (let c = 0; c < Math.min(columns, MAX_SHOWN); c++) {
      const v = value.values[r * columns + c];
      const cls = typeof v === "number" ? (v < 0 ? "neg" : v > 0 ? "pos" : "") : "";
      tr.appendChild(element("td", { class: cls, "data-row": r, "data-column": c }, formatNumber(v)));
    }
    table.appendChild(tr);
  }
  block.appendChild(table);
  if (rows > MAX_SHOWN || columns > MAX_SHOWN) {
    block.appendChild(element("div", { class: "more" },
      `showing ${Math.min(rows, MAX_SHOWN)} × ${Math.min(columns, MAX_SHOWN)} of ${rows} × ${columns}` +
      (shape.length > 2 ? " (the leading axes flattened into rows)" : "")));
  }
  return block;
}

// ---------------------------------------------------------------------------------------------
// Showing one step
// ---------------------------------------------------------------------------------------------

function describe(step) {
  if (step.kind === "op") {
    const where = step.module ? ` inside ${step.module}` : "";
    return `${step.output} = ${step.op}(${step.inputs.join(", ")})${where}: the gradient arriving at ` +
      `${step.output} goes back through the op's local derivative to each input.`;
  }
  if (step.kind === "un-broadcast") {
    return `${step.output} was broadcast in the forward pass, so its gradient is summed over ` +
      `axis ${step.axes.join(", ")} back to its own shape.`;
  }
  if (step.kind === "accumulate") {
    return `${step.output} is used ${step.grads.length} times: its gradient is the sum of what each use sends back.`;
  }
  return `${step.output} is a leaf: its gradient is added to ${step.output}.grad.`;
}

function showStep() {
  const steps = data.steps;
  document.getElementById("step-number").textContent = current;
  document.getElementById("step-count").textContent = steps.length;
  document.getElementById("prev").disabled = current === 0;
  document.getElementById("first").disabled = current === 0;
  document.getElementById("next").disabled = current === steps.length;
  document.getElementById("last").disabled = current === steps.length;
  highlight();
  showLeaves();
  const title = document.getElementById("step-title");
  const formula = document.getElementById("formula");
  const gradients = document.getElementById("gradients");
  title.textContent = ""; formula.textContent = ""; gradients.textContent = "";
  if (current === 0) {
    title.textContent = "Before the backward pass";
    document.getElementById("step-summary").textContent =
      "Press → (or next) to run the backward pass one step at a time, from the loss back to the leaves.";
    document.getElementById("step-text").textContent = "";
    return;
  }
  const step = steps[current - 1];
  title.textContent = `Step ${step.number}: ${step.op}`;
  title.appendChild(element("span", { class: "kind" }, step.kind));
  document.getElementById("step-summary").textContent = describe(step);
  if (step.kind === "op" && data.formulas[step.op]) {
    formula.innerHTML = data.formulas[step.op].svg;  // drawn by matplotlib from the op's `latex`
    const plain = element("details", {});
    plain.appendChild(element("summary", {}, "the formula as text (the op's docstring)"));
    plain.appendChild(element("div", { class: "plain" }, data.formulas[step.op].text));
    formula.appendChild(plain);
  }
  gradients.appendChild(gradientBlock(step.outputGrad.label, step.outputGrad.value));
  step.grads.forEach((g) => gradients.appendChild(gradientBlock(g.label, g.value)));
  document.getElementById("step-text").textContent = step.text;
}

function highlight() {
  document.querySelectorAll(".node").forEach((n) => n.classList.remove("current", "done"));
  document.querySelectorAll(".edge").forEach((e) => e.classList.remove("current"));
  data.steps.slice(0, current).forEach((step) => {
    if (step.node !== null) document.getElementById(`node-${step.node}`).classList.add("done");
  });
  const step = data.steps[current - 1];
  if (!step || step.node === null) return;
  document.getElementById(`node-${step.node}`).classList.add("current");
  if (step.kind === "op") {  // the arrows the gradient flows back along: into this op
    data.edges.forEach(([, to], k) => {
      if (to === step.node) document.getElementById(`edge-${k}`).classList.add("current");
    });
  }
}

function showLeaves() {
  // Each leaf's .grad after the steps shown so far: the value the last "store .grad" step left.
  const box = document.getElementById("leaves");
  box.textContent = "";
  data.leaves.forEach((name) => {
    let value = data.leafGradBefore[name] || null;
    data.steps.slice(0, current).forEach((step) => {
      if (step.kind === "store .grad" && step.output === name) {
        value = step.grads.find((g) => g.label === ".grad after").value;
      }
    });
    if (value === null) {
      const block = element("div", { class: "grad", "data-label": `${name}.grad` });
      block.appendChild(element("span", { class: "label" }, `${name}.grad`));
      block.appendChild(element("span", { class: "shape" }, "None (no gradient yet)"));
      box.appendChild(block);
    } else {
      box.appendChild(gradientBlock(`${name}.grad`, value));
    }
  });
}

function go(step) {
  current = Math.max(0, Math.min(data.steps.length, step));
  showStep();
}

document.getElementById("next").addEventListener("click", () => go(current + 1));
document.getElementById("prev").addEventListener("click", () => go(current - 1));
document.getElementById("first").addEventListener("click", () => go(0));
document.getElementById("last").addEventListener("click", () => go(data.steps.length));
document.addEventListener("keydown", (event) => {
  if (event.key === "ArrowRight") go(current + 1);
  else if (event.key === "ArrowLeft") go(current - 1);
  else if (event.key === "Home") go(0);
  else if (event.key === "End") go(data.steps.length);
  else return;
  event.preventDefault();
});

drawGraph();
showStep();
