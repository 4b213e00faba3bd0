import { Option } from 'commander';
import type { TaskOutcome } from '../contracts/task.js';
import type { GlobalOptions } from '../contracts/globals.js';
import { UserError } from '../runtime/errors.js';
import { MAX_TIME_LIMIT_S } from '../config/limits.js';
import { describeValue } from '../config/issues.js';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A flag's value as typed, clipped when long; a number beyond exact integers is said to be one. */
function typed(value: string): string {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? describeValue(n) : describeValue(value);
}

export function integer(flag: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min)
      throw new UserError(`${flag}: expected an integer >= ${min}, got ${typed(value)}`);
    return n;
  };
}

export function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag}: expected a positive number, got ${typed(value)}`);
    return n;
  };
}

/** A `--time-limit` in seconds: positive and short enough for Node's timers. */
export function timeLimit(flag: string) {
  return (value: string): number => {
    const n = positiveNumber(flag)(value);
    if (n > MAX_TIME_LIMIT_S)
      throw new UserError(
        `${flag}: expected at most ${MAX_TIME_LIMIT_S} seconds (23 days; a longer wait overflows the timers), got ${typed(value)}`,
      );
    return n;
  };
}

/** stdout carries results only: the JSON summary with --json, the text table otherwise. */
export function printOutcome(outcome: TaskOutcome, g: GlobalOptions): void {
  if (g.json) process.stdout.write(JSON.stringify(outcome.summary) + '\n');
  else process.stdout.write(outcome.text.endsWith('\n') ? outcome.text : outcome.text + '\n');
}

/** A run tag `key=value`: keys are letters, digits, `_`, `.`, `-`; the value is any text (may be empty). */
function parseTag(text: string, flag = '--tag'): [string, string] {
  const at = text.indexOf('=');
  const key = at < 0 ? text : text.slice(0, at);
  if (at < 0 || !/^[A-Za-z0-9_.-]+$/.test(key))
    throw new UserError(
      `${flag}: expected key=value with a key of letters, digits, '_', '.' or '-', got ${JSON.stringify(text)}`,
    );
  return [key, text.slice(at + 1)];
}

/** `--tag key=value` (repeatable) for the commands that make a run directory: stored in run.json under `tags`. */
export function tagOption(): Option {
  return new Option(
    '--tag <key=value>',
    'label the run (repeatable), stored in run.json; `sciml runs` shows and filters by tags',
  ).argParser((value: string, previous: Record<string, string> | undefined) => {
    const [key, v] = parseTag(value);
    return { ...(previous ?? {}), [key]: v };
  });
}
