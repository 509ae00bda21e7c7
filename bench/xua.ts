import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { NS, readXml } from '../mappers/xml/index.js';
import { verifyXua, type XuaPolicy } from '../gateway/ihe/xua/index.js';
import { checkSignature, readSignature } from '../gateway/ihe/xua/check-signature.js';
import { parseEnvelope } from '../gateway/ihe/xua/parse-envelope.js';
import { trustSigner } from '../gateway/ihe/xua/trust-chain.js';
import { signingCertificate } from '../gateway/ihe/xua/key-info.js';
import { samlPki, signedEnvelope, TEST_AUDIENCE } from '../test/support/saml.js';
import { summarize, type Timing } from './lib/stats.js';
import { jsonLines, table, type Figure } from './lib/report.js';

/**
 * XUA verification throughput on one core, no I/O: the same signed ITI-38 request (SOAP 1.2, WS-Addressing,
 * wsu:Timestamp, a SAML assertion signed with RSA-SHA256 by a certificate under a two-level test PKI, a FindDocuments
 * body; about 9 KB) verified over and over in one loop, after a warm-up.
 *   - xml-crypto: SignedXml.checkSignature of the envelope (its own parse, XPath, canonicalization), the signature
 *     node found in a DOM of our parse, as an xml-crypto user would write it. Signature only: no chain, no claims.
 *   - ours, parse, defences, signature: parse with the hardened limits, wrapping defences, our canonicalization,
 *     digest and RSA verify, the key taken from the trust cache (the xml-crypto line's work, plus the defences).
 *   - ours, verifyXua: everything of §5.1 items 2–8 (trust chain from the cache, holder-of-key, times, audience,
 *     issuer, subject, attributes) and the claims, from the envelope's text.
 *   - ours, readXml then verifyXua on its DOM: what the SOAP endpoint does for each request, parsing it once
 *     (mappers/xml) for the SOAP layer's tree and the assertion's checks alike; the line above's work plus the tree.
 *
 *   node dist/bench/xua.js [--seconds N] [--rounds N]
 */
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, rounds: { type: 'string', default: '10' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const log = (text: string) => process.stderr.write(`${text}\n`);

const now = new Date();
const envelope = signedEnvelope({ now });
const policy: XuaPolicy = { trustAnchors: samlPki().trustAnchors, audiences: [TEST_AUDIENCE], clockSkewSeconds: 60, maxAssertionAgeSeconds: 3600, allowSha1: false };
const bytes = Buffer.byteLength(envelope, 'utf8');

function xmlCrypto(): boolean {
  const doc = new DOMParser().parseFromString(envelope, 'text/xml');
  const signature = doc.getElementsByTagNameNS(NS.ds, 'Signature')[0]!;
  const certificate = doc.getElementsByTagNameNS(NS.ds, 'X509Certificate')[0]!.textContent ?? '';
  const sig = new SignedXml({ publicCert: `-----BEGIN CERTIFICATE-----\n${certificate}\n-----END CERTIFICATE-----\n` });
  sig.loadSignature(signature);
  return sig.checkSignature(envelope);
}

function oursSignatureOnly(): boolean {
  const parsed = parseEnvelope(envelope);
  if (!parsed.ok) return false;
  const { assertion, ids } = parsed.envelope;
  const id = assertion.getAttribute('ID') ?? '';
  const read = readSignature(assertion, id, ids.get(id) ?? [], false);
  if (!read.ok) return false;
  const certificate = signingCertificate(read.parts.keyInfo);
  const trust = certificate.ok ? trustSigner(certificate.der, policy.trustAnchors, now) : undefined;
  return trust?.ok === true && checkSignature(assertion, read.parts, trust.key).ok;
}

const oursFull = () => verifyXua(envelope, policy, now).ok;

/** The SOAP endpoint's limits (gateway/ihe/soap-endpoint.ts). */
const ENDPOINT_LIMITS = { maxBytes: 2 * 1024 * 1024, maxDepth: 48, maxElements: 20_000 };

function oursOneParse(): boolean {
  const read = readXml(envelope, ENDPOINT_LIMITS);
  return read.ok && read.root.document !== undefined && verifyXua(read.root.document, policy, now).ok;
}

/** The paths take turns, ROUNDS times SECONDS / ROUNDS each, so a drift on this shared machine falls on all alike. */
function timeInTurns(runs: readonly (() => boolean)[]): { timing: Timing; cpuS: number }[] {
  const results = runs.map(() => ({ timing: { latenciesMs: [] as number[], wallMs: 0 }, cpuS: 0 }));
  const slice = (SECONDS * 1000) / ROUNDS;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, run] of runs.entries()) {
      const result = results[k]!;
      const cpu = process.cpuUsage();
      const started = performance.now();
      while (performance.now() - started < slice) {
        const t = performance.now();
        if (!run()) throw new Error('a verification failed in the bench');
        result.timing.latenciesMs.push(performance.now() - t);
      }
      result.timing.wallMs += performance.now() - started;
      const used = process.cpuUsage(cpu);
      result.cpuS += (used.user + used.system) / 1e6;
    }
  }
  return results;
}

const paths: [string, () => boolean][] = [
  ['xml-crypto SignedXml.checkSignature', xmlCrypto],
  ['ours: parse, defences, signature', oursSignatureOnly],
  ['ours: verifyXua (full §5.1 checks, claims)', oursFull],
  ['ours: readXml, then verifyXua on its DOM (one parse)', oursOneParse],
];
log(`xua: ${bytes} byte ITI-38 envelope, ${SECONDS} s per path in ${ROUNDS} turns, after warm-up; load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores`);
// Warm the JIT on the same work before measuring.
for (const [, run] of paths) for (let i = 0; i < 300; i++) run();
const results = timeInTurns(paths.map(([, run]) => run));
const figures: Figure[] = paths.map(([operation], k) => ({ engine: 'xua', operation, callers: 1, ...summarize(results[k]!.timing.latenciesMs.length, results[k]!.timing) }));
const reference = figures[0]!;
const shown = figures.map((f, i) => (i === 0 ? f : { ...f, ceiling: { operation: 'xml-crypto', opsPerSec: reference.opsPerSec } }));
process.stdout.write(`${table(shown)}\n`);
// On a machine shared with other work the wall clock undercounts: per CPU second of this process is what one core does.
for (const [k, f] of figures.entries()) {
  process.stdout.write(`${f.operation}: ${Math.round(f.count / results[k]!.cpuS).toLocaleString('en-US')} verifications per CPU second of this process\n`);
}
process.stdout.write(`${jsonLines('xua', shown.map((f, k) => ({ ...f, perCpuSecond: f.count / results[k]!.cpuS })), { bytes, node: process.version, loadAverage: loadavg()[0] })}\n`);
