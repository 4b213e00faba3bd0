import type { z } from 'zod';

type AnySchema = z.ZodType & { def: any; description?: string };

const WRAPPERS = new Set<string | undefined>([
  'default',
  'prefault',
  'optional',
  'nullable',
  'readonly',
  'catch',
  'nonoptional',
]);

function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const t: string | undefined = s.def?.type;
    if (WRAPPERS.has(t)) s = s.def.innerType;
    else if (t === 'pipe') s = s.def.in;
    else if (t === 'lazy') s = s.def.getter();
    else break;
  }
  return s;
}

function descriptionOf(schema: AnySchema): string | undefined {
  let s: AnySchema | undefined = schema;
  for (let i = 0; s && i < 20; i++) {
    if (s.description) return s.description;
    const t: string | undefined = s.def?.type;
    s = WRAPPERS.has(t) ? s.def.innerType : t === 'pipe' ? s.def.in : undefined;
  }
  return undefined;
}

function defaultOf(schema: AnySchema): { has: boolean; value?: unknown } {
  let s: AnySchema | undefined = schema;
  for (let i = 0; s && i < 20; i++) {
    const t: string | undefined = s.def?.type;
    if (t === 'default' || t === 'prefault') {
      const v = s.def.defaultValue;
      return { has: true, value: typeof v === 'function' ? v() : v };
    }
    if (t === 'optional') return { has: true, value: undefined };
    s = WRAPPERS.has(t) ? s.def.innerType : t === 'pipe' ? s.def.in : undefined;
  }
  return { has: false };
}

function typeName(schema: AnySchema): string {
  const s = unwrap(schema);
  const t = s.def?.type;
  switch (t) {
    case 'enum':
      return Object.values(s.def.entries as Record<string, string>)
        .map((v) => `'${v}'`)
        .join(' | ');
    case 'literal':
      return (s.def.values as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
    case 'array':
      return `list of ${typeName(s.def.element)}`;
    case 'number': {
      const checks: any[] = s.def.checks ?? [];
      const isInt = checks.some((c) => c._zod?.def?.format === 'safeint' || c._zod?.def?.check === 'number_format');
      return isInt ? 'integer' : 'number';
    }
    case 'union':
      return (s.def.options as AnySchema[]).map(typeName).join(' | ');
    case 'object':
      return 'mapping';
    default:
      return t ?? 'value';
  }
}

/** The schema of the field at `path` (defaults and wrappers kept), or undefined when there is no such field. */
export function schemaAt(schema: z.ZodType, path: readonly (string | number)[]): z.ZodType | undefined {
  let field: AnySchema | undefined = schema as AnySchema;
  for (const p of path) {
    const s: AnySchema = unwrap(field);
    if (s.def?.type === 'object' && typeof p === 'string') field = s.def.shape[p];
    else if (s.def?.type === 'record' && typeof p === 'string') field = s.def.valueType;
    else if (s.def?.type === 'array') field = s.def.element;
    else return undefined;
    if (!field) return undefined;
  }
  return field;
}

/** Field names allowed in the object at `path` of a schema (for did-you-mean hints). */
export function keysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  const field = schemaAt(schema, path);
  const s = field ? unwrap(field as AnySchema) : undefined;
  return s?.def?.type === 'object' ? Object.keys(s.def.shape) : [];
}

export interface FieldDoc {
  path: string;
  type: string;
  default: string;
  description: string;
}

/** Every leaf field of a schema with its type, default and description, in declaration order. */
export function describeFields(schema: z.ZodType, prefix = ''): FieldDoc[] {
  const rows: FieldDoc[] = [];
  const s = unwrap(schema as AnySchema);
  if (s.def?.type !== 'object') return rows;
  for (const [key, child] of Object.entries(s.def.shape as Record<string, AnySchema>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const inner = unwrap(child);
    if (inner.def?.type === 'object') {
      rows.push(...describeFields(child, path));
      continue;
    }
    const d = defaultOf(child);
    rows.push({
      path,
      type: typeName(child),
      default: d.has ? (d.value === undefined ? '(none)' : JSON.stringify(d.value)) : '(required)',
      description: descriptionOf(child) ?? '',
    });
  }
  return rows;
}

export function fieldsAsText(schema: z.ZodType): string {
  const rows = describeFields(schema);
  const w = Math.max(...rows.map((r) => r.path.length), 5);
  return rows
    .map((r) => `  ${r.path.padEnd(w)}  ${r.type} = ${r.default}\n  ${' '.repeat(w)}  ${r.description}`)
    .join('\n');
}

export function fieldsAsMarkdown(schema: z.ZodType): string {
  const rows = describeFields(schema);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| field | type | default | meaning |',
    '|---|---|---|---|',
    ...rows.map((r) => `| \`${r.path}\` | ${esc(r.type)} | \`${esc(r.default)}\` | ${esc(r.description)} |`),
  ].join('\n');
}
