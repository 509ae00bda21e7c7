import type { AuditEvent, AuditEventAgent, AuditEventEntity, Bundle, CodeableConcept, Coding } from 'fhir/r4.js';
import { PURPOSES, type AuditRecord, type AuditTransaction, type Purpose } from '../../canonical/index.js';
import { parsePurposeString, purposeCoding } from '../../profiles/purposes.js';

/**
 * Audit records as FHIR R4 AuditEvents shaped after IHE Basic Audit Log Patterns (consent-and-audit.md §5.1):
 * one AuditEvent per patient (a record about three patients becomes three events), the requester as the
 * requestor agent with its purpose of use, a consent decision as an event of its own (BALP AuthZ-Consent), its organization as the userorg agent, this gateway as the other
 * agent and the observer, the query as a
 * query entity, and every returned resource or document as a data entity. Pure: no clock, no I/O.
 */
export interface AuditEventContext {
  /** Our home community id as a bare OID. */
  readonly homeCommunityId: string;
  readonly gatewayName: string;
}

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const REST = 'http://hl7.org/fhir/restful-interaction';
const IHE_EVENT = 'urn:ihe:event-type-code';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

interface Shape {
  readonly type: Coding;
  readonly subtype?: Coding;
  readonly action: AuditEvent['action'];
  /** True when the requester receives data (the requester is then the destination and we the source). */
  readonly disclosure: boolean;
}

function shapeOf(transaction: AuditTransaction, action: string): Shape {
  switch (transaction) {
    case 'fhir-search':
      return { type: { system: EVENT_TYPE, code: 'rest', display: 'Restful Operation' }, subtype: { system: REST, code: 'search-type', display: 'search type' }, action: 'E', disclosure: true };
    case 'fhir-read': {
      const code = action.endsWith('/vread') ? 'vread' : action.endsWith('/history') ? 'history-instance' : 'read';
      return { type: { system: EVENT_TYPE, code: 'rest', display: 'Restful Operation' }, subtype: { system: REST, code, display: code }, action: 'R', disclosure: true };
    }
    case 'fhir-operation':
      return { type: { system: EVENT_TYPE, code: 'rest', display: 'Restful Operation' }, subtype: { system: REST, code: 'operation', display: 'operation' }, action: 'E', disclosure: true };
    case 'ITI-55':
      return { type: { system: DCM, code: '110112', display: 'Query' }, subtype: { system: IHE_EVENT, code: 'ITI-55', display: 'Cross Gateway Patient Discovery' }, action: 'E', disclosure: true };
    case 'ITI-38':
      return { type: { system: DCM, code: '110112', display: 'Query' }, subtype: { system: IHE_EVENT, code: 'ITI-38', display: 'Cross Gateway Query' }, action: 'E', disclosure: true };
    case 'ITI-39':
      return { type: { system: DCM, code: '110106', display: 'Export' }, subtype: { system: IHE_EVENT, code: 'ITI-39', display: 'Cross Gateway Retrieve' }, action: 'R', disclosure: true };
    case 'inbound-ketenzorg':
    case 'inbound-lab':
      return { type: { system: DCM, code: '110107', display: 'Import' }, action: 'C', disclosure: false };
    case 'outbound-query':
      return { type: { system: DCM, code: '110112', display: 'Query' }, action: 'E', disclosure: false };
    case 'sign-in':
      return {
        type: { system: DCM, code: '110114', display: 'User Authentication' },
        subtype: action === 'sign-out' ? { system: DCM, code: '110123', display: 'Logout' } : { system: DCM, code: '110122', display: 'Login' },
        action: 'E', disclosure: false,
      };
    case 'audit-access':
      return { type: { system: DCM, code: '110101', display: 'Audit Log Used' }, action: 'R', disclosure: false };
    case 'staff-read':
      return { type: { system: DCM, code: '110110', display: 'Patient Record' }, action: 'R', disclosure: false };
    case 'admin-change':
      return { type: { system: DCM, code: '110137', display: 'User Security Attributes Changed' }, action: 'U', disclosure: false };
    case 'security':
      return { type: { system: DCM, code: '110113', display: 'Security Alert' }, action: 'E', disclosure: false };
  }
}

const OUTCOME: Record<AuditRecord['content']['outcome'], AuditEvent['outcome']> = { success: '0', denied: '4', failure: '8' };

function requestor(record: AuditRecord): AuditEventAgent {
  const a = record.content.actor;
  const identifier = a.userId
    ? { system: 'urn:crossgate:user', value: a.userId }
    : a.connectionId
      ? { system: 'urn:crossgate:connection', value: a.connectionId }
      : undefined;
  const purpose = record.content.purpose;
  return {
    type: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] },
    ...(identifier || a.name ? { who: { ...(identifier ? { identifier } : {}), ...(a.name ? { display: a.name } : {}) } } : {}),
    ...(a.role ? { role: [{ text: a.role }] } : {}),
    requestor: true,
    ...(purpose?.matched || purpose?.asReceived ? { purposeOfUse: [purposeOfUse(purpose)] } : {}),
    ...(record.content.sourceAddress ? { network: { address: record.content.sourceAddress, type: '2' as const } } : {}),
  };
}

/**
 * The purpose as the partner sent it (each code with its system, as BALP records what was received) and, when it
 * matched one of the seven, as we code that one; the text names the purpose consent decided on.
 */
function purposeOfUse(purpose: { readonly asReceived?: string; readonly matched?: string }): CodeableConcept {
  const received: Coding[] = (purpose.asReceived ?? '').split(/\s+/).filter(Boolean).map(parsePurposeString).map((r) => ({
    ...(r.system ? { system: /^[0-2](\.\d+)+$/.test(r.system) ? `urn:oid:${r.system}` : r.system } : {}), code: r.code,
  }));
  const matched = (PURPOSES as readonly string[]).includes(purpose.matched ?? '') ? purposeCoding(purpose.matched as Purpose) : undefined;
  const codings = [...received, ...(matched && !received.some((c) => c.system === matched.system && c.code === matched.code) ? [matched] : [])];
  return { ...(codings.length > 0 ? { coding: codings } : {}), text: purpose.matched ?? purpose.asReceived! };
}

function gateway(context: AuditEventContext, shape: Shape): AuditEventAgent {
  return {
    type: { coding: [shape.disclosure ? { system: DCM, code: '110153', display: 'Source Role ID' } : { system: DCM, code: '110152', display: 'Destination Role ID' }] },
    who: { identifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:${context.homeCommunityId}` }, display: context.gatewayName },
    requestor: false,
  };
}

export function renderAuditEvents(record: AuditRecord, context: AuditEventContext): AuditEvent[] {
  const c = record.content;
  const shape = shapeOf(c.transaction, c.action);
  const common: Omit<AuditEvent, 'id' | 'entity'> = {
    resourceType: 'AuditEvent',
    type: shape.type,
    ...(shape.subtype ? { subtype: [shape.subtype] } : {}),
    action: shape.action,
    recorded: record.recordedAt,
    outcome: OUTCOME[c.outcome],
    outcomeDesc: c.decision ? `${c.action}; consent ${c.decision.result}: ${c.decision.reason}${c.decision.policyVersion ? ` (policy version ${c.decision.policyVersion})` : ''}` : c.action,
    agent: [
      requestor(record),
      ...(c.actor.organizationId
        ? [{
            type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleClass', code: 'PROV', display: 'healthcare provider' }] },
            who: { reference: `Organization/${c.actor.organizationId}` },
            requestor: false,
          }]
        : []),
      gateway(context, shape),
    ],
    source: {
      site: context.gatewayName,
      observer: { identifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:${context.homeCommunityId}` }, display: context.gatewayName },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
  };
  const shared: AuditEventEntity[] = [
    ...(c.query ? [{ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '24', display: 'Query' }, query: c.query }] : []),
    ...c.returned.map((ref): AuditEventEntity => ({
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
      what: /^[A-Z][A-Za-z]+\/[A-Za-z0-9.-]{1,64}(\/_history\/[A-Za-z0-9.-]{1,64})?$/.test(ref) ? { reference: ref } : { identifier: { value: ref } },
    })),
    // A retrieve's documents as the partner knows them (DICOM: Report, by its XDS uniqueId); `returned` names our records.
    ...listed(c.detail?.retrieved).map((uniqueId): AuditEventEntity => ({
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '3', display: 'Report' },
      what: { identifier: { type: { text: 'XDSDocumentEntry.uniqueId' }, value: uniqueId } },
    })),
    ...(c.requestId ? [{ type: { system: ENTITY_TYPE, code: '4', display: 'Other' }, what: { identifier: { type: { text: 'X-Request-Id' }, value: c.requestId } } }] : []),
    ...(typeof c.detail?.messageId === 'string'
      ? [{ type: { system: ENTITY_TYPE, code: '4', display: 'Other' }, what: { identifier: { type: { text: 'wsa:MessageID' }, value: c.detail.messageId } } }]
      : []),
    {
      type: { system: ENTITY_TYPE, code: '4', display: 'Other' },
      what: { identifier: { system: 'urn:crossgate:audit-chain', value: `${record.seq}` } },
      description: `sha256 ${record.hash}`,
    },
  ];
  const patients = c.patientIds.length > 0 ? c.patientIds : [undefined];
  const patientEntity = (patientId: string): AuditEventEntity => ({
    type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' }, what: { reference: `Patient/${patientId}` },
  });
  const exchange = patients.map((patientId, i): AuditEvent => ({
    ...common,
    id: patients.length > 1 ? `${record.seq}-${i + 1}` : `${record.seq}`,
    entity: [...(patientId ? [patientEntity(patientId)] : []), ...shared],
  }));
  return [...exchange, ...consentEvents(record, context, patients, patientEntity)];
}

/** A detail value that is a list of strings, or nothing. */
function listed(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const CONSENT_OUTCOME: Record<'permit' | 'filtered' | 'deny', AuditEvent['outcome']> = { permit: '0', filtered: '4', deny: '8' };

/** BALP's consent decision (AuthZ-Consent): its own event per patient, permit 0, deny 8, with the rule that decided. */
function consentEvents(
  record: AuditRecord, context: AuditEventContext, patients: readonly (string | undefined)[], patientEntity: (id: string) => AuditEventEntity,
): AuditEvent[] {
  const d = record.content.decision;
  if (!d || d.result === 'not-applicable') return [];
  const outcome = CONSENT_OUTCOME[d.result];
  return patients.map((patientId, i) => ({
    resourceType: 'AuditEvent',
    id: `${record.seq}-consent${patients.length > 1 ? `-${i + 1}` : ''}`,
    type: { system: DCM, code: '110113', display: 'Security Alert' },
    action: 'E',
    recorded: record.recordedAt,
    outcome,
    outcomeDesc: `consent ${d.result}: ${d.reason}`,
    agent: [requestor(record), gateway(context, { type: { code: '' }, action: 'E', disclosure: false })],
    source: {
      observer: { identifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:${context.homeCommunityId}` }, display: context.gatewayName },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: [
      ...(patientId ? [patientEntity(patientId)] : []),
      ...(d.policyVersion
        ? [{ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, what: { identifier: { system: 'urn:crossgate:consent-policy-version', value: d.policyVersion } }, description: 'consent policy version' }]
        : []),
      { type: { system: ENTITY_TYPE, code: '4', display: 'Other' }, what: { identifier: { system: 'urn:crossgate:audit-chain', value: `${record.seq}` } } },
    ],
  }));
}

export function renderAuditBundle(records: readonly AuditRecord[], context: AuditEventContext, timestamp: string): Bundle {
  const events = records.flatMap((r) => renderAuditEvents(r, context));
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp,
    entry: events.map((resource) => ({ fullUrl: `urn:crossgate:audit:${resource.id}`, resource })),
  };
}
