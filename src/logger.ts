import pino, { type Logger } from 'pino';

/** Paths whose values must never reach a log line, however deep they are nested. */
const redactPaths = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'access_token',
  'refresh_token',
  '*.access_token',
  '*.refresh_token',
  'accessToken',
  'refreshToken',
  '*.accessToken',
  '*.refreshToken',
  'clientSecret',
  '*.clientSecret',
  'password',
  '*.password',
  // Temporal's activity task token lets its holder complete or fail the activity: its warnings carry it.
  'taskToken',
  '*.taskToken',
  'task_token',
  '*.task_token',
];

export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: redactPaths, censor: '[redacted]' } });
}

/** Strips credentials from a connection string before it is logged or shown. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//[redacted]@');
}

/**
 * Strips secrets from free text, for messages written by code that is not ours (Temporal's core writes task tokens
 * into its messages): bearer tokens, `TaskToken(…)` and `task_token: …` / `taskToken=…`.
 */
export function redactText(text: string): string {
  return text
    .replace(/\bBearer\s+[\w\-.~+/]+=*/gi, 'Bearer [redacted]')
    .replace(/\bTaskToken\([^)]*\)/g, 'TaskToken([redacted])')
    .replace(/\b(task_?token)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,}\]]+)/gi, '$1$2[redacted]');
}
