const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a text can be one of our ids. A statement that reads the ids of several requests at once is given only
 * these: one malformed id would fail the cast, and with it the statement, for every request in it.
 */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
