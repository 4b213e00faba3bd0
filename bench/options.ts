/** `--name N` from the command line: a whole number >= 1, or the fallback when absent. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`${name}: expected a whole number >= 1, got ${process.argv[i + 1]}`);
  return v;
}

type OptionValues = Record<string, number | boolean>;

/**
 * A bench's command line against its defaults: `--<name> V` sets a number option (positive; whole
 * unless named in `fractional`), `--<name>` / `--no-<name>` turn a boolean option on / off. Option
 * names are the defaults' keys with dashes for capitals (wasmBatch: --wasm-batch).
 */
export function parseOptions<T extends OptionValues>(argv: string[], defaults: T, fractional: (keyof T)[] = []): T {
  const dashed = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const byFlag = new Map<string, [keyof T, boolean | 'number']>();
  for (const [key, value] of Object.entries(defaults)) {
    if (typeof value === 'number') byFlag.set(`--${dashed(key)}`, [key, 'number']);
    else {
      byFlag.set(`--${dashed(key)}`, [key, true]);
      byFlag.set(`--no-${dashed(key)}`, [key, false]);
    }
  }
  const o: OptionValues = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const found = byFlag.get(argv[i]);
    if (!found) throw new Error(`unknown option ${argv[i]} (known: ${[...byFlag.keys()].join(', ')})`);
    const [key, kind] = found;
    if (kind !== 'number') {
      o[key as string] = kind;
      continue;
    }
    const v = Number(argv[++i]);
    const whole = !fractional.includes(key);
    if (!Number.isFinite(v) || v <= 0 || (whole && !Number.isInteger(v)))
      throw new Error(`${argv[i - 1]}: expected a positive ${whole ? 'whole ' : ''}number, got ${argv[i]}`);
    o[key as string] = v;
  }
  return o as T;
}
