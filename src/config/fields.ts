import { z } from 'zod';
import { MAX_TIME_LIMIT_S } from './limits.js';

/**
 * Field builders with messages phrased as "expected ..."; the loader appends ", got <value>".
 * Every field carries a description and a default so `sciml train --help` and configs/README.md
 * can document it.
 */
export const positiveInt = (def: number, description: string) =>
  z
    .number({ error: 'expected a positive integer' })
    .int({ error: 'expected a positive integer' })
    .positive({ error: 'expected a positive integer' })
    .default(def)
    .describe(description);

export const nonNegativeInt = (def: number, description: string) =>
  z
    .number({ error: 'expected a non-negative integer' })
    .int({ error: 'expected a non-negative integer' })
    .min(0, { error: 'expected a non-negative integer' })
    .default(def)
    .describe(description);

export const positiveNumber = (def: number, description: string) =>
  z
    .number({ error: 'expected a positive number' })
    .positive({ error: 'expected a positive number' })
    .default(def)
    .describe(description);

export const nonNegativeNumber = (def: number, description: string) =>
  z
    .number({ error: 'expected a non-negative number' })
    .min(0, { error: 'expected a non-negative number' })
    .default(def)
    .describe(description);

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

/** A nested section whose own fields all have defaults: `section({...})` may be omitted from the YAML. */
export const section = <S extends z.core.$ZodLooseShape>(shape: S, description: string) =>
  z
    .strictObject(shape)
    .prefault({} as never)
    .describe(description);
