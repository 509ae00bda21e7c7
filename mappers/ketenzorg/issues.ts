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

/**
 * A record without an id of its own is named by its place in its message, so the same finding sent again in
 * another message cannot be told from a new one: it is filed again. The sender is told, so it can send ids.
 */
export function withoutIdIssue(what: 'observation' | 'concern', element: { readonly path: string; readonly line: number }): Issue {
  return issue('warning', 'RECORD_WITHOUT_ID', `the ${what} has no id of its own: sent again in another message, it cannot be told from a new one and is filed again`, at(element));
}
