/** `--name N` from the command line: a whole number >= 1, or the fallback when absent. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a whole number >= 1, got ${process.argv[i + 1]}`);
  return v;
}
