import path from 'node:path';
import { z } from 'zod';
import { DEMO_CLINIC } from '../fixtures/synthetic/generate.js';

/**
 * All configuration, read once from the environment at start and frozen. A wrong value stops the process
 * with a message naming the variable; nothing reads process.env after this.
 */
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const oid = z
  .string()
  .transform((v) => v.replace(/^urn:oid:/, ''))
  .pipe(z.string().regex(OID, 'must be an OID such as 1.2.3 (or urn:oid:1.2.3)'));

const EnvSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  CROSSGATE_DATA_DIR: z.string().min(1).default('data'),
  CROSSGATE_DB_POOL_SIZE: int(1, 200).default(10),
  CROSSGATE_HOME_COMMUNITY_ID: oid.default(DEMO_CLINIC.homeCommunityId.replace(/^urn:oid:/, '')),
  CROSSGATE_REPOSITORY_UNIQUE_ID: oid.default(DEMO_CLINIC.repositoryUniqueId),
  CROSSGATE_ORGANIZATION_NAME: z.string().trim().min(1).max(300).default(DEMO_CLINIC.name),
  CROSSGATE_DEMO_DATA: z.enum(['auto', 'on', 'off'], { message: 'must be auto, on or off' }).default('auto'),
  CROSSGATE_DEMO_PATIENTS: int(1, 100_000).default(100),
  CROSSGATE_SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  CROSSGATE_TRUST_PROXY: z
    .string()
    .regex(/^(loopback|linklocal|uniquelocal|none|[0-9a-fA-F.:/]+)(,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+))*$/, 'must be none, loopback, linklocal, uniquelocal or a list of addresses/CIDRs')
    .default('loopback'),
  CROSSGATE_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/_=-]{43,}$/, 'must be at least 32 random bytes, base64 encoded (e.g. openssl rand -base64 32)')
    .optional(),
  CROSSGATE_SESSION_IDLE_MINUTES: int(1, 24 * 60).default(30),
  CROSSGATE_SESSION_MAX_HOURS: int(1, 24 * 7).default(12),
  CROSSGATE_AUDIT_SIGNING_KEY: z
    .string()
    .regex(/-----BEGIN PRIVATE KEY-----/, 'must be an Ed25519 private key in PKCS#8 PEM (openssl genpkey -algorithm ed25519)')
    .optional(),
  CROSSGATE_AUDIT_CHECKPOINT_MINUTES: int(1, 7 * 24 * 60).default(60),
  CROSSGATE_AUDIT_RETENTION_YEARS: int(5, 20).default(6),
  CROSSGATE_PUBLIC_URL: z
    .string()
    .url('must be an absolute URL such as https://gateway.example.org')
    .regex(/^https?:\/\/[^?#]*[^/?#]$/, 'must be http(s), without a trailing slash, query or fragment')
    .optional(),
  CROSSGATE_FHIR_TOKEN_MINUTES: int(1, 60).default(15),
  CROSSGATE_FHIR_REQUESTS_PER_MINUTE: int(1, 10_000_000).default(6000),
  CROSSGATE_FHIR_EVERYTHING_PER_MINUTE: int(1, 1_000_000).default(60),
  CROSSGATE_TLS_CERT: z.string().min(1).optional(),
  CROSSGATE_TLS_KEY: z.string().min(1).optional(),
  CROSSGATE_TRUST_BUNDLE: z.string().min(1).optional(),
  CROSSGATE_IHE_CLIENT_CERT: z.enum(['required', 'optional'], { message: 'must be required or optional' }).default('required'),
  CROSSGATE_IHE_CLOCK_SKEW_SECONDS: int(0, 600).default(60),
  CROSSGATE_IHE_MAX_ASSERTION_MINUTES: int(20, 1440).default(60),
  CROSSGATE_IHE_SHA1_COMMUNITIES: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/^urn:oid:/, '')))
    .pipe(z.array(z.string().regex(OID, 'must be a comma-separated list of home community ids (OIDs)')))
    .optional(),
  CROSSGATE_IHE_AUDIENCES: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(1)))
    .optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be fatal, error, warn, info, debug, trace or silent' })
    .default('info'),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly database: { readonly url?: string; readonly dataDir: string; readonly poolSize: number };
  /** Bare OID; written urn:oid:… where a wire format wants that form. */
  readonly homeCommunityId: string;
  readonly repositoryUniqueId: string;
  /** Our clinic's name, as documents we make name their custodian and author. */
  readonly organizationName: string;
  readonly demo: { readonly enabled: boolean; readonly patients: number };
  readonly shutdownGraceMs: number;
  /** Which proxies' X-Forwarded-For is believed for the caller's address (express "trust proxy"); false for none. */
  readonly trustProxy: string | false;
  /**
   * The gateway's address as partners reach it: absolute links (FHIR paging, attachment URLs) and the token
   * endpoint audience are built from this, never from a request's Host header.
   */
  readonly publicUrl: string;
  /** Lifetime of a partner's FHIR access token (at most 60 minutes, UDAP B2B). */
  readonly fhirTokenSeconds: number;
  /**
   * Requests a minute each FHIR caller (partner connection, staff member, or address) may make of one process, and
   * of those how many `$everything` (each costs a hundred reads and more); beyond them 429 with Retry-After.
   */
  readonly fhirRateLimits: { readonly requestsPerMinute: number; readonly everythingPerMinute: number };
  readonly logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /**
   * HTTPS: the server's certificate and key (PEM files). With them the gateway asks every client for a certificate
   * and checks it against the trust bundle; FHIR and admin callers may present none, the IHE endpoints require one.
   */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly ihe: {
    /** PEM file of the CA certificates partners chain to (the Carequality trust bundle): TLS clients and SAML signers. */
    readonly trustBundleFile?: string;
    /** `optional` only behind a TLS terminator or for local trials: without a client certificate the SAML assertion alone identifies the partner. */
    readonly clientCertificate: 'required' | 'optional';
    readonly clockSkewSeconds: number;
    readonly maxAssertionMinutes: number;
    /** Home communities whose assertions may be signed with SHA-1 (some peers still do); everyone else needs SHA-256. */
    readonly sha1Communities: readonly string[];
    /** Audiences accepted besides our own endpoint URLs. */
    readonly extraAudiences: readonly string[];
  };
  /** Signs cookies; shared by every gateway process. Unset, a key is made once and kept in the data directory. */
  readonly secretKey?: Buffer;
  readonly sessions: { readonly idleSeconds: number; readonly absoluteSeconds: number };
  readonly audit: {
    /** Signs checkpoints of the chain head. Unset, a key is made once and kept in the data directory. */
    readonly signingKeyPem?: string;
    readonly checkpointMinutes: number;
    /** Nothing in the trail is deleted before this many years (NL: at least 5; HIPAA documentation: 6). */
    readonly retentionYears: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The environment variables this reads, for the README table and `crossgate config`. */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape);

export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const relevant = Object.fromEntries(CONFIG_VARIABLES.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  const parsed = EnvSchema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`));
  }
  const e = parsed.data;
  if (Boolean(e.CROSSGATE_TLS_CERT) !== Boolean(e.CROSSGATE_TLS_KEY)) {
    throw new ConfigError([`${e.CROSSGATE_TLS_CERT ? 'CROSSGATE_TLS_KEY' : 'CROSSGATE_TLS_CERT'}: must be set together with ${e.CROSSGATE_TLS_CERT ? 'CROSSGATE_TLS_CERT' : 'CROSSGATE_TLS_KEY'}`]);
  }
  const demoEnabled = e.CROSSGATE_DEMO_DATA === 'on' || (e.CROSSGATE_DEMO_DATA === 'auto' && !e.DATABASE_URL);
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    database: Object.freeze({
      ...(e.DATABASE_URL ? { url: e.DATABASE_URL } : {}),
      dataDir: path.resolve(cwd, e.CROSSGATE_DATA_DIR),
      poolSize: e.CROSSGATE_DB_POOL_SIZE,
    }),
    homeCommunityId: e.CROSSGATE_HOME_COMMUNITY_ID,
    repositoryUniqueId: e.CROSSGATE_REPOSITORY_UNIQUE_ID,
    organizationName: e.CROSSGATE_ORGANIZATION_NAME,
    demo: Object.freeze({ enabled: demoEnabled, patients: e.CROSSGATE_DEMO_PATIENTS }),
    shutdownGraceMs: e.CROSSGATE_SHUTDOWN_GRACE_MS,
    trustProxy: e.CROSSGATE_TRUST_PROXY === 'none' ? false : e.CROSSGATE_TRUST_PROXY,
    publicUrl: e.CROSSGATE_PUBLIC_URL ?? `${e.CROSSGATE_TLS_CERT ? 'https' : 'http'}://localhost:${e.PORT}`,
    fhirTokenSeconds: e.CROSSGATE_FHIR_TOKEN_MINUTES * 60,
    fhirRateLimits: Object.freeze({ requestsPerMinute: e.CROSSGATE_FHIR_REQUESTS_PER_MINUTE, everythingPerMinute: e.CROSSGATE_FHIR_EVERYTHING_PER_MINUTE }),
    logLevel: e.LOG_LEVEL,
    ...(e.CROSSGATE_TLS_CERT && e.CROSSGATE_TLS_KEY ? { tls: Object.freeze({ certFile: path.resolve(cwd, e.CROSSGATE_TLS_CERT), keyFile: path.resolve(cwd, e.CROSSGATE_TLS_KEY) }) } : {}),
    ihe: Object.freeze({
      ...(e.CROSSGATE_TRUST_BUNDLE ? { trustBundleFile: path.resolve(cwd, e.CROSSGATE_TRUST_BUNDLE) } : {}),
      clientCertificate: e.CROSSGATE_IHE_CLIENT_CERT,
      clockSkewSeconds: e.CROSSGATE_IHE_CLOCK_SKEW_SECONDS,
      maxAssertionMinutes: e.CROSSGATE_IHE_MAX_ASSERTION_MINUTES,
      sha1Communities: Object.freeze(e.CROSSGATE_IHE_SHA1_COMMUNITIES ?? []),
      extraAudiences: Object.freeze(e.CROSSGATE_IHE_AUDIENCES ?? []),
    }),
    ...(e.CROSSGATE_SECRET_KEY ? { secretKey: Buffer.from(e.CROSSGATE_SECRET_KEY, 'base64') } : {}),
    audit: Object.freeze({
      ...(e.CROSSGATE_AUDIT_SIGNING_KEY ? { signingKeyPem: e.CROSSGATE_AUDIT_SIGNING_KEY.replace(/\\n/g, '\n') } : {}),
      checkpointMinutes: e.CROSSGATE_AUDIT_CHECKPOINT_MINUTES,
      retentionYears: e.CROSSGATE_AUDIT_RETENTION_YEARS,
    }),
    sessions: Object.freeze({ idleSeconds: e.CROSSGATE_SESSION_IDLE_MINUTES * 60, absoluteSeconds: e.CROSSGATE_SESSION_MAX_HOURS * 3600 }),
  });
}
