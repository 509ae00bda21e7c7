/** Store errors carry a stable code and a message that names the record, never its clinical content. */
export class StoreError extends Error {
  constructor(
    readonly code: 'identifier-taken' | 'not-found' | 'version-conflict' | 'invalid-state' | 'duplicate' | 'content-mismatch',
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
