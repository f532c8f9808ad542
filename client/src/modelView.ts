// The model picture: the answer of the server's `shapelens/modelGraph` request drawn as SVG.
// Pure functions (no vscode import): layout and markup only.

export interface GraphRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface GraphNode {
  id: string;
  label: string;
  name: string;
  shape: string;
  dtype: string | null;
  kind: 'input' | 'layer' | 'model';
  output: boolean;
  line: number | null;
  uri?: string;
  range?: GraphRange;
}

export interface ModelGraph {
  model: { name: string | null; kind: string; line: number | null; uri?: string; range?: GraphRange } | null;
  nodes: GraphNode[];
  edges: { source: string; target: string }[];
  message: string | null;
}

const BOX_H = 46;
const GAP_X = 28;
const GAP_Y = 38;
const MARGIN = 20;
const CHAR_W = 7.4;

interface Placed {
  node: GraphNode;
  x: number;
  y: number;
}

export interface Layout {
  width: number;
  height: number;
  boxWidth: number;
  placed: Map<string, Placed>;
}

/** Rows by longest path from the inputs; within a row, ordered under the parents. */
export function layout(graph: ModelGraph): Layout {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const e of edges) {
    parents.set(e.target, [...(parents.get(e.target) ?? []), e.source]);
    children.set(e.source, [...(children.get(e.source) ?? []), e.target]);
  }
  // Kahn's order; whatever is left in a cycle (never expected) keeps its list order
  const indegree = new Map(graph.nodes.map((n) => [n.id, parents.get(n.id)?.length ?? 0]));
  const order: string[] = [];
  const ready = graph.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  while (ready.length) {
    const id = ready.shift() as string;
    order.push(id);
    for (const c of children.get(id) ?? []) {
      indegree.set(c, (indegree.get(c) ?? 1) - 1);
      if (indegree.get(c) === 0) ready.push(c);
    }
  }
  for (const n of graph.nodes) if (!order.includes(n.id)) order.push(n.id);
  const rank = new Map<string, number>();
  for (const id of order) {
    const r = Math.max(-1, ...(parents.get(id) ?? []).map((p) => rank.get(p) ?? -1)) + 1;
    rank.set(id, r);
  }
  const rows: string[][] = [];
  for (const id of order) (rows[rank.get(id) ?? 0] ??= []).push(id);

  const longest = Math.max(10, ...graph.nodes.map((n) => Math.max(title(n).length, n.shape.length)));
  const boxWidth = Math.min(420, Math.ceil(longest * CHAR_W + 28));
  const widest = Math.max(1, ...rows.map((r) => r?.length ?? 0));
  const width = MARGIN * 2 + widest * boxWidth + (widest - 1) * GAP_X;
  const placed = new Map<string, Placed>();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  rows.forEach((row, r) => {
    if (!row) return;
    if (r > 0) {
      // under the mean position of the parents, keeping the list order for ties
      const centre = (id: string): number => {
        const xs = (parents.get(id) ?? []).map((p) => placed.get(p)?.x ?? 0);
        return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.MAX_SAFE_INTEGER;
      };
      row.sort((a, b) => centre(a) - centre(b));
    }
    const rowWidth = row.length * boxWidth + (row.length - 1) * GAP_X;
    const x0 = (width - rowWidth) / 2;
    row.forEach((id, i) => {
      placed.set(id, { node: byId.get(id) as GraphNode, x: x0 + i * (boxWidth + GAP_X), y: MARGIN + r * (BOX_H + GAP_Y) });
    });
  });
  const height = MARGIN * 2 + rows.length * BOX_H + Math.max(0, rows.length - 1) * GAP_Y;
  return { width, height, boxWidth, placed };
}

function title(node: GraphNode): string {
  return node.name && node.name !== node.label ? `${node.label} · ${node.name}` : node.label;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** The graph as an SVG element (one `g.node` per layer, one `path.edge` per edge). */
export function renderSvg(graph: ModelGraph): string {
  const { width, height, boxWidth, placed } = layout(graph);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="model-graph" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="img" aria-label="layer graph">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>',
  );
  for (const e of graph.edges) {
    const a = placed.get(e.source);
    const b = placed.get(e.target);
    if (!a || !b) continue;
    const x1 = a.x + boxWidth / 2;
    const y1 = a.y + BOX_H;
    const x2 = b.x + boxWidth / 2;
    const y2 = b.y - 2;
    const mid = (y1 + y2) / 2;
    parts.push(
      `<path class="edge" data-source="${escapeXml(e.source)}" data-target="${escapeXml(e.target)}" ` +
        `d="M ${x1} ${y1} C ${x1} ${mid}, ${x2} ${mid}, ${x2} ${y2}" marker-end="url(#arrow)"/>`,
    );
  }
  for (const { node, x, y } of placed.values()) {
    const classes = ['node', node.kind, node.output ? 'output' : ''].filter(Boolean).join(' ');
    const tooltip = `${title(node)}: ${node.shape}${node.dtype ? ' ' + node.dtype : ''}${node.line ? ` (line ${node.line})` : ''}`;
    parts.push(
      `<g class="${classes}" data-id="${escapeXml(node.id)}" data-line="${node.line ?? ''}" tabindex="0">` +
        `<title>${escapeXml(tooltip)}</title>` +
        `<rect x="${x}" y="${y}" width="${boxWidth}" height="${BOX_H}" rx="5" ry="5"/>` +
        `<text class="layer-label" x="${x + boxWidth / 2}" y="${y + 19}" text-anchor="middle">${escapeXml(title(node))}</text>` +
        `<text class="layer-shape" x="${x + boxWidth / 2}" y="${y + 36}" text-anchor="middle">${escapeXml(node.shape)}</text>` +
        '</g>',
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The whole webview page. `nonce` guards the one inline script (see the CSP). */
export function renderPage(graph: ModelGraph | undefined, error: string | undefined, nonce: string): string {
  let body: string;
  if (error) {
    body = `<p class="message error">${escapeXml(error)}</p>`;
  } else if (!graph || !graph.model || graph.nodes.length === 0) {
    body = `<p class="message">${escapeXml(graph?.message ?? 'No model at the cursor.')}</p>`;
  } else {
    const m = graph.model;
    const layers = graph.nodes.filter((n) => n.kind !== 'input').length;
    const heading = `${escapeXml(m.name ?? 'model')} <span class="kind">${escapeXml(m.kind)} · ${layers} layer${layers === 1 ? '' : 's'}${m.line ? ` · line ${m.line}` : ''}</span>`;
    body = `<h2>${heading}</h2>\n${renderSvg(graph)}` +
      (graph.message ? `<p class="message">${escapeXml(graph.message)}</p>` : '');
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>shapelens model</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
  h2 { font-size: 1.1em; font-weight: 600; }
  h2 .kind { font-weight: normal; opacity: 0.75; margin-left: 0.5em; }
  .message { opacity: 0.85; }
  .message.error { color: var(--vscode-errorForeground); }
  svg.model-graph { display: block; overflow: visible; }
  .node rect { fill: var(--vscode-editorWidget-background, #252526); stroke: var(--vscode-focusBorder, #007fd4); stroke-width: 1.2; }
  .node.input rect { stroke: var(--vscode-charts-green, #89d185); stroke-dasharray: 4 2; }
  .node.model rect { stroke: var(--vscode-charts-purple, #b180d7); }
  .node.output rect { stroke-width: 2.4; }
  .node { cursor: pointer; }
  .node:hover rect, .node:focus rect { fill: var(--vscode-list-hoverBackground, #2a2d2e); }
  .layer-label { fill: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: 13px; font-weight: 600; }
  .layer-shape { fill: var(--vscode-descriptionForeground, #a0a0a0); font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; }
  .edge { fill: none; stroke: var(--vscode-foreground); stroke-opacity: 0.55; stroke-width: 1.3; }
  .arrowhead { fill: var(--vscode-foreground); fill-opacity: 0.7; }
</style>
</head>
<body>
${body}
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  for (const g of document.querySelectorAll('g.node')) {
    const reveal = () => vscode.postMessage({ type: 'reveal', id: g.getAttribute('data-id') });
    g.addEventListener('click', reveal);
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter') reveal(); });
  }
</script>
</body>
</html>`;
}
