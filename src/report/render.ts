/**
 * Vega-Lite -> Vega -> SVG, in Node without a canvas (renderer 'none'; text widths are estimated,
 * which is fine for axis labels).
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View, type Spec } from 'vega';

/** The Vega spec a Vega-Lite spec compiles to (compile errors are bugs in the builder: plain Errors). */
function compileSpec(spec: TopLevelSpec): Spec {
  return compile(spec).spec as Spec;
}

/** Renders a Vega-Lite spec to a standalone SVG document string (geometry rounded to 0.01 px). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compileSpec(spec)), { renderer: 'none' });
  try {
    return compactSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

const GEOMETRY_ATTRIBUTE = /\s(d|transform|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g;
const LONG_DECIMAL = /-?\d*\.\d{3,}/g;

/**
 * Rounds coordinates in geometry attributes only (Vega writes 93.35015999999999); text, labels and
 * aria descriptions are left exactly as rendered. Roughly a third smaller for point-heavy charts.
 */
function compactSvg(svg: string): string {
  return svg.replace(
    GEOMETRY_ATTRIBUTE,
    (_m, name: string, value: string) => ` ${name}="${value.replace(LONG_DECIMAL, roundCoordinate)}"`,
  );
}

function roundCoordinate(text: string): string {
  const v = Math.round(Number(text) * 100) / 100;
  return String(Object.is(v, -0) ? 0 : v);
}
