import pino, { type DestinationStream, type Logger } from 'pino';
import { ConfigError } from './config.js';
import { StoreError } from '../store/index.js';

export type { Logger };

/** Error classes whose messages we write ourselves and know to be free of patient data. */
const SAFE_MESSAGES: readonly (abstract new (...args: never[]) => Error)[] = [StoreError, ConfigError];

/**
 * What of an error reaches the log: its class, code and stack frames. The message only for our own error
 * classes: a driver or parser may quote the input (a BSN in "invalid input syntax …", a name in a detail field).
 */
export function safeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const trusted = SAFE_MESSAGES.some((c) => error instanceof c);
  const frames = (error.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 15).join('\n');
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    ...(trusted ? { message: error.message } : {}),
    stack: frames,
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'crossgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: safeError, error: safeError },
      redact: { paths: ['headers.authorization', 'headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
    },
    destination,
  );
}
