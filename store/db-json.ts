/**
 * JSON for a jsonb parameter. PostgreSQL keeps no NUL character in text or jsonb (SQLSTATE 22P05), and a sender's
 * bytes quoted in an issue may hold one: it is written as U+FFFD, so the rest is stored instead of nothing. A
 * backslash written before `u0000` in the text itself (an even run of them) is left as it is.
 */
export function dbJson(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}
