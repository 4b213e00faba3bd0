/**
 * Vega-Lite spec builders with data inlined and the sciml theme: line, scatter, bar (plain, grouped,
 * horizontal), histogram, layered and faceted (small multiples) charts. Each returns a complete
 * top-level spec that renderSvg() draws and that Vega-Lite tools open as-is (charts/<name>.vl.json).
 *
 * Data is an array of flat rows; NaN and infinities become null (Vega-Lite drops them from
 * continuous scales). Long lines are thinned with LTTB and big scatters by stride (downsample.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import { downsampleRows, strideRows } from './downsample.js';
import { CHART_HEIGHT, CHART_WIDTH, PALETTE, THEME } from './theme.js';

export type ChartValue = number | string | boolean | null;
export type ChartRow = Record<string, ChartValue>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Points per series above which line charts are thinned (LTTB). */
const DEFAULT_LINE_POINTS = 1500;
/** Points above which scatter plots are thinned (every k-th row). */
const DEFAULT_SCATTER_POINTS = 3000;

type FieldType = 'quantitative' | 'temporal' | 'ordinal' | 'nominal';
type ScaleType = 'linear' | 'log' | 'symlog';

/** Titles of the x and y axes (each chart has its defaults). */
interface AxisTitles {
  xTitle?: string;
  yTitle?: string;
}

/** Axis titles and scale types (default linear) of line and scatter charts. */
interface ScaledAxes extends AxisTitles {
  xScale?: ScaleType;
  yScale?: ScaleType;
}

interface CommonOptions {
  data: ChartRow[];
  title?: string;
  subtitle?: string;
  width?: number;
  height?: number;
}

/** Builds rows from equal-length columns, e.g. seriesRows({ sample: indices, noisy, recovered }). */
export function seriesRows(columns: Record<string, ArrayLike<ChartValue> | ArrayLike<number>>): ChartRow[] {
  const entries = Object.entries(columns);
  const n = entries[0]?.[1].length ?? 0;
  for (const [name, values] of entries)
    if (values.length !== n) throw new Error(`seriesRows: column '${name}' has ${values.length} values, expected ${n}`);
  return Array.from({ length: n }, (_, i) => {
    const row: ChartRow = {};
    for (const [name, values] of entries) row[name] = values[i] as ChartValue;
    return row;
  });
}

/** 0, 1, ..., n-1 (an x axis for traces and curves). */
export function range(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

/**
 * NaN and infinities become null (dropped by continuous scales); numbers keep 6 significant digits
 * (a chart needs no more, and the inlined data shrinks by half).
 */
function cleanRows(rows: ChartRow[]): ChartRow[] {
  return rows.map((row) => {
    const out: ChartRow = {};
    for (const key in row) {
      const v = row[key];
      out[key] = typeof v === 'number' ? (Number.isFinite(v) ? roundForChart(v) : null) : v;
    }
    return out;
  });
}

function roundForChart(v: number): number {
  return Number.isInteger(v) ? v : Number(v.toPrecision(6));
}

/** Vega-Lite reads '.' and '[' in field names as nested access: escape them. */
function fieldRef(name: string): string {
  return name.replace(/([.[\]\\])/g, '\\$1');
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function inferType(rows: ChartRow[], field: string): FieldType {
  let sawNumber = false;
  let sawDate = false;
  for (const row of rows) {
    const v = row[field];
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') sawNumber = true;
    else if (typeof v === 'string' && ISO_DATE.test(v)) sawDate = true;
    else return 'nominal';
  }
  if (sawNumber && !sawDate) return 'quantitative';
  return sawDate && !sawNumber ? 'temporal' : 'nominal';
}

function titleOf(options: CommonOptions): { title?: { text: string; subtitle?: string } } {
  return options.title
    ? { title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) } }
    : {};
}

function topLevel(
  options: CommonOptions,
  body: Record<string, unknown>,
  size = { width: CHART_WIDTH, height: CHART_HEIGHT },
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    ...titleOf(options),
    width: options.width ?? size.width,
    height: options.height ?? size.height,
    config: THEME,
    ...body,
  } as unknown as TopLevelSpec;
}

function scaleOf(
  type: ScaleType | undefined,
  zero: boolean | undefined,
  domain?: [number, number],
): Record<string, unknown> | undefined {
  const scale: Record<string, unknown> = {};
  if (type && type !== 'linear') scale.type = type;
  if (zero !== undefined && type !== 'log') scale.zero = zero;
  if (domain) scale.domain = domain;
  return Object.keys(scale).length ? scale : undefined;
}

// ---------------------------------------------------------------- line

export interface LineChartOptions extends CommonOptions, ScaledAxes {
  x: string;
  /** One field, or several drawn as coloured series (folded into `series`/`value`). */
  y: string | string[];
  /** A field naming the series in long-format data (instead of several y fields). */
  color?: string;
  /** Legend title; omitted by default (series names speak for themselves). */
  seriesTitle?: string;
  /** Include zero in the y scale (default false: curves use their own range). */
  yZero?: boolean;
  yDomain?: [number, number];
  /** Draw a point at each datum (for short curves such as per-epoch losses). */
  points?: boolean;
  /** Series drawn dashed (by series name). */
  dashed?: string[];
  /** Fixed colours per series name (otherwise the palette in order). */
  colors?: Record<string, string>;
  maxPoints?: number;
}

export function lineChart(o: LineChartOptions): TopLevelSpec {
  const ys = Array.isArray(o.y) ? o.y : [o.y];
  const folded = ys.length > 1;
  const seriesField = folded ? 'series' : o.color;
  const rows = downsampleRows(cleanRows(o.data), {
    x: o.x,
    ys,
    maxPoints: o.maxPoints ?? DEFAULT_LINE_POINTS,
    groupBy: o.color,
  });
  const yField = folded ? 'value' : ys[0];
  // Only quantitative scales take `zero`; vega-lite warns and drops it on a time axis.
  const xType = inferType(rows, o.x);
  const encoding: Record<string, unknown> = {
    x: {
      field: fieldRef(o.x),
      type: xType,
      title: o.xTitle ?? o.x,
      scale: scaleOf(o.xScale, xType === 'quantitative' ? false : undefined),
    },
    y: {
      field: fieldRef(yField),
      type: 'quantitative',
      title: o.yTitle ?? (folded ? null : ys[0]),
      scale: scaleOf(o.yScale, o.yZero ?? false, o.yDomain),
    },
  };
  if (seriesField) {
    const names = folded ? ys : distinct(rows, seriesField);
    encoding.color = {
      field: fieldRef(seriesField),
      type: 'nominal',
      title: o.seriesTitle ?? null,
      sort: names,
      ...(o.colors
        ? { scale: { domain: names, range: names.map((n, i) => o.colors![n] ?? PALETTE[i % PALETTE.length]) } }
        : {}),
    };
    if (o.dashed?.length) {
      encoding.strokeDash = {
        field: fieldRef(seriesField),
        type: 'nominal',
        title: o.seriesTitle ?? null,
        sort: names,
        scale: { domain: names, range: names.map((n) => (o.dashed!.includes(n) ? [5, 3] : [1, 0])) },
      };
    }
  }
  return topLevel(o, {
    data: { values: rows },
    ...(folded ? { transform: [{ fold: ys.map(fieldRef), as: ['series', 'value'] }] } : {}),
    mark: { type: 'line', ...(o.points ? { point: { size: 22 } } : {}) },
    encoding,
  });
}

function distinct(rows: ChartRow[], field: string): string[] {
  return [...new Set(rows.map((r) => String(r[field])))];
}

// ---------------------------------------------------------------- scatter

export interface ScatterChartOptions extends CommonOptions, ScaledAxes {
  x: string;
  y: string;
  color?: string;
  colorType?: 'nominal' | 'quantitative' | 'ordinal';
  size?: string;
  colorTitle?: string;
  /** A dashed y = x reference line (predicted vs true). */
  diagonal?: boolean;
  opacity?: number;
  maxPoints?: number;
}

export function scatterChart(o: ScatterChartOptions): TopLevelSpec {
  const rows = strideRows(cleanRows(o.data), o.maxPoints ?? DEFAULT_SCATTER_POINTS);
  const encoding: Record<string, unknown> = {
    x: { field: fieldRef(o.x), type: 'quantitative', title: o.xTitle ?? o.x, scale: scaleOf(o.xScale, false) },
    y: { field: fieldRef(o.y), type: 'quantitative', title: o.yTitle ?? o.y, scale: scaleOf(o.yScale, false) },
  };
  if (o.color)
    encoding.color = {
      field: fieldRef(o.color),
      type: o.colorType ?? (inferType(rows, o.color) === 'quantitative' ? 'quantitative' : 'nominal'),
      title: o.colorTitle ?? o.color,
    };
  if (o.size) encoding.size = { field: fieldRef(o.size), type: 'quantitative', title: o.size };
  const points = {
    data: { values: rows },
    mark: { type: 'point', filled: true, ...(o.opacity !== undefined ? { opacity: o.opacity } : {}) },
    encoding,
  };
  if (!o.diagonal) return topLevel(o, points);
  const [lo, hi] = extent(rows, [o.x, o.y]);
  const diagonal = {
    data: {
      values: [
        { [o.x]: lo, [o.y]: lo },
        { [o.x]: hi, [o.y]: hi },
      ],
    },
    mark: { type: 'line', color: '#999', strokeDash: [5, 4], strokeWidth: 1 },
    encoding: { x: { field: fieldRef(o.x), type: 'quantitative' }, y: { field: fieldRef(o.y), type: 'quantitative' } },
  };
  return topLevel(o, { layer: [diagonal, points] });
}

function extent(rows: ChartRow[], fields: string[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of rows) {
    for (const f of fields) {
      const v = row[f];
      if (typeof v === 'number') {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

// ---------------------------------------------------------------- bar

export interface BarChartOptions extends CommonOptions, AxisTitles {
  /** The category field. */
  x: string;
  /** The value field. */
  y: string;
  /** A second category: bars side by side within each x (grouped), or stacked with `stack`. */
  color?: string;
  stack?: boolean;
  /** Bars drawn left to right (categories on the y axis): better for long category names. */
  horizontal?: boolean;
  colorTitle?: string;
  /** Category order: as given (default), or by value. */
  sort?: 'none' | 'ascending' | 'descending';
  yDomain?: [number, number];
  /** Print the value at the end of each bar. */
  labels?: boolean;
  valueFormat?: string;
}

export function barChart(o: BarChartOptions): TopLevelSpec {
  const rows = cleanRows(o.data);
  const categories = distinct(rows, o.x);
  const sort =
    o.sort === 'ascending'
      ? o.horizontal
        ? 'x'
        : 'y'
      : o.sort === 'descending'
        ? o.horizontal
          ? '-x'
          : '-y'
        : categories;
  const category = {
    field: fieldRef(o.x),
    type: 'nominal',
    title: o.xTitle ?? o.x,
    sort,
    axis: o.horizontal ? {} : { labelAngle: categories.some((c) => c.length > 6) ? -35 : 0 },
  };
  const value = {
    field: fieldRef(o.y),
    type: 'quantitative',
    title: o.yTitle ?? o.y,
    ...(o.stack ? {} : { stack: null }),
    scale: scaleOf(undefined, undefined, o.yDomain),
  };
  const encoding: Record<string, unknown> = o.horizontal ? { y: category, x: value } : { x: category, y: value };
  if (o.color) {
    const groups = distinct(rows, o.color);
    encoding.color = { field: fieldRef(o.color), type: 'nominal', title: o.colorTitle ?? o.color, sort: groups };
    if (!o.stack)
      encoding[o.horizontal ? 'yOffset' : 'xOffset'] = { field: fieldRef(o.color), type: 'nominal', sort: groups };
  }
  // A value axis zoomed away from zero (scores that differ in the third digit) gets dots: bars would start nowhere.
  const zoomed = o.yDomain !== undefined && (o.yDomain[0] > 0 || o.yDomain[1] < 0);
  const bars = {
    mark: zoomed ? { type: 'point', filled: true, size: 70, opacity: 0.9 } : { type: 'bar', cornerRadiusEnd: 1 },
    encoding,
  };
  const size = o.horizontal
    ? {
        width: CHART_WIDTH - 100,
        height: Math.max(
          160,
          Math.min(640, categories.length * (o.color && !o.stack ? 14 * distinct(rows, o.color).length : 24)),
        ),
      }
    : undefined;
  if (!o.labels) return topLevel(o, { data: { values: rows }, ...bars }, size);
  const text = {
    mark: {
      type: 'text',
      fontSize: 10,
      color: '#333',
      ...(o.horizontal ? { align: 'left', dx: 3 } : { baseline: 'bottom', dy: -2 }),
    },
    encoding: {
      ...encoding,
      color: undefined,
      text: { field: fieldRef(o.y), type: 'quantitative', format: o.valueFormat ?? '.3~g' },
    },
  };
  return topLevel(o, { data: { values: rows }, layer: [bars, text] }, size);
}

// ---------------------------------------------------------------- histogram

export interface HistogramOptions extends CommonOptions, AxisTitles {
  field: string;
  maxBins?: number;
  /** Overlaid histograms per value of this field. */
  color?: string;
}

export function histogramChart(o: HistogramOptions): TopLevelSpec {
  const rows = cleanRows(o.data);
  const encoding: Record<string, unknown> = {
    x: {
      field: fieldRef(o.field),
      type: 'quantitative',
      bin: { maxbins: o.maxBins ?? 40 },
      title: o.xTitle ?? o.field,
    },
    y: { aggregate: 'count', type: 'quantitative', title: o.yTitle ?? 'count', stack: null },
  };
  if (o.color) encoding.color = { field: fieldRef(o.color), type: 'nominal', title: null };
  return topLevel(o, {
    data: { values: rows },
    mark: { type: 'bar', opacity: o.color ? 0.55 : 1, binSpacing: 0 },
    encoding,
  });
}

// ---------------------------------------------------------------- composition

const TOP_LEVEL_ONLY = ['$schema', 'config', 'width', 'height', 'title', 'padding', 'autosize', 'background'];

function inner(spec: TopLevelSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(spec as unknown as Record<string, unknown>) };
  for (const key of TOP_LEVEL_ONLY) delete out[key];
  return out;
}

export interface LayerOptions extends Omit<CommonOptions, 'data'> {
  /**
   * Legend names, one per layer: a layer without its own colour encoding is coloured by its name
   * (palette order) and listed in a shared legend. Without names such layers just get palette colours.
   */
  names?: string[];
  /** Let the layers keep separate y scales (two y axes). */
  independentY?: boolean;
}

/**
 * Draws several charts on shared axes, each keeping its own data. The first layer's axis titles
 * are used for all (Vega-Lite would otherwise join the differing titles with commas).
 */
export function layerCharts(layers: TopLevelSpec[], options: LayerOptions = {}): TopLevelSpec {
  const first = layers[0] as { width?: number; height?: number; encoding?: Record<string, { title?: unknown }> };
  const titles = { x: first?.encoding?.x?.title, y: first?.encoding?.y?.title };
  const body = layers.map((spec, i) => {
    const layer = inner(spec);
    const encoding = { ...(layer.encoding as Record<string, Record<string, unknown>> | undefined) };
    if (layer.encoding) {
      for (const axis of ['x', 'y'] as const) {
        if (encoding[axis] && titles[axis] !== undefined && !options.independentY)
          encoding[axis] = { ...encoding[axis], title: titles[axis] };
      }
      if (!encoding.color) {
        if (options.names?.[i] !== undefined) {
          encoding.color = {
            datum: options.names[i],
            type: 'nominal',
            title: null,
            scale: { domain: options.names, range: options.names.map((_, k) => PALETTE[k % PALETTE.length]) },
          };
        } else if (typeof layer.mark === 'object' && layer.mark) {
          layer.mark = { color: PALETTE[i % PALETTE.length], ...(layer.mark as Record<string, unknown>) };
        } else if (typeof layer.mark === 'string') {
          layer.mark = { type: layer.mark, color: PALETTE[i % PALETTE.length] };
        }
      }
      layer.encoding = encoding;
    }
    return layer;
  });
  return {
    $schema: SCHEMA,
    ...titleOf({ ...options, data: [] }),
    width: options.width ?? first?.width ?? CHART_WIDTH,
    height: options.height ?? first?.height ?? CHART_HEIGHT,
    config: THEME,
    layer: body,
    ...(options.independentY ? { resolve: { scale: { y: 'independent' } } } : {}),
  } as unknown as TopLevelSpec;
}

export interface FacetOptions {
  /** The field whose values get one small chart each. */
  field: string;
  /** Charts per row (default 3). */
  columns?: number;
  title?: string;
  subtitle?: string;
  /** Size of each small chart (default 220 x 140). */
  width?: number;
  height?: number;
  /** Let each chart scale its own y axis. */
  independentY?: boolean;
  facetTitle?: string | null;
}

/** Small multiples: one copy of `spec` per value of `field`. The spec must keep its data at the top (not inside layers). */
export function facetChart(spec: TopLevelSpec, options: FacetOptions): TopLevelSpec {
  const body = inner(spec);
  const data = body.data;
  delete body.data;
  if (!data) throw new Error('facetChart: the spec needs its data at the top level');
  if (Array.isArray(body.layer) && (body.layer as Record<string, unknown>[]).some((l) => l.data)) {
    throw new Error(
      'facetChart: layers with their own data cannot be faceted (the facet field would be missing from them)',
    );
  }
  const values = (data as { values?: ChartRow[] }).values ?? [];
  return {
    $schema: SCHEMA,
    ...titleOf({ title: options.title, subtitle: options.subtitle, data: [] }),
    config: THEME,
    data,
    facet: {
      field: fieldRef(options.field),
      type: 'nominal',
      title: options.facetTitle ?? null,
      sort: distinct(values, options.field),
    },
    columns: options.columns ?? 3,
    spec: { width: options.width ?? 220, height: options.height ?? 140, ...body },
    ...(options.independentY ? { resolve: { scale: { y: 'independent' } } } : {}),
  } as unknown as TopLevelSpec;
}

// ---------------------------------------------------------------- heatmap

export interface HeatmapOptions extends CommonOptions, AxisTitles {
  /** Column category field. */
  x: string;
  /** Row category field. */
  y: string;
  /** Cell value field (colour and label). */
  value: string;
  valueTitle?: string;
  /** Category order (both axes), default: as first seen. */
  order?: string[];
  valueFormat?: string;
}

/** A matrix of coloured cells with their values printed (confusion matrices). */
export function heatmapChart(o: HeatmapOptions): TopLevelSpec {
  const rows = cleanRows(o.data);
  const order = o.order ?? distinct(rows, o.x);
  const side = Math.max(160, Math.min(CHART_WIDTH, order.length * 34));
  const encoding = {
    x: { field: fieldRef(o.x), type: 'nominal', title: o.xTitle ?? o.x, sort: order, axis: { labelAngle: 0 } },
    y: { field: fieldRef(o.y), type: 'nominal', title: o.yTitle ?? o.y, sort: order },
  };
  return topLevel(
    o,
    {
      data: { values: rows },
      encoding,
      layer: [
        {
          mark: { type: 'rect' },
          encoding: {
            color: {
              field: fieldRef(o.value),
              type: 'quantitative',
              title: o.valueTitle ?? o.value,
              scale: { scheme: 'blues' },
            },
          },
        },
        ...(order.length <= 26
          ? [
              {
                mark: { type: 'text', fontSize: order.length > 12 ? 7 : 10 },
                encoding: {
                  text: { field: fieldRef(o.value), type: 'quantitative', format: o.valueFormat ?? '.3~g' },
                  color: {
                    condition: {
                      test: `datum[${JSON.stringify(o.value)}] > 0.5 * ${Math.max(...rows.map((r) => Number(r[o.value]) || 0))}`,
                      value: 'white',
                    },
                    value: 'black',
                  },
                },
              },
            ]
          : []),
      ],
    },
    { width: side, height: side },
  );
}

// ---------------------------------------------------------------- timeline

export interface TimelineChartOptions extends CommonOptions {
  /** Fields of each bar's start and end (quantitative, e.g. seconds). */
  start: string;
  end: string;
  /** The lane (row) of each bar, e.g. a worker's name. */
  lane: string;
  color?: string;
  xTitle?: string;
  laneTitle?: string;
  colorTitle?: string;
}

/** Bars from start to end in one lane per value of `lane` (who ran what, when). */
export function timelineChart(o: TimelineChartOptions): TopLevelSpec {
  const rows = cleanRows(o.data);
  const lanes = distinct(rows, o.lane);
  const encoding: Record<string, unknown> = {
    x: { field: fieldRef(o.start), type: 'quantitative', title: o.xTitle ?? o.start },
    x2: { field: fieldRef(o.end) },
    y: { field: fieldRef(o.lane), type: 'nominal', title: o.laneTitle ?? o.lane, sort: lanes },
  };
  if (o.color)
    encoding.color = {
      field: fieldRef(o.color),
      type: 'nominal',
      title: o.colorTitle ?? o.color,
      sort: distinct(rows, o.color),
    };
  return topLevel(
    o,
    { data: { values: rows }, mark: { type: 'bar', cornerRadius: 1 }, encoding },
    { width: CHART_WIDTH, height: Math.max(80, Math.min(480, lanes.length * 28)) },
  );
}
