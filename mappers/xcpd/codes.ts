/**
 * The OIDs and codes of XCPD (ITI-55) as ihe-xca-xcpd.md §4 gives them, with the IPF schematron
 * (`iti55/PRPA_IN201306UV02.sch.xml`) and the XCPD error handling of OpenNCP and CONNECT as sources.
 */
export const OID = {
  /** HL7 interaction and trigger-event identifiers. */
  interaction: '2.16.840.1.113883.1.6',
  administrativeGender: '2.16.840.1.113883.5.1',
  ssn: '2.16.840.1.113883.4.1',
  npi: '2.16.840.1.113883.4.6',
  acknowledgementDetailCode: '2.16.840.1.113883.5.1100',
  actCode: '2.16.840.1.113883.5.4',
  /** XCPD: attributes a responder asks for (Case 3). */
  attributeRequested: '1.3.6.1.4.1.19376.1.2.27.1',
  /** XCPD: whether the responder is a Health Data Locator. */
  healthDataLocator: '1.3.6.1.4.1.19376.1.2.27.2',
  /** XCPD: why a responder could not answer (Case 5). */
  errorCode: '1.3.6.1.4.1.19376.1.2.27.3',
} as const;

export const REQUEST_INTERACTION = 'PRPA_IN201305UV02';
export const RESPONSE_INTERACTION = 'PRPA_IN201306UV02';
export const RESPONSE_TRIGGER_EVENT = 'PRPA_TE201306UV02';

export const REQUESTED_ATTRIBUTES = [
  'LivingSubjectAdministrativeGenderRequested',
  'PatientAddressRequested',
  'PatientTelecomRequested',
  'LivingSubjectBirthPlaceNameRequested',
  'LivingSubjectBirthPlaceAddressRequested',
  'MothersMaidenNameRequested',
  'SSNRequested',
] as const;
export type RequestedAttribute = (typeof REQUESTED_ATTRIBUTES)[number];

export const ERROR_CODES = ['InternalError', 'ResponderBusy', 'AnswerNotAvailable'] as const;
export type DiscoveryErrorCode = (typeof ERROR_CODES)[number];
