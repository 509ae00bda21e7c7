import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { AuditRecordInput } from '../canonical/index.js';
import type { AuditLink, AuditRow, Checkpoint, Store } from '../store/index.js';
import { canonicalJson, columnsOf, entryDigest, GENESIS_HASH, linkHash } from './chain.js';
import { checkpointMessage } from './checkpoint.js';

export interface VerifyResult {
  readonly ok: boolean;
  readonly checked: number;
  readonly headSeq: number;
  readonly checkpointsChecked: number;
  /** Checkpoints kept outside the database (`kept`), checked with the key kept with them. */
  readonly keptChecked?: number;
  /** The first record (or checkpoint) that does not verify, and why. */
  readonly firstBroken?: { readonly seq: number; readonly reason: string };
}

export const PAGE = 5000;
/** Pages asked for ahead of the one being checked: on PostgreSQL the next pages' digests are computed meanwhile. */
const AHEAD = 2;

/**
 * The chain's pages up to `toSeq`, read ahead. Seqs are dense, so page k is the window after k × PAGE; a chain
 * with a gap makes some page start or continue at an unexpected seq, which the check reports, and it stops.
 */
export async function* chainPages<T>(read: (afterSeq: number, limit: number, toSeq: number) => Promise<T[]>, toSeq: number): AsyncGenerator<T[]> {
  const inFlight: Promise<T[]>[] = [];
  let after = 0;
  const ask = () => {
    if (after >= toSeq) return;
    inFlight.push(read(after, PAGE, toSeq));
    after += PAGE;
  };
  try {
    for (let k = 0; k <= AHEAD; k++) ask();
    for (let page = inFlight.shift(); page; page = inFlight.shift()) {
      const rows = await page;
      ask();
      yield rows;
    }
  } finally {
    // Pages read ahead of a break are not wanted; their errors must not surface as unhandled rejections.
    for (const p of inFlight) p.catch(() => undefined);
  }
}

/** Why a link does not follow `prevHash` at `expectedSeq`, or undefined when it does. */
export function linkProblem(link: AuditLink, expectedSeq: number, prevHash: string): string | undefined {
  if (link.seq !== expectedSeq) return `sequence gap: expected ${expectedSeq}, found ${link.seq}`;
  if (link.prevHash !== prevHash) return 'prev_hash does not match the hash of the record before it';
  if (linkHash(link.prevHash, link.seq, link.recordedAt, link.digest) !== link.hash) return 'hash does not match the record content';
  return undefined;
}

/**
 * Why a row does not verify, computed here from the stored values alone: the link with the entry digest of its
 * columns and body, then the body parsed, in canonical form, and the search columns re-derived from it (what the
 * appender did when it wrote them).
 */
export function rowProblem(row: AuditRow, expectedSeq: number, prevHash: string): string | undefined {
  const problem = linkProblem({ ...row, digest: entryDigest(row) }, expectedSeq, prevHash);
  if (problem) return problem;
  let body: unknown;
  try {
    body = JSON.parse(row.body);
  } catch {
    return 'body is not JSON';
  }
  const content = AuditRecordInput.safeParse(body);
  if (!content.success) return 'body is not an audit record';
  if (canonicalJson(content.data) !== row.body) return 'body is not in canonical form';
  const expected = columnsOf(content.data);
  for (const [key, value] of Object.entries(expected)) {
    const actual = (row as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(actual) !== JSON.stringify(value)) return `search column ${key} differs from the body`;
  }
  return undefined;
}

/**
 * Walks the whole chain in order, recomputing every link, then checks each signed checkpoint against the chain
 * (and its signature against the key). A database-level rewrite of the chain fails at the first checkpoint
 * after the change; a truncated tail fails against the latest checkpoint.
 *
 * By default the database computes each record's entry digest from its stored columns and body, and verify
 * recomputes every link from those: fast, and it finds any change to a stored record. `deep` trusts the database
 * with nothing but the stored values: it computes the digests itself, and also parses every body and checks the
 * search columns against it, at about a tenth of the speed.
 */
export interface VerifyOptions {
  readonly deep?: boolean;
  /**
   * Checkpoints an officer kept outside the database, with the public key they kept beside them: someone who holds
   * the data directory can rewrite the chain and re-sign the checkpoints stored with it, but cannot change these.
   */
  readonly kept?: { readonly checkpoints: readonly Checkpoint[]; readonly publicKey: KeyObject };
}

export async function verifyChain(store: Store, publicKey?: KeyObject, options: VerifyOptions = {}): Promise<VerifyResult> {
  const head = await store.audit.head();
  const checkpoints = await store.audit.checkpoints();
  const kept = options.kept?.checkpoints ?? [];
  const hashAt = new Map<number, string>();
  const wanted = new Set([...checkpoints, ...kept].map((c) => c.seq));
  let prevHash = GENESIS_HASH;
  let expected = 1;
  let checked = 0;
  let broken: { seq: number; reason: string } | undefined;
  const step = (seq: number, hash: string, problem: string | undefined): boolean => {
    if (problem) {
      broken = { seq, reason: problem };
      return false;
    }
    if (wanted.has(seq)) hashAt.set(seq, hash);
    prevHash = hash;
    expected += 1;
    checked += 1;
    return true;
  };
  // Only up to the head read above: records appended while verify runs are for the next verify.
  if (options.deep) {
    walk: for await (const rows of chainPages(store.audit.range, head.seq)) {
      for (const row of rows) if (!step(row.seq, row.hash, rowProblem(row, expected, prevHash))) break walk;
    }
  } else {
    walk: for await (const links of chainPages(store.audit.links, head.seq)) {
      for (const link of links) if (!step(link.seq, link.hash, linkProblem(link, expected, prevHash))) break walk;
    }
  }
  if (broken) return { ok: false, checked, headSeq: head.seq, checkpointsChecked: 0, firstBroken: broken };
  if (checked !== head.seq || prevHash !== head.hash) {
    return { ok: false, checked, headSeq: head.seq, checkpointsChecked: 0, firstBroken: { seq: checked + 1, reason: `chain ends at ${checked} but the head says ${head.seq}` } };
  }
  // Those kept outside first: when the database was rewritten, they are what it cannot have re-signed.
  let keptChecked = 0;
  for (const c of kept) {
    const problem = checkpointProblem(c, hashAt.get(c.seq), options.kept!.publicKey);
    if (problem) return { ok: false, checked, headSeq: head.seq, checkpointsChecked: 0, keptChecked, firstBroken: { seq: c.seq, reason: `kept outside: ${problem}` } };
    keptChecked += 1;
  }
  let checkpointsChecked = 0;
  for (const c of checkpoints) {
    const problem = checkpointProblem(c, hashAt.get(c.seq), publicKey);
    if (problem) return { ok: false, checked, headSeq: head.seq, checkpointsChecked, ...(options.kept ? { keptChecked } : {}), firstBroken: { seq: c.seq, reason: problem } };
    checkpointsChecked += 1;
  }
  return { ok: true, checked, headSeq: head.seq, checkpointsChecked, ...(options.kept ? { keptChecked } : {}) };
}

/**
 * Whether the records after the latest checkpoint (all of them, with none) link on from it to the head it read:
 * what a new checkpoint at that head would vouch for. `broken` names the first that does not, and why.
 */
export async function checkTail(store: Store): Promise<{ readonly head: { readonly seq: number; readonly hash: string }; readonly broken?: { readonly seq: number; readonly reason: string } }> {
  const head = await store.audit.head();
  const broken = await tailProblem(store, head);
  return { head, ...(broken ? { broken } : {}) };
}

async function tailProblem(store: Store, head: { readonly seq: number; readonly hash: string }): Promise<{ readonly seq: number; readonly reason: string } | undefined> {
  const checkpoints = await store.audit.checkpoints();
  const last = checkpoints.reduce<Checkpoint | undefined>((a, c) => (!a || c.seq > a.seq ? c : a), undefined);
  if (last && last.seq > head.seq) return { seq: last.seq, reason: `checkpoint ${last.seq} names a record the chain no longer has` };
  let prevHash = last?.hash ?? GENESIS_HASH;
  let expected = (last?.seq ?? 0) + 1;
  for (let after = expected - 1; after < head.seq; after += PAGE) {
    for (const link of await store.audit.links(after, PAGE, head.seq)) {
      const problem = linkProblem(link, expected, prevHash);
      if (problem) return { seq: link.seq, reason: problem };
      prevHash = link.hash;
      expected += 1;
    }
  }
  if (expected - 1 !== head.seq || prevHash !== head.hash) return { seq: expected, reason: `chain ends at ${expected - 1} but the head says ${head.seq}` };
  return undefined;
}

export function checkpointProblem(c: Checkpoint, chainHash: string | undefined, publicKey?: KeyObject): string | undefined {
  if (chainHash === undefined) return `checkpoint ${c.seq} names a record the chain no longer has`;
  if (chainHash !== c.hash) return `checkpoint ${c.seq} signed hash ${c.hash.slice(0, 12)}… but the chain has ${chainHash.slice(0, 12)}…`;
  if (publicKey && !verifySignature(null, checkpointMessage(c), publicKey, Buffer.from(c.signature, 'base64'))) {
    return `checkpoint ${c.seq} signature does not verify`;
  }
  return undefined;
}

