import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Issue } from '../../canonical/index.js';
import { parseKetenzorg } from './parser.js';
import type { KetenzorgResult } from './result.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/ketenzorg');
const VALID = ['dm2.xml', 'copd.xml', 'cvrm.xml', 'batch-two.xml'].map((f) => readFileSync(path.join(FIXTURES, f), 'utf8'));

/** A result is well-formed: issues are valid Issue values, and a refused result carries at least one fatal. */
function wellFormed(result: KetenzorgResult): void {
  const all = [...result.issues, ...result.items.flatMap((i) => i.issues)];
  for (const i of all) expect(Issue.safeParse(i).success).toBe(true);
  expect(result.rejected).toBe(all.some((i) => i.severity === 'fatal'));
}

const NAMES = ['MCCI_IN200101', 'POOB_IN990003NL', 'POLB_IN364001NL03', 'REPC_IN990111NL', 'id', 'interactionId', 'ControlActProcess', 'subject', 'organizer', 'component', 'observation', 'act', 'code', 'value', 'recordTarget', 'patientRole', 'patient', 'name', 'family', 'prefix', 'given', 'effectiveTime', 'low', 'high', 'referenceRange', 'observationRange', 'entryRelationship', 'x:y'];
const ATTRIBUTES = ['root', 'extension', 'code', 'codeSystem', 'value', 'unit', 'xsi:type', 'typeCode', 'qualifier', 'nullFlavor'];
const VALUES = ['2.16.840.1.113883.2.4.6.3', '999900006', '999900007', '2.16.840.1.113883.2.4.4.30.45', '2816', '1744', 'PQ', 'CE', 'ST', 'IVL_TS', 'IVL_PQ', '7.1', '%', 'mmol/mol', 'REFR', 'SP', 'BR', 'VV', '20240101', '&amp;', '&#0;', '&x;', '"', '<', ''];

const element: fc.Memo<string> = fc.memo((n) =>
  fc
    .tuple(
      fc.constantFrom(...NAMES),
      fc.array(fc.tuple(fc.constantFrom(...ATTRIBUTES), fc.constantFrom(...VALUES)), { maxLength: 3 }),
      n > 1 ? fc.array(fc.oneof(element(n - 1), fc.constantFrom(...VALUES)), { maxLength: 4 }) : fc.constant([] as string[]),
    )
    .map(([name, attributes, children]) => `<${name}${attributes.map(([k, v]) => ` ${k}="${v}"`).join('')}>${children.join('')}</${name}>`),
);

describe('no input crashes the parser', () => {
  it('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => wellFormed(parseKetenzorg(text))), { numRuns: 500 });
  });

  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => wellFormed(parseKetenzorg(bytes))), { numRuns: 300 });
  });

  it('arbitrary XML-ish trees of HL7v3 element names', () => {
    fc.assert(fc.property(element(6), (xml) => wellFormed(parseKetenzorg(xml))), { numRuns: 500 });
  });

  it('valid fixtures with one element of their text replaced', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.nat(), fc.constantFrom(...VALUES), (xml, at, replacement) => {
        const start = at % xml.length;
        wellFormed(parseKetenzorg(xml.slice(0, start) + replacement + xml.slice(start + 1)));
      }),
      { numRuns: 300 },
    );
  });

  it('every truncation of the valid fixtures at each 50th position', () => {
    for (const xml of VALID) {
      for (let end = 0; end < xml.length; end += 50) {
        const result = parseKetenzorg(xml.slice(0, end));
        wellFormed(result);
        expect(result.rejected).toBe(true);
        expect(result.issues.length).toBeGreaterThan(0);
      }
    }
  });
});
