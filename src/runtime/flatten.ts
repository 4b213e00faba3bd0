/** Nested mappings to dotted leaves (`model.kernel_size`); lists and empty mappings stay leaves. */
export function flatten(
  value: Record<string, unknown>,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0)
      flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}
