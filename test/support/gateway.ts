import type { Config } from '../../gateway/config.js';
import { loadConfig } from '../../gateway/config.js';
import { createLogger, type Logger } from '../../gateway/logger.js';

/** A logger whose every line is kept, so tests can read what the gateway logged. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger(level, { write: (line: string) => void lines.push(line) }), lines };
}

export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', CROSSGATE_DEMO_DATA: 'off', ...overrides });
}
