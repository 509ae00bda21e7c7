import { createHash, randomUUID } from 'node:crypto';
import {
  CodeSystems,
  IdentifierSystems,
  completeBsn,
  type DocumentInput,
  type ObservationInput,
  type PatientInput,
} from '../../canonical/index.js';

/**
 * From 99993000x: below are the fixtures' BSNs (9999000xx–9999019xx) and the ones tests pick by hand, which a
 * factory patient holding them would contradict.
 */
let counter = 2999;

/** A valid test-range BSN (9999xxxxx) that no other call in this process returns. */
export function uniqueBsn(): string {
  for (;;) {
    counter += 1;
    const bsn = completeBsn(`9999${String(counter).padStart(4, '0')}`);
    if (bsn) return bsn;
  }
}

export function aPatient(overrides: Partial<PatientInput> = {}): PatientInput {
  return {
    id: randomUUID(),
    identifiers: [{ system: IdentifierSystems.bsn.uri, value: uniqueBsn() }],
    names: [{ use: 'official', family: 'Berg', familyPrefix: 'van der', given: ['Johanna'], initials: 'J.' }],
    birthDate: '1956-03-14',
    gender: 'female',
    ...overrides,
  };
}

export function anObservation(patientId: string, overrides: Partial<ObservationInput> = {}): ObservationInput {
  return {
    id: randomUUID(),
    patientId,
    status: 'final',
    category: 'laboratory',
    codings: [{ system: CodeSystems.nhgTabel45.uri, code: '2816', display: 'HbA1c', role: 'original' }],
    value: { kind: 'quantity', quantity: { value: '53', unit: 'mmol/mol' } },
    effective: '2025-06-01T09:30:00+02:00',
    provenance: { source: 'test' },
    ...overrides,
  };
}

export function aDocument(patientId: string, text = 'Laboratory report'): { doc: DocumentInput; content: Uint8Array } {
  const content = new TextEncoder().encode(text);
  const id = randomUUID();
  return {
    content,
    doc: {
      id,
      patientId,
      entryUuid: `urn:uuid:${randomUUID()}`,
      uniqueId: `2.25.${BigInt(`0x${id.replace(/-/g, '')}`).toString()}`,
      repositoryUniqueId: '2.16.840.1.113883.3.9999.1',
      title: 'Lab report',
      classCode: { system: CodeSystems.loinc.uri, code: '11502-2', display: 'Laboratory report' },
      typeCode: { system: CodeSystems.loinc.uri, code: '11502-2', display: 'Laboratory report' },
      formatCode: { system: CodeSystems.iheFormatCode.uri, code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient' },
      confidentialityCodes: [{ system: CodeSystems.v3Confidentiality.uri, code: 'N' }],
      healthcareFacilityTypeCode: { system: CodeSystems.snomed.uri, code: '394761003', display: 'Huisartsenpraktijk' },
      practiceSettingCode: { system: CodeSystems.snomed.uri, code: '394814009', display: 'General practice' },
      mimeType: 'text/plain',
      hash: createHash('sha1').update(content).digest('hex'),
      size: content.byteLength,
      creationTime: '2025-06-02T10:00:00Z',
      provenance: { source: 'test' },
    },
  };
}
