/**
 * What a command prints: `json` for scripts (`--json`), `text` for people. Both carry the same facts; the text is
 * aligned columns and labelled lines, with ISO times in UTC.
 */
export interface Outcome {
  json: unknown;
  text: string;
}

/** An instant as people read it in a terminal (UTC, to the second), or a dash. */
export function when(at: Date | string | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const date = typeof at === 'string' ? new Date(at) : at;
  return Number.isNaN(date.getTime())
    ? String(at)
    : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Labelled lines: `label   value`, labels padded to one width. */
export function labelled(lines: [label: string, value: string][]): string {
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}   ${value}`).join('\n');
}

/** Rows under a header, each column as wide as its widest cell; `empty` when there are none. */
export function table(header: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return empty;
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
