import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';
import { DEMO_CLINIC } from '../fixtures/synthetic/generate.js';

describe('configuration', () => {
  it('has working defaults: port 8080, embedded database in ./data, demo data on', () => {
    const c = loadConfig({}, '/srv/crossgate');
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      database: { dataDir: path.resolve('/srv/crossgate', 'data'), poolSize: 10 },
      homeCommunityId: DEMO_CLINIC.homeCommunityId.replace('urn:oid:', ''),
      demo: { enabled: true, patients: 100 },
      logLevel: 'info',
      trustProxy: 'loopback',
    });
    expect(c.database.url).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.database)).toBe(true);
  });

  it('reads every variable and turns demo data off by default on PostgreSQL', () => {
    const c = loadConfig({
      PORT: '9000', HOST: '127.0.0.1', DATABASE_URL: 'postgres://u@db:5432/crossgate', CROSSGATE_DB_POOL_SIZE: '20',
      CROSSGATE_HOME_COMMUNITY_ID: 'urn:oid:1.2.3.4', CROSSGATE_REPOSITORY_UNIQUE_ID: '1.2.3.5', CROSSGATE_SHUTDOWN_GRACE_MS: '500', LOG_LEVEL: 'warn',
      CROSSGATE_TRUST_PROXY: '10.0.0.0/8, 172.16.0.0/12',
    });
    expect(c).toMatchObject({
      port: 9000, host: '127.0.0.1', database: { url: 'postgres://u@db:5432/crossgate', poolSize: 20 },
      homeCommunityId: '1.2.3.4', repositoryUniqueId: '1.2.3.5', demo: { enabled: false }, shutdownGraceMs: 500, logLevel: 'warn', trustProxy: '10.0.0.0/8, 172.16.0.0/12',
    });
    expect(loadConfig({ CROSSGATE_TRUST_PROXY: 'none' }).trustProxy).toBe(false);
    expect(() => loadConfig({ CROSSGATE_TRUST_PROXY: 'everyone' })).toThrow(/CROSSGATE_TRUST_PROXY/);
    expect(loadConfig({ DATABASE_URL: 'postgresql://x/y', CROSSGATE_DEMO_DATA: 'on' }).demo.enabled).toBe(true);
    expect(loadConfig({ CROSSGATE_DEMO_DATA: 'off' }).demo.enabled).toBe(false);
  });

  it('keeps audit records at least five years, six by default, and takes only an Ed25519 PEM as the signing key', () => {
    expect(loadConfig({}).audit).toEqual({ checkpointMinutes: 60, retentionYears: 6 });
    expect(loadConfig({ CROSSGATE_AUDIT_RETENTION_YEARS: '20' }).audit.retentionYears).toBe(20);
    expect(() => loadConfig({ CROSSGATE_AUDIT_RETENTION_YEARS: '4' })).toThrow(/CROSSGATE_AUDIT_RETENTION_YEARS: must be at least 5/);
    expect(() => loadConfig({ CROSSGATE_AUDIT_SIGNING_KEY: 'secret' })).toThrow(/CROSSGATE_AUDIT_SIGNING_KEY: must be an Ed25519 private key/);
    const pem = '-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIA==\\n-----END PRIVATE KEY-----';
    expect(loadConfig({ CROSSGATE_AUDIT_SIGNING_KEY: pem }).audit.signingKeyPem).toBe(pem.replace(/\\n/g, '\n'));
  });

  it('serves HTTPS only with both a certificate and a key, and reads the IHE settings', () => {
    expect(loadConfig({}, '/srv').tls).toBeUndefined();
    expect(loadConfig({}, '/srv').ihe).toEqual({ clientCertificate: 'required', clockSkewSeconds: 60, maxAssertionMinutes: 60, sha1Communities: [], extraAudiences: [] });
    const c = loadConfig({
      CROSSGATE_TLS_CERT: 'tls/server.pem', CROSSGATE_TLS_KEY: 'tls/server.key', CROSSGATE_TRUST_BUNDLE: '/etc/cq/bundle.pem',
      CROSSGATE_IHE_CLIENT_CERT: 'optional', CROSSGATE_IHE_CLOCK_SKEW_SECONDS: '30', CROSSGATE_IHE_SHA1_COMMUNITIES: 'urn:oid:1.2.3, 1.2.4',
      CROSSGATE_IHE_AUDIENCES: 'https://gw.example/ihe, urn:oid:1.2.9', CROSSGATE_IHE_MAX_ASSERTION_MINUTES: '480',
    }, '/srv');
    expect(c.tls).toEqual({ certFile: '/srv/tls/server.pem', keyFile: '/srv/tls/server.key' });
    expect(c.publicUrl).toBe('https://localhost:8080');
    expect(c.ihe).toEqual({
      trustBundleFile: '/etc/cq/bundle.pem', clientCertificate: 'optional', clockSkewSeconds: 30, maxAssertionMinutes: 480, sha1Communities: ['1.2.3', '1.2.4'],
      extraAudiences: ['https://gw.example/ihe', 'urn:oid:1.2.9'],
    });
    expect(() => loadConfig({ CROSSGATE_IHE_MAX_ASSERTION_MINUTES: '5' })).toThrow(/CROSSGATE_IHE_MAX_ASSERTION_MINUTES/);
    expect(() => loadConfig({ CROSSGATE_TLS_CERT: 'a.pem' })).toThrow(/CROSSGATE_TLS_KEY: must be set together with CROSSGATE_TLS_CERT/);
    expect(() => loadConfig({ CROSSGATE_IHE_SHA1_COMMUNITIES: 'kno2' })).toThrow(/CROSSGATE_IHE_SHA1_COMMUNITIES/);
    expect(() => loadConfig({ CROSSGATE_IHE_CLIENT_CERT: 'never' })).toThrow(/CROSSGATE_IHE_CLIENT_CERT: must be required or optional/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(8080);
  });

  it('refuses wrong values, naming every variable at fault', () => {
    const attempt = () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', CROSSGATE_HOME_COMMUNITY_ID: 'abc', CROSSGATE_DEMO_DATA: 'maybe', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'PORT: must be a whole number',
        'DATABASE_URL: must be a postgres:// or postgresql:// URL',
        'CROSSGATE_HOME_COMMUNITY_ID: must be an OID such as 1.2.3 (or urn:oid:1.2.3)',
        'CROSSGATE_DEMO_DATA: must be auto, on or off',
        'LOG_LEVEL: must be fatal, error, warn, info, debug, trace or silent',
      ]);
    }
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT: must be at most 65535/);
  });
});
