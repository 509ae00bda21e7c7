import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hasErrors, type AuditRecordInput, type DocumentInput, type Identifier, type Issue, type PatientInput } from '../../canonical/index.js';
import { createAuditAppender } from '../../audit/index.js';
import { findByIdentifier, linkIdentifier } from '../../identity/index.js';
import { parseImportBundle, type ImportBundle } from '../../mappers/fhir/parse/index.js';
import { StoreError, type RootStore, type Store } from '../../store/index.js';

/**
 * `crossgate import FILE [--dry-run]`: a FHIR R4 Bundle of Patients, DocumentReferences and Binaries into the store,
 * in one transaction. Patients are matched by identifier (an identifier already held by another patient is a
 * conflict, never moved) or created; documents already present by uniqueId with the same bytes are skipped, so the
 * same file imported twice adds nothing the second time. Any error imports nothing.
 */

export interface ImportOptions {
  readonly dryRun: boolean;
  /** Our repository (configuration): the one ITI-39 retrieves imported documents from. */
  readonly repositoryUniqueId: string;
}

export interface ImportSummary {
  readonly patientsCreated: number;
  readonly patientsMatched: number;
  readonly identifiersLinked: number;
  readonly documentsImported: number;
  readonly documentsSkipped: number;
}

export interface ImportResult {
  /** The bundle's issues and the store's; any error means nothing was written. */
  readonly issues: Issue[];
  /** What was written, or with dryRun what would have been; absent when there were errors. */
  readonly summary?: ImportSummary;
}

interface Plan {
  readonly issues: Issue[];
  /** The stored or new id of each bundle patient, by its index in the bundle's patients. */
  readonly patientIds: string[];
  readonly create: PatientInput[];
  readonly links: { readonly patientId: string; readonly identifier: Identifier }[];
  readonly documents: { readonly input: DocumentInput; readonly content: Uint8Array }[];
  readonly skipped: number;
}

/** An error the store finds, at the bundle element it concerns; messages name fields, never values. */
function conflict(code: string, path: string, field: string, text: string): Issue {
  return { severity: 'error', code, message: `${field} ${text}`, where: { path, field } };
}

/**
 * Decides, from what the store holds, what the import would do: which patients are new and which are matched (and
 * which of their identifiers are still to be linked), which documents are new and which are already there.
 */
async function plan(store: Store, bundle: ImportBundle, options: ImportOptions, source: string): Promise<Plan> {
  const issues: Issue[] = [];
  const patientIds: string[] = [];
  const create: PatientInput[] = [];
  const links: Plan['links'] = [];
  for (const imported of bundle.patients) {
    const owners = new Map<string, number>();
    const unheld: Identifier[] = [];
    for (const [i, identifier] of imported.patient.identifiers.entries()) {
      const found = await findByIdentifier(store, identifier);
      if (!found) unheld.push(identifier);
      else if (!owners.has(found.patient.id)) owners.set(found.patient.id, i);
    }
    const [first, ...others] = [...owners.entries()];
    for (const [, i] of others) {
      issues.push(conflict('conflict', `${imported.path}.identifier[${i}]`, `Patient.identifier[${i}]`,
        `belongs to another stored patient than identifier[${first![1]}]: an identifier is never moved from one patient to another`));
    }
    if (first) {
      patientIds.push(first[0]);
      links.push(...unheld.map((identifier) => ({ patientId: first[0], identifier })));
    } else {
      const id = randomUUID();
      patientIds.push(id);
      create.push({ ...imported.patient, id });
    }
  }

  const documents: Plan['documents'] = [];
  let skipped = 0;
  for (const d of bundle.documents) {
    const patientId = 'patient' in d.subject ? patientIds[d.subject.patient]! : (await findByIdentifier(store, d.subject.identifier))?.patient.id;
    if (!patientId) {
      const path = 'path' in d.subject ? d.subject.path : d.path;
      issues.push(conflict('not-found', path, `DocumentReference${path.slice(d.path.length)}`, 'names no patient of the bundle or of the store'));
      continue;
    }
    const stored = await store.documents.getByUniqueId(d.input.uniqueId);
    if (stored) {
      if (stored.hash !== d.input.hash) {
        issues.push(conflict('conflict', `${d.path}.masterIdentifier`, 'DocumentReference.masterIdentifier', 'is the uniqueId of a stored document with other content: a uniqueId stands for one set of bytes'));
      } else if (stored.patientId !== patientId) {
        issues.push(conflict('conflict', `${d.path}.subject`, 'DocumentReference.subject', 'is not the patient the stored document with this uniqueId belongs to'));
      } else {
        skipped++;
      }
      continue;
    }
    if (await store.documents.getByEntryUuid(d.input.entryUuid)) {
      issues.push(conflict('conflict', `${d.path}.identifier`, 'DocumentReference.identifier', 'gives the entryUUID of another stored document'));
      continue;
    }
    documents.push({
      input: { ...d.input, id: randomUUID(), patientId, repositoryUniqueId: options.repositoryUniqueId, provenance: { source } },
      content: d.content.bytes,
    });
  }
  return { issues, patientIds, create, links, documents, skipped };
}

function summaryOf(p: Plan): ImportSummary {
  return {
    patientsCreated: p.create.length,
    patientsMatched: p.patientIds.length - p.create.length,
    identifiersLinked: p.links.length,
    documentsImported: p.documents.length,
    documentsSkipped: p.skipped,
  };
}

/** The trail's record of an import: who (the command line), the patients touched, the counts; no clinical content. */
function auditRecord(outcome: 'success' | 'failure', digest: string, issues: readonly Issue[], p?: Plan): AuditRecordInput {
  const patientIds = [...new Set(p?.patientIds ?? [])];
  return {
    transaction: 'admin-change',
    action: 'import',
    outcome,
    actor: { type: 'system' },
    surface: 'cli',
    patientIds: patientIds.slice(0, 1000),
    detail: {
      bundleSha256: digest,
      errors: issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').length,
      ...(p ? summaryOf(p) : {}),
      ...(patientIds.length > 1000 ? { patientIdsListed: 1000 } : {}),
    },
  };
}

class Refused extends Error {
  constructor(readonly issues: Issue[]) {
    super('import refused');
  }
}

/**
 * Imports a parsed bundle: all of it in one transaction with its audit record, or nothing. A refused import is
 * recorded on the trail as a failure after the rollback; a dry run reads only, and writes neither data nor trail.
 * `digest` (SHA-256 of the file) ties the documents' provenance and the audit record to the bytes imported.
 */
export async function importBundle(store: RootStore, bundle: ImportBundle, options: ImportOptions, digest: string): Promise<ImportResult> {
  const source = `fhir-import:${digest.slice(0, 16)}`;
  if (hasErrors(bundle.issues)) {
    if (!options.dryRun) await createAuditAppender(store).append(auditRecord('failure', digest, bundle.issues));
    return { issues: bundle.issues };
  }
  if (options.dryRun) {
    const p = await plan(store, bundle, options, source);
    const issues = [...bundle.issues, ...p.issues];
    return hasErrors(issues) ? { issues } : { issues, summary: summaryOf(p) };
  }
  try {
    return await store.transaction(async (tx) => {
      const p = await plan(tx, bundle, options, source);
      if (hasErrors(p.issues)) throw new Refused([...bundle.issues, ...p.issues]);
      await tx.patients.insertMany(p.create, 'fhir-import');
      for (const link of p.links) await linkIdentifier(tx, link.patientId, link.identifier, 'fhir-import');
      for (const d of p.documents) await tx.documents.insert(d.input, d.content);
      // Last, so the audit chain's head is held only until this transaction commits, not while it loads.
      await createAuditAppender(tx).append(auditRecord('success', digest, bundle.issues, p));
      return { issues: [...bundle.issues, ...p.issues], summary: summaryOf(p) };
    });
  } catch (error) {
    const issues = error instanceof Refused
      ? error.issues
      : error instanceof StoreError
        ? [...bundle.issues, { severity: 'error' as const, code: error.code, message: `the store refused the import: ${error.message}` }]
        : undefined;
    if (!issues) throw error;
    await createAuditAppender(store).append(auditRecord('failure', digest, issues));
    return { issues };
  }
}

const NOT_JSON: ImportBundle = {
  patients: [], documents: [], binaries: [],
  issues: [{ severity: 'error', code: 'structure', message: 'Bundle is not JSON', where: { path: 'Bundle', field: 'Bundle' } }],
};

/** JSON.parse's message quotes the text around the fault, which may be patient data: only whether it parsed is kept. */
function parseJson(bytes: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) };
  } catch {
    return { ok: false };
  }
}

function describe(s: ImportSummary): string {
  return `patients ${s.patientsCreated} created, ${s.patientsMatched} matched, ${s.identifiersLinked} identifiers linked; ` +
    `documents ${s.documentsImported} imported, ${s.documentsSkipped} skipped (already present)`;
}

function issueLine(issue: Issue): string {
  return issue.where?.path ? `${issue.severity} ${issue.where.path}: ${issue.message}\n` : `${issue.severity}: ${issue.message}\n`;
}

/**
 * The command: reads FILE, imports it, prints every issue with its path on stderr and a one-line summary on
 * stdout, and returns the exit code (1 when anything was wrong, and then nothing was imported).
 */
export async function importFile(
  store: RootStore, file: string, options: ImportOptions, io: { readonly stdout: NodeJS.WritableStream; readonly stderr: NodeJS.WritableStream },
): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    io.stderr.write(`crossgate import: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`);
    return 1;
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  const json = parseJson(bytes);
  const bundle = json.ok ? parseImportBundle(json.value) : NOT_JSON;
  const result = await importBundle(store, bundle, options, digest);
  for (const issue of result.issues) io.stderr.write(issueLine(issue));
  if (!result.summary) {
    const errors = result.issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').length;
    io.stderr.write(`crossgate import: nothing imported (${errors} ${errors === 1 ? 'error' : 'errors'})\n`);
    return 1;
  }
  const s = result.summary;
  const lead = options.dryRun
    ? 'dry run, nothing written; would import'
    : s.patientsCreated + s.identifiersLinked + s.documentsImported === 0 ? 'nothing new imported' : 'imported';
  io.stdout.write(`${lead}: ${describe(s)}\n`);
  return 0;
}
