import { writeFileSync } from 'node:fs';
import { Random } from '../../src/runtime/random.js';

/**
 * A small regression table: a date column (weekday effect), a category, two numbers, an id column
 * and a leak-free target with noise. y = 3 x1 + 2 sin(x2) + category shift + weekend bump + noise.
 */
export function writeFixture(path: string, rows = 600, seed = 1): void {
  const rng = new Random(seed);
  const lines = ['id,day,kind,x1,x2,y'];
  const shift: Record<string, number> = { a: 0, b: 4, c: -3 };
  for (let i = 0; i < rows; i++) {
    const date = new Date(Date.UTC(2020, 0, 1) + i * 86_400_000);
    const kind = ['a', 'b', 'c'][rng.int(0, 3)];
    const x1 = rng.uniform(-2, 2);
    const x2 = rng.uniform(-3, 3);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6 ? 2 : 0;
    const y = 10 + 3 * x1 + 2 * Math.sin(x2) + shift[kind] + weekend + rng.normal(0, 0.5);
    lines.push(`${i + 1},${date.toISOString().slice(0, 10)},${kind},${x1.toFixed(4)},${x2.toFixed(4)},${y.toFixed(4)}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}
