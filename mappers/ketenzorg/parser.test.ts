import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { CareProgramEnrolment, Condition, HumanName, Observation } from '../../canonical/index.js';
import { parseKetenzorg } from './parser.js';
import type { KetenzorgResult } from './result.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/ketenzorg');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const PATIENT_ID = '00000000-0000-4000-8000-000000000001';
const ORGANIZER = '/POOB_IN990003NL/ControlActProcess/subject/organizer';
const LAB_ORGANIZER = '/POLB_IN364001NL03/ControlActProcess/subject/organizer';

describe('programme fixtures against their reviewed goldens', () => {
  // A missing golden fails; UPDATE_GOLDEN=1 writes it for a person to review (never silently in CI).
  it.each(['dm2', 'copd', 'cvrm', 'batch-two'])('%s', (name) => {
    const result = parseKetenzorg(fixture(`${name}.xml`));
    const goldenPath = path.join(FIXTURES, 'expected', `${name}.json`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenPath, `${JSON.stringify(result, null, 2)}\n`);
    expect(JSON.parse(JSON.stringify(result))).toEqual(JSON.parse(readFileSync(goldenPath, 'utf8')));
  });

  it.each(['dm2.xml', 'copd.xml', 'cvrm.xml', 'batch-two.xml', 'unit-mismatch.xml', 'unmapped-local-code.xml'])(
    '%s: every record is a valid canonical record once identity gives it a patient',
    (name) => {
      const result = parseKetenzorg(fixture(name));
      for (const item of result.items) {
        for (const o of item.observations) expect(Observation.parse({ ...o, patientId: PATIENT_ID })).toEqual({ ...o, patientId: PATIENT_ID });
        for (const c of item.conditions) expect(Condition.parse({ ...c, patientId: PATIENT_ID })).toEqual({ ...c, patientId: PATIENT_ID });
        for (const e of item.enrolments) expect(CareProgramEnrolment.parse({ ...e, patientId: PATIENT_ID })).toEqual({ ...e, patientId: PATIENT_ID });
        for (const n of item.patient?.names ?? []) if (n.family) expect(HumanName.parse(n)).toEqual(n);
      }
    },
  );

  it('maps a replay to the same ids, and no two records share one', () => {
    const first = parseKetenzorg(fixture('dm2.xml'));
    expect(parseKetenzorg(fixture('dm2.xml').toString('utf8'))).toEqual(first);
    const ids = first.items.flatMap((i) => [...i.observations, ...i.conditions, ...i.enrolments].map((r) => r.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives the edge what an acknowledgement needs', () => {
    const result = parseKetenzorg(fixture('dm2.xml'));
    expect(result.messageId).toBe('2.16.840.1.113883.2.4.6.6^DM2-BATCH-0001');
    expect(result.acknowledgement).toMatchObject({
      messageId: { root: '2.16.840.1.113883.2.4.6.6', extension: 'DM2-BATCH-0001' },
      interactionId: 'MCCI_IN200101',
      messageIds: [
        '2.16.840.1.113883.2.4.6.6.90000777.1^DM2-REPC-0001',
        '2.16.840.1.113883.2.4.6.6.90000777.1^DM2-POLB-0001',
        '2.16.840.1.113883.2.4.6.6.90000777.1^DM2-POOB-0001',
      ],
    });
    expect(result.sender.organizations).toEqual([
      { system: 'http://fhir.nl/fhir/NamingSystem/ura', value: '90000123' },
      { system: 'http://fhir.nl/fhir/NamingSystem/agb-z', value: '01054321' },
    ]);
    expect(result.sender.practitioners).toEqual([
      { system: 'http://fhir.nl/fhir/NamingSystem/uzi-nr-pers', value: '900030002' },
      { system: 'http://fhir.nl/fhir/NamingSystem/agb-z', value: '01012345' },
    ]);
    expect(result.rejected).toBe(false);
  });
});

function only(result: KetenzorgResult) {
  return { top: result.issues.map(pick), items: result.items.map((i) => i.issues.map(pick)) };
}
function pick(i: { severity: string; code: string; where?: { path?: string } }) {
  return { severity: i.severity, code: i.code, ...(i.where?.path ? { path: i.where.path } : {}) };
}

describe('error paths', () => {
  it('an invalid BSN refuses the message and files nothing', () => {
    const result = parseKetenzorg(fixture('invalid-bsn.xml'));
    expect(only(result)).toEqual({ top: [], items: [[{ severity: 'fatal', code: 'BSN_INVALID', path: `${ORGANIZER}/recordTarget/patientRole/id` }]] });
    expect(result.rejected).toBe(true);
    expect(result.items[0]).toMatchObject({ rejected: true, observations: [], conditions: [], enrolments: [] });
    expect(result.items[0]!.patient).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain('999900007');
  });

  it('truncated XML is refused with its line and column', () => {
    const result = parseKetenzorg(fixture('truncated.xml'));
    expect(result.issues).toEqual([
      { severity: 'fatal', code: 'XML_MALFORMED', message: expect.stringContaining('line'), where: { line: expect.any(Number), column: expect.any(Number) } },
    ]);
    expect(result.rejected).toBe(true);
    expect(result.items).toEqual([]);
  });

  it('warns of a finding or concern without an id of its own: sent again, it would be filed again', () => {
    const xml = fixture('dm2.xml').toString('utf8')
      .replace('<id root="2.16.840.1.113883.2.4.6.6.90000777.4.7" extension="L-1001"/>', '');
    const withoutId = parseKetenzorg(xml).items.flatMap((i) => i.issues).filter((i) => i.code === 'RECORD_WITHOUT_ID');
    expect(withoutId).toEqual([expect.objectContaining({ severity: 'warning', where: expect.objectContaining({ path: expect.stringMatching(/observation$/) }) })]);
    expect(parseKetenzorg(fixture('dm2.xml')).items.flatMap((i) => i.issues).filter((i) => i.code === 'RECORD_WITHOUT_ID')).toEqual([]);
    // An empty extension leaves the root, the sender's namespace for all its findings: no id of its own either.
    const empty = fixture('dm2.xml').toString('utf8').replace('extension="L-1001"', 'extension=""');
    expect(parseKetenzorg(empty).items.flatMap((i) => i.issues).filter((i) => i.code === 'RECORD_WITHOUT_ID')).toHaveLength(1);
  });

  it.each([
    ['billion-laughs.xml', 2],
    ['xxe.xml', 2],
  ])('%s: a DTD is refused before any parser sees it', (name, line) => {
    const result = parseKetenzorg(fixture(name));
    expect(result.issues).toEqual([
      { severity: 'fatal', code: 'XML_DTD_FORBIDDEN', message: 'DOCTYPE and ENTITY declarations are not accepted', where: { line, column: 1 } },
    ]);
    expect(JSON.stringify(result)).not.toContain('root:');
  });

  it('an interaction we do not accept is refused, naming it', () => {
    const result = parseKetenzorg(fixture('unknown-interaction.xml'));
    expect(only(result)).toEqual({ top: [{ severity: 'fatal', code: 'INTERACTION_UNSUPPORTED', path: '/QURX_IN990203NL01' }], items: [] });
  });

  it('a unit that contradicts the NHG number refuses that observation only', () => {
    const result = parseKetenzorg(fixture('unit-mismatch.xml'));
    expect(only(result)).toEqual({
      top: [],
      items: [[
        { severity: 'error', code: 'UNIT_MISMATCH', path: `${LAB_ORGANIZER}/component[1]/observation/value` },
        { severity: 'error', code: 'UNIT_MISMATCH', path: `${LAB_ORGANIZER}/component[3]/observation/value` },
      ]],
    });
    expect(result.items[0]!.issues.map((i) => i.message)).toEqual(['NHG 2816 expects unit mmol/mol, not %', 'NHG 560 expects unit m, not cm']);
    expect(result.rejected).toBe(false);
    expect(result.items[0]!.observations.map((o) => [o.codings[0]!.code, o.value])).toEqual([
      ['372', { kind: 'quantity', quantity: { value: '6.4', unit: 'mmol/L' } }],
    ]);
  });

  it('a value written with a decimal comma refuses that observation, saying why (a PQ value is an XML number)', () => {
    const text = fixture('dm2.xml').toString('utf8');
    const edited = text.replace(/(<value xsi:type="PQ" value=")58(" unit="mmol\/mol")/, '$15,8$2');
    expect(edited).not.toBe(text);
    const result = parseKetenzorg(Buffer.from(edited));
    const refused = result.items.flatMap((i) => i.issues).filter((i) => i.code === 'VALUE_INVALID');
    expect(refused).toEqual([expect.objectContaining({ severity: 'error', message: expect.stringMatching(/"5,8" cannot be read: HL7v3 writes a decimal with a point/) })]);
    const values = result.items.flatMap((i) => i.observations).map((o) => (o.value?.kind === 'quantity' ? o.value.quantity.value : undefined));
    expect(values).not.toContain('5.8');
    expect(values.length).toBe(parseKetenzorg(fixture('dm2.xml')).items.flatMap((i) => i.observations).length - 1);
  });

  it('an observation whose effectiveTime cannot be read is refused, naming it, not filed without a time', () => {
    const text = fixture('dm2.xml').toString('utf8');
    const times = [...text.matchAll(/<effectiveTime value="(\d{8,14})"\/>/g)];
    expect(times.length).toBeGreaterThan(0);
    const edited = text.replace(times[0]![0], '<effectiveTime value="20241345"/>');
    const result = parseKetenzorg(Buffer.from(edited));
    const refused = result.items.flatMap((i) => i.issues).filter((i) => i.code === 'TIME_INVALID');
    expect(refused).toEqual([expect.objectContaining({ severity: 'error', message: expect.stringMatching(/"20241345" is not a valid HL7 time: the observation was not filed/) })]);
    const count = (r: KetenzorgResult) => r.items.flatMap((i) => [...i.observations, ...i.conditions]).length;
    expect(count(result)).toBe(count(parseKetenzorg(fixture('dm2.xml'))) - 1);
    expect(result.items.flatMap((i) => i.observations).every((o) => o.effective !== undefined)).toBe(true);
  });

  it('reads a message made in a year or a month as made by its end: its findings of that year or month stand', () => {
    const dm2 = fixture('dm2.xml').toString('utf8');
    for (const made of ['2024', '202401']) {
      const result = parseKetenzorg(dm2.replace(/<creationTime value="\d+"\/>/g, `<creationTime value="${made}"/>`));
      expect(result.items.flatMap((i) => i.issues).filter((i) => i.code === 'TIME_AFTER_MESSAGE')).toEqual([]);
      expect(result.items.flatMap((i) => i.observations)).toHaveLength(parseKetenzorg(dm2).items.flatMap((i) => i.observations).length);
    }
    const early = parseKetenzorg(dm2.replace(/<creationTime value="\d+"\/>/g, '<creationTime value="2023"/>'));
    expect(early.items.flatMap((i) => i.issues).filter((i) => i.code === 'TIME_AFTER_MESSAGE').length).toBeGreaterThan(0);
  });

  it('refuses a result dated after its message was made, and leaves out a birth date after it', () => {
    const text = fixture('dm2.xml').toString('utf8');
    const times = [...text.matchAll(/<effectiveTime value="(\d{8,14})"\/>/g)];
    const edited = text.replace(times[0]![0], '<effectiveTime value="20990108"/>').replaceAll('<birthTime value="19580314"/>', '<birthTime value="20300314"/>');
    const result = parseKetenzorg(Buffer.from(edited));
    const issues = result.items.flatMap((i) => i.issues);
    expect(issues.filter((i) => i.code === 'TIME_AFTER_MESSAGE')).toEqual([expect.objectContaining({ severity: 'error', message: expect.stringMatching(/^effectiveTime 2099-01-08 is later than the message was made/) })]);
    expect(issues.filter((i) => i.code === 'BIRTHDATE_AFTER_MESSAGE').length).toBeGreaterThan(0);
    expect(result.items.every((i) => i.patient?.birthDate === undefined)).toBe(true);
    const count = (r: KetenzorgResult) => r.items.flatMap((i) => i.observations).length;
    expect(count(result)).toBe(count(parseKetenzorg(fixture('dm2.xml'))) - 1);
  });

  it('a practice-local code is kept with its value, unit and coding, flagged unmapped', () => {
    const result = parseKetenzorg(fixture('unmapped-local-code.xml'));
    expect(only(result).items).toEqual([[
      { severity: 'warning', code: 'UNMAPPED_CODE', path: `${ORGANIZER}/component[1]/observation/code` },
      { severity: 'warning', code: 'UNMAPPED_CODE', path: `${ORGANIZER}/component[2]/observation/code` },
    ]]);
    const [foot, waist, systolic] = result.items[0]!.observations;
    expect(foot).toMatchObject({
      unmapped: true,
      codings: [{ system: 'urn:oid:2.16.528.1.1007.3.3.90000123.99', code: 'VOETINSP', display: 'voetinspectie (praktijkcode)', role: 'local' }],
      value: { kind: 'string', text: 'geen afwijkingen' },
    });
    expect(waist).toMatchObject({ unmapped: true, value: { kind: 'quantity', quantity: { value: '104.5', unit: 'cm' } } });
    expect(waist!.codings).toHaveLength(1);
    expect(systolic).toMatchObject({ unmapped: false, codings: [{ code: '1744', role: 'original' }, { code: '8480-6', role: 'mapped' }] });
    expect(result.rejected).toBe(false);
  });

  it('OZIS EDIFACT goes to its adapter slot, which refuses it for now', () => {
    const result = parseKetenzorg(fixture('ozis.edi'));
    expect(result).toMatchObject({ format: 'ozis-edifact', rejected: true, items: [] });
    expect(result.issues).toEqual([{ severity: 'fatal', code: 'OZIS_EDIFACT_UNSUPPORTED', message: 'OZIS EDIFACT is not supported yet' }]);
  });

  it.each([
    ['neither XML nor EDIFACT', 'MSH|^~\\&|', 'FORMAT_UNKNOWN'],
    ['empty', '', 'FORMAT_UNKNOWN'],
    ['invalid UTF-8', Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]), 'ENCODING_INVALID'],
    ['an undeclared entity', '<POOB_IN990003NL>&nbsp;</POOB_IN990003NL>', 'XML_ENTITY_UNKNOWN'],
    ['a message without id', '<POOB_IN990003NL><interactionId extension="POOB_IN990003NL"/></POOB_IN990003NL>', 'MESSAGE_ID_MISSING'],
    ['an interactionId that contradicts the element', '<POOB_IN990003NL><id root="1.2" extension="x"/><interactionId extension="POLB_IN364001NL03"/></POOB_IN990003NL>', 'INTERACTION_MISMATCH'],
  ])('%s is refused', (_, payload, code) => {
    const result = parseKetenzorg(payload);
    expect(result.rejected).toBe(true);
    expect(result.issues.filter((i) => i.severity === 'fatal').map((i) => i.code)).toEqual([code]);
  });

  it('files a finding a batch brings twice once: the version of the message made later, whatever their order', () => {
    const dm2 = fixture('dm2.xml').toString('utf8');
    const polb = dm2.slice(dm2.indexOf('  <POLB_IN364001NL03'), dm2.indexOf('</POLB_IN364001NL03>') + '</POLB_IN364001NL03>'.length);
    const newer = polb.replace('DM2-POLB-0001', 'DM2-POLB-0002').replace('<creationTime value="20240115093000"/>', '<creationTime value="20240201090000"/>')
      .replace('<value xsi:type="PQ" value="58" unit="mmol/mol"/>', '<value xsi:type="PQ" value="62" unit="mmol/mol"/>');
    const hba1c = (xml: string) => {
      const result = parseKetenzorg(xml);
      const found = result.items.flatMap((i) => i.observations).filter((o) => o.provenance.sourceRecordId?.endsWith('^L-1001'));
      return { values: found.map((o) => (o.value?.kind === 'quantity' ? o.value.quantity.value : undefined)), issues: result.items.flatMap((i) => i.issues).filter((i) => i.code === 'RECORD_ID_REPEATED'), result };
    };
    for (const xml of [dm2.replace(polb, `${polb}\n${newer}`), dm2.replace(polb, `${newer}\n${polb}`)]) {
      const { values, issues, result } = hba1c(xml.replace('<transmissionQuantity value="3"/>', '<transmissionQuantity value="4"/>'));
      expect(values).toEqual(['62']);
      // The findings both messages carry unchanged are one record each, and need no word.
      expect(issues).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/in a message made (before this one: this one|after this one: that one) is filed$/) })]);
      const ids = result.items.flatMap((i) => i.observations.map((o) => o.id));
      expect(new Set(ids).size).toBe(ids.length);
    }
    // Another test under the same id is no newer version of it: the first stands, and the sender is told.
    const otherTest = newer.replace(/(extension="L-1001"\/>\s*<code code=")2816"/, (_, head: string) => `${head}9999"`);
    const other = hba1c(dm2.replace(polb, `${polb}\n${otherTest}`));
    expect(other.values).toEqual(['58']);
    expect(other.result.items.flatMap((i) => i.issues).filter((i) => i.code === 'RECORD_ID_OF_OTHER_TEST'))
      .toEqual([expect.objectContaining({ severity: 'error', message: expect.stringMatching(/\^L-1001 came earlier in this transmission for another test/) })]);
    const sameTime = dm2.replace(polb, `${polb}\n${newer.replace('20240201090000', '20240115093000')}`);
    expect(hba1c(sameTime)).toMatchObject({ values: ['58'], issues: [expect.objectContaining({ severity: 'error', message: expect.stringMatching(/only the first is filed$/) })] });
  });

  it('warns of a message without a readable creationTime: its records could not be corrected later', () => {
    const codes = (xml: string) => parseKetenzorg(xml).issues.filter((i) => i.code.startsWith('CREATION_TIME')).map((i) => [i.severity, i.code, i.where?.path]);
    const dm2 = fixture('dm2.xml').toString('utf8');
    expect(codes(dm2)).toEqual([]);
    expect(codes(dm2.replace('<creationTime value="20240115093001"/>', '<creationTime value="20241302"/>')))
      .toEqual([['warning', 'CREATION_TIME_INVALID', expect.stringMatching(/creationTime$/)]]);
    expect(codes(dm2.replace(/<creationTime value="\d+"\/>/g, ''))).toEqual([
      ['warning', 'CREATION_TIME_MISSING', expect.stringMatching(/MCCI_IN200101$/)],
      ...Array.from({ length: 3 }, () => ['warning', 'CREATION_TIME_MISSING', expect.any(String)]),
    ]);
  });

  it('names where a message stops being the UTF-8 it declares, and a declared encoding it does not read', () => {
    const xml = fixture('dm2.xml').toString('utf8').replace('encoding="UTF-8"', 'encoding="utf-8"');
    const line = xml.split('\n').findIndex((l) => l.includes('<family')) + 1;
    const broken = Buffer.from(xml.replace(/(<family[^>]*>)([^<]*)/, '$1Ren\u00e9e'), 'latin1');
    const at = broken.indexOf(0xe9);
    const issues = parseKetenzorg(broken).issues;
    expect(issues).toEqual([{
      severity: 'fatal', code: 'ENCODING_INVALID', where: { line, column: expect.any(Number) },
      message: `byte 0xE9 (byte ${at + 1}) is not valid UTF-8, which the message declares; one written in ISO-8859-1 must say encoding="ISO-8859-1"`,
    }]);
    expect(issues[0]!.where!.column).toBe(at - broken.subarray(0, at).lastIndexOf(0x0a));
    expect(parseKetenzorg(Buffer.from(xml.replace('encoding="utf-8"', 'encoding="UTF-16"'))).issues[0]!.message).toMatch(/declared encoding utf-16 is not read here/);
  });

  it('refuses a payload over the size limit before reading it', () => {
    const result = parseKetenzorg(fixture('dm2.xml'), { maxBytes: 1000 });
    expect(result.issues).toEqual([{ severity: 'fatal', code: 'PAYLOAD_TOO_LARGE', message: 'the message is larger than the limit of 1000 bytes' }]);
  });

  it('reads ISO-8859-1 when the declaration says so', () => {
    const xml = fixture('batch-two.xml').toString('utf8').replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace('Fenna', 'Renée');
    const result = parseKetenzorg(Buffer.from(xml, 'latin1'));
    expect(result.items[0]!.patient!.names[0]!.given).toEqual(['Renée']);
  });
});
