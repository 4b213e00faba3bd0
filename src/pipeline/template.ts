/**
 * DVC-style `${}` templating: `${name}` or `${a.b[0]}` looks a value up in the context (vars,
 * foreach `item`/`key`, matrix keys). A string that is exactly one `${...}` takes the value itself
 * (a list stays a list); inside longer strings the value is written as text.
 */
export type Context = Record<string, unknown>;

// `\${HOME}` is left for the shell as `${HOME}` (as in DVC).
const REFERENCE = /(?<!\\)\$\{\s*([^{}\s]+)\s*\}/g;
const ESCAPED = /\\(\$\{[^{}]*\})/g;
const WHOLE = /^\$\{\s*([^{}\s]+)\s*\}$/;

class UnknownVariable extends Error {
  constructor(
    readonly name: string,
    readonly known: string[],
  ) {
    super(`unknown variable \${${name}}; known: ${known.length ? known.join(', ') : 'none (declare it under vars:)'}`);
  }
}

class NotText extends Error {}

function lookup(ctx: Context, name: string): unknown {
  const parts = name.match(/[^.[\]]+/g) ?? [];
  let node: unknown = ctx;
  for (const part of parts) {
    if (node === null || typeof node !== 'object' || !(part in (node as Record<string, unknown>)))
      throw new UnknownVariable(name, Object.keys(ctx).sort());
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Substitutes every reference in a string. */
function interpolateString(text: string, ctx: Context): unknown {
  const whole = WHOLE.exec(text);
  if (whole) return lookup(ctx, whole[1]);
  return text
    .replace(REFERENCE, (_m, name: string) => {
      const v = lookup(ctx, name);
      if (v !== null && typeof v === 'object')
        throw new NotText(
          `\${${name}} is a ${Array.isArray(v) ? 'list' : 'mapping'}: only a whole value can be a list or mapping, not part of a text`,
        );
      return String(v);
    })
    .replace(ESCAPED, '$1');
}

/**
 * Substitutes references in a value tree. `onError(path, err)` turns a failure into a located
 * error (the caller knows the file lines).
 */
export function interpolate(
  value: unknown,
  ctx: Context,
  path: (string | number)[],
  onError: (path: (string | number)[], err: Error) => never,
): unknown {
  if (typeof value === 'string') {
    try {
      return interpolateString(value, ctx);
    } catch (err) {
      return onError(path, err as Error);
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, ctx, [...path, i], onError));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = interpolate(k, ctx, [...path, k], onError);
      out[String(key)] = interpolate(v, ctx, [...path, k], onError);
    }
    return out;
  }
  return value;
}

/**
 * YAML flow collections cannot hold `${x}` unquoted (`outs: [data/${n}.arrow]` is a syntax error),
 * yet DVC files are written that way. References are swapped for plain placeholders before parsing
 * (same line, so positions keep their line numbers) and swapped back in every string afterwards.
 */
export function protectReferences(text: string): { text: string; restore: (value: unknown) => unknown } {
  const refs: string[] = [];
  const protectedText = text.replace(/\\?\$\{[^{}\n]*\}/g, (m) => `__sciml_ref_${refs.push(m) - 1}__`);
  const back = (s: string) => s.replace(/__sciml_ref_(\d+)__/g, (_m, i: string) => refs[Number(i)]);
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') return back(value);
    if (Array.isArray(value)) return value.map(restore);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [back(k), restore(v)]));
    return value;
  };
  return { text: protectedText, restore };
}
