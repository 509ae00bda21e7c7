import { z } from 'zod';

/**
 * A problem found in input, returned as a value by mappers and policies (they never throw for bad input).
 * `where` locates it in the protocol's own terms so each surface can render it in its own error form.
 * `message` must be safe to show to the sender: it names fields, never echoes patient data.
 */
export const IssueSeverity = z.enum(['fatal', 'error', 'warning', 'information']);
export type IssueSeverity = z.infer<typeof IssueSeverity>;

export const IssueLocation = z
  .object({
    segment: z.string().optional(),
    line: z.number().int().positive().optional(),
    column: z.number().int().positive().optional(),
    path: z.string().optional(),
    field: z.string().optional(),
  })
  .strict();
export type IssueLocation = z.infer<typeof IssueLocation>;

export const Issue = z
  .object({
    severity: IssueSeverity,
    code: z.string().min(1),
    message: z.string().min(1),
    where: IssueLocation.optional(),
  })
  .strict();
export type Issue = z.infer<typeof Issue>;

export function hasErrors(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.severity === 'fatal' || i.severity === 'error');
}

/** zod's own issues, translated so a boundary can report "field X: reason" in the caller's protocol. */
export function issuesFromZod(error: z.ZodError, code = 'invalid'): Issue[] {
  return error.issues.map((zi) => {
    const path = zi.path.map(String).join('.');
    return {
      severity: 'error' as const,
      code,
      message: path ? `${path}: ${zi.message}` : zi.message,
      ...(path ? { where: { path } } : {}),
    };
  });
}
