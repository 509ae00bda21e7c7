import type {
  Address as FhirAddress,
  CodeableConcept,
  Coding as FhirCoding,
  ContactPoint,
  Extension,
  Identifier as FhirIdentifier,
  Meta,
  Reference,
} from 'fhir/r4.js';
import { canonicalSystem, type Address, type Coding, type Identifier, type Telecom } from '../../canonical/index.js';

/**
 * The small FHIR building blocks every resource renderer shares. Systems pass through canonicalSystem again so
 * a record built without its zod schema still leaves with one spelling per system (known OIDs as their URI).
 */

/** What a canonical record does not know about itself but a served resource must say. */
export interface RenderContext {
  /** The public FHIR base URL (from configuration, never from the Host header), e.g. https://example.org/fhir/R4. */
  readonly baseUrl: string;
  readonly versionId: string;
  /** A FHIR instant. */
  readonly lastUpdated: string;
}

/** IHE's way to carry an OID or UUID that is itself the identifier (ITI TF-2 Appendix Z, FHIR Identifier type). */
export const URI_SYSTEM = 'urn:ietf:rfc:3986';

export function meta(context: RenderContext): Meta {
  return { versionId: context.versionId, lastUpdated: context.lastUpdated };
}

export function reference(type: 'Patient' | 'Organization' | 'Practitioner' | 'Observation' | 'Condition', id: string): Reference {
  return { reference: `${type}/${id}` };
}

/** Attachment URLs must be absolute (fhir.md §4, §8): clients resolve relative ones against the wrong base. */
export function absoluteUrl(context: RenderContext, path: string): string {
  return `${context.baseUrl.replace(/\/+$/, '')}/${path}`;
}

export function renderIdentifier(identifier: Identifier): FhirIdentifier {
  return {
    ...(identifier.use ? { use: identifier.use } : {}),
    system: canonicalSystem(identifier.system),
    value: identifier.value,
    ...(identifier.period ? { period: renderPeriod(identifier.period) } : {}),
    ...(identifier.assignerName ? { assigner: { display: identifier.assignerName } } : {}),
  };
}

export function renderCoding(coding: Coding): FhirCoding {
  return {
    system: canonicalSystem(coding.system),
    ...(coding.version ? { version: coding.version } : {}),
    code: coding.code,
    ...(coding.display ? { display: coding.display } : {}),
  };
}

export function concept(codings: readonly Coding[], text?: string): CodeableConcept {
  return { ...(codings.length > 0 ? { coding: codings.map(renderCoding) } : {}), ...(text ? { text } : {}) };
}

/** A coding from a FHIR-defined code system, where the code and its display come from a table of ours. */
export function fixedConcept(system: string, code: string, display: string): CodeableConcept {
  return { coding: [{ system, code, display }] };
}

const TIME_WITHOUT_SECONDS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})$/;

/**
 * FHIR dateTime at the precision it was written (YYYY, YYYY-MM, a date, a date and time). FHIR requires seconds
 * once a time is given, which the canonical form does not: ":00" is added, the only change made to a value.
 */
export function renderDateTime(value: string): string {
  return value.replace(TIME_WITHOUT_SECONDS, '$1:00$2');
}

/** FHIR instant (issued, date) needs a full time: a value known only to the day or less is not rendered. */
export function renderInstant(value: string): string | undefined {
  return value.includes('T') ? renderDateTime(value) : undefined;
}

export function renderPeriod(period: { start?: string | undefined; end?: string | undefined }): { start?: string; end?: string } {
  return {
    ...(period.start ? { start: renderDateTime(period.start) } : {}),
    ...(period.end ? { end: renderDateTime(period.end) } : {}),
  };
}

export function renderTelecom(telecom: Telecom): ContactPoint {
  return { system: telecom.system, value: telecom.value, ...(telecom.use ? { use: telecom.use } : {}) };
}

const STREET_NAME = 'http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-streetName';
const HOUSE_NUMBER = 'http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-houseNumber';

/**
 * Street and house number become one line, with the ADXP parts nl-core uses to keep them apart. `_line` must line
 * up index by index with `line` (JSON nulls as padding, which the typings cannot express), so the parts are only
 * attached when the composed line is the only one (made here, or written so, as an imported nl-core address is);
 * written lines are kept as written, before it.
 */
export function renderAddress(address: Address): FhirAddress {
  const composed = [address.street, address.houseNumber].filter(Boolean).join(' ');
  const lines = [...address.lines, ...(composed && !address.lines.includes(composed) ? [composed] : [])];
  const parts: Extension[] = [
    ...(address.street ? [{ url: STREET_NAME, valueString: address.street }] : []),
    ...(address.houseNumber ? [{ url: HOUSE_NUMBER, valueString: address.houseNumber }] : []),
  ];
  return {
    ...(address.use ? { use: address.use } : {}),
    ...(lines.length > 0 ? { line: lines } : {}),
    ...(lines.length === 1 && lines[0] === composed && parts.length > 0 ? { _line: [{ extension: parts }] } : {}),
    ...(address.city ? { city: address.city } : {}),
    ...(address.district ? { district: address.district } : {}),
    ...(address.state ? { state: address.state } : {}),
    ...(address.postalCode ? { postalCode: address.postalCode } : {}),
    ...(address.country ? { country: address.country } : {}),
  };
}
