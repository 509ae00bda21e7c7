import type { OperationOutcome } from 'fhir/r4.js';

/** IssueType codes we answer with (hl7.org/fhir/R4/valueset-issue-type.html). */
export type IssueCode =
  | 'invalid' | 'not-supported' | 'login' | 'security' | 'forbidden' | 'not-found' | 'deleted' | 'too-costly'
  | 'conflict' | 'processing' | 'throttled' | 'transient' | 'exception' | 'informational' | 'expired' | 'too-long';

/** A refusal the FHIR surface answers with an OperationOutcome and this status. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly code: IssueCode,
    message: string,
    /** FHIRPath-ish location of the problem, e.g. `Observation.date`, or the parameter name. */
    readonly expression?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'FhirError';
  }
}

export function operationOutcome(
  issues: readonly { severity: 'fatal' | 'error' | 'warning' | 'information'; code: IssueCode; diagnostics: string; expression?: string }[],
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({ severity: i.severity, code: i.code, diagnostics: i.diagnostics, ...(i.expression ? { expression: [i.expression] } : {}) })),
  };
}
