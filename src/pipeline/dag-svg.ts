/**
 * The stage graph drawn as a standalone SVG, offline: one column per depth (a stage sits right of
 * everything it depends on), boxes coloured by state with the stage's name and state inside, edges
 * as curves with arrowheads, rows ordered by their upstream stages' rows to keep crossings few.
 */
import { escapeHtml } from '../report/page.js';
import { depths, edges, type Dag } from './graph.js';

const BOX_H = 38;
const ROW_GAP = 14;
const COL_GAP = 56;
const PAD = 12;
const LEGEND_H = 26;
const CHAR_W = 7.8;

interface DagLayout {
  nodes: { stage: string; state: string; x: number; y: number; w: number }[];
  edges: { from: string; to: string; d: string }[];
  width: number;
  height: number;
}

function layoutDag(dag: Dag, states: Map<string, string>): DagLayout {
  const depth = depths(dag);
  const columns: string[][] = [];
  for (const s of dag.order) (columns[depth.get(s.name)!] ??= []).push(s.name);
  // One barycentre sweep left to right: a stage goes near the mean row of what it depends on.
  const rowOf = new Map<string, number>();
  columns.forEach((col, c) => {
    if (c > 0) {
      const key = (name: string) => {
        const ups = dag.upstream
          .get(name)!
          .map((u) => rowOf.get(u)!)
          .filter((r) => r !== undefined);
        return ups.length ? ups.reduce((a, b) => a + b, 0) / ups.length : Infinity;
      };
      const order = new Map(col.map((name, i) => [name, i]));
      col.sort((a, b) => key(a) - key(b) || order.get(a)! - order.get(b)!);
    }
    col.forEach((name, i) => rowOf.set(name, i));
  });
  const widths = columns.map((col) =>
    Math.max(
      90,
      ...col
        .flatMap((name) => [name.length, (states.get(name) ?? 'not-run').length])
        .map((n) => Math.ceil(n * CHAR_W) + 20),
    ),
  );
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = PAD * 2 + LEGEND_H + tallest * BOX_H + (tallest - 1) * ROW_GAP;
  const nodes: DagLayout['nodes'] = [];
  const where = new Map<string, { x: number; y: number; w: number }>();
  let x = PAD;
  columns.forEach((col, c) => {
    // Shorter columns are centred vertically.
    const offset = ((tallest - col.length) * (BOX_H + ROW_GAP)) / 2;
    col.forEach((name, i) => {
      const box = { x, y: PAD + LEGEND_H + offset + i * (BOX_H + ROW_GAP), w: widths[c] };
      where.set(name, box);
      nodes.push({ stage: name, state: states.get(name) ?? 'not-run', ...box });
    });
    x += widths[c] + COL_GAP;
  });
  const lines = edges(dag).map(([from, to]) => {
    const a = where.get(from)!;
    const b = where.get(to)!;
    const x1 = a.x + a.w;
    const y1 = a.y + BOX_H / 2;
    const x2 = b.x - 6;
    const y2 = b.y + BOX_H / 2;
    const mid = (x1 + x2) / 2;
    return { from, to, d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` };
  });
  return { nodes, edges: lines, width: x - COL_GAP + PAD, height };
}

/** The SVG document; `colors` maps a state to its fill. */
export function dagSvg(dag: Dag, states: Map<string, string>, colors: Record<string, string>): string {
  const layout = layoutDag(dag, states);
  const seen = [...new Set(layout.nodes.map((n) => n.state))];
  const legend = seen.map(
    (s, i) =>
      `<g transform="translate(${PAD + i * 110},${PAD})"><rect width="12" height="12" rx="2" fill="${colors[s] ?? '#ccc'}"/><text x="17" y="10.5">${escapeHtml(s)}</text></g>`,
  );
  const nodes = layout.nodes.map(
    (n) =>
      `<g class="node"><title>${escapeHtml(`${n.stage}: ${n.state}`)}</title><rect x="${n.x}" y="${n.y}" ` +
      `width="${n.w}" height="${BOX_H}" rx="5" fill="${colors[n.state] ?? '#ccc'}" fill-opacity="0.22" ` +
      `stroke="${colors[n.state] ?? '#999'}" stroke-width="1.5"/>` +
      `<text x="${n.x + 10}" y="${n.y + 16}" font-weight="600">${escapeHtml(n.stage)}</text><text x="${n.x + 10}" y="${n.y + 31}" fill="#555">${escapeHtml(n.state)}</text></g>`,
  );
  const links = layout.edges.map(
    (e) =>
      `<path class="edge" d="${e.d}" fill="none" stroke="#8a8a8a" stroke-width="1.3" marker-end="url(#arrow)"><title>${escapeHtml(`${e.from} → ${e.to}`)}</title></path>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="system-ui, sans-serif" font-size="12" fill="#1d1d1f">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="1" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8a8a8a"/></marker></defs>',
    ...legend,
    ...links,
    ...nodes,
    '</svg>',
  ].join('\n');
}
