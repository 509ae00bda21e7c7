import { hasErrors, type Identifier, type Issue } from '../../../canonical/index.js';
import { FhirImportBundle } from './fhir-shapes.js';
import { at, error, parseShape, resourceAt, warning, type Where } from './issues.js';
import { parseBinary, type BinaryContent } from './parse-binary.js';
import {
  completeDocument,
  parseDocumentReference,
  sourcePatientIdOf,
  type DocumentDraft,
  type DocumentReferenceParts,
  type PatientPointer,
} from './parse-document-reference.js';
import { parsePatient, withNineDigitBsn, type PatientDraft } from './parse-patient.js';

export interface ImportedPatient {
  /** The FHIRPath of the resource in the bundle, e.g. `Bundle.entry[0].resource`. */
  readonly path: string;
  readonly patient: PatientDraft;
}

/**
 * Whose document it is: a patient of this bundle (by index into `patients`), or one the store must already hold,
 * named by an identifier.
 */
export type SubjectLink = { readonly patient: number } | { readonly identifier: Identifier; readonly path: string };

export interface ImportedDocument {
  readonly path: string;
  readonly input: DocumentDraft;
  readonly subject: SubjectLink;
  /** The bytes and where they came from: a Binary entry, or the attachment's inline data. */
  readonly content: { readonly path: string; readonly bytes: Uint8Array };
}

export interface ImportedBinary extends BinaryContent {
  readonly path: string;
}

export interface ImportBundle {
  readonly patients: ImportedPatient[];
  readonly documents: ImportedDocument[];
  readonly binaries: ImportedBinary[];
  /** Any error means the bundle must not be loaded at all; warnings say what was left out. */
  readonly issues: Issue[];
}

type EntryKind = 'Patient' | 'DocumentReference' | 'Binary';
const KINDS: readonly string[] = ['Patient', 'DocumentReference', 'Binary'];

interface Indexed {
  readonly entry: number;
  readonly kind: EntryKind;
}

/**
 * A FHIR R4 Bundle (collection or transaction) of Patients, DocumentReferences and Binaries, read and cross-checked
 * as one unit: references resolve by fullUrl, `Type/id` or a transaction PUT url; a document's bytes come from the
 * Binary its attachment names or from inline data; identifiers and uniqueIds must not repeat. Nothing is resolved
 * against stored data here: a subject given only by an identifier that no patient of the bundle holds is left for
 * the import to find in the store.
 */
export function parseImportBundle(json: unknown): ImportBundle {
  const root = resourceAt('Bundle', 'Bundle');
  const shape = parseShape(FhirImportBundle, json, root);
  if (!shape.value) return { patients: [], documents: [], binaries: [], issues: shape.issues };
  const bundle = shape.value;
  const entries = bundle.entry ?? [];
  const issues: Issue[] = [];
  if (entries.length === 0) issues.push(error('required', at(root, 'entry'), 'is empty: there is nothing to import'));

  const index = new Map<string, Indexed>();
  const patients = new Map<number, ImportedPatient>();
  const documents: DocumentReferenceParts[] = [];
  let unreadDocuments = 0;
  const binaries = new Map<number, ImportedBinary>();

  entries.forEach((entry, i) => {
    const entryWhere = at(root, 'entry', i);
    const resourceWhere = at(entryWhere, 'resource');
    const type = entry.resource.resourceType;
    if (bundle.type === 'transaction') issues.push(...requestIssues(entry.request, at(entryWhere, 'request')));
    if (!KINDS.includes(type)) {
      issues.push(error('not-supported', at(resourceWhere, 'resourceType'), 'must be Patient, DocumentReference or Binary: the import loads nothing else'));
      return;
    }
    const kind = type as EntryKind;
    const keys = [
      ...(entry.fullUrl ? [{ key: entry.fullUrl, where: at(entryWhere, 'fullUrl') }] : []),
      ...(entry.resource.id ? [{ key: `${kind}/${entry.resource.id}`, where: at(resourceWhere, 'id') }] : []),
      ...(entry.request?.method === 'PUT' && entry.request.url !== `${kind}/${entry.resource.id}` ? [{ key: entry.request.url, where: at(entryWhere, 'request', 'url') }] : []),
    ];
    for (const { key, where } of keys) {
      const earlier = index.get(key);
      if (earlier) issues.push(error('duplicate', where, `names the same resource as Bundle.entry[${earlier.entry}]`));
      else index.set(key, { entry: i, kind });
    }
    if (kind === 'Patient') {
      const parsed = parsePatient(entry.resource, resourceWhere.path);
      issues.push(...parsed.issues);
      if (parsed.patient) patients.set(i, { path: resourceWhere.path, patient: parsed.patient });
    } else if (kind === 'Binary') {
      const parsed = parseBinary(entry.resource, resourceWhere.path);
      issues.push(...parsed.issues);
      if (parsed.binary) binaries.set(i, { path: resourceWhere.path, ...parsed.binary });
    } else {
      const parsed = parseDocumentReference(entry.resource, resourceWhere.path);
      issues.push(...parsed.issues);
      if (parsed.document) documents.push(parsed.document);
      else unreadDocuments++;
    }
  });

  const patientList = [...patients.values()];
  issues.push(...repeatedIdentifiers(patientList));
  const resolver = new Resolver(index, patients, patientList);
  const used = new Set<number>();
  const imported: ImportedDocument[] = [];
  for (const parts of documents) {
    const linked = linkDocument(parts, resolver, binaries, used);
    issues.push(...linked.issues);
    if (linked.document) imported.push(linked.document);
  }
  issues.push(...repeatedDocumentIds(imported));
  // A DocumentReference that could not be read may be the one that names a Binary: then no Binary is called unused.
  for (const [entry, binary] of unreadDocuments === 0 ? binaries : []) {
    if (!used.has(entry)) issues.push(warning('informational', resourceAt(binary.path, 'Binary'), 'is referenced by no DocumentReference: it is not imported'));
  }
  return hasErrors(issues)
    ? { patients: [], documents: [], binaries: [], issues }
    : { patients: patientList, documents: imported, binaries: [...binaries.values()], issues };
}

function requestIssues(request: { method: string; url: string } | undefined, where: Where): Issue[] {
  if (!request) return [error('required', where, 'is required in a transaction Bundle')];
  if (request.method !== 'POST' && request.method !== 'PUT') return [error('not-supported', at(where, 'method'), 'must be POST or PUT: the import only adds')];
  return [];
}

/** Finds the patients and binaries that references in DocumentReferences name. */
class Resolver {
  constructor(
    private readonly index: ReadonlyMap<string, Indexed>,
    private readonly patients: ReadonlyMap<number, ImportedPatient>,
    private readonly patientList: readonly ImportedPatient[],
  ) {}

  entry(reference: string, kind: EntryKind, where: Where): { entry?: number; issues: Issue[] } {
    const found = this.index.get(reference);
    if (!found) return { issues: [error('not-found', where, `names no ${kind} entry of the bundle (by fullUrl or ${kind}/id)`)] };
    if (found.kind !== kind) return { issues: [error('value', where, `names Bundle.entry[${found.entry}], which is a ${found.kind}, not a ${kind}`)] };
    return { entry: found.entry, issues: [] };
  }

  /** A patient of the bundle by reference or by identifier; an identifier no bundle patient holds is for the store. */
  patient(pointer: PatientPointer): { link?: SubjectLink; issues: Issue[] } {
    if (pointer.reference !== undefined) {
      const found = this.entry(pointer.reference, 'Patient', pointer.where);
      if (found.entry === undefined) return { issues: found.issues };
      const patient = this.patients.get(found.entry);
      // A Patient entry that could not be read has its own errors already.
      return patient ? { link: { patient: this.patientList.indexOf(patient) }, issues: [] } : { issues: [] };
    }
    const wanted = withNineDigitBsn(pointer.identifier!);
    const holder = this.patientList.findIndex((p) => p.patient.identifiers.some((i) => i.system === wanted.system && i.value === wanted.value));
    return { link: holder >= 0 ? { patient: holder } : { identifier: wanted, path: pointer.where.path }, issues: [] };
  }

  patientAt(link: { readonly patient: number }): ImportedPatient | undefined {
    return this.patientList[link.patient];
  }
}

function linkDocument(
  parts: DocumentReferenceParts, resolver: Resolver, binaries: ReadonlyMap<number, ImportedBinary>, used: Set<number>,
): { document?: ImportedDocument; issues: Issue[] } {
  // The Binary first, so one named by a document refused for another reason is not also reported as unused.
  const a = parts.attachment;
  let content: { path: string; bytes: Uint8Array; contentType?: string };
  if (a.url !== undefined) {
    const found = resolver.entry(a.url, 'Binary', at(a.where, 'url'));
    const binary = found.entry !== undefined ? binaries.get(found.entry) : undefined;
    if (!binary) return { issues: found.issues };
    used.add(found.entry!);
    content = { path: binary.path, bytes: binary.bytes, contentType: binary.contentType };
  } else {
    content = { path: at(a.where, 'data').path, bytes: a.data! };
  }

  const subject = resolver.patient(parts.subject);
  if (!subject.link) return { issues: subject.issues };
  const source = parts.metadata.sourcePatientId ? { issues: [] } : sourcePatientIdFor(parts, subject.link, resolver);
  const issues: Issue[] = [...source.issues];
  if (hasErrors(issues)) return { issues };
  const completed = completeDocument(parts, { bytes: content.bytes, from: content.path, ...(content.contentType ? { contentType: content.contentType } : {}) }, source.value);
  issues.push(...completed.issues);
  if (!completed.document) return { issues };
  return { document: { path: parts.where.path, input: completed.document, subject: subject.link, content: { path: content.path, bytes: content.bytes } }, issues };
}

/**
 * sourcePatientId, when the DocumentReference did not give it itself: from the patient its sourcePatientInfo
 * references, or else from its subject (the same person, as the source system knew them).
 */
function sourcePatientIdFor(parts: DocumentReferenceParts, subject: SubjectLink, resolver: Resolver): { value?: string; issues: Issue[] } {
  let link = subject;
  let where = parts.subject.where;
  if (parts.sourcePatient) {
    const resolved = resolver.patient(parts.sourcePatient);
    if (!resolved.link) return { issues: resolved.issues };
    link = resolved.link;
    where = parts.sourcePatient.where;
  }
  const identifiers = 'patient' in link ? (resolver.patientAt(link)?.patient.identifiers ?? []) : [link.identifier];
  return sourcePatientIdOf(identifiers, where);
}

/** An identifier given twice would either merge two people or be refused by the store halfway: refuse it here. */
function repeatedIdentifiers(patients: readonly ImportedPatient[]): Issue[] {
  const seen = new Map<string, string>();
  const issues: Issue[] = [];
  for (const p of patients) {
    p.patient.identifiers.forEach((identifier, i) => {
      const key = `${identifier.system}|${identifier.value}`;
      const where = at(resourceAt(p.path, 'Patient'), 'identifier', i);
      const earlier = seen.get(key);
      if (earlier) issues.push(error('duplicate', where, `repeats the identifier at ${earlier}`));
      else seen.set(key, where.path);
    });
  }
  return issues;
}

function repeatedDocumentIds(documents: readonly ImportedDocument[]): Issue[] {
  const issues: Issue[] = [];
  const check = (field: 'uniqueId' | 'entryUuid', element: string) => {
    const seen = new Map<string, string>();
    for (const d of documents) {
      const where = at(resourceAt(d.path, 'DocumentReference'), element);
      const earlier = seen.get(d.input[field]);
      if (earlier) issues.push(error('duplicate', where, `repeats the ${field === 'uniqueId' ? 'uniqueId' : 'entryUUID'} of ${earlier}`));
      else seen.set(d.input[field], d.path);
    }
  };
  check('uniqueId', 'masterIdentifier');
  check('entryUuid', 'identifier');
  return issues;
}
