/**
 * One look for every chart: system fonts (nothing fetched), a colour-blind-safe palette
 * (Okabe & Ito), light grid, titles anchored left. Applied by the spec builders as `config`.
 */
import type { Config } from 'vega-lite';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** Okabe-Ito, reordered so the first colours are the most distinct on white; yellow left out (unreadable on white). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#555555', '#A6761D'];

export const CHART_WIDTH = 480;
export const CHART_HEIGHT = 240;

export const THEME: Config = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: '#d0d0d0', strokeWidth: 1 },
  axis: {
    labelColor: '#444',
    labelFontSize: 11,
    titleColor: '#222',
    titleFontSize: 12,
    titleFontWeight: 600,
    titlePadding: 8,
    gridColor: '#ececec',
    domainColor: '#888',
    tickColor: '#888',
    labelLimit: 260,
  },
  legend: {
    orient: 'top',
    direction: 'horizontal',
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 600,
    labelColor: '#333',
    titleColor: '#222',
    labelLimit: 220,
  },
  title: {
    fontSize: 14,
    fontWeight: 600,
    anchor: 'start',
    color: '#111',
    subtitleColor: '#666',
    subtitleFontSize: 11,
    offset: 8,
  },
  header: { labelFontSize: 11, titleFontSize: 12, labelColor: '#333', titleColor: '#222' },
  range: { category: PALETTE },
  line: { strokeWidth: 1.6 },
  point: { size: 28, filled: true, opacity: 0.75 },
  bar: { color: PALETTE[0] },
  rule: { color: '#888' },
  // No per-point aria-label: it made a 4,000-point scatter's SVG ~1.5 MB. Axes and titles keep theirs.
  mark: { aria: false },
};
