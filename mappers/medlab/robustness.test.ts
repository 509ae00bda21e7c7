import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { hasErrors } from '../../canonical/index.js';
import { parseMedlab } from './to-canonical.js';

/** Whatever arrives, the parser returns issues and never throws (DESIGN.md: mappers never throw for bad input). */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/medlab');
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.edi')).sort().map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(path.join(FIXTURES, f))) }));

const TAGS = ['UNA', 'UNB', 'UNH', 'UNT', 'UNZ', 'ZKH', 'PID', 'PAD', 'BLG', 'ART', 'AFD', 'ARA', 'KOP', 'DET', 'IDE', 'OPM', 'SEC', 'BEP', 'OPB', 'NUB', 'OPU', 'COM', 'XYZ', ''];
const piece = fc.oneof(
  fc.constantFrom(...TAGS),
  fc.constantFrom(':', '+', '?', "'", '\r\n', 'BSN999900018', 'BSN123', 'MEDLAB:1', 'MEDVRI', '0', '1', '25:03:14', '99:99:99', '08:05', 'mmol/l', '%', 'HBAC B', '<5', '7,1', 'H', 'Ç'),
  fc.string({ maxLength: 6 }),
);
const segmentSoup = fc.array(fc.array(piece, { maxLength: 12 }).map((parts) => `${parts.join('')}'`), { maxLength: 30 }).map((segments) => new TextEncoder().encode(segments.join('\n')));

function parseWithoutThrowing(bytes: Uint8Array) {
  let result: ReturnType<typeof parseMedlab> | undefined;
  expect(() => {
    result = parseMedlab(bytes);
  }).not.toThrow();
  return result!;
}

describe('MEDLAB parser robustness', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => void parseWithoutThrowing(bytes)), { numRuns: 500 });
  });

  it('never throws on soups of MEDLAB segments and separators', () => {
    fc.assert(fc.property(segmentSoup, (bytes) => void parseWithoutThrowing(bytes)), { numRuns: 500 });
  });

  it('never throws on fixtures with bytes flipped', () => {
    const base = fixtures.find((f) => f.name === 'results-flags-remarks.edi')!.bytes;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (flips) => {
        const bytes = base.slice();
        for (const [at, value] of flips) bytes[at] = value;
        parseWithoutThrowing(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it.each(fixtures.filter((f) => f.name !== 'truncated.edi'))('rejects $name cut at any position that loses more than blanks', ({ bytes }) => {
    const text = Buffer.from(bytes);
    for (let cut = 0; cut < bytes.length; cut++) {
      const result = parseWithoutThrowing(bytes.subarray(0, cut));
      const lostOnlyBlanks = /^[\r\n\t ]*$/.test(text.subarray(cut).toString('latin1'));
      if (!lostOnlyBlanks) expect({ cut, rejected: result.rejected || hasErrors(result.issues) }).toEqual({ cut, rejected: true });
    }
  });
});
