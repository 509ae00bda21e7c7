import type { Issue, IssueLocation, IssueSeverity } from '../../canonical/index.js';

/**
 * Severity carries the consequence, so the edge needs no list of codes:
 * `fatal` — the message is refused: nothing from it may be filed (quarantine, negative acknowledgement);
 * `error` — one record (an observation, a condition) was not produced, the rest of the message maps;
 * `warning` — the record was kept but something in it needs a person's eye (unmapped code, dropped range);
 * `information` — kept as sent, nothing wrong (an NHG number outside our table).
 * Messages name fields, codes and units, never patient data.
 */
export function issue(severity: IssueSeverity, code: string, message: string, where?: IssueLocation): Issue {
  return where ? { severity, code, message, where } : { severity, code, message };
}

export function at(element: { readonly path: string; readonly line: number }): IssueLocation {
  return { path: element.path, line: element.line };
}
