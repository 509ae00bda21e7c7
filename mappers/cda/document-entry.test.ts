import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Document } from '../../canonical/index.js';
import { dm2, empty } from '../../fixtures/cda/patients.js';
import { ccdDocumentEntry } from './document-entry.js';
import { ccdEntryUuid, ccdUniqueId } from './ids.js';
import { renderCcd } from './render-ccd.js';

const REPOSITORY = '2.25.311355112416286012217498823465339218015';

function published(input: typeof dm2 | typeof empty) {
  const withId = { ...input, documentId: { root: ccdUniqueId(input) } };
  const bytes = new TextEncoder().encode(renderCcd(withId).xml);
  return { withId, bytes, entry: ccdDocumentEntry(withId, bytes, { repositoryUniqueId: REPOSITORY }) };
}

describe('ccdDocumentEntry', () => {
  const { withId, bytes, entry } = published(dm2);

  it('is a valid canonical Document with the CCD codes, format and confidentiality', () => {
    const document = Document.parse(entry);
    expect(document).toMatchObject({
      uniqueId: withId.documentId.root,
      repositoryUniqueId: REPOSITORY,
      patientId: dm2.patient.id,
      classCode: { system: 'http://loinc.org', code: '34133-9' },
      typeCode: { system: 'http://loinc.org', code: '34133-9' },
      formatCode: { system: 'urn:oid:1.3.6.1.4.1.19376.1.2.3', code: 'urn:hl7-org:sdwg:ccda-structuredBody:2.1' },
      confidentialityCodes: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N', display: 'normal' }],
      healthcareFacilityTypeCode: { system: 'http://snomed.info/sct', code: '35971002' },
      practiceSettingCode: { system: 'http://snomed.info/sct', code: '394814009' },
      mimeType: 'text/xml',
      languageCode: 'nl-NL',
      title: 'Continuity of Care Document',
      availabilityStatus: 'approved',
    });
  });

  it('hashes and measures exactly the bytes given, multi-byte characters included', () => {
    expect(entry.hash).toBe(createHash('sha1').update(bytes).digest('hex'));
    expect(entry.size).toBe(bytes.byteLength);
    expect(bytes.byteLength).toBeGreaterThan(renderCcd(withId).xml.length);
  });

  it('takes creation time from the data, and the service period from the earliest and latest record', () => {
    expect(entry).toMatchObject({ creationTime: '2024-03-14T09:12:00+01:00', serviceStartTime: '2012', serviceStopTime: '2024-03-14T08:05+01:00' });
    const none = published(empty).entry;
    expect(none.serviceStartTime).toBeUndefined();
    expect(none.serviceStopTime).toBeUndefined();
  });

  it('derives the entryUUID from the uniqueId, so every query names the same entry', () => {
    expect(entry.entryUuid).toBe(ccdEntryUuid(withId.documentId.root));
    expect(published(dm2).entry).toEqual(entry);
  });

  it('names the author institution as an XON with its OID, escaping HL7 v2 delimiters, and the source patient as a CX', () => {
    expect(entry.authors).toEqual([{ institutions: ['Crossgate gateway Zorggroep Voorbeeld^^^^^^^^^2.25.311355112416286012217498823465339218012'] }]);
    expect(entry.sourcePatientId).toBe('P000123^^^&2.25.311355112416286012217498823465339218013&ISO');
    const odd = { ...withId, author: { ...withId.author, name: 'A^B & C|D~E\\F' } };
    expect(ccdDocumentEntry(odd, bytes, { repositoryUniqueId: REPOSITORY }).authors?.[0]?.institutions?.[0]).toBe('A\\S\\B \\T\\ C\\F\\D\\R\\E\\E\\F^^^^^^^^^2.25.311355112416286012217498823465339218012');
    expect(ccdDocumentEntry(withId, bytes, { repositoryUniqueId: REPOSITORY, sourcePatientId: '999900018^^^&2.16.840.1.113883.2.4.6.3&ISO' }).sourcePatientId).toBe('999900018^^^&2.16.840.1.113883.2.4.6.3&ISO');
  });

  it('throws for input renderCcd refuses: there is no document to describe', () => {
    expect(() => ccdDocumentEntry({ ...withId, effectiveTime: 'now' }, bytes, { repositoryUniqueId: REPOSITORY })).toThrow(TypeError);
  });
});
