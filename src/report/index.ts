/** Reports: Vega-Lite spec builders, SVG rendering, HTML pages written into a run directory. */
export * from './specs.js';
export * from './downsample.js';
export * from './render.js';
export * from './page.js';
export * from './write.js';
export { THEME, PALETTE, CHART_WIDTH, CHART_HEIGHT } from './theme.js';
