import { describe, expect, it } from '@jest/globals';
import { bareOid, excerpt, partId, urnOid, urnUuid } from './ids.js';

describe('identifier spellings', () => {
  it.each(['1.2.3', 'urn:oid:1.2.3', 'URN:OID:1.2.3', 'urn:oid:urn:oid:1.2.3', ' urn:oid: 1.2.3 '])('%j is the OID 1.2.3', (value) => {
    expect(bareOid(value)).toBe('1.2.3');
    expect(urnOid(value)).toBe('urn:oid:1.2.3');
  });

  it('normalises UUIDs with or without urn:uuid:, in any case, and refuses anything else', () => {
    expect(urnUuid('urn:uuid:A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D')).toBe('urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
    expect(urnUuid('a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d')).toBe('urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
    for (const bad of ['', 'urn:uuid:', 'a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d', 'urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5dx', 'urn:oid:1.2']) {
      expect(urnUuid(bad)).toBeUndefined();
    }
  });

  it('derives part ids that are version-5 UUIDs, stable for the same owner and role, distinct otherwise', () => {
    const id = partId('urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'classCode');
    expect(id).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(partId('urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'classCode')).toBe(id);
    const others = [partId('urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'typeCode'), partId('urn:uuid:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e', 'classCode')];
    expect(new Set([id, ...others]).size).toBe(3);
  });

  it('cuts quoted values short and flattens their white space', () => {
    expect(excerpt('a\n  b')).toBe('a b');
    expect(excerpt('x'.repeat(70))).toBe(`${'x'.repeat(64)}…`);
  });
});
