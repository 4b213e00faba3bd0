import { z } from 'zod';
import { MAX_TIME_LIMIT_S } from './limits.js';

/**
 * Field builders with messages phrased as "expected ..."; the loader appends ", got <value>".
 * Every field carries a description and a default so `sciml train --help` and configs/README.md
 * can document it.
 */
type NumberChecks = (n: z.ZodNumber, error: { error: string }) => z.ZodNumber;

/** A number whose every check, and its type check, says `expected`. */
const checkedNumber = (expected: string, checks: NumberChecks) =>
  checks(z.number({ error: expected }), { error: expected });

const numberField = (expected: string, checks: NumberChecks) => (def: number, description: string) =>
  checkedNumber(expected, checks).default(def).describe(description);

const POSITIVE_INT = 'expected a positive integer';
const positiveInteger: NumberChecks = (n, e) => n.int(e).positive(e);

export const positiveInt = numberField(POSITIVE_INT, positiveInteger);

export const nonNegativeInt = numberField('expected a non-negative integer', (n, e) => n.int(e).min(0, e));

export const positiveNumber = numberField('expected a positive number', (n, e) => n.positive(e));

export const nonNegativeNumber = numberField('expected a non-negative number', (n, e) => n.min(0, e));

/** A number in [0, 1): a dropout rate, a momentum. */
export const fractionOrZero = numberField('expected a number in [0, 1)', (n, e) => n.min(0, e).lt(1, e));

/** A number in (0, 1]: a decay factor (1: none). */
export const fractionOrOne = numberField('expected a number in (0, 1]', (n, e) => n.gt(0, e).max(1, e));

/** A list of positive integers (layer widths, filter counts); the caller adds its default and description. */
export const positiveIntList = () =>
  z.array(checkedNumber(POSITIVE_INT, positiveInteger), { error: 'expected a list of positive integers' });

const TIME_LIMIT_MAX_MESSAGE = `expected at most ${MAX_TIME_LIMIT_S} seconds (23 days; a longer wait overflows the timers)`;

/** A time limit in seconds, positive (or 0 = none when `zeroMeansNone`), at most MAX_TIME_LIMIT_S. */
export const timeLimitSeconds = (def: number, description: string, options: { zeroMeansNone?: boolean } = {}) => {
  const expected = options.zeroMeansNone ? 'expected a non-negative number' : 'expected a positive number';
  const base = z.number({ error: expected });
  const bounded = options.zeroMeansNone ? base.min(0, { error: expected }) : base.positive({ error: expected });
  return bounded.max(MAX_TIME_LIMIT_S, { error: TIME_LIMIT_MAX_MESSAGE }).default(def).describe(description);
};

/** A number strictly between 0 and 1. */
export const fraction = (def: number, description: string) =>
  z
    .number({ error: 'expected a number between 0 and 1' })
    .gt(0, { error: 'expected a number between 0 and 1 (exclusive)' })
    .lt(1, { error: 'expected a number between 0 and 1 (exclusive)' })
    .default(def)
    .describe(description);

export const bool = (def: boolean, description: string) =>
  z.boolean({ error: 'expected true or false' }).default(def).describe(description);

export const choice = <const T extends readonly [string, ...string[]]>(
  values: T,
  def: T[number],
  description: string,
) =>
  z
    .enum(values, { error: `expected one of ${values.map((v) => `'${v}'`).join(', ')}` })
    .default(def as never)
    .describe(description);

export const text = (def: string, description: string) =>
  z.string({ error: 'expected a string' }).default(def).describe(description);

export const optionalText = (description: string) =>
  z.string({ error: 'expected a string' }).optional().describe(description);

export const seed = () => nonNegativeInt(42, 'random seed for data generation, splits, initialization and shuffling');

/** The fields every task config opens with: its `task:` (the family it selects) and its `seed:`. */
export const taskFields = <const N extends string>(name: N, description: string) => ({
  task: z.literal(name, { error: `expected '${name}'` }).describe(description),
  seed: seed(),
});

/** A nested section whose own fields all have defaults: `section({...})` may be omitted from the YAML. */
export const section = <S extends z.core.$ZodLooseShape>(shape: S, description: string) =>
  z
    .strictObject(shape)
    .prefault({} as never)
    .describe(description);
