/**
 * Deterministic JSON (after RFC 8785 for the values audit records hold): object keys sorted by UTF-16 code
 * units, no whitespace, undefined members left out. The same record always yields the same text, so its hash
 * can be recomputed from the stored body at any later time.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('audit records hold finite numbers only');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const record = value as Record<string, unknown>;
      // The default sort compares UTF-16 code units, as RFC 8785 orders keys.
      const keys = Object.keys(record).sort();
      let text = '';
      for (const key of keys) {
        const v = record[key];
        if (v === undefined) continue;
        text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
      }
      return `{${text}}`;
    }
    default:
      throw new TypeError(`cannot put a ${typeof value} in an audit record`);
  }
}
