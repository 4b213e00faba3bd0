import type { z } from 'zod';
import { hint } from './didyoumean.js';
import { keysAt } from './describe.js';

/**
 * Config problems in words a person would write: "expected <what>, got <what was found>". Field
 * builders (fields.ts) and schemas phrase their own expectations ("expected a positive integer");
 * zod's built-in wording ("Invalid input: expected object, received number") is replaced here
 * from the issue's structured fields.
 */

type PathPart = string | number;
type Issue = z.core.$ZodIssue;

const LONG_TEXT = 40;
const MAX_LISTED_FIELDS = 6;

/** A short description of a value found in a config; long texts are clipped, huge numbers not echoed digit by digit. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') {
    if (v === '') return 'an empty text';
    if (v.length <= LONG_TEXT) return JSON.stringify(v);
    return `${JSON.stringify(v.slice(0, LONG_TEXT - 10))}... (a text of ${v.length} characters)`;
  }
  if (typeof v === 'number') return describeNumber(v);
  if (Array.isArray(v))
    return v.length === 0 ? 'an empty list' : `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function describeNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const short = shortNumber(v);
  if (Number.isInteger(v) && !Number.isSafeInteger(v)) return `${short} (a number too large for an integer)`;
  return short;
}

/** At most 6 significant digits: 1e+20 rather than 100000000000000000000. */
function shortNumber(v: number): string {
  const plain = String(v);
  if (plain.length <= 12) return plain;
  const size = Math.abs(v);
  if (size >= 1e12 || size < 1e-4) return v.toExponential(5).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(6)));
}

const TYPE_WORDS: Record<string, string> = {
  array: 'a list',
  number: 'a number',
  int: 'an integer',
  string: 'a text',
  boolean: 'true or false',
  record: 'a mapping',
  map: 'a mapping',
  null: 'an empty value',
  nan: 'a number',
  bigint: 'an integer',
  date: 'a date',
};

const SIZE_UNITS: Record<string, string> = {
  string: 'characters',
  array: 'items',
  set: 'items',
  map: 'entries',
  file: 'bytes',
};

function quoted(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

function bound(
  issue: { origin?: string; inclusive?: boolean; exact?: boolean },
  value: unknown,
  side: 'min' | 'max',
): string {
  const unit = issue.origin ? SIZE_UNITS[issue.origin] : undefined;
  const amount = issue.exact
    ? 'exactly'
    : side === 'min'
      ? issue.inclusive
        ? 'at least'
        : 'more than'
      : issue.inclusive
        ? 'at most'
        : 'fewer than';
  if (unit)
    return `${issue.origin === 'string' ? 'a text' : issue.origin === 'array' || issue.origin === 'set' ? 'a list' : 'a value'} with ${amount} ${String(value)} ${unit}`;
  const numeric = issue.exact
    ? 'exactly'
    : side === 'min'
      ? issue.inclusive
        ? 'at least'
        : 'above'
      : issue.inclusive
        ? 'at most'
        : 'below';
  return `${issue.origin === 'int' ? 'an integer' : 'a number'} ${numeric} ${shortNumber(Number(value))}`;
}

/** What the schema wanted at the issue's field, as "expected ...", from zod's structured issue. */
function expectation(issue: Issue, schema: z.ZodType | undefined, path: readonly PathPart[]): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.expected === 'object') {
        const known = schema ? keysAt(schema, path) : [];
        const listed =
          known.length > MAX_LISTED_FIELDS ? `${known.slice(0, MAX_LISTED_FIELDS).join(', ')}, ...` : known.join(', ');
        const below = typeof path[path.length - 1] === 'string' ? ` indented below '${path[path.length - 1]}:'` : '';
        return `expected a section of fields${below}${listed ? ` (${listed})` : ''}`;
      }
      return `expected ${TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${quoted(issue.values[0])}`
        : `expected one of ${issue.values.map(quoted).join(', ')}`;
    case 'too_small':
      return `expected ${bound(issue, issue.minimum, 'min')}`;
    case 'too_big':
      return `expected ${bound(issue, issue.maximum, 'max')}`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue
        ? `expected a text matching ${String(issue.pattern)}`
        : `expected a ${issue.format}`;
    case 'invalid_union': {
      const options = issue.errors
        .map((branch) => (branch[0] ? expectation(branch[0], schema, path).replace(/^expected /, '') : ''))
        .filter(Boolean);
      return options.length ? `expected ${[...new Set(options)].join(' or ')}` : 'expected one of the accepted forms';
    }
    case 'invalid_key':
      return `expected valid keys in this ${issue.origin}`;
    case 'invalid_element':
      return `expected valid values in this ${issue.origin}`;
    default:
      return `expected ${issue.message}`;
  }
}

/** ['model', 'filters', 1] -> `model.filters[1]` */
export function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out || '(top level)';
}

/**
 * What an issue asks for: the schema's own words ("expected a positive integer"), a custom rule's
 * text, or zod's structured issue in words. `schema` and `path` (from the schema's root) let a
 * section's problem list its fields.
 */
export function issueExpectation(issue: Issue, schema?: z.ZodType, path: readonly PathPart[] = []): string {
  if (/^expected /.test(issue.message) || issue.code === 'custom') return issue.message;
  return expectation(issue, schema, path);
}

/** `field: expected ...` for each issue, joined with '; ' (for problems reported inside another message). */
export function issuesInBrief(issues: readonly Issue[]): string {
  return issues
    .map((i) => `${formatPath(i.path.filter((p): p is PathPart => typeof p !== 'symbol'))}: ${issueExpectation(i)}`)
    .join('; ');
}

function valueAt(root: unknown, path: readonly PathPart[]): unknown {
  let node: any = root;
  for (const p of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[p];
  }
  return node;
}

/** Where a problem is reported: a file line, or the --set flag that gave the value. */
export interface IssueLocator {
  /** `file:line: field: message`, or `--set ...: field: message` for a value from the command line. */
  at(path: readonly PathPart[], field: string, message: string, key?: string): string;
}

/** One message per problem: `file:line: field: expected ..., got ...`. */
export function formatIssues(issues: readonly Issue[], schema: z.ZodType, raw: unknown, locate: IssueLocator): string {
  const messages: string[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathPart => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, path);
      for (const key of issue.keys)
        messages.push(
          locate.at(
            path,
            formatPath([...path, key]),
            `unknown field${hint(key, known)}; known fields here: ${known.join(', ')}`,
            key,
          ),
        );
      continue;
    }
    const got = valueAt(raw, path);
    const expected = issueExpectation(issue, schema, path);
    // A custom rule's own text (not "expected ...") stands as written.
    if (!/^expected /.test(expected)) {
      messages.push(locate.at(path, formatPath(path), expected));
      continue;
    }
    let msg = `${expected}, got ${describeValue(got)}`;
    if (got === undefined) msg = issue.code === 'invalid_type' ? `missing required field (${expected})` : expected;
    messages.push(locate.at(path, formatPath(path), msg));
  }
  return messages.join('\n');
}
