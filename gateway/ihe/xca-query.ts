import { canonicalSystem, type Document } from '../../canonical/index.js';
import {
  parseAdhocQueryRequest, registryError, renderAdhocQueryResponse,
  type AdhocQueryResponseInput, type QueryCode, type QueryTime, type RegistryError, type StoredQuery, type StoredQueryOf,
} from '../../mappers/xds/index.js';
import type { DocumentQuery, RegisteredDocument } from '../../store/index.js';
import type { ConsentedReader } from '../outbound/consented-reader.js';
import type { SubjectFinder } from '../outbound/subject-finder.js';
import type { IheContext } from './context.js';
import { ourPatientAuthority, patientCx } from './patient-id.js';
import { entryOf, membershipOf, submissionSetOf, type RegistryScope } from './registry.js';
import type { SoapTransaction } from './soap-endpoint.js';
import type { SummaryDocuments } from './summary-documents.js';

/** Results beyond this are cut, with a warning saying so (XDSTooManyResults). */
const MAX_RESULTS = 1000;
type Objects = Omit<AdhocQueryResponseInput, 'returnType' | 'errors'>;
const NOTHING: Objects = {};

/**
 * ITI-38 Cross Gateway Query (ihe-xca-xcpd.md §2): every stored query of the responding gateway. The query names a
 * patient, or objects whose patient is looked up by id; consent decides for that patient, and a patient we do not
 * hold, or whose consent does not permit the purpose, gets the same empty Success (consent-and-audit.md §4). A
 * query by ids that reaches several patients answers XDSResultNotSinglePatient and nothing else. A failure while
 * answering is Failure + XDSRegistryError with the request id, never data.
 */
export function crossGatewayQuery(ctx: IheContext, summaries: SummaryDocuments): SoapTransaction {
  return {
    path: '/xca/query', transaction: 'ITI-38', surface: 'xca',
    action: 'urn:ihe:iti:2007:CrossGatewayQuery', responseAction: 'urn:ihe:iti:2007:CrossGatewayQueryResponse',
    summary: 'ITI-38 Cross Gateway Query (SOAP 1.2, SAML assertion)',
    async answer(call) {
      const parsed = parseAdhocQueryRequest(call.request.body, { homeCommunityId: ctx.config.homeCommunityId });
      if (!parsed.ok) {
        await ctx.pipeline.refused(call.exchange, parsed.errors.map((e) => `${e.errorCode}: ${e.codeContext}`).join('; ').slice(0, 400));
        return { body: renderAdhocQueryResponse({ returnType: 'LeafClass', errors: parsed.errors }) };
      }
      const query = parsed.query;
      const errors: RegistryError[] = [];
      try {
        const objects = await ctx.pipeline.run(call.exchange, {
          subjects: async (find) => {
            const found = await subjectsOf(ctx, query, find);
            if (found.length > 1) {
              errors.push(registryError('XDSResultNotSinglePatient', 'the objects named belong to more than one patient'));
              return [];
            }
            return found;
          },
          respond: async (reader, verdict) => {
            const patientId = verdict.permitted[0];
            if (!patientId) return NOTHING;
            const scope: RegistryScope = {
              home: ctx.config.homeCommunityId,
              patientCx: 'patientId' in query.params ? query.params.patientId.cx : patientCx(ctx.config, patientId),
              sourceId: ctx.config.repositoryUniqueId,
            };
            return execute(query, listing(reader, patientId, returnsDocuments(query) ? summaries : undefined), scope, errors);
          },
        });
        return { body: renderAdhocQueryResponse({ returnType: query.returnType, errors, ...objects }) };
      } catch {
        return { body: renderAdhocQueryResponse({ returnType: query.returnType, errors: [registryError('XDSRegistryError', `internal error; request id ${call.exchange.requestId}`)] }) };
      }
    },
  };
}

/** The patient a query concerns: the one its patient id names, or the owners of the objects it names by id. */
async function subjectsOf(ctx: IheContext, query: StoredQuery, find: SubjectFinder): Promise<string[]> {
  if ('patientId' in query.params) {
    const { id, assigningAuthority } = query.params.patientId;
    const found = assigningAuthority === ourPatientAuthority(ctx.config) ? await find.byId(id) : await find.byIdentifier(canonicalSystem(`urn:oid:${assigningAuthority}`), id);
    return found ? [found] : [];
  }
  const ids = idsNamed(query);
  if (ids.length === 0) return [];
  return [...new Set((await find.documentOwners(ids)).map((o) => o.patientId))];
}

/** The document and submission-set ids a query by ids names (folders: we hold none, so they name no one). */
function idsNamed(query: StoredQuery): string[] {
  const p = query.params as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);
  switch (query.name) {
    case 'GetDocuments': return [...list(p.entryUuids), ...list(p.uniqueIds), ...list(p.logicalIds)];
    case 'GetDocumentsAndAssociations':
    case 'GetRelatedDocuments':
    case 'GetFoldersForDocument': return [...list(p.entryUuids), ...list(p.entryUuid), ...list(p.uniqueIds), ...list(p.uniqueId)];
    case 'GetSubmissionSets':
    case 'GetAssociations': return list(p.uuids);
    case 'GetSubmissionSetAndContents': return [...list(p.entryUuid), ...list(p.uniqueId)];
    default: return [];
  }
}

function returnsDocuments(query: StoredQuery): boolean {
  return ['FindDocuments', 'FindDocumentsByReferenceId', 'GetAll', 'GetDocuments', 'GetDocumentsAndAssociations', 'GetSubmissionSetAndContents', 'FindSubmissionSets', 'GetSubmissionSets'].includes(query.name);
}

type Listing = (filter: DocumentQuery) => Promise<RegisteredDocument[]>;

/**
 * The registry listing of the patient's documents. For a query that lists documents, the patient's current summary
 * is among them: read with the record stamp in one statement and used when the summary is of that stamp, otherwise
 * the summary is made for that stamp first (it replaces the previous one) and the listing read again.
 */
function listing(reader: ConsentedReader, patientId: string, summaries: SummaryDocuments | undefined): Listing {
  if (!summaries) return (filter) => reader.registered(patientId, filter);
  return async (filter) => {
    const read = await reader.registeredIfCurrent(patientId, filter, (stamp) => summaries.isCurrent(patientId, stamp));
    if ('documents' in read) return read.documents;
    if (read.stamp) await summaries.ensure(reader, patientId, read.stamp);
    return reader.registered(patientId, filter);
  };
}

async function execute(query: StoredQuery, registered: Listing, scope: RegistryScope, errors: RegistryError[]): Promise<Objects> {
  const list = async (filter: DocumentQuery) => {
    const found = await registered({ ...filter, limit: MAX_RESULTS + 1 });
    if (found.length > MAX_RESULTS) errors.push({ ...registryError('XDSTooManyResults', `more than ${MAX_RESULTS} objects match: the first ${MAX_RESULTS} are returned; narrow the query`), severity: 'warning' });
    return found.slice(0, MAX_RESULTS);
  };
  const entries = (found: readonly RegisteredDocument[]) => found.map((r) => entryOf(scope, r.document));
  const sets = (found: readonly RegisteredDocument[]) => found.map((r) => submissionSetOf(scope, r));
  const members = (found: readonly RegisteredDocument[]) => found.map((r) => membershipOf(scope, r));

  switch (query.name) {
    case 'FindDocuments':
    case 'FindDocumentsByReferenceId': {
      const p = query.params;
      if (!p.entryTypes.includes('stable')) return NOTHING;
      const found = (await list(documentFilters(p))).filter((r) => matchesAndOr(r.document, p) && ('referenceIds' in p ? andOr(p.referenceIds, (ref) => r.document.referenceIds.includes(ref)) : true));
      return { documentEntries: entries(found) };
    }
    case 'FindSubmissionSets': {
      const p = query.params;
      if (!p.status.includes('Approved')) return NOTHING;
      const found = (await list({})).filter((r) =>
        (!p.submissionTimeFrom || r.storedAt >= iso(p.submissionTimeFrom)) && (!p.submissionTimeTo || r.storedAt < iso(p.submissionTimeTo))
        && (!p.sourceIds || p.sourceIds.includes(scope.sourceId))
        && (!p.contentTypeCodes || p.contentTypeCodes.some((c) => sameCode(r.document.classCode, c)))
        && (!p.authorPerson || r.document.authors.some((a) => a.person !== undefined && like(a.person, p.authorPerson!))));
      return { submissionSets: sets(found) };
    }
    case 'FindFolders':
    case 'GetFolders':
    case 'GetFolderAndContents':
    case 'GetFoldersForDocument':
    case 'GetRelatedDocuments':
      return NOTHING;
    case 'GetAll': {
      const p = query.params;
      const found = p.entryTypes.includes('stable') ? (await list({ statuses: statuses(p.documentEntryStatus), ...contentFilters(p) })).filter((r) => matchesAndOr(r.document, p)) : [];
      const withSets = p.submissionSetStatus.includes('Approved') ? found : [];
      return { documentEntries: entries(found), submissionSets: sets(withSets), associations: members(withSets) };
    }
    case 'GetDocuments': {
      const p = query.params;
      const found = await list({ ...('uniqueIds' in p && p.uniqueIds ? { uniqueIds: p.uniqueIds } : { entryUuids: [...(p.entryUuids ?? []), ...(p.logicalIds ?? [])] }) });
      return { documentEntries: entries(found) };
    }
    case 'GetDocumentsAndAssociations': {
      const p = query.params;
      const found = await list(p.uniqueIds ? { uniqueIds: p.uniqueIds } : { entryUuids: p.entryUuids ?? [] });
      return { documentEntries: entries(found), associations: members(found) };
    }
    case 'GetSubmissionSets': {
      const found = await list({ entryUuids: query.params.uuids });
      return { submissionSets: sets(found), associations: members(found) };
    }
    case 'GetSubmissionSetAndContents': {
      const p = query.params;
      const set = p.entryUuid ?? p.uniqueId!;
      const registered = await list({ submissionSets: [set] });
      const contents = p.entryTypes.includes('stable') ? registered.filter((r) => matchesContent(r.document, p)) : [];
      return { submissionSets: sets(registered.slice(0, 1)), documentEntries: entries(contents), associations: members(contents) };
    }
    case 'GetAssociations': {
      const uuids = new Set(query.params.uuids);
      const found = (await list({})).filter((r) => uuids.has(r.document.entryUuid) || uuids.has(r.submissionSet.entryUuid));
      return { associations: members(found) };
    }
  }
}

type DocumentFilterParams = StoredQueryOf<'FindDocuments'>['params'];

/** The FindDocuments filters the store answers with its indexes; AND-of-OR code lists beyond the first are checked after. */
function documentFilters(p: DocumentFilterParams): DocumentQuery {
  return {
    statuses: statuses(p.status),
    ...(p.classCodes ? { classCodes: p.classCodes.map(token) } : {}),
    ...(p.typeCodes ? { typeCodes: p.typeCodes.map(token) } : {}),
    ...(p.practiceSettingCodes ? { practiceSettingCodes: p.practiceSettingCodes.map(token) } : {}),
    ...(p.healthcareFacilityTypeCodes ? { facilityTypeCodes: p.healthcareFacilityTypeCodes.map(token) } : {}),
    ...(p.formatCodes ? { formatCodes: p.formatCodes.map(token) } : {}),
    ...(p.eventCodes?.[0] ? { eventCodes: p.eventCodes[0].map(token) } : {}),
    ...(p.confidentialityCodes?.[0] ? { confidentialityCodes: p.confidentialityCodes[0].map(token) } : {}),
    ...(p.creationTimeFrom ? { creationFrom: iso(p.creationTimeFrom) } : {}),
    ...(p.creationTimeTo ? { creationTo: iso(p.creationTimeTo) } : {}),
    ...(p.serviceStartTimeFrom ? { serviceStartFrom: iso(p.serviceStartTimeFrom) } : {}),
    ...(p.serviceStartTimeTo ? { serviceStartTo: iso(p.serviceStartTimeTo) } : {}),
    ...(p.serviceStopTimeFrom ? { serviceStopFrom: iso(p.serviceStopTimeFrom) } : {}),
    ...(p.serviceStopTimeTo ? { serviceStopTo: iso(p.serviceStopTimeTo) } : {}),
    ...(p.authorPersons ? { authorPersons: p.authorPersons } : {}),
  };
}

function contentFilters(p: { readonly formatCodes?: readonly QueryCode[]; readonly confidentialityCodes?: readonly (readonly QueryCode[])[] }): DocumentQuery {
  return {
    ...(p.formatCodes ? { formatCodes: p.formatCodes.map(token) } : {}),
    ...(p.confidentialityCodes?.[0] ? { confidentialityCodes: p.confidentialityCodes[0].map(token) } : {}),
  };
}

function matchesAndOr(d: Document, p: { readonly eventCodes?: readonly (readonly QueryCode[])[]; readonly confidentialityCodes?: readonly (readonly QueryCode[])[] }): boolean {
  return andOr(p.eventCodes, (c) => d.eventCodes.some((e) => sameCode(e, c))) && andOr(p.confidentialityCodes, (c) => d.confidentialityCodes.some((e) => sameCode(e, c)));
}

function matchesContent(d: Document, p: { readonly formatCodes?: readonly QueryCode[]; readonly confidentialityCodes?: readonly (readonly QueryCode[])[] }): boolean {
  return (!p.formatCodes || p.formatCodes.some((c) => sameCode(d.formatCode, c))) && matchesAndOr(d, p);
}

/** Each group (a slot) must have a value that matches; within a group any value will do. */
function andOr<T>(groups: readonly (readonly T[])[] | undefined, matches: (value: T) => boolean): boolean {
  return !groups || groups.every((group) => group.some(matches));
}

const statuses = (s: readonly ('Approved' | 'Deprecated')[]) => s.map((x) => (x === 'Approved' ? 'approved' as const : 'deprecated' as const));
/** A query code's scheme is an OID (or a URN such as the IHE format code scheme); the store keeps canonical systems. */
const systemOf = (scheme: string) => canonicalSystem(/^[0-2](\.\d+)+$/.test(scheme) ? `urn:oid:${scheme}` : scheme);
const token = (c: QueryCode) => `${systemOf(c.scheme)}|${c.code}`;
const sameCode = (coding: { system: string; code: string }, c: QueryCode) => coding.code === c.code && coding.system === systemOf(c.scheme);
const iso = (t: QueryTime) => t.start;

/** SQL LIKE as XDS uses it for author persons: `%` any run, `_` one character. */
function like(value: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');
  return re.test(value);
}
