import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { CodeSystems, DiagnosticReport, IdentifierSystems, Observation, Patient } from '../../canonical/index.js';
import { parseMedlab, type MedlabInterchange } from './to-canonical.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/medlab');
const fixtureNames = readdirSync(FIXTURES).filter((f) => f.endsWith('.edi')).sort();
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const parseText = (text: string) => parseMedlab(new TextEncoder().encode(text));

/** A complete message around the given body segments, with correct counts. */
function message(body: string[], pid = "PID+1950:02:28+M+::Smit::Jan:J.+L1+BSN999900018"): string {
  const segments = ['UNH+M1+MEDLAB:1', 'ZKH+Lab', ...(pid ? [pid] : []), 'DET:1+25:03:14+08:05', 'IDE:1+J+A1+bloed', ...body];
  return `UNB+UNOA:1+111+222+250314:1012+IC1'\n${[...segments, `UNT+${segments.length + 1}+M1`].map((s) => `${s}'\n`).join('')}UNZ+1+IC1'\n`;
}
const only = (r: MedlabInterchange) => r.messages[0]!;
const issue = (severity: string, code: string, segment: string, line: number, field?: string) => ({
  severity, code, message: expect.any(String), where: { segment, line, column: 1, ...(field ? { field } : {}) },
});

describe('MEDLAB to canonical: golden files', () => {
  it.each(fixtureNames)('%s gives its reviewed golden output', (name) => {
    const actual = JSON.parse(JSON.stringify(parseMedlab(fixture(name)))) as unknown;
    const golden = path.join(FIXTURES, 'expected', name.replace(/\.edi$/, '.json'));
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, `${JSON.stringify(actual, null, 2)}\n`);
    // A missing golden fails: a new case must be written out with UPDATE_GOLDEN=1 and reviewed by a person.
    expect(existsSync(golden)).toBe(true);
    expect(actual).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
  });

  it.each(fixtureNames)('%s gives records that pass the canonical schemas, with the same ids on a replay', (name) => {
    const first = parseMedlab(fixture(name));
    expect(parseMedlab(fixture(name))).toEqual(first);
    for (const m of first.messages) {
      for (const o of m.observations) expect(Observation.parse(o)).toEqual(o);
      for (const r of m.reports) expect(DiagnosticReport.parse(r)).toEqual(r);
      if (m.patient) {
        const { subjectId, ...rest } = m.patient;
        expect(() => Patient.parse({ id: subjectId, ...rest })).not.toThrow();
      }
    }
  });
});

describe('MEDLAB to canonical: results', () => {
  const results = only(parseMedlab(fixture('results-flags-remarks.edi')));

  it('keeps values as written, with comparator, UCUM unit, flag and reference range', () => {
    const byText = new Map(results.observations.map((o) => [o.text, o]));
    expect(byText.get('LDL-cholesterol')).toMatchObject({
      value: { kind: 'quantity', quantity: { value: '2.40', unit: 'mmol/L', unitText: 'mmol/l' } }, interpretation: 'N', referenceRange: { high: '2.50', unit: 'mmol/L' },
    });
    expect(byText.get('CRP')!.value).toEqual({ kind: 'quantity', quantity: { value: '5', comparator: '<', unit: 'mg/L', unitText: 'mg/l' } });
    expect(byText.get('Sediment')!.value).toEqual({ kind: 'string', text: 'Zie opmerking' });
  });

  it('codes a known labcode with its NHG number and keeps the lab code as sent', () => {
    const hba1c = results.observations.find((o) => o.text === 'HbA1c IFCC')!;
    expect(hba1c.codings).toEqual([
      { system: CodeSystems.nhgTabel45.uri, code: '2816', display: 'HbA1c (glycohemoglobine) IFCC', role: 'mapped' },
      { system: 'urn:crossgate:medlab:500000111:test-code', code: 'HBAC B', display: 'HbA1c IFCC', role: 'original' },
    ]);
    expect(hba1c).toMatchObject({ unmapped: false, interpretation: 'H', notes: ['Streefwaarde bij DM2 volgens NHG-Standaard', 'Controle over drie maanden'] });
  });

  it('keeps an unmapped code with its value and own coding, flagged, never with an invented code', () => {
    const hb = results.observations.find((o) => o.text === 'Hemoglobine')!;
    expect(hb).toMatchObject({ unmapped: true, codings: [{ system: 'urn:crossgate:medlab:500000111:test-code', code: 'HB  B', role: 'original' }] });
    expect(hb.codings).toHaveLength(1);
    expect(results.issues).toContainEqual(issue('warning', 'UNMAPPED_CODE', 'BEP', 17, 'BEP.9'));
  });

  it('records a pending test as registered, without a value, with its remark', () => {
    expect(results.observations.find((o) => o.status === 'registered')).toMatchObject({ text: 'Vitamine B12', notes: ['Uitslag volgt'], unmapped: true });
    expect(results.observations.find((o) => o.status === 'registered')!.value).toBeUndefined();
    expect(results.reports[0]).toMatchObject({ status: 'partial', conclusion: 'Uitslagen geautoriseerd door de klinisch chemicus' });
  });

  it('adds LOINC only for confirmed pairs', () => {
    const vital = only(parseMedlab(fixture('patient-without-bsn.edi')));
    const weight = vital.observations.find((o) => o.text === 'Gewicht')!;
    expect(weight.codings.map((c) => c.code)).toEqual(['357', '29463-7', 'GEW']);
    const egfr = only(parseMedlab(fixture('multiple-messages.edi'))).observations[0]!;
    expect(egfr.codings.map((c) => c.system)).not.toContain(CodeSystems.loinc.uri);
  });

  it('reads a remark after a result that was not filed as going with it', () => {
    const m = only(parseMedlab(fixture('unit-mismatch.edi')));
    expect(m.issues).toEqual([
      issue('error', 'UNIT_MISMATCH', 'BEP', 10, 'BEP.5'),
      issue('information', 'REMARK_NOT_FILED', 'OPB', 11),
      issue('error', 'MISSING_UNIT', 'BEP', 12, 'BEP.5'),
    ]);
    expect(m.quarantine).toBe(false);
    expect(m.observations.map((o) => o.text)).toEqual(['Alb/kreat ratio']);
    expect(m.reports[0]!.observationIds).toEqual([m.observations[0]!.id]);
  });
});

describe('MEDLAB to canonical: error paths', () => {
  it('quarantines a message whose BSN fails the 11-proef and files nothing of it', () => {
    const m = only(parseMedlab(fixture('invalid-bsn.edi')));
    expect(m).toMatchObject({ quarantine: true, reports: [], observations: [] });
    expect(m.patient).toBeUndefined();
    expect(m.issues).toEqual([{ severity: 'error', code: 'INVALID_BSN', message: 'PID element 5: BSN fails the 11-proef', where: { segment: 'PID', line: 1, column: 110, field: 'PID.5' } }]);
    expect(JSON.stringify(m.issues)).not.toContain('999900019');
  });

  it('rejects a truncated interchange as a whole', () => {
    const r = parseMedlab(fixture('truncated.edi'));
    expect(r).toMatchObject({ rejected: true, messages: [] });
    expect(r.issues).toEqual([
      issue('error', 'UNTERMINATED_SEGMENT', 'BEP', 10),
      issue('error', 'MISSING_UNT', 'UNH', 3),
      { severity: 'error', code: 'MISSING_UNZ', message: expect.any(String), where: { segment: 'UNZ' } },
    ]);
  });

  it('quarantines a message without PID, or without a patient name', () => {
    expect(only(parseText(message([], ''))).issues).toEqual([issue('error', 'MISSING_SEGMENT', 'PID', 2)]);
    const unnamed = only(parseText(message([], 'PID+1950:02:28+M+::::Jan+L1')));
    expect(unnamed).toMatchObject({ quarantine: true });
    expect(unnamed.issues).toEqual([issue('error', 'MISSING_PATIENT_NAME', 'PID', 4, 'PID.3')]);
  });

  it('quarantines a message type other than MEDLAB', () => {
    const m = parseMedlab(fixture('multiple-messages.edi')).messages[2]!;
    expect(m).toMatchObject({ messageType: 'MEDVRI:1', quarantine: true, observations: [] });
    expect(m.issues).toEqual([issue('error', 'UNSUPPORTED_MESSAGE_TYPE', 'UNH', 23, 'UNH.2')]);
  });

  it('refuses a result without a test code, keeping the rest', () => {
    const m = only(parseText(message(['BEP:1:1:1+0+Iets+1.0++mmol/l++++', 'BEP:1:1:2+0+LDL+2.0++mmol/l++++LDL B'])));
    expect(m.issues).toEqual([issue('error', 'MISSING_TEST_CODE', 'BEP', 7, 'BEP.9')]);
    expect(m.observations.map((o) => o.text)).toEqual(['LDL']);
  });

  it('reports an unknown flag, a heading kind with a result and an unknown result kind', () => {
    const m = only(parseText(message(['BEP:1:1:1+0+LDL+2.0++mmol/l+X+++LDL B', 'BEP:1:1:2+1+LDL+2.0++mmol/l++++LDL B', 'BEP:1:1:3+7+LDL+2.0++mmol/l++++LDL B'])));
    expect(m.issues).toEqual([
      issue('warning', 'UNKNOWN_FLAG', 'BEP', 7, 'BEP.6'),
      issue('warning', 'HEADER_KIND_WITH_RESULT', 'BEP', 8, 'BEP.1'),
      issue('warning', 'UNKNOWN_RESULT_KIND', 'BEP', 9, 'BEP.1'),
    ]);
    expect(m.observations).toHaveLength(3);
  });

  it('reports invalid dates and sexes, and a two-digit birth year placed before the interchange date', () => {
    const m = only(parseText(message(['BEP:1:1:1+0+LDL+2.0++mmol/l++++LDL B'], 'PID+50:02:28+Q+::Smit::Jan:J.+L1')));
    expect(m.issues).toEqual([issue('warning', 'INVALID_SEX', 'PID', 4, 'PID.2'), issue('warning', 'TWO_DIGIT_BIRTH_YEAR', 'PID', 4, 'PID.1')]);
    expect(m.patient).toMatchObject({ birthDate: '1950-02-28', gender: 'unknown' });
    const bad = only(parseText(message(['BEP:1:1:1+0+LDL+2.0++mmol/l++++LDL B'], 'PID+1950:02:30+M+::Smit::Jan:J.+L1')));
    expect(bad.issues).toEqual([issue('warning', 'INVALID_DATE', 'PID', 4, 'PID.1')]);
    // The interchange was prepared on 2025-03-14: nobody in it can be born later.
    const unborn = only(parseText(message(['BEP:1:1:1+0+LDL+2.0++mmol/l++++LDL B'], 'PID+2030:03:14+M+::Smit::Jan:J.+L1')));
    expect(unborn.issues).toEqual([issue('warning', 'BIRTHDATE_AFTER_INTERCHANGE', 'PID', 4, 'PID.1')]);
    expect(unborn.patient!.birthDate).toBeUndefined();
  });

  it('files no result of a specimen whose DET date cannot be read, and marks the report partial', () => {
    const text = message(['BEP:1:1:1+0+LDL+2.0++mmol/l++++LDL B', 'IDE:1+J+A2+bloed', 'BEP:1:1:2+0+LDL+2.1++mmol/l++++LDL B']).replace('DET:1+25:03:14+08:05', 'DET:1+25:02:30+08:05');
    const m = only(parseText(text));
    expect(m.issues).toEqual([issue('error', 'INVALID_DATE', 'DET', 5, 'DET.1')]);
    expect(m.observations).toEqual([]);
    expect(m.reports.map((r) => r.status)).toEqual(['partial', 'partial']);
  });

  it('warns of a complete order that carries no result and no pending test', () => {
    const empty = only(parseText(message([])));
    expect(empty.issues).toEqual([issue('warning', 'ORDER_WITHOUT_RESULTS', 'IDE', 6)]);
    expect(empty.reports).toEqual([]);
    expect(only(parseText(message(['NUB:1:1+Vitamine B12']))).issues).toEqual([]);
    // A second specimen of an order with results is no empty order.
    expect(only(parseText(message(['BEP:1:1:1+0+LDL+2.0++mmol/l++++LDL B', 'DET:2+25:03:14+08:20', 'IDE:2+J+A1+urine']))).issues).toEqual([]);
  });

  it('reads DET as local Dutch time with the offset of the season', () => {
    const winter = only(parseText(message(['BEP:1:1:1+0+LDL+2.0++mmol/l++++LDL B'])));
    expect(winter.observations[0]!.effective).toBe('2025-03-14T08:05:00+01:00');
    const summer = only(parseMedlab(fixture('patient-without-bsn.edi')));
    expect(summer.observations[0]!.effective).toBe('2025-06-02T14:30:00+02:00');
  });

  it('reports segments that are unknown or out of place, and keeps results outside a specimen group', () => {
    const text = "UNB+UNOA:1+111+222+250314:1012+IC1'\nUNH+M1+MEDLAB:1'\nPID+1950:02:28+M+::Smit::Jan:J.+L1'\nBEP:1:1:1+0+LDL+2.0++mmol/l++++LDL B'\nXYZ+1'\nUNB+x'\nUNT+6+M1'\nUNZ+1+IC1'\n";
    const m = only(parseText(text));
    expect(m.issues).toEqual([
      issue('warning', 'MISSING_SEGMENT', 'ZKH', 2),
      issue('warning', 'MISSING_SPECIMEN_GROUP', 'BEP', 4),
      issue('information', 'UNKNOWN_SEGMENT', 'XYZ', 5),
      issue('warning', 'UNEXPECTED_SEGMENT', 'UNB', 6),
    ]);
    expect(m.observations).toHaveLength(1);
    expect(m.observations[0]!.performerOrganizationId).toBeUndefined();
  });

  it('names the BSN under its canonical system when it is valid', () => {
    const m = only(parseMedlab(fixture('results-flags-remarks.edi')));
    expect(m.patient!.identifiers[0]).toEqual({ system: IdentifierSystems.bsn.uri, value: '999901011' });
  });
});
