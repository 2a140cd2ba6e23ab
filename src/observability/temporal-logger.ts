import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from 'pino';
import { redactText } from '../logger';

const pinoLevels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
const severity: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/**
 * Temporal's logger interface over pino, for `Runtime.install({ logger })`: the SDK's lines, core's forwarded ones,
 * and workflows' `log` calls come out as the worker's own JSON lines, redacted the same way. The SDK's own chatter
 * (worker state changes, core's polling) is kept from `sdkFloor` up; workflow and activity lines follow pino's level.
 */
export function temporalLogger(log: Logger, sdkFloor: LogLevel = 'WARN'): TemporalLogger {
  const write = (level: LogLevel, message: string, meta: LogMetadata = {}): void => {
    const component = meta.sdkComponent as string | undefined;
    const fromOurCode = component === 'workflow' || component === 'activity';
    if (!fromOurCode && severity[level] < severity[sdkFloor]) return;
    log[pinoLevels[level]](fields(meta), redactText(message));
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** Temporal's metadata as pino fields: symbol keys dropped, errors under `err` so pino serialises them. */
function fields(meta: LogMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (key === 'error' && value instanceof Error) out.err = value;
    else out[key] = typeof value === 'string' ? redactText(value) : value;
  }
  return out;
}
