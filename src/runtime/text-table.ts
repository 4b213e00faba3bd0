/** Plain-text and GitHub-flavoured Markdown tables for stdout (first row: the header). */
export function textTable(rows: string[][], align: ('left' | 'right')[] = []): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const last = rows[0].length - 1;
  return (
    rows
      .map((r) =>
        r
          .map((c, i) =>
            align[i] === 'right' ? (c ?? '').padStart(widths[i]) : i === last ? (c ?? '') : (c ?? '').padEnd(widths[i]),
          )
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function markdownTable(rows: string[][], align: ('left' | 'right')[] = []): string {
  const cell = (c: string) => (c ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const [head, ...body] = rows;
  const rule = head.map((_, i) => (align[i] === 'right' ? '---:' : '---'));
  return [head, rule, ...body].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n') + '\n';
}
