import type { Config } from '../../gateway/config.js';
import { loadConfig } from '../../gateway/config.js';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../../gateway/logger.js';
import { createMetrics } from '../../gateway/metrics.js';
import type { GatewayDeps } from '../../gateway/http/app.js';
import type { SecurityEvent } from '../../gateway/auth/security-events.js';
import type { RootStore } from '../../store/index.js';
import { createAuditAppender, loadSigningKey, newSigningKey } from '../../audit/index.js';
import { auditRecordOf } from '../../gateway/auth/security-events.js';
import { createConsentService } from '../../consent/service.js';
import { partnerDirectory } from '../../gateway/auth/partner-directory.js';
import { loadTrustBundle } from '../../gateway/ihe/trust-bundle.js';

/** A logger whose every line is kept, so tests can read what the gateway logged. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger(level, { write: (line: string) => void lines.push(line) }), lines };
}

export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', CROSSGATE_DEMO_DATA: 'off', ...overrides });
}

/** Everything createApp needs, with the security events kept for the test to read. */
export function testDeps(store: RootStore, overrides: NodeJS.ProcessEnv = {}): GatewayDeps & { lines: string[]; securityEvents: SecurityEvent[] } {
  const { logger, lines } = capturingLogger();
  const securityEvents: SecurityEvent[] = [];
  const audit = createAuditAppender(store);
  const config = testConfig(overrides);
  const consent = createConsentService(store);
  return {
    config, trustAnchors: config.ihe.trustBundleFile ? loadTrustBundle(config.ihe.trustBundleFile) : [], store, logger, metrics: createMetrics(), secretKey: randomBytes(32), audit, auditKey: loadSigningKey(newSigningKey()),
    consent, partners: partnerDirectory(store, consent.changes),
    // The events go to the real trail, and are kept for the test to read.
    events: {
      record: async (e) => {
        securityEvents.push(e);
        await audit.append(auditRecordOf(e));
      },
    },
    lines, securityEvents,
  };
}
