import type { Coding, Consent, FhirResource } from 'fhir/r4.js';
import { renderConsent } from '../../../mappers/fhir/consent.js';
import type { Disclosure } from '../../outbound/pipeline.js';
import { alternatives, parseToken, type SearchParams } from '../params.js';
import { NOTHING, nothingFor, scopedPatient, type SearchRequest, type SearchResult } from './request.js';

/**
 * A patient's Consent: the purpose-of-use policy in force for them, one resource. It says what the patient chose,
 * so it is a disclosure about the patient like any record: decided by consent, read through the consented reader.
 */
const STATUS_SYSTEM = 'http://hl7.org/fhir/consent-state-codes';

function matches(coding: Coding, value: string, name: string): boolean {
  const t = parseToken(value, name);
  return (!t.system || t.system === coding.system) && (!t.code || t.code === coding.code);
}

/** Every repeat of a parameter must hold (AND), one of its comma alternatives each time (OR). */
function holds(params: SearchParams, name: string, codings: readonly Coding[]): boolean {
  return (params.get(name) ?? []).every((value) => alternatives(value).some((v) => codings.some((c) => matches(c, v, name))));
}

function selected(consent: Consent, params: SearchParams): boolean {
  return holds(params, 'status', [{ system: STATUS_SYSTEM, code: consent.status }])
    && holds(params, 'scope', consent.scope.coding ?? [])
    && holds(params, 'category', consent.category.flatMap((c) => c.coding ?? []))
    && holds(params, 'purpose', (consent.provision?.provision ?? []).flatMap((p) => p.purpose ?? []));
}

export function consentSearch(request: SearchRequest): Disclosure<SearchResult> {
  return {
    subjects: (find) => scopedPatient(request.params, find, request.baseUrl, 'Consent'),
    async respond(read, verdict) {
      const patientId = verdict.permitted[0];
      if (!patientId) return nothingFor(request);
      const consent = renderConsent(await read.consentPolicy(patientId));
      const found = selected(consent, request.params) ? [consent] : [];
      if (request.answer === 'count') return { ...NOTHING, total: found.length };
      return { ...NOTHING, matches: found, ...(request.total ? { total: found.length } : {}) };
    },
  };
}

const CONSENT_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-privacy$/i;

/** A Consent by id: the patient's one, as the policy in force has it now (its version says which). */
export function consentRead(id: string): Disclosure<FhirResource | undefined> {
  const patientId = CONSENT_ID.exec(id)?.[1];
  return {
    subjects: async (find) => {
      const found = patientId ? await find.byId(patientId) : undefined;
      return found ? [found] : [];
    },
    async respond(read, verdict) {
      const permitted = verdict.permitted[0];
      if (!permitted) return undefined;
      const consent = renderConsent(await read.consentPolicy(permitted));
      return consent.id === id ? consent : undefined;
    },
  };
}
