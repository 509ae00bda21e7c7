import { element, type XmlNode } from './xml-writer.js';

/**
 * The XDS/XCA errors a responding gateway reports in `rs:RegistryErrorList` (ihe-xca-xcpd.md §2.5, IPF
 * `ErrorCode.java`), and the response status they lead to (§2.1). `errorCode` is always one of these names, never
 * an OID; `codeContext` is text for the sender and must never carry patient data beyond what the standard puts
 * there (the patient id of XDSUnknownPatientId, the uniqueId of XDSDocumentUniqueIdError).
 */
export const XDS_ERROR_CODES = [
  'XDSRegistryError',
  'XDSRegistryNotAvailable',
  'XDSRegistryBusy',
  'XDSRegistryOutOfResources',
  'XDSUnknownPatientId',
  'XDSUnknownStoredQuery',
  'XDSStoredQueryMissingParam',
  'XDSStoredQueryParamNumber',
  'XDSTooManyResults',
  'XDSResultNotSinglePatient',
  'XDSUnknownCommunity',
  'XDSMissingHomeCommunityId',
  'XDSUnavailableCommunity',
  'XDSUnknownRepositoryId',
  'XDSDocumentUniqueIdError',
  'XDSRepositoryError',
] as const;
export type XdsErrorCode = (typeof XDS_ERROR_CODES)[number];

export type ErrorSeverity = 'error' | 'warning';

export interface RegistryError {
  readonly errorCode: XdsErrorCode;
  readonly codeContext: string;
  readonly severity: ErrorSeverity;
  readonly location?: string;
}

/** Status URNs (IPF `Status.java`). */
export const RESPONSE_STATUS = {
  Success: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success',
  PartialSuccess: 'urn:ihe:iti:2007:ResponseStatusType:PartialSuccess',
  Failure: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure',
} as const;
export type ResponseStatus = keyof typeof RESPONSE_STATUS;

/** Severity URNs (IPF `Severity.java`). */
export const ERROR_SEVERITY = {
  error: 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error',
  warning: 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning',
} as const satisfies Record<ErrorSeverity, string>;

export function registryError(errorCode: XdsErrorCode, codeContext: string): RegistryError {
  return { errorCode, codeContext, severity: 'error' };
}

/** Only errors → Failure; results and errors → PartialSuccess; no errors (warnings at most) → Success. */
export function responseStatus(errors: readonly RegistryError[], hasResults: boolean): ResponseStatus {
  if (!errors.some((e) => e.severity === 'error')) return 'Success';
  return hasResults ? 'PartialSuccess' : 'Failure';
}

/** `rs:RegistryErrorList`, or nothing when there is nothing to report. */
export function registryErrorList(errors: readonly RegistryError[]): XmlNode | undefined {
  if (errors.length === 0) return undefined;
  const highest: ErrorSeverity = errors.some((e) => e.severity === 'error') ? 'error' : 'warning';
  return element(
    'rs:RegistryErrorList',
    { highestSeverity: ERROR_SEVERITY[highest] },
    errors.map((e) =>
      element('rs:RegistryError', { errorCode: e.errorCode, codeContext: e.codeContext, severity: ERROR_SEVERITY[e.severity], location: e.location }),
    ),
  );
}
