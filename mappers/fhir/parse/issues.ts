import type { z } from 'zod';
import type { Issue, IssueSeverity } from '../../../canonical/index.js';

/**
 * Where a problem sits, twice: `path` is the FHIRPath from the top of the input (`Bundle.entry[3].resource.status`),
 * which finds it in the file; `field` starts at the resource (`DocumentReference.status`) and opens every message,
 * so a message names the field even where the path is not shown. Neither ever holds a value from the input.
 */
export interface Where {
  readonly path: string;
  readonly field: string;
}

export function resourceAt(path: string, resourceType: string): Where {
  return { path, field: resourceType };
}

export function at(where: Where, ...steps: readonly (string | number)[]): Where {
  const suffix = steps.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
  return { path: `${where.path}${suffix}`, field: `${where.field}${suffix}` };
}

/** `text` continues the sentence the field begins: "DocumentReference.masterIdentifier" + " is required". */
export function problem(severity: IssueSeverity, code: string, where: Where, text: string): Issue {
  return { severity, code, message: `${where.field} ${text}`, where: { path: where.path, field: where.field } };
}

export const error = (code: string, where: Where, text: string): Issue => problem('error', code, where, text);
export const warning = (code: string, where: Where, text: string): Issue => problem('warning', code, where, text);

/** A missing element reads "is required"; zod's other messages name the rule broken, never the value. */
const requiredMessage: z.core.$ZodErrorMap = (issue) =>
  (issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined ? 'is required' : undefined;

/** Checks `value` against a FHIR shape; every deviation becomes an error at its own path. */
export function parseShape<S extends z.ZodType>(schema: S, value: unknown, where: Where): { value?: z.infer<S>; issues: Issue[] } {
  const result = schema.safeParse(value, { error: requiredMessage });
  if (result.success) return { value: result.data, issues: [] };
  return {
    issues: result.error.issues.map((i) => {
      const place = at(where, ...i.path.map((p) => (typeof p === 'number' ? p : String(p))));
      return i.message === 'is required' ? error('required', place, 'is required') : error('structure', place, `is invalid: ${lowerFirst(i.message)}`);
    }),
  };
}

/**
 * A canonical schema's verdict on what was mapped, for the rules only the canonical model knows (lengths, counts,
 * the BSN check). `fields` names the FHIR element each top-level canonical field came from, so the issue points into
 * the input rather than into our model; without it the canonical path is the FHIR one (codings, identifiers).
 */
export function checkCanonical<S extends z.ZodType>(
  schema: S, value: unknown, where: Where, fields?: Readonly<Record<string, string>>,
): { value?: z.output<S>; issues: Issue[] } {
  const result = schema.safeParse(value);
  if (result.success) return { value: result.data, issues: [] };
  return {
    issues: result.error.issues.map((i) => {
      const [head, ...rest] = i.path.map((p) => (typeof p === 'number' ? p : String(p)));
      if (head === undefined) return problem('error', 'value', where, `is invalid: ${lowerFirst(i.message)}`);
      if (!fields) return problem('error', 'value', at(where, head, ...rest), `is invalid: ${lowerFirst(i.message)}`);
      const element = fields[String(head)];
      if (!element) return problem('error', 'value', where, `is invalid (${[head, ...rest].join('.')}): ${lowerFirst(i.message)}`);
      const steps = element.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      return problem('error', 'value', at(where, ...steps, ...rest), `is invalid: ${lowerFirst(i.message)}`);
    }),
  };
}

/** zod's sentences start with a capital; continuing ours, they need a small one, but an acronym ("BSN") keeps its. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}
