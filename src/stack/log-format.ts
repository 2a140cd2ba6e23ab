const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const colours = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[31m'];
const reset = '\x1b[0m';
const hidden = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

/**
 * Makes a prefixer for one service's output: pino's JSON lines become `LEVEL message key=value`, anything else
 * is passed through as printed. Colour only when writing to a terminal.
 */
export function servicePrefixer(name: string, index: number, useColour: boolean): (line: string) => string {
  const label = name.padEnd(9);
  const prefix = useColour ? `${colours[index % colours.length]}${label}${reset}│ ` : `${label}│ `;
  return (line) => prefix + formatPinoLine(line);
}

export function formatPinoLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record.msg !== 'string') return line;
  const level = levelNames[record.level as number] ?? String(record.level);
  const fields = Object.entries(record)
    .filter(([key]) => !hidden.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [level.padEnd(5), record.msg, ...fields].join(' ');
}
