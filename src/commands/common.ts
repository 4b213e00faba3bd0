import type { TaskOutcome } from '../contracts/task.js';
import type { GlobalOptions } from '../contracts/globals.js';
import { UserError } from '../runtime/errors.js';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function integer(flag: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UserError(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
}

export function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag}: expected a positive number, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** stdout carries results only: the JSON summary with --json, the text table otherwise. */
export function printOutcome(outcome: TaskOutcome, g: GlobalOptions): void {
  if (g.json) process.stdout.write(JSON.stringify(outcome.summary) + '\n');
  else process.stdout.write(outcome.text.endsWith('\n') ? outcome.text : outcome.text + '\n');
}
