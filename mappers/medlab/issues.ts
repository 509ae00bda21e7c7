import type { Issue, IssueLocation, IssueSeverity } from '../../canonical/index.js';
import type { Segment } from './syntax.js';

/**
 * Where a segment sits, for an issue: its tag, line and column, and optionally the element (`BEP.5`, 1-based
 * after the tag, as segment descriptions count). Messages stay generic: they name fields, never patient values.
 */
export function locate(segment: Segment, element?: number, component?: number): IssueLocation {
  return {
    segment: segment.tag || '(empty)',
    ...(segment.position ? { line: segment.position.line, column: segment.position.column } : {}),
    ...(element !== undefined ? { field: `${segment.tag}.${element}${component !== undefined ? `.${component}` : ''}` } : {}),
  };
}

export function issueAt(severity: IssueSeverity, code: string, message: string, segment: Segment, element?: number, component?: number): Issue {
  return { severity, code, message, where: locate(segment, element, component) };
}

/** Component `component` (1-based) of element `element` (1-based), trimmed; '' when absent. */
export function valueOf(segment: Segment, element: number, component = 1): string {
  return (segment.elements[element - 1]?.[component - 1] ?? '').trim();
}
