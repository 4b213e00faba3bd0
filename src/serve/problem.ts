/** RFC 9457 problem details: every 4xx (and the rare 5xx) of `sciml serve` is one of these. */
export interface FieldProblem {
  /** 0-based row of the request, when the problem is in a row. */
  row?: number;
  field?: string;
  message: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  body(instance?: string): Record<string, unknown> {
    return {
      type: `urn:sciml:problem:${this.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...(this.errors.length ? { errors: this.errors } : {}),
    };
  }
}

function where(p: FieldProblem): string {
  const parts = [p.row !== undefined ? `row ${p.row}` : '', p.field !== undefined ? `field '${p.field}'` : ''].filter(
    Boolean,
  );
  return parts.length ? `${parts.join(', ')}: ${p.message}` : p.message;
}

/** 400 for problems in the input, the detail naming the first (and how many more). */
export function invalidInput(errors: FieldProblem[], truncated = false): HttpProblem {
  const more = truncated
    ? ` (and more problems; the first ${errors.length} are listed)`
    : errors.length > 1
      ? ` (and ${errors.length - 1} more problem${errors.length === 2 ? '' : 's'})`
      : '';
  return new HttpProblem(400, 'Invalid input', where(errors[0]) + more, errors);
}
